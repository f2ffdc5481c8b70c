import { setImmediate } from 'node:timers/promises';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { TSocketView } from './pglite-session.ts';

export type TSocketServer = { stop(): Promise<void> };

/** The part of pglite-socket 0.2.17's query queue (not exported in its types) this module mends. */
type TQueryQueue = { clearTransactionIfNeeded(handlerId: number): Promise<void> };

/**
 * Serves the embedded database on a unix socket, so other processes reach it with `pg`
 * (`host=<socket folder>`). `socket` is the session's view for socket clients (`createPgliteSession`),
 * which keeps their statements and transactions apart from this process's own.
 */
export async function serveOnSocket(
  socket: TSocketView,
  socketPath: string,
  options: { maxConnections?: number } = {},
): Promise<TSocketServer> {
  const server = new PGLiteSocketServer({
    db: socket.db,
    path: socketPath,
    maxConnections: options.maxConnections ?? 32,
  });
  rollBackAfterLastMessage((server as unknown as { queryQueue: TQueryQueue }).queryQueue, socket);
  await server.start();
  return { stop: () => server.stop() };
}

/**
 * A client that leaves has what it left open rolled back — but the queue checks at once, while the client's
 * last message may still be waiting for the session's turn; run later, that message would open a transaction
 * (or a batch) nobody ends, and every other user would wait on it for good. So the check waits for the message
 * to have run (and for the queue to note whose it was).
 */
function rollBackAfterLastMessage(queue: TQueryQueue, socket: TSocketView): void {
  const clearNow = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async (handlerId) => {
    await socket.settled();
    await setImmediate();
    await clearNow(handlerId);
  };
}
