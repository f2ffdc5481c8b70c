import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { openDatabase } from '../../src/db/client.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase, testDatabaseKind } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { dumpText, readEveryTable } from '../helpers/tables.ts';

const run = promisify(execFile);

/**
 * An erasure survives a restore: the erased pseudonym is kept (nothing else), `admin erasures` lists it, and
 * after restoring data from before the erasure, `admin erasures reapply <file>` erases that resident again.
 */
let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

async function admin(args: string[], files: Record<string, string> = {}, prisma: PrismaClient = app.prisma) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    {
      prisma,
      notices: { protector: app.protector, i18n: app.i18n },
      readText: async (file) => {
        const text = files[file];
        if (text === undefined) throw new Error('no such file');
        return text;
      },
    },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

describe(describeDatabase('erasures and backups'), () => {
  it('keeps the pseudonym alone, lists it, and erases again whoever a restored backup brings back', async () => {
    const resident = createResident(app, { id: 96_001, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    await resident.send('/delete');
    await resident.press(CALLBACK.deleteYes);
    expect(await app.prisma.resident.count({ where: { id: resident.residentId } })).toBe(0);
    expect(await app.prisma.erasure.findMany()).toEqual([
      { pseudonym: resident.residentId, erasedAt: expect.any(Date) },
    ]);

    const listed = await admin(['erasures']);
    expect(listed.code).toBe(0);
    expect(listed.out).toEqual([expect.stringMatching(new RegExp(`^${resident.residentId}\\t\\d{4}-`))]);

    // A backup from before the erasure is restored: the resident, a screening and a case are back, and the
    // erasure list in the database is the old one.
    await app.prisma.erasure.deleteMany();
    await app.prisma.resident.create({ data: { id: resident.residentId, locale: 'en' } });
    const screening = await app.prisma.screening.create({
      data: { residentId: resident.residentId, scriptId: 'default', scriptVersion: 4, stateSealed: 'x' },
    });
    await app.prisma.case.create({
      data: {
        residentId: resident.residentId,
        screeningId: screening.id,
        level: 'high',
        source: 'screening',
      },
    });

    const reapplied = await admin(['erasures', 'reapply', 'erasures.txt'], {
      'erasures.txt': `${listed.out.join('\n')}\nnot a pseudonym!\n`,
    });
    expect(reapplied.out).toEqual(['Erased again: 1; already gone: 0; not pseudonyms, left alone: 1']);
    expect(reapplied.code).toBe(1);
    expect(await app.prisma.resident.count({ where: { id: resident.residentId } })).toBe(0);
    expect(await app.prisma.screening.count({ where: { residentId: resident.residentId } })).toBe(0);
    expect(await app.prisma.case.count({ where: { residentId: resident.residentId } })).toBe(0);
    expect(await app.prisma.erasure.count()).toBe(1);

    const again = await admin(['erasures', 'reapply', 'erasures.txt'], {
      'erasures.txt': listed.out.join('\n'),
    });
    expect(again).toMatchObject({ code: 0, out: ['Erased again: 0; already gone: 1'] });
    expect((await admin(['erasures', 'reapply'])).code).toBe(2);
    expect((await admin(['erasures', 'reapply', 'missing.txt'])).code).toBe(2);
  });

  /** The tables in which `text` appears: what an erasure leaves of someone, table by table. */
  async function tablesHolding(prisma: PrismaClient, text: string): Promise<string[]> {
    const tables = await readEveryTable(prisma);
    return Object.entries(tables)
      .filter(([, rows]) => dumpText({ rows }).includes(text))
      .map(([name]) => name);
  }

  // A real backup and restore: pg_dump before the erasure, pg_restore into a new database after it. (The
  // embedded database is backed up as a copy of its folder; the reapply step is the same, shown above.)
  if (testDatabaseKind === 'postgres')
    it('after a real pg_dump and pg_restore, reapply leaves of the resident what the erasure left: no table more', async () => {
      const resident = createResident(app, { id: 96_002, languageCode: 'en' });
      await resident.consent();
      await resident.answer(ROUTES.high);
      const folder = await mkdtemp(join(tmpdir(), 'bridgeline-backup-'));
      const backup = join(folder, 'backup.dump');
      const sourceUrl = app.database.url ?? '';
      await run('pg_dump', ['--format=custom', '--no-owner', `--file=${backup}`, sourceUrl]);

      await resident.send('/delete');
      await resident.press(CALLBACK.deleteYes);
      const erased = await tablesHolding(app.prisma, resident.residentId);
      expect(erased).toContain('Erasure');
      const list = (await admin(['erasures'])).out.join('\n');

      const restoredUrl = new URL(sourceUrl);
      const name = `${restoredUrl.pathname.slice(1)}_restored`;
      restoredUrl.pathname = `/${name}`;
      const serverUrl = process.env.TEST_POSTGRES_URL ?? '';
      await run('psql', [serverUrl, '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE "${name}"`]);
      const restored = await (async () => {
        await run('pg_restore', ['--no-owner', `--dbname=${restoredUrl}`, backup]);
        return openDatabase(restoredUrl.toString());
      })();
      try {
        // The backup brings the resident back, with their screening and case.
        expect(await tablesHolding(restored.prisma, resident.residentId)).toEqual(
          expect.arrayContaining(['Resident', 'Screening', 'Case']),
        );
        const reapplied = await admin(
          ['erasures', 'reapply', 'erasures.txt'],
          { 'erasures.txt': list },
          restored.prisma,
        );
        expect(reapplied.code).toBe(0);
        expect(reapplied.out[0]).toMatch(/^Erased again: 1;/);
        expect(await tablesHolding(restored.prisma, resident.residentId)).toEqual(erased);
      } finally {
        await restored.close();
        await run('psql', [serverUrl, '-c', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
        await rm(folder, { recursive: true, force: true });
      }
    }, 60_000);
});
