import { sessionContext } from '../db/session-storage.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { CASE_SIGNALS_CONTEXT } from './case-signals.ts';
import { messageContext, noteContext } from './case-work.ts';
import type { TDataKeys } from './data-keys.ts';
import type { TDataProtector } from './data-protection.ts';
import { payloadContext } from './outbox.ts';
import { CHAT_ID_CONTEXT } from './resident-chat.ts';
import { stateContext } from './screenings.ts';

/**
 * Every sealed value the database holds, by table: how to read it, the field it is sealed for (its context,
 * which a re-seal must keep: the owning module's own), and how to write it back only if nobody changed it
 * meanwhile.
 */
type TSealedColumn = {
  table: string;
  /** The sealed text, as an SQL expression over the row. */
  sealed: Prisma.Sql;
  /** The row's key, as an SQL expression (returned as text). */
  key: Prisma.Sql;
  /** The context the value is sealed for, from the row's key. */
  context: (key: string) => string;
  /** Sets the value from `next`, only where it still is `previous` (and the row is not in flight). */
  update: (key: string, previous: string, next: string) => Prisma.Sql;
  /** Rows another process is working on right now, as an SQL condition: skipped until a later pass. */
  isInFlight?: Prisma.Sql;
};

const SEALED_COLUMNS: readonly TSealedColumn[] = [
  {
    table: 'Resident',
    sealed: Prisma.sql`"chatIdSealed"`,
    key: Prisma.sql`id`,
    context: () => CHAT_ID_CONTEXT,
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "Resident" SET "chatIdSealed" = ${next} WHERE id = ${key} AND "chatIdSealed" = ${previous}`,
  },
  {
    table: 'Screening',
    sealed: Prisma.sql`"stateSealed"`,
    key: Prisma.sql`id`,
    context: stateContext,
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "Screening" SET "stateSealed" = ${next} WHERE id = ${key} AND "stateSealed" = ${previous}`,
  },
  {
    table: 'Case',
    sealed: Prisma.sql`"signalsSealed"`,
    key: Prisma.sql`id::text`,
    context: () => CASE_SIGNALS_CONTEXT,
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "Case" SET "signalsSealed" = ${next} WHERE id = ${Number(key)} AND "signalsSealed" = ${previous}`,
  },
  {
    table: 'CaseMessage',
    sealed: Prisma.sql`"textSealed"`,
    key: Prisma.sql`id::text || ':' || "caseId"::text`,
    context: (key) => messageContext(Number(key.split(':')[1])),
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "CaseMessage" SET "textSealed" = ${next} WHERE id = ${Number(key.split(':')[0])} AND "textSealed" = ${previous}`,
  },
  {
    table: 'CaseNote',
    sealed: Prisma.sql`"textSealed"`,
    key: Prisma.sql`id::text || ':' || "caseId"::text`,
    context: (key) => noteContext(Number(key.split(':')[1])),
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "CaseNote" SET "textSealed" = ${next} WHERE id = ${Number(key.split(':')[0])} AND "textSealed" = ${previous}`,
  },
  {
    table: 'OutboxMessage',
    sealed: Prisma.sql`"payloadSealed"`,
    key: Prisma.sql`id::text`,
    context: () => payloadContext,
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "OutboxMessage" SET "payloadSealed" = ${next}
        WHERE id = ${Number(key)} AND "payloadSealed" = ${previous} AND status <> 'sending'`,
    isInFlight: Prisma.sql`status = 'sending'`,
  },
  {
    table: 'BotSession',
    sealed: Prisma.sql`value->>'sealed'`,
    key: Prisma.sql`key`,
    context: sessionContext,
    update: (key, previous, next) =>
      Prisma.sql`UPDATE "BotSession" SET value = jsonb_set(value, '{sealed}', to_jsonb(${next}::text))
        WHERE key = ${key} AND value->>'sealed' = ${previous}`,
  },
];

/** The key id a sealed value names (`v1.<keyId>.<data>`). */
const KEY_OF = (sealed: Prisma.Sql) => Prisma.sql`split_part(${sealed}, '.', 2)`;

