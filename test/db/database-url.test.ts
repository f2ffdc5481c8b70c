import { describe, expect, it } from 'vitest';
import { DatabaseUrlError, parseDatabaseUrl } from '../../src/db/database-url.ts';

describe('parseDatabaseUrl', () => {
  it.each([
    ['pglite:./data/pglite', { kind: 'pglite', dataDir: '/srv/app/data/pglite' }],
    ['pglite:data', { kind: 'pglite', dataDir: '/srv/app/data' }],
    ['pglite:/var/lib/bridgeline', { kind: 'pglite', dataDir: '/var/lib/bridgeline' }],
    ['  pglite:../shared/db  ', { kind: 'pglite', dataDir: '/srv/shared/db' }],
    ['PGLITE:/tmp/x', { kind: 'pglite', dataDir: '/tmp/x' }],
    [
      'postgresql://bot:secret@db.internal:5432/bridgeline?sslmode=require',
      { kind: 'postgres', url: 'postgresql://bot:secret@db.internal:5432/bridgeline?sslmode=require' },
    ],
    ['postgres://localhost/bridgeline', { kind: 'postgres', url: 'postgres://localhost/bridgeline' }],
  ])('reads %s', (url, expected) => {
    expect(parseDatabaseUrl(url, '/srv/app')).toEqual(expected);
  });

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['pglite:', /needs a folder path/],
    ['pglite:   ', /needs a folder path/],
    ['pglite://host/db', /folder path, not \/\/host/],
    ['mysql://root:hunter2@localhost/db', /unsupported scheme mysql:/],
    ['file:./dev.db', /unsupported scheme file:/],
    ['./data/pglite', /has no scheme/],
    ['postgresql:bridgeline', /not a valid postgresql:\/\/ URL/],
    ['postgresql://[bad', /not a valid postgresql:\/\/ URL/],
  ])('rejects %j with a clear message', (url, message) => {
    const attempt = () => parseDatabaseUrl(url, '/srv/app');
    expect(attempt).toThrow(DatabaseUrlError);
    expect(attempt).toThrow(message);
  });

  it('never repeats credentials in its message', () => {
    try {
      parseDatabaseUrl('mysql://root:hunter2@localhost/db');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DatabaseUrlError);
      expect((error as DatabaseUrlError).code).toBe('DATABASE_URL_INVALID');
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('resolves a relative folder against the working directory by default', () => {
    expect(parseDatabaseUrl('pglite:./data/pglite')).toEqual({
      kind: 'pglite',
      dataDir: `${process.cwd()}/data/pglite`,
    });
  });
});
