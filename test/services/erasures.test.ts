import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';

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

async function admin(args: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    {
      prisma: app.prisma,
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
});
