import { AsyncLocalStorage } from 'node:async_hooks';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

export type TDbClient = PrismaClient | Prisma.TransactionClient;

/** The transaction of the Telegram update being handled, for every repository called while handling it. */
const updateTransaction = new AsyncLocalStorage<Prisma.TransactionClient>();

/**
 * The client a repository should use right now: the current update's transaction when there is one, so
 * everything an update changes commits (or rolls back) together with the record that it was handled.
 */
export function currentClient(prisma: PrismaClient): TDbClient {
  return updateTransaction.getStore() ?? prisma;
}

/**
 * Makes `tx` the current client while `work` runs: for background work (the escalation sweep) that opens a
 * transaction of its own and calls repositories that read `currentClient`.
 */
export function withTransaction<T>(tx: Prisma.TransactionClient, work: () => Promise<T>): Promise<T> {
  return updateTransaction.run(tx, work);
}

export type TUpdateOutcome = 'handled' | 'duplicate';

/** The advisory lock space of "one chat's updates" (any constant unused elsewhere; "Brdg"). */
const CHAT_LOCK_SPACE = 0x42726467;

/**
 * Runs `handle` at most once per Telegram `update_id`, inside one transaction that also records the id.
 * A re-delivered update finds the id and changes nothing; a handler that throws rolls everything back,
 * id included, so Telegram's retry gets a clean second chance. On PostgreSQL a concurrent delivery to
 * another instance waits on the row lock and then sees the id.
 *
 * `chatId`: updates of one chat take turns (a transaction-scoped advisory lock), so two messages of one
 * resident handled at once by two instances cannot both open a case, or both move one screening.
 *
 * @example
 * const outcome = await handleUpdateOnce(prisma, update.update_id, () => bot.handleUpdate(update), chatId);
 */
export async function handleUpdateOnce(
  prisma: PrismaClient,
  updateId: number,
  handle: () => Promise<void>,
  chatId?: number,
): Promise<TUpdateOutcome> {
  return prisma.$transaction(
    async (tx) => {
      if (chatId !== undefined) {
        // Two keys: our own lock space, then the chat id folded to 32 bits (a collision only makes two
        // chats take turns).
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAT_LOCK_SPACE}::int, hashtext(${String(chatId)}))`;
      }
      const inserted = await tx.$executeRaw`
        INSERT INTO "ProcessedUpdate" ("updateId") VALUES (${BigInt(updateId)}) ON CONFLICT DO NOTHING`;
      if (inserted === 0) return 'duplicate';
      await updateTransaction.run(tx, handle);
      return 'handled';
    },
    // Handlers talk to Telegram inside the transaction; the embedded database runs one at a time.
    { maxWait: 60_000, timeout: 60_000 },
  );
}
