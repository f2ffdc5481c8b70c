import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PgliteLink } from './pglite-link.ts';
import {
  BATCH_MESSAGE_TYPES,
  MESSAGE_TYPE,
  runUnheard,
  SYNC_MESSAGE,
  simpleQuery,
} from './pglite-protocol.ts';
import { createSessionTurns, holdTurns, type TSessionTurns } from './pglite-turns.ts';
import { withPreparedStatements } from './statement-names.ts';

/**
 * PGlite is one database session. Two kinds of users share it in the process that owns it: this process's
 * own connections (linked straight into PGlite, no socket in between: `PgliteLink`) and the clients of the
 * unix socket it serves to local tools. They take turns: whoever holds the turn runs alone until its
 * transaction (or its batch) ends, so nobody's statement lands inside another's transaction.
 */
export type TPgliteSession = {
  /** The Prisma driver adapter of this process: adapter-pg, as on PostgreSQL, over linked connections. */
  adapter: SqlDriverAdapterFactory;
  /** What the socket server is given (`serveOnSocket`). */
  socket: TSocketView;
  /** Ends this process's connections (before the PGlite closes). */
  close(): Promise<void>;
};

/**
 * One connection: PGlite runs one statement at a time anyway, and its prepared statements belong to the one
 * backend all connections share, so a second linked connection could not prepare the same names.
 */
const LINKED_CONNECTIONS = 1;

/**
 * @example
 * const session = createPgliteSession(pglite);
 * await serveOnSocket(session.socket, socketPath);
 * const prisma = new PrismaClient({ adapter: session.adapter });
 */
export function createPgliteSession(pglite: PGlite): TPgliteSession {
  const turns = createSessionTurns();
  const pool = new pg.Pool({
    user: 'postgres',
    database: 'postgres',
    max: LINKED_CONNECTIONS,
    // Kept open while idle: a fresh one would prepare every statement again.
    idleTimeoutMillis: 0,
    stream: () => new PgliteLink(pglite, turns),
  });
  return {
    adapter: withPreparedStatements((name) => new PrismaPg(pool, { statementNameGenerator: name })),
    socket: createSocketView(pglite, turns),
    close: () => pool.end(),
  };
}

/**
 * The PGlite the socket server sees: its messages take the turn, and keep it while a socket client's
 * transaction (or extended-query batch) is open. `settled()`: once the message being run (perhaps still
 * waiting for the turn) has run.
 */
export type TSocketView = { db: PGlite; settled(): Promise<void> };

/**
 * pglite-socket 0.2.17 queues protocol messages from all connections and keeps a connection's turn only while
 * a transaction is open, so two clients' Parse/Bind/Execute/Sync batches could interleave and bind each other's
 * statements (electric-sql/pglite#1046): a batch in progress counts as an open transaction here. The socket
 * side as a whole takes the session's turn for a message and keeps it until its transaction or batch ends.
 */
function createSocketView(pglite: PGlite, turns: TSessionTurns): TSocketView {
  let batchOpen = false;
  let running: Promise<unknown> = Promise.resolve();
  const holdsOpenWork = () => batchOpen || pglite.isInTransaction();
  const hold = holdTurns(turns, holdsOpenWork);
  const withTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const run = hold.run(work);
    running = run.catch(() => undefined);
    return run;
  };
  const view = {
    get waitReady() {
      return pglite.waitReady;
    },
    // Only the socket side's own open work: this process's transaction is none of the socket server's business.
    isInTransaction: () => hold.isHeld() && holdsOpenWork(),
    runExclusive: <T>(work: () => Promise<T>) => withTurn(() => pglite.runExclusive(work)),
    execProtocolRawStream: (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
      const type = message[0];
      if (type === MESSAGE_TYPE.sync) batchOpen = false;
      else if (type !== undefined && BATCH_MESSAGE_TYPES.has(type)) batchOpen = true;
      return pglite.execProtocolRawStream(message, options);
    },
    // The server calls this with ROLLBACK when a client leaves mid-transaction (or, here, mid-batch).
    exec: (sql: string) =>
      withTurn(async () => {
        if (batchOpen) {
          batchOpen = false;
          // End the abandoned batch first: after an error the backend skips everything until a Sync.
          await runUnheard(pglite, SYNC_MESSAGE);
        }
        await runUnheard(pglite, simpleQuery(sql));
        return [];
      }),
  };
  return { db: view as unknown as PGlite, settled: () => running.then(() => undefined) };
}
