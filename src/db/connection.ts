import { setTimeout } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { parseDatabaseUrl } from './database-url.ts';
import { claimDataDir, socketPathOf, type TOwnership } from './embedded-owner.ts';
import { DatabaseBusyError } from './errors.ts';
import { createPgMigrationAdapter, type TMigrationAdapterFactory } from './migration-adapters.ts';
import { withPreparedStatements } from './statement-names.ts';

export type TDatabaseKind = 'pglite' | 'postgres';

/**
 * How this process reaches the data: `direct` = it opened the embedded database and owns it (its own client
 * still goes through the socket it serves); `socket` = through the socket of the process that owns the
 * folder; `postgres` = a PostgreSQL server.
 */
export type TDatabaseVia = 'direct' | 'socket' | 'postgres';

/** Structured logger (pino-compatible): the database layer logs what it opened and where. */
export type TDatabaseLogger = {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
};

export type TOpenDatabaseOptions = {
  /**
   * Own the embedded folder and share it with local tools through the unix socket inside it (the bot does
   * this). Fails with `DatabaseBusyError` when another live process owns the folder. Without it, a folder
   * this process opens is not shared: other processes get `DatabaseBusyError` until it closes.
   */
  serveSocket?: boolean;
  logger?: TDatabaseLogger;
};

/**
 * An open database below the query client: a driver adapter for Prisma Client, a way to migrate, and
 * `close()`, which releases everything opened here (socket server, PGlite, folder ownership).
 */
export type TDatabaseConnection = {
  kind: TDatabaseKind;
  via: TDatabaseVia;
  /** Where the data is, for logs: a folder, or host/database (never credentials). */
  location: string;
  adapter: SqlDriverAdapterFactory;
  /** A schema-engine adapter to the same database (see `migrateDatabase`); close it after use. */
  createMigrationAdapter(): TMigrationAdapterFactory;
  close(): Promise<void>;
};

/**
 * Opens what DATABASE_URL names, without a query client (the schema-engine stand-in needs none). For the
 * embedded database: when a live process owns the folder, goes through its socket (or fails with
 * `DatabaseBusyError` if `serveSocket` is asked, or the owner serves none); otherwise opens the folder
 * (creating it), owns it until `close()`, and with `serveSocket` serves it.
 */
export async function openDatabaseConnection(
  url: string,
  options: TOpenDatabaseOptions = {},
): Promise<TDatabaseConnection> {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'postgres') return connectPostgres(target.url);
  const { dataDir } = target;
  const deadline = Date.now() + HOLDER_GRACE_MS;
  for (;;) {
    const claim = await claimDataDir(dataDir);
    if (claim.claimed) {
      if (claim.stalePid !== undefined) {
        options.logger?.warn({ dataDir, stalePid: claim.stalePid }, 'took over from an owner that is gone');
      }
      return openOwned(claim.ownership, options);
    }
    const { pid, socketPath } = claim.holder;
    if (socketPath !== undefined) {
      if (options.serveSocket) throw new DatabaseBusyError(dataDir, pid, 'owner-running');
      options.logger?.info({ dataDir, ownerPid: pid }, 'embedded database reached through its owner');
      return connectSocket(dataDir, 'socket', async () => {});
    }
    // A holder that shares nothing is usually a command-line tool finishing (e.g. the previous `prisma` run).
    if (Date.now() >= deadline) {
      throw new DatabaseBusyError(dataDir, pid, options.serveSocket ? 'owner-running' : 'no-socket');
    }
    await setTimeout(HOLDER_POLL_MS);
  }
}

/** How long to wait for a holder that serves no socket to let go before giving up. */
const HOLDER_GRACE_MS = 3000;
const HOLDER_POLL_MS = 100;

/** `pg` settings that reach an embedded database through its owner's socket. */
export function socketPoolConfig(dataDir: string): pg.PoolConfig {
  return { host: dataDir, port: 5432, user: 'postgres', database: 'postgres' };
}

/** The same as a connection string, e.g. for `psql`. */
export function socketConnectionString(dataDir: string): string {
  return `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(dataDir)}`;
}

function connectPostgres(url: string): TDatabaseConnection {
  const { host, pathname } = new URL(url);
  return {
    kind: 'postgres',
    via: 'postgres',
    location: `${host}${pathname}`,
    adapter: withPreparedStatements(
      (name) => new PrismaPg({ connectionString: url }, { statementNameGenerator: name }),
    ),
    createMigrationAdapter: () => createPgMigrationAdapter({ connectionString: url }),
    close: async () => {},
  };
}

function connectSocket(dataDir: string, via: TDatabaseVia, close: () => Promise<void>): TDatabaseConnection {
  return {
    kind: 'pglite',
    via,
    location: dataDir,
    adapter: new PrismaPg({ ...socketPoolConfig(dataDir), max: 4 }),
    createMigrationAdapter: () => createPgMigrationAdapter(socketPoolConfig(dataDir), { shadow: 'pglite' }),
    close,
  };
}

/**
 * Serves an open PGlite on a socket in `socketDir` and connects this process to it directly. PGlite is one
 * session: this process's transactions and the socket's clients take turns on it (`createPgliteSession`).
 * `close()` also closes the PGlite.
 */
export async function connectServedPglite(
  pglite: PGlite,
  socketDir: string,
  options: { location?: string } = {},
): Promise<TDatabaseConnection> {
  const [{ serveOnSocket }, { createPgliteSession }] = await Promise.all([
    import('./pglite-socket.ts'),
    import('./pglite-session.ts'),
  ]);
  const session = createPgliteSession(pglite);
  const server = await serveOnSocket(session.socket, socketPathOf(socketDir));
  return {
    kind: 'pglite',
    via: 'direct',
    location: options.location ?? socketDir,
    adapter: session.adapter,
    createMigrationAdapter: () => createPgMigrationAdapter(socketPoolConfig(socketDir), { shadow: 'pglite' }),
    close: async () => {
      await server.stop();
      await session.close();
      await pglite.close();
    },
  };
}

async function openOwned(ownership: TOwnership, options: TOpenDatabaseOptions): Promise<TDatabaseConnection> {
  const { dataDir } = ownership;
  try {
    // Loaded only for the embedded database: on PostgreSQL PGlite's modules are never held (about 37 MB).
    const { openPgliteFolder } = await import('./pglite-cluster.ts');
    const pglite = await openPgliteFolder(dataDir);
    const served = await connectServedPglite(pglite, dataDir).catch(async (error: unknown) => {
      await pglite.close();
      throw error;
    });
    const close = async () => {
      // Withdrawn first, so nobody takes the closing socket for a live one.
      await ownership.withdrawSocket();
      await served.close();
      await ownership.release();
    };
    if (options.serveSocket) await ownership.publishSocket();
    options.logger?.info(
      { dataDir, socketPath: ownership.socketPath, shared: options.serveSocket === true },
      'embedded database opened',
    );
    return { ...served, close };
  } catch (error) {
    await ownership.release();
    throw error;
  }
}
