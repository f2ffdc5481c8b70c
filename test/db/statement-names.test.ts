import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatementNamer } from '../../src/db/statement-names.ts';
import { createTestDatabase, type TTestDatabase } from '../helpers/database.ts';

const query = (sql: string, args: unknown[] = [1]) => ({ sql, args, argTypes: [] });

describe('createStatementNamer', () => {
  it('gives a statement the same name every time, and another statement another name', () => {
    const name = createStatementNamer();
    const read = name(query('SELECT id FROM "Case" WHERE id = $1'));
    expect(read).toMatch(/^bridgeline_\d+$/);
    expect(name(query('SELECT id FROM "Case" WHERE id = $1'))).toBe(read);
    expect(name(query('SELECT id FROM "Resident" WHERE id = $1'))).not.toBe(read);
  });

  it('leaves unnamed what must not be prepared, or need not be', () => {
    const name = createStatementNamer();
    expect(name(query('SELECT * FROM "Case" WHERE id = $1'))).toBeUndefined();
    expect(name(query('SELECT c.* FROM "Case" c WHERE id = $1'))).toBeUndefined();
    expect(name(query('UPDATE "Case" SET level = $1 RETURNING *'))).toBeUndefined();
    expect(name(query('BEGIN', []))).toBeUndefined();
    expect(name(query('SELECT count(*) FROM "Case" WHERE level = $1'))).toMatch(/^bridgeline_/);
  });

  it('stops naming new statements once a connection would hold too many', () => {
    const name = createStatementNamer(2);
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
});
