import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatementNamer } from '../../src/db/statement-names.ts';
import { createTestDatabase, type TTestDatabase } from '../helpers/database.ts';

const query = (sql: string, args: unknown[] = [1]) => ({ sql, args, argTypes: [] });

describe('createStatementNamer', () => {
  it('gives a statement the same name every time, and another statement another name', () => {
    const { name } = createStatementNamer();
    const read = name(query('SELECT id FROM "Case" WHERE id = $1'));
    expect(read).toMatch(/^bridgeline_\d+_\d+$/);
    expect(name(query('SELECT id FROM "Case" WHERE id = $1'))).toBe(read);
    expect(name(query('SELECT id FROM "Resident" WHERE id = $1'))).not.toBe(read);
  });

  it('leaves unnamed what must not be prepared, or need not be', () => {
    const { name } = createStatementNamer();
    expect(name(query('SELECT * FROM "Case" WHERE id = $1'))).toBeUndefined();
    expect(name(query('SELECT c.* FROM "Case" c WHERE id = $1'))).toBeUndefined();
    expect(name(query('UPDATE "Case" SET level = $1 RETURNING *'))).toBeUndefined();
    expect(name(query('BEGIN', []))).toBeUndefined();
    expect(name(query('SELECT count(*) FROM "Case" WHERE level = $1'))).toMatch(/^bridgeline_/);
  });

  it('gives every statement a new name once renewed', () => {
    const namer = createStatementNamer();
    const before = namer.name(query('SELECT id FROM "Case" WHERE id = $1'));
    namer.renew();
    expect(namer.name(query('SELECT id FROM "Case" WHERE id = $1'))).not.toBe(before);
  });

  it('stops naming new statements once a connection would hold too many', () => {
    const { name } = createStatementNamer(2);
    expect(name(query('SELECT $1::int'))).toBeDefined();
    expect(name(query('SELECT $1::text'))).toBeDefined();
    expect(name(query('SELECT $1::bigint'))).toBeUndefined();
    expect(name(query('SELECT $1::int'))).toBeDefined();
  });
});

describe('prepared statements while a migration adds a column', () => {
  let database: TTestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('keep working: named ones list their columns, and `SELECT *` is never prepared', async () => {
    const { prisma } = database.db;
    await prisma.$executeRawUnsafe('CREATE TABLE "StatementNameProbe" (id int PRIMARY KEY, note text)');
    await prisma.$executeRaw`INSERT INTO "StatementNameProbe" (id, note) VALUES (${1}, ${'before'})`;
    const listed = () => prisma.$queryRaw`SELECT id, note FROM "StatementNameProbe" WHERE id = ${1}`;
    const starred = () => prisma.$queryRaw`SELECT * FROM "StatementNameProbe" WHERE id = ${1}`;
    for (let run = 0; run < 6; run += 1) {
      await listed();
      await starred();
    }
    await prisma.$executeRawUnsafe('ALTER TABLE "StatementNameProbe" ADD COLUMN added text');
    expect(await listed()).toEqual([{ id: 1, note: 'before' }]);
    // Prepared, this one would fail: "cached plan must not change result type".
    expect(await starred()).toEqual([{ id: 1, note: 'before', added: null }]);
  });

  it('fail once when a column they return changes type, then are prepared again', async () => {
    const { prisma } = database.db;
    await prisma.$executeRawUnsafe(`CREATE TYPE "ProbeLevel" AS ENUM ('low', 'high')`);
    await prisma.$executeRawUnsafe(
      'CREATE TABLE "StatementTypeProbe" (id int PRIMARY KEY, level "ProbeLevel")',
    );
    await prisma.$executeRawUnsafe(`INSERT INTO "StatementTypeProbe" (id, level) VALUES (1, 'low')`);
    // In a transaction, as every update's statements are: a failed lone query's connection is discarded (and
    // its statements with it), a transaction's connection goes back to the pool with them.
    const read = () =>
      prisma.$transaction((tx) => tx.$queryRaw`SELECT id, level FROM "StatementTypeProbe" WHERE id = ${1}`);
    await read();
    // What Prisma's migration does to remove an enum's value: a new type, the column moved to it, renamed.
    await prisma.$executeRawUnsafe(`CREATE TYPE "ProbeLevel_new" AS ENUM ('low')`);
    await prisma.$executeRawUnsafe(
      'ALTER TABLE "StatementTypeProbe" ALTER COLUMN level TYPE "ProbeLevel_new" USING level::text::"ProbeLevel_new"',
    );
    await prisma.$executeRawUnsafe('DROP TYPE "ProbeLevel"');
    await prisma.$executeRawUnsafe('ALTER TYPE "ProbeLevel_new" RENAME TO "ProbeLevel"');
    // The statement prepared before fails ("cached plan must not change result type") on every run until it
    // is prepared again: here at most once (on the connection that prepared it), then the names are renewed.
    const outcomes: string[] = [];
    for (let run = 0; run < 6; run += 1) {
      outcomes.push(
        await read().then(
          () => 'ok',
          () => 'failed',
        ),
      );
    }
    expect(outcomes.slice(1)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });
});
