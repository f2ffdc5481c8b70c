import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDatabase } from './client.ts';
import { DatabaseError } from './errors.ts';
import {
  describeEngineError,
  noSchemaFilter,
  openSchemaEngine,
  projectPaths,
  readDatamodels,
  readMigrationsList,
} from './schema-engine.ts';

export type TMigrateOptions = {
  /** Defaults to the project's `prisma/migrations`. */
  migrationsDir?: string;
  /** Defaults to the project's `prisma/schema.prisma`. */
  schemaPath?: string;
};

/**
 * Applies the committed migrations that the database lacks, in this process, through Prisma's Wasm schema
 * engine: the same engine call and bookkeeping (`_prisma_migrations`) as `prisma migrate deploy`, so
 * `prisma migrate status` agrees afterwards. Idempotent; concurrent callers on PostgreSQL are serialised by
 * the engine's advisory lock.
 *
 * @throws {DatabaseError} `DATABASE_MIGRATION_FAILED` with the engine's message. A migration that fails is
 *   rolled back and recorded as failed, as `prisma migrate deploy` records it (see `prisma migrate resolve`).
 * @example
 * const { applied } = await migrateDatabase(db); // ['20250101000000_init'] on a fresh database, then []
 */
export async function migrateDatabase(
  db: Pick<TDatabase, 'createMigrationAdapter'> & Partial<Pick<TDatabase, 'prisma'>>,
  options: TMigrateOptions = {},
): Promise<{ applied: string[] }> {
  const migrationsDir = options.migrationsDir ?? projectPaths.migrations;
  // A restart usually finds everything applied: then the schema engine (tens of megabytes of Wasm that stay
  // in the process once loaded) is not needed at all.
  if (db.prisma && (await isUpToDate(db.prisma, migrationsDir))) return { applied: [] };
  const adapterFactory = db.createMigrationAdapter();
  try {
    const engine = await openSchemaEngine({
      datamodels: await readDatamodels([options.schemaPath ?? projectPaths.schema]),
      adapterFactory,
    });
    try {
      const migrationsList = await readMigrationsList(migrationsDir);
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList,
        filters: noSchemaFilter,
      });
      return { applied: appliedMigrationNames };
    } finally {
      engine.free();
    }
  } catch (error) {
    const { message, errorCode } = describeEngineError(error);
    const code = errorCode === undefined ? '' : ` (${errorCode})`;
    throw new DatabaseError('DATABASE_MIGRATION_FAILED', `Applying migrations failed${code}: ${message}`, {
      cause: error,
    });
  } finally {
    await adapterFactory.close();
  }
}

/**
 * Whether every migration in the folder has been applied, by the bookkeeping the engine keeps, with none
 * failed or half-applied. Anything else (no bookkeeping table yet, a failed migration) is the engine's to
 * handle and report.
 */
async function isUpToDate(prisma: PrismaClient, migrationsDir: string): Promise<boolean> {
  const { migrationDirectories } = await readMigrationsList(migrationsDir);
  try {
    const rows = await prisma.$queryRaw<Array<{ name: string; finished: boolean }>>`
      SELECT migration_name AS name, finished_at IS NOT NULL AS finished
      FROM _prisma_migrations WHERE rolled_back_at IS NULL`;
    if (rows.some((row) => !row.finished)) return false;
    const applied = new Set(rows.map((row) => row.name));
    return migrationDirectories.every((directory) => applied.has(directory.path));
  } catch {
    return false;
  }
}
