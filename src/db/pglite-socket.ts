import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const code = (letter: string) => letter.charCodeAt(0);
/** Frontend messages of an extended-query batch (Parse, Bind, Describe, Execute, Close, Flush); Sync ends it. */
const BATCH_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map(code));
const SYNC = code('S');
const SYNC_MESSAGE = new Uint8Array([SYNC, 0, 0, 0, 4]);

export type TSocketServer = { stop(): Promise<void> };

/**
 * Serves an open PGlite on a unix socket, so other processes reach it with `pg` (`host=<socket folder>`).
 *
 * PGlite runs one session. pglite-socket 0.2.17 queues protocol messages from all connections and keeps a
 * connection's turn only while a transaction is open, so two clients' Parse/Bind/Execute/Sync batches can
 * interleave and bind each other's statements (electric-sql/pglite#1046). The server therefore sees the
 * database through a gate that reports a batch in progress as an open transaction, which keeps the turn
 * with that connection until its Sync. Everything in this process must then use the database through the
 * socket too: direct PGlite calls would slip between another client's messages.
 */
export async function serveOnSocket(
  pglite: PGlite,
  socketPath: string,
  options: { maxConnections?: number } = {},
): Promise<TSocketServer> {
  const server = new PGLiteSocketServer({
    db: createBatchGate(pglite),
    path: socketPath,
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  return { stop: () => server.stop() };
}

/** The part of PGlite the socket server uses, with extended-query batches counted as transactions. */
function createBatchGate(pglite: PGlite): PGlite {
  let batchOpen = false;
  const gate = {
    get waitReady() {
      return pglite.waitReady;
    },
    isInTransaction: () => batchOpen || pglite.isInTransaction(),
    runExclusive: <T>(fn: () => Promise<T>) => pglite.runExclusive(fn),
    execProtocolRawStream: (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
      const type = message[0];
      if (type === SYNC) batchOpen = false;
      else if (type !== undefined && BATCH_MESSAGES.has(type)) batchOpen = true;
      return pglite.execProtocolRawStream(message, options);
    },
    // The server calls this with ROLLBACK when a client leaves mid-transaction (or, here, mid-batch).
    exec: async (sql: string) => {
      if (batchOpen) {
        batchOpen = false;
        // End the abandoned batch first: after an error the backend skips everything until a Sync.
        await pglite.runExclusive(() => pglite.execProtocolRaw(SYNC_MESSAGE));
      }
      return pglite.exec(sql);
    },
  };
  return gate as unknown as PGlite;
}
