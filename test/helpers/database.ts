import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase, servePgliteDatabase, type TDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createMemoryPglite, pgliteVersion } from '../../src/db/pglite-cluster.ts';
import { withDatabase } from '../../src/db/postgres-admin.ts';
import { projectPaths, readMigrationsList } from '../../src/db/schema-engine.ts';

/**
 * Which database the tests run on: TEST_DATABASE (`pglite` | `postgres`, set per vitest project) when set,
 * else PostgreSQL when TEST_POSTGRES_URL names a server database to administer from (e.g.
 * postgresql://postgres@127.0.0.1:5432/test), else PGlite.
 */
export const testDatabaseKind: 'pglite' | 'postgres' =
  (process.env.TEST_DATABASE ?? (process.env.TEST_POSTGRES_URL ? 'postgres' : 'pglite')) === 'postgres'
    ? 'postgres'
    : 'pglite';

/** Suffixes a test name with the database it runs on, e.g. `claims a case [pglite]`. */
export function describeDatabase(name: string): string {
  return `${name} [${testDatabaseKind}]`;
}

export type TTestDatabase = {
  db: TDatabase;
  kind: 'pglite' | 'postgres';
  /** A PostgreSQL test database's URL (for tools such as pg_dump). */
  url?: string;
  close(): Promise<void>;
};

/**
 * A fresh database of its own, migrated as production migrates (`migrateDatabase`). Migrating costs
 * seconds, so it happens once per set of migrations, into a template that each call copies: a PGlite dump
 * in the temp folder (loaded in about 0.6 s), or a PostgreSQL template database (`CREATE DATABASE … TEMPLATE`).
 *
 * @example
 * let testDb: TTestDatabase;
 * beforeAll(async () => { testDb = await createTestDatabase(); });
 * afterAll(() => testDb.close());
 */
export async function createTestDatabase(): Promise<TTestDatabase> {
  if (testDatabaseKind === 'pglite') return createPgliteTestDatabase();
  const serverUrl = process.env.TEST_POSTGRES_URL;
  if (!serverUrl)
    throw new Error('TEST_DATABASE=postgres needs TEST_POSTGRES_URL (a database to administer from).');
  return createPostgresTestDatabase(serverUrl);
}

/** Names a template after the migrations it holds, so a new migration makes a new template. */
async function migrationsHash(): Promise<string> {
  const { migrationDirectories } = await readMigrationsList(projectPaths.migrations);
  const hash = createHash('sha256');
  for (const { path, migrationFile } of migrationDirectories)
    hash.update(`${path}\0${migrationFile.content.value}\0`);
  return hash.digest('hex').slice(0, 16);
}

let pgliteTemplate: Promise<Blob> | undefined;

async function createPgliteTestDatabase(): Promise<TTestDatabase> {
  pgliteTemplate ??= loadPgliteTemplate();
  const pglite = await PGlite.create({ loadDataDir: await pgliteTemplate });
  // Served on a socket and reached with adapter-pg, as the bot reaches its embedded database.
  const socketDir = await mkdtemp(join(tmpdir(), 'bridgeline-db-'));
  const db = await servePgliteDatabase(pglite, socketDir);
  return {
    db,
    kind: 'pglite',
    async close() {
      await db.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

async function loadPgliteTemplate(): Promise<Blob> {
  const path = join(tmpdir(), `bridgeline-test-template-${pgliteVersion()}-${await migrationsHash()}.tar`);
  const cached = await readFile(path).catch(() => undefined);
  if (cached !== undefined) return new Blob([cached]);
  const pglite = await createMemoryPglite();
  const socketDir = await mkdtemp(join(tmpdir(), 'bridgeline-db-'));
  const db = await servePgliteDatabase(pglite, socketDir);
  try {
    await migrateDatabase(db);
    const dump = await pglite.dumpDataDir('none');
    await writeAtomically(path, new Uint8Array(await dump.arrayBuffer()));
    return dump;
  } finally {
    await db.close();
    await rm(socketDir, { recursive: true, force: true });
  }
}

async function createPostgresTestDatabase(serverUrl: string): Promise<TTestDatabase> {
  const template = `bridgeline_template_${await migrationsHash()}`;
  const name = `bridgeline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(serverUrl, async (admin) => {
    // One worker at a time builds the template or copies it (a template must have no other sessions).
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount === 0) await buildPostgresTemplate(admin, serverUrl, template);
      await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
    }
  });
  const url = databaseUrl(serverUrl, name);
  const db = await openDatabase(url);
  return {
    db,
    kind: 'postgres',
    url,
    async close() {
      await db.close();
      await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** Migrates under a temporary name, then renames: a half-built template is never taken for a good one. */
async function buildPostgresTemplate(admin: pg.Client, serverUrl: string, template: string): Promise<void> {
  const building = `${template}_building_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${building}"`);
  try {
    const db = await openDatabase(databaseUrl(serverUrl, building));
    try {
      await migrateDatabase(db);
    } finally {
      await db.close();
    }
    await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
  } catch (error) {
    await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
    throw error;
  }
}

function databaseUrl(serverUrl: string, database: string): string {
  return withDatabase({ connectionString: serverUrl }, database).connectionString ?? serverUrl;
}

async function withAdmin<T>(serverUrl: string, use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

/** Writes under a temporary name and renames, so a concurrent reader never sees half a file. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}
