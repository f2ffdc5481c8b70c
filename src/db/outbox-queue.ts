import { UNORDERED_KINDS } from '../domain/outbox/kinds.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { TDbClient } from './unit-of-work.ts';

/**
 * The outbox's SQL: rows are written with the change that needs them, leased to the process that will send
 * them, and settled in batches. A row is `pending` (the sweeper's), `sending` (held by `leaseOwner` until
 * `lockedUntil`), or settled (`sent`, `failed`, `unreachable`).
 *
 * A chat's messages go in order: an ordered row waits while an earlier ordered row of its lane, as urgent or
 * more, is unsent. The process that holds every such earlier row keeps that order in memory, so a new row is
 * leased to it at once; otherwise the new row is `pending`, and the sweep hands it out in its turn.
 *
 * A statement that changes several rows a process holds locks them in id order first (`lockedInIdOrder`): the
 * renewal of their leases and the recording of their deliveries run at the same moment on two connections, and
 * rows taken in two different orders deadlock (PostgreSQL then fails one of them).
 */

export type TOutboxInsert = {
  kind: string;
  priority: number;
  lane: string;
  payloadSealed: string;
  caseId: number | null;
  workerId: number | null;
  escalationStep: number | null;
  /** A group announcement or a member's reply (see `relayGroupReply`); null for everything else. */
  groupId?: number | null;
  groupMembershipId?: number | null;
  notBefore: Date;
};

/** A row as the sender reads it back. */
export type TOutboxRow = {
  id: number;
  kind: string;
  priority: number;
  lane: string | null;
  payloadSealed: string;
  caseId: number | null;
  workerId: number | null;
  escalationStep: number | null;
  attempts: number;
};

const unordered = Prisma.join(UNORDERED_KINDS.map((kind) => Prisma.sql`${kind}`));

/**
 * Writes rows in one statement, in the given order, and returns their ids and whether they are leased to
 * `owner` (`sending`) or left to the sweep (`pending`). Without an owner every row is `pending`.
 *
 * @example
 * const written = await insertOutboxRows(tx, rows, { owner: 'a1b2', now, leaseMs: 60_000 });
 */
export async function insertOutboxRows(
  db: TDbClient,
  rows: readonly TOutboxInsert[],
  input: {
    owner: string | null;
    now: Date;
    leaseMs: number;
    /** Writes to carry in the same statement (a unit of work's deferred writes, as `WITH …`). */
    leading?: Prisma.Sql;
  },
): Promise<Array<{ id: number; isLeased: boolean }>> {
  const leading = input.leading ?? Prisma.empty;
  if (rows.length === 0) {
    if (leading !== Prisma.empty) await db.$executeRaw`${leading}SELECT 1`;
    return [];
  }
  const lease = new Date(input.now.getTime() + input.leaseMs);
  const written = await db.$queryRaw<Array<{ id: number; status: string }>>`
    ${leading}INSERT INTO "OutboxMessage"
      (kind, priority, lane, "payloadSealed", "caseId", "workerId", "escalationStep", "groupId",
       "groupMembershipId", "nextAttemptAt", status, "leaseOwner", "lockedUntil", attempts)
    SELECT v.kind, v.priority, v.lane, v.payload, v.case_id, v.worker_id, v.step, v.group_id, v.membership_id,
      v.not_before,
      CASE WHEN ${input.owner}::text IS NULL OR v.not_before > ${input.now}
        OR (v.kind NOT IN (${unordered}) AND EXISTS (
          SELECT 1 FROM "OutboxMessage" e
          WHERE e.lane = v.lane AND e.status IN ('pending', 'sending') AND e.priority <= v.priority
            AND e.kind NOT IN (${unordered})
            AND (e.status = 'pending' OR e."leaseOwner" IS DISTINCT FROM ${input.owner}::text)))
      THEN 'pending' ELSE 'sending' END AS status,
      ${input.owner}::text, ${lease}::timestamp(3), 0
    FROM unnest(
      ${rows.map((row) => row.kind)}::text[], ${rows.map((row) => row.priority)}::int[],
      ${rows.map((row) => row.lane)}::text[], ${rows.map((row) => row.payloadSealed)}::text[],
      ${rows.map((row) => row.caseId)}::int[], ${rows.map((row) => row.workerId)}::int[],
      ${rows.map((row) => row.escalationStep)}::int[], ${rows.map((row) => row.groupId ?? null)}::int[],
      ${rows.map((row) => row.groupMembershipId ?? null)}::int[],
      ${rows.map((row) => row.notBefore.toISOString())}::timestamp(3)[]
    ) WITH ORDINALITY AS v(kind, priority, lane, payload, case_id, worker_id, step, group_id, membership_id,
      not_before, ord)
    ORDER BY v.ord
    RETURNING id, status`;
  // Ids come from a sequence in insertion order, which is the order given.
  return written
    .sort((a, b) => a.id - b.id)
    .map((row) => ({ id: row.id, isLeased: row.status === 'sending' }));
}

