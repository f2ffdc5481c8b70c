import { AsyncLocalStorage } from 'node:async_hooks';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

export type TDbClient = PrismaClient | Prisma.TransactionClient;

/**
 * One short transaction and what rides on it: work that must be written just before the commit (the
 * messages it decided to send, in one statement) and work that must run only once it has committed (handing
 * those messages to the sender). Nothing here calls Telegram: decide, commit, then speak.
 */
export type TUnitOfWork = {
  tx: Prisma.TransactionClient;
  /** Runs inside the transaction, after the work, in the order registered. */
  beforeCommit(hook: (tx: Prisma.TransactionClient) => Promise<void>): void;
  /** Runs once the transaction has committed (never if it rolls back). Must not throw. */
  afterCommit(hook: () => void): void;
  /** Per-unit state a module keeps (created on first use), such as the messages staged so far. */
  slot<T>(key: symbol, create: () => T): T;
  /**
   * A write whose result nobody in the unit needs, run at the commit together with the others in one
   * statement. A later write under the same `key` replaces the earlier one (a state saved twice).
   */
  deferWrite(key: string, sql: Prisma.Sql): void;
  /**
   * The deferred writes so far, as the `WITH …` that leads the statement the caller runs next (which then
   * carries them); empty when there are none.
   */
  takeDeferredWrites(): Prisma.Sql;
};

const currentUnit = new AsyncLocalStorage<TUnitOfWork | undefined>();

/**
 * What the current unit of work has read (or written) of one kind, by key: a second read in the same unit
 * needs no query. Undefined outside a unit of work. The module that reads and writes a kind of row keeps
 * its cache up to date with its own writes.
 *
 * @example
 * const cached = unitCache<Screening | null>(ACTIVE_SCREENINGS)?.get(residentId);
 */
export function unitCache<T>(kind: symbol): Map<string, T> | undefined {
  return currentUnit.getStore()?.slot(kind, () => new Map<string, T>());
}

/** The unit of work in progress, if any. */
export function currentUnitOfWork(): TUnitOfWork | undefined {
  return currentUnit.getStore();
}

/**
 * The client a repository should use right now: the current unit's transaction when there is one, so
 * everything it changes commits (or rolls back) together.
 */
export function currentClient(prisma: PrismaClient): TDbClient {
  return currentUnit.getStore()?.tx ?? prisma;
}

/** Waits for a pooled connection and then for the transaction; no transaction waits on Telegram. */
const DEFAULT_TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;

/**
 * Runs `work` in one transaction, as a unit of work: repositories it calls use the transaction
 * (`currentClient`), hooks it registers run before and after the commit.
 *
 * @example
 * await runUnitOfWork(prisma, async () => {
 *   await claimCase(deps, { caseId, worker, now }); // stages its messages
 * }); // committed: the messages are on their way
 */
export async function runUnitOfWork<T>(
  prisma: PrismaClient,
  work: () => Promise<T>,
  options: { maxWait?: number; timeout?: number } = {},
): Promise<T> {
  const committedHooks: Array<() => void> = [];
  const value = await prisma.$transaction(
    async (tx) => {
      const beforeHooks: Array<(tx: Prisma.TransactionClient) => Promise<void>> = [];
      const slots = new Map<symbol, unknown>();
      const deferred = new Map<string, Prisma.Sql>();
      const unit: TUnitOfWork = {
        tx,
        beforeCommit: (hook) => beforeHooks.push(hook),
        afterCommit: (hook) => committedHooks.push(hook),
        slot<S>(key: symbol, create: () => S): S {
          if (!slots.has(key)) slots.set(key, create());
          return slots.get(key) as S;
        },
        deferWrite(key, sql) {
          deferred.delete(key);
          deferred.set(key, sql);
        },
        takeDeferredWrites() {
          if (deferred.size === 0) return Prisma.empty;
          const writes = [...deferred.values()].map(
            (sql, index) => Prisma.sql`${Prisma.raw(`w${index}`)} AS (${sql})`,
          );
          deferred.clear();
          return Prisma.sql`WITH ${Prisma.join(writes, ', ')} `;
        },
      };
      return currentUnit.run(unit, async () => {
        const result = await work();
        for (const hook of beforeHooks) await hook(tx);
        const writes = unit.takeDeferredWrites();
        if (writes !== Prisma.empty) await tx.$executeRaw`${writes}SELECT 1`;
        return result;
      });
    },
    { ...DEFAULT_TRANSACTION_OPTIONS, ...options },
  );
  // Outside the unit: what runs now (sending) is not part of any transaction. `run` with no unit, not
  // `exit`: on Node 20 `exit` turns the promise hooks off and on again, for every update.
  currentUnit.run(undefined, () => {
    for (const hook of committedHooks) hook();
  });
  return value;
}

export type TUpdateOutcome = 'handled' | 'duplicate';

/** The advisory lock space of "one chat's updates" (any constant unused elsewhere; "Brdg"). */
const CHAT_LOCK_SPACE = 0x42726467;

/**
 * Runs `handle` at most once per Telegram `update_id`, as one unit of work that also records the id. A
 * re-delivered update finds the id and changes nothing; a handler that throws rolls everything back, id
 * included, so a retry gets a clean second chance. On PostgreSQL a concurrent delivery to another instance
 * waits on the row lock and then sees the id.
 *
 * `chatId`: updates of one chat take turns (a transaction-scoped advisory lock, taken in the same statement
 * that records the id), so two messages of one resident handled at once by two instances cannot both open a
 * case, or both move one screening.
 *
 * @example
 * const outcome = await handleUpdateOnce(prisma, { updateId: update.update_id, chatId }, () => bot.handleUpdate(update));
 */
export async function handleUpdateOnce(
  prisma: PrismaClient,
  input: { updateId: number; chatId?: number },
  handle: () => Promise<void>,
): Promise<TUpdateOutcome> {
  return runUnitOfWork(prisma, async () => {
    const tx = currentClient(prisma);
    const updateId = BigInt(input.updateId);
    // The lock comes first (the CTE feeds the insert), then the id: a concurrent delivery of the same update
    // to the same chat waits here and then finds the id.
    const inserted =
      input.chatId === undefined
        ? await tx.$executeRaw`
            INSERT INTO "ProcessedUpdate" ("updateId") VALUES (${updateId}) ON CONFLICT DO NOTHING`
        : await tx.$executeRaw`
            WITH chat AS (SELECT pg_advisory_xact_lock(${CHAT_LOCK_SPACE}::int, hashtext(${String(input.chatId)})))
            INSERT INTO "ProcessedUpdate" ("updateId") SELECT ${updateId} FROM chat ON CONFLICT DO NOTHING`;
    if (inserted === 0) return 'duplicate';
    await handle();
    return 'handled';
  });
}

/**
 * Runs a write at the commit of the current unit of work, with the unit's other deferred writes in one
 * statement (see `TUnitOfWork.deferWrite`); outside a unit of work, at once.
 *
 * @example
 * await deferWrite(prisma, `screening-state:${id}`, Prisma.sql`UPDATE "Screening" SET … WHERE id = ${id}`);
 */
export async function deferWrite(prisma: PrismaClient, key: string, sql: Prisma.Sql): Promise<void> {
  const unit = currentUnit.getStore();
  if (unit) {
    unit.deferWrite(key, sql);
    return;
  }
  await prisma.$executeRaw(sql);
}
