import type { Case, Prisma, Resident, Screening, Worker } from '../generated/prisma/client.ts';
import type { TDbClient } from './unit-of-work.ts';

/** A resident's open case as most updates need it: not its scores or reasons, which only workers read. */
export type TOpenCase = Pick<
  Case,
  'id' | 'level' | 'score' | 'status' | 'screeningId' | 'signalsSealed' | 'claimedById' | 'createdAt'
> & { claimedBy: Worker | null };

/**
 * Everything an update of one chat usually needs, read in one statement once the chat's lock is held: the
 * sender as a worker, as a resident, their conversation state, their screening under way and their open case.
 * Each of these used to be a query of its own, on every update.
 */
export type TUpdateSnapshot = {
  worker: Worker | null;
  resident: Resident | null;
  /** The stored value of the conversation state under `sessionKey` (as the storage adapter wrote it). */
  session: Prisma.JsonValue | null;
  /** The resident's latest screening under way. */
  screening: Screening | null;
  /** The resident's open case (waiting or claimed), with who holds it. */
  openCase: TOpenCase | null;
};

/** One row, its columns prefixed by the table they come from (null where no row joined). */
type TRow = { [column: string]: unknown };

const WORKER_COLUMNS = [
  'id',
  'name',
  'role',
  'telegramUserId',
  'locale',
  'isOnCall',
  'activeCaseId',
  'isActive',
  'joinedAt',
] as const;

/**
 * @example
 * const snapshot = await readUpdateSnapshot(tx, { telegramUserId: 42, residentId, sessionKey });
 */
export async function readUpdateSnapshot(
  db: TDbClient,
  input: { telegramUserId: number; residentId: string; sessionKey: string },
): Promise<TUpdateSnapshot> {
  // Named columns, not whole rows as JSON: turning rows into JSON and back cost more than the query itself.
  const [row] = await db.$queryRaw<TRow[]>`
    SELECT
      w.id AS "w.id", w.name AS "w.name", w.role AS "w.role", w."telegramUserId" AS "w.telegramUserId",
      w.locale AS "w.locale", w."isOnCall" AS "w.isOnCall", w."activeCaseId" AS "w.activeCaseId",
      w."isActive" AS "w.isActive", w."joinedAt" AS "w.joinedAt",
      r.id AS "r.id", r.locale AS "r.locale", r."consentStatus" AS "r.consentStatus",
      r."consentVersion" AS "r.consentVersion", r."consentAt" AS "r.consentAt",
      r."chatIdSealed" AS "r.chatIdSealed", r."createdAt" AS "r.createdAt", r."updatedAt" AS "r.updatedAt",
      b.value AS "b.value",
      s.id AS "s.id", s."residentId" AS "s.residentId", s."scriptId" AS "s.scriptId",
      s."scriptVersion" AS "s.scriptVersion", s.status AS "s.status", s."stateSealed" AS "s.stateSealed",
      s."promptMessageId" AS "s.promptMessageId", s.level AS "s.level", s."startedAt" AS "s.startedAt",
      s."completedAt" AS "s.completedAt",
      c.id AS "c.id", c.level AS "c.level", c.score AS "c.score", c.status AS "c.status",
      c."screeningId" AS "c.screeningId", c."signalsSealed" AS "c.signalsSealed",
      c."claimedById" AS "c.claimedById", c."createdAt" AS "c.createdAt",
      cw.id AS "cw.id", cw.name AS "cw.name", cw.role AS "cw.role", cw."telegramUserId" AS "cw.telegramUserId",
      cw.locale AS "cw.locale", cw."isOnCall" AS "cw.isOnCall", cw."activeCaseId" AS "cw.activeCaseId",
      cw."isActive" AS "cw.isActive", cw."joinedAt" AS "cw.joinedAt"
    FROM (SELECT 1) AS one
    LEFT JOIN "Worker" w ON w."telegramUserId" = ${BigInt(input.telegramUserId)}
    LEFT JOIN "Resident" r ON r.id = ${input.residentId}
    LEFT JOIN "BotSession" b ON b.key = ${input.sessionKey}
    LEFT JOIN LATERAL (
      SELECT id, "residentId", "scriptId", "scriptVersion", status, "stateSealed", "promptMessageId", level,
        "startedAt", "completedAt"
      FROM "Screening"
      WHERE "residentId" = ${input.residentId} AND status = 'active'
      ORDER BY "startedAt" DESC LIMIT 1) s ON true
    LEFT JOIN LATERAL (
      SELECT id, level, score, status, "screeningId", "signalsSealed", "claimedById", "createdAt"
      FROM "Case"
      WHERE "residentId" = ${input.residentId} AND status IN ('waiting', 'claimed')
      ORDER BY "createdAt" DESC LIMIT 1) c ON true
    LEFT JOIN "Worker" cw ON cw.id = c."claimedById"`;
  if (!row) return { worker: null, resident: null, session: null, screening: null, openCase: null };
  const openCase = row['c.id'] === null ? null : { ...(columns(row, 'c') as Omit<TOpenCase, 'claimedBy'>) };
  return {
    worker: row['w.id'] === null ? null : (columns(row, 'w', WORKER_COLUMNS) as Worker),
    resident: row['r.id'] === null ? null : (columns(row, 'r') as Resident),
    session: (row['b.value'] ?? null) as Prisma.JsonValue | null,
    screening: row['s.id'] === null ? null : (columns(row, 's') as Screening),
    openCase:
      openCase === null
        ? null
        : {
            ...openCase,
            claimedBy: row['cw.id'] === null ? null : (columns(row, 'cw', WORKER_COLUMNS) as Worker),
          },
  };
}

/** The columns of one table in the row, without their prefix. */
function columns(row: TRow, prefix: string, names?: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (names) {
    for (const name of names) picked[name] = row[`${prefix}.${name}`];
    return picked;
  }
  for (const [column, value] of Object.entries(row)) {
    if (column.startsWith(`${prefix}.`)) picked[column.slice(prefix.length + 1)] = value;
  }
  return picked;
}