/**
 * The rows among `ids` (that meet `condition`, if given), locked one by one in id order, for a statement that
 * changes them.
 */
function lockedInIdOrder(ids: readonly number[], condition: Prisma.Sql = Prisma.sql`TRUE`): Prisma.Sql {
  return Prisma.sql`
    SELECT id FROM "OutboxMessage" WHERE id = ANY(${[...ids]}::int[]) AND ${condition}
    ORDER BY id FOR UPDATE`;
}

/** Rows `owner` is sending now. */
function heldBy(owner: string): Prisma.Sql {
  return Prisma.sql`status = 'sending' AND "leaseOwner" = ${owner}`;
}

/**
 * Leases the due rows nobody holds to `owner`: pending ones whose time has come, and rows whose lease ran out
 * (their sender died). An ordered row waits while an earlier ordered row of its lane, as urgent or more, is
 * unsent. Most urgent first. `FOR UPDATE SKIP LOCKED`: several instances sweep at once, each row goes to one.
 */
export async function claimDueOutbox(
  prisma: PrismaClient,
  input: { owner: string; now: Date; leaseMs: number; limit: number },
): Promise<TOutboxRow[]> {
  const lease = new Date(input.now.getTime() + input.leaseMs);
  return prisma.$queryRaw<TOutboxRow[]>`
    WITH due AS (
      SELECT o.id FROM "OutboxMessage" o
      WHERE ((o.status = 'pending' AND o."nextAttemptAt" <= ${input.now})
          OR (o.status = 'sending' AND o."lockedUntil" <= ${input.now}))
        AND (o.kind IN (${unordered}) OR o.lane IS NULL OR NOT EXISTS (
          SELECT 1 FROM "OutboxMessage" e
          WHERE e.lane = o.lane AND e.id < o.id AND e.status IN ('pending', 'sending')
            AND e.priority <= o.priority AND e.kind NOT IN (${unordered})))
      ORDER BY o.priority, o."nextAttemptAt", o.id
      LIMIT ${input.limit}
      FOR UPDATE OF o SKIP LOCKED
    )
    UPDATE "OutboxMessage" AS m
    SET status = 'sending', "leaseOwner" = ${input.owner}, "lockedUntil" = ${lease}
    FROM due WHERE m.id = due.id
    RETURNING m.id, m.kind, m.priority, m.lane, m."payloadSealed", m."caseId", m."workerId",
      m."escalationStep", m.attempts`;
}

export type TDelivered = {
  id: number;
  messageId: number | null;
  sentAt: Date;
  /** The screening whose question this message asked: it records the message that carries the keyboard. */
  screeningId?: string;
};

/**
 * Records deliveries in one statement: each row `sent` with its Telegram message id, whatever happened to it
 * meanwhile (the id may be needed to blank it later); and, for a screening question, its message id on the
 * screening.
 */
export async function recordDelivered(prisma: PrismaClient, delivered: readonly TDelivered[]): Promise<void> {
  if (delivered.length === 0) return;
  // The question on screen is the screening's latest prompt: Telegram numbers a chat's messages in order, so
  // the highest message id wins — within this batch, and over one recorded before it (a retried batch).
  const latestPrompt = new Map<string, number>();
  for (const row of delivered) {
    if (row.screeningId === undefined || row.messageId === null) continue;
    latestPrompt.set(row.screeningId, Math.max(latestPrompt.get(row.screeningId) ?? 0, row.messageId));
  }
  const prompts = [...latestPrompt].map(([screeningId, messageId]) => ({ screeningId, messageId }));
  const everyRowLocked = lockedInIdOrder(delivered.map((row) => row.id));
  await prisma.$executeRaw`
    WITH d AS (
      SELECT d.id, d.message_id, d.sent_at FROM unnest(
        ${delivered.map((row) => row.id)}::int[], ${delivered.map((row) => row.messageId)}::int[],
        ${delivered.map((row) => row.sentAt.toISOString())}::timestamp(3)[]
      ) AS d(id, message_id, sent_at)
    ), held AS (${everyRowLocked}), prompt AS (
      UPDATE "Screening" s SET "promptMessageId" = GREATEST(s."promptMessageId", p.message_id)
      FROM unnest(${prompts.map((row) => row.screeningId)}::text[], ${prompts.map((row) => row.messageId)}::int[])
        AS p(screening_id, message_id)
      WHERE s.id = p.screening_id AND s.status = 'active'
    )
    UPDATE "OutboxMessage" m
    SET status = 'sent', "sentMessageId" = COALESCE(d.message_id, m."sentMessageId"), "sentAt" = d.sent_at,
      "lockedUntil" = NULL, "leaseOwner" = NULL, "lastError" = NULL, attempts = m.attempts + 1
    FROM d JOIN held ON held.id = d.id WHERE m.id = d.id`;
}

