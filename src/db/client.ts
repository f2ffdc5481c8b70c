import type { PGlite } from '@electric-sql/pglite';
import { PrismaClient } from '../generated/prisma/client.ts';
import {
  connectServedPglite,
  openDatabaseConnection,
  type TDatabaseConnection,
  type TDatabaseKind,
  type TDatabaseVia,
  type TOpenDatabaseOptions,
} from './connection.ts';
import { describeConnectionFailure } from './connection-failure.ts';
import { DatabaseError } from './errors.ts';
import type { TMigrationAdapterFactory } from './migration-adapters.ts';
import { countStatements } from './statement-counter.ts';

export { Prisma, PrismaClient } from '../generated/prisma/client.ts';
export type { TDatabaseKind, TDatabaseLogger, TDatabaseVia, TOpenDatabaseOptions } from './connection.ts';
export { DatabaseBusyError, DatabaseError, DatabaseUrlError } from './errors.ts';

/** An open database. Close it once: that ends connections, the socket server and folder ownership. */
export type TDatabase = {
  prisma: PrismaClient;
  kind: TDatabaseKind;
  via: TDatabaseVia;
  /** Where the data is, for logs: a folder, or host/database (never credentials). */
  location: string;
  /** A schema-engine adapter to the same database, for `migrateDatabase`; close it after use. */
  createMigrationAdapter(): TMigrationAdapterFactory;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** SQL statements run through `prisma` so far (for `/metrics` and the benchmark). */
  statements(): number;
  close(): Promise<void>;
};

/**
 * Opens the database DATABASE_URL names and checks that it answers. For the embedded database
 * (`pglite:<folder>`): when a live process owns the folder, connects through its socket (`via: 'socket'`),
 * or fails with `DatabaseBusyError` if `serveSocket` is asked or the owner serves no socket; otherwise
 * opens the folder (creating it), owns it until `close()`, and with `serveSocket` serves it to local tools.
 *
 * @throws {DatabaseUrlError} bad URL; {DatabaseBusyError} folder held; {DatabaseError} `DATABASE_UNREACHABLE`
 * when the database does not answer (refused, unknown host or database, wrong user or password), its message
 * one sentence saying which part of DATABASE_URL to check.
 * @example
 * const db = await openDatabase(config.databaseUrl, { serveSocket: true, logger });
 * await migrateDatabase(db);
 * // ... on shutdown:
 * await db.close();
 */
export async function openDatabase(url: string, options: TOpenDatabaseOptions = {}): Promise<TDatabase> {
  const database = createDatabase(await openDatabaseConnection(url, options));
  const failure = await probe(database.prisma);
  if (failure !== undefined) {
    await database.close();
    throw new DatabaseError('DATABASE_UNREACHABLE', describeConnectionFailure(failure, url), {
      cause: failure,
    });
  }
  return database;
}

/**
 * Serves an already open PGlite (e.g. an in-memory one in tests) on a unix socket in `socketDir` and
 * connects to it, as the bot connects to its own embedded database; `close()` also closes the PGlite.
 */
export async function servePgliteDatabase(pglite: PGlite, socketDir: string): Promise<TDatabase> {
  return createDatabase(
    await connectServedPglite(pglite, socketDir, { location: pglite.dataDir ?? 'memory' }),
  );
}

function createDatabase(connection: TDatabaseConnection): TDatabase {
  const { adapter, close, ...rest } = connection;
  const counted = countStatements(adapter);
  // 'minimal': Prisma otherwise makes an Error for every query, to point at the calling line should it fail,
  // and on the first failure parses its own 5 MB source map, which then stays in memory. Our logs carry the stack.
  const prisma = new PrismaClient({ adapter: counted.factory, errorFormat: 'minimal' });
  let closed: Promise<void> | undefined;
  return {
    ...rest,
    prisma,
    ping: async () => (await probe(prisma)) === undefined,
    statements: counted.count,
    close() {
      closed ??= (async () => {
        try {
          await prisma.$disconnect();
        } finally {
          await close();
        }
      })();
      return closed;
    },
  };
}

async function probe(prisma: PrismaClient): Promise<Error | undefined> {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
