import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, openDatabase, servePgliteDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createMemoryPglite } from '../../src/db/pglite-cluster.ts';
import { postgresServerUrl, projectRoot, runPrisma } from '../helpers/prisma-cli.ts';

// These tests cover both databases themselves; in the PostgreSQL project run they would only repeat.

const migrationNames = (await readdir(join(projectRoot, 'prisma', 'migrations'), { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('migrateDatabase', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bridgeline-migrate-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('applies the committed migrations to a new PGlite folder once, then nothing', async () => {
    const url = `pglite:${join(workDir, 'a', 'b', 'pglite')}`;
    const db = await openDatabase(url);
    try {
      expect([db.kind, db.via]).toEqual(['pglite', 'direct']);
      expect(await migrateDatabase(db)).toEqual({ applied: migrationNames });
      expect(await migrateDatabase(db)).toEqual({ applied: [] });
      expect(await db.prisma.resident.count()).toBe(0);
    } finally {
      await db.close();
    }
    const reopened = await openDatabase(url);
    try {
      expect(await migrateDatabase(reopened)).toEqual({ applied: [] });
    } finally {
      await reopened.close();
    }
  });

  it('applies them to PostgreSQL once, with the bookkeeping prisma migrate status reads', {
    timeout: 60_000,
  }, async () => {
    const name = `bridgeline_migrate_${randomBytes(4).toString('hex')}`;
    const url = new URL(postgresServerUrl);
    url.pathname = `/${name}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const db = await openDatabase(url.toString());
      try {
        expect([db.kind, db.via]).toEqual(['postgres', 'postgres']);
        expect(db.location).toBe(`${url.host}/${name}`);
        expect(await migrateDatabase(db)).toEqual({ applied: migrationNames });
        expect(await migrateDatabase(db)).toEqual({ applied: [] });
      } finally {
        await db.close();
      }
      const status = await runPrisma(['migrate', 'status'], { databaseUrl: url.toString() });
      expect(status.output).toContain('Database schema is up to date');
      expect(status.code).toBe(0);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });

  it('reports a migration that fails, and leaves none of it applied', async () => {
    const migrationsDir = join(workDir, 'broken-migrations');
    await mkdir(join(migrationsDir, '20200101000000_broken'), { recursive: true });
    await writeFile(
      join(migrationsDir, '20200101000000_broken', 'migration.sql'),
      'CREATE TABLE "Half" (id int);\nCREATE TABLE "Broken" (id no_such_type);\n',
    );
    const db = await servePgliteDatabase(await createMemoryPglite(), await mkdtemp(join(workDir, 'socket-')));
    try {
      const attempt = migrateDatabase(db, { migrationsDir });
      await expect(attempt).rejects.toMatchObject({ code: 'DATABASE_MIGRATION_FAILED' });
      await expect(attempt).rejects.toThrow(/type "no_such_type" does not exist/);
      const tables = await db.prisma.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'Half'`;
      expect(tables).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it('refuses to open a database it cannot reach, without repeating the password', async () => {
    const attempt = openDatabase('postgresql://postgres:hunter2@127.0.0.1:9/nowhere');
    await expect(attempt).rejects.toBeInstanceOf(DatabaseError);
    await expect(attempt).rejects.toMatchObject({ code: 'DATABASE_UNREACHABLE' });
    await expect(attempt).rejects.toThrow(/The database server at 127\.0\.0\.1:9 refuses connections/);
    await expect(attempt).rejects.not.toThrow(/hunter2/);
  });
});

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServerUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