/**
 * How many stored values each data key seals, across every sealed field: a key that seals none may be retired.
 *
 * @example await sealedValuesByKey({ prisma }) // { k2: 1840, k1: 12 }
 */
export async function sealedValuesByKey(deps: { prisma: PrismaClient }): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const column of SEALED_COLUMNS) {
    const rows = await deps.prisma.$queryRaw<Array<{ keyId: string; count: bigint }>>`
      SELECT ${KEY_OF(column.sealed)} AS "keyId", count(*) AS count
      FROM ${Prisma.raw(`"${column.table}"`)} WHERE ${column.sealed} IS NOT NULL GROUP BY 1`;
    for (const row of rows) counts[row.keyId] = (counts[row.keyId] ?? 0) + Number(row.count);
  }
  return counts;
}

/** Where a pass of re-sealing has got to: the column (by index) and the last row key it looked at there. */
export type TResealCursor = { column: number; after: string | null };

/**
 * Re-seals with the active key up to `limit` values still sealed with an older one (the background work calls
 * this each round while the service runs, so a rotation completes in batches without a pause). Each value is
 * written back only if it is unchanged since it was read; an outbox row being sent is left alone (its sender
 * opened it as it is; re-sealing it under that sender might give it a key the sender lacks) and is taken up by
 * a later pass. A value no key opens is left as it is and counted, and the pass moves on past it: the next
 * batch starts after the last row looked at (`cursor`), so unreadable rows never hold the others up.
 * `cursor` is undefined once the pass has looked at every table.
 *
 * Only the keys listed AFTER the active key are moved off: a newer key (listed before it, for opening only
 * while a rotation is under way) seals what instances already activated it wrote, and stays.
 *
 * @example
 * let cursor: TResealCursor | undefined;
 * do ({ cursor } = await resealBatch({ prisma, protector, keys }, { limit: 200, cursor })); while (cursor);
 */
export async function resealBatch(
  deps: {
    prisma: PrismaClient;
    protector: TDataProtector;
    keys: Pick<TDataKeys, 'activeKeyId' | 'olderKeyIds'>;
  },
  input: { limit: number; cursor?: TResealCursor | undefined },
): Promise<{ resealed: number; unreadable: number; cursor: TResealCursor | undefined }> {
  const older = deps.keys.olderKeyIds;
  if (older.length === 0) return { resealed: 0, unreadable: 0, cursor: undefined };
  let resealed = 0;
  let unreadable = 0;
  let left = input.limit;
  let { column: at, after } = input.cursor ?? { column: 0, after: null };
  for (; at < SEALED_COLUMNS.length; at += 1, after = null) {
    const column = SEALED_COLUMNS[at] as TSealedColumn;
    if (left <= 0) return { resealed, unreadable, cursor: { column: at, after } };
    const rows = await deps.prisma.$queryRaw<Array<{ key: string; sealed: string }>>`
      SELECT * FROM (
        SELECT ${column.key} COLLATE "C" AS key, ${column.sealed} AS sealed
        FROM ${Prisma.raw(`"${column.table}"`)}
        WHERE ${column.sealed} IS NOT NULL AND ${KEY_OF(column.sealed)} IN (${Prisma.join([...older])})
          ${column.isInFlight ? Prisma.sql`AND NOT ${column.isInFlight}` : Prisma.empty}
      ) AS sealed
      WHERE ${after}::text IS NULL OR key > ${after}::text COLLATE "C"
      ORDER BY key COLLATE "C" LIMIT ${left}`;
    for (const row of rows) {
      left -= 1;
      after = row.key;
      const context = column.context(row.key);
      let plain: string;
      try {
        plain = deps.protector.open(row.sealed, context);
      } catch {
        unreadable += 1;
        continue;
      }
      resealed += await deps.prisma.$executeRaw(
        column.update(row.key, row.sealed, deps.protector.seal(plain, context)),
      );
    }
    if (left <= 0) return { resealed, unreadable, cursor: { column: at, after } };
  }
  return { resealed, unreadable, cursor: undefined };
}