/** Keeps rows that `owner` still holds (waiting out a limit or a retry) from being taken as abandoned. */
export async function renewLeases(
  prisma: PrismaClient,
  input: { ids: readonly number[]; owner: string; until: Date },
): Promise<void> {
  if (input.ids.length === 0) return;
  await prisma.$executeRaw`
    UPDATE "OutboxMessage" m SET "lockedUntil" = ${input.until}
    FROM (${lockedInIdOrder(input.ids, heldBy(input.owner))}) held
    WHERE m.id = held.id`;
}

/** Hands rows `owner` holds back to the sweep (on shutdown), due at once. */
export async function releaseRows(
  prisma: PrismaClient,
  input: { ids: readonly number[]; owner: string; now: Date },
): Promise<void> {
  if (input.ids.length === 0) return;
  await prisma.$executeRaw`
    UPDATE "OutboxMessage" m
    SET status = 'pending', "leaseOwner" = NULL, "lockedUntil" = NULL, "nextAttemptAt" = ${input.now}
    FROM (${lockedInIdOrder(input.ids, heldBy(input.owner))}) held
    WHERE m.id = held.id`;
}

/**
 * At the start of the only process that can send from this database (the embedded one): whatever a
 * previous run left on its way was abandoned when it stopped — handed back now rather than when its lease
 * passes, so no chat waits behind it. Returns how many.
 */
export async function releaseAbandonedRows(prisma: PrismaClient, now: Date): Promise<number> {
  return prisma.$executeRaw`
    UPDATE "OutboxMessage"
    SET status = 'pending', "leaseOwner" = NULL, "lockedUntil" = NULL, "nextAttemptAt" = ${now}
    WHERE status = 'sending'`;
}

/**
 * The rows an earlier life of `instance` held while sending (every owner `<instance>/…` but this life's), back
 * to pending and due now: that process is gone, so nobody else is sending them.
 */
export async function releaseRowsOfInstance(
  prisma: PrismaClient,
  input: { instance: string; except: string; now: Date },
): Promise<number> {
  const pattern = `${input.instance.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}/%`;
  return prisma.$executeRaw`
    UPDATE "OutboxMessage"
    SET status = 'pending', "leaseOwner" = NULL, "lockedUntil" = NULL, "nextAttemptAt" = ${input.now}
    WHERE status = 'sending' AND "leaseOwner" LIKE ${pattern} AND "leaseOwner" <> ${input.except}`;
}

/**
 * A row as it stands right before it is sent, with its case's status: `/delete` may have erased or
 * neutralised it, a deactivation dropped it, a claim ended the wait its page was for. Null when the row is
 * gone or no longer held by `owner`.
 */
export async function readHeldRow(
  prisma: PrismaClient,
  input: { id: number; owner: string },
): Promise<{ payloadSealed: string; caseId: number | null; caseStatus: string | null } | null> {
  const [row] = await prisma.$queryRaw<
    Array<{ payloadSealed: string; caseId: number | null; caseStatus: string | null }>
  >`
    SELECT m."payloadSealed", m."caseId", c.status AS "caseStatus"
    FROM "OutboxMessage" m LEFT JOIN "Case" c ON c.id = m."caseId"
    WHERE m.id = ${input.id} AND m.status = 'sending' AND m."leaseOwner" = ${input.owner}`;
  return row ?? null;
}

/** The message an edit changes: `'wait'` while its row is on its way, null when it never went out. */
export async function sentMessageIdOf(
  prisma: PrismaClient,
  outboxId: number,
): Promise<number | 'wait' | null> {
  const row = await prisma.outboxMessage.findUnique({
    where: { id: outboxId },
    select: { status: true, sentMessageId: true },
  });
  if (row?.status === 'pending' || row?.status === 'sending') return 'wait';
  return row?.sentMessageId ?? null;
}

/**
 * Settles one row and returns its case as it is now (null: none; undefined: the row is gone, or was not ours
 * to settle). `sent` is recorded whatever happened to the row meanwhile (its message id may be needed to
 * blank it later); any other outcome only while `owner` still holds it — `/delete` may have erased it, a
 * deactivation dropped it.
 */
export async function settleOutboxRow(
  db: TDbClient,
  input: {
    id: number;
    owner: string;
    status: 'sent' | 'failed' | 'unreachable';
    now: Date;
    messageId?: number | null;
    lastError?: string | null;
  },
): Promise<number | null | undefined> {
  const isSent = input.status === 'sent';
  const [row] = await db.$queryRaw<Array<{ caseId: number | null }>>`
    UPDATE "OutboxMessage"
    SET status = ${input.status}, "sentMessageId" = COALESCE(${input.messageId ?? null}::int, "sentMessageId"),
      "sentAt" = CASE WHEN ${isSent} THEN ${input.now}::timestamp(3) ELSE "sentAt" END,
      "lockedUntil" = NULL, "leaseOwner" = NULL, "lastError" = ${input.lastError ?? null}::text,
      attempts = attempts + 1
    WHERE id = ${input.id} AND (${isSent} OR (status = 'sending' AND "leaseOwner" = ${input.owner}))
    RETURNING "caseId"`;
  return row === undefined ? undefined : row.caseId;
}
