import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { readDefaultScript } from '../../src/services/script-registry.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident } from '../helpers/journey.ts';

/**
 * An admin changes the screening without a deploy: push a draft, see its findings, publish only a clean one,
 * roll back, diff, export — and residents who started before keep the wording they started with.
 */
const SHIPPED = readDefaultScript();
const OLD_WORDING = 'In the past 30 days, how often have you felt tense, anxious or on edge?';
const NEW_WORDING = 'Over the last month, how often did you feel nervous or on edge?';
/** Version 4: the first question reworded, and "Once in a while" scoring 2. */
const V6 = SHIPPED.replace('version: 5', 'version: 6')
  .replace(OLD_WORDING, NEW_WORDING)
  .replace(
    'label: { en: Once in a while, zh-CN: 偶尔 },\n          scores: { distress: 1 }',
    'label: { en: Once in a while, zh-CN: 偶尔 },\n          scores: { distress: 2 }',
  );
/** Version 5, broken for the linter: a question that leads nowhere known. */
const V7_BROKEN = SHIPPED.replace('version: 5', 'version: 7').replace(
  'id: k6_on_edge\n',
  'id: k6_on_edge\n    next: nowhere_at_all\n',
);

let app: TTestApp;
const files = new Map<string, string>([
  ['v6.yaml', V6],
  ['v7.yaml', V7_BROKEN],
]);
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

async function admin(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    {
      prisma: app.prisma,
      readText: async (file) => {
        const text = files.get(file);
        if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        return text;
      },
    },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

async function statuses() {
  const rows = await app.prisma.scriptVersion.findMany({ orderBy: { version: 'asc' } });
  return rows.map((row) => `${row.version}:${row.status}`);
}

describe(describeDatabase('admin script'), () => {
  it('publishes an edited version for new screenings while one under way keeps its own; rolls back', async () => {
    expect(await statuses()).toEqual(['5:published']);
    const before = createResident(app, { id: 71_000, languageCode: 'en' });
    await before.consent();
    expect(before.read().at(-1)).toContain(OLD_WORDING);

    const pushed = await admin('script', 'push', 'v6.yaml');
    expect(pushed).toMatchObject({ code: 0, out: ['Stored script "default" version 6 as a draft.'] });
    expect(await statuses()).toEqual(['5:published', '6:draft']);
    const diff = await admin('script', 'diff', 'default', '5', '6');
    expect(diff.out).toEqual(
      expect.arrayContaining([
        `question k6_on_edge: text (en): ${JSON.stringify(OLD_WORDING)} → ${JSON.stringify(NEW_WORDING)}`,
        'question k6_on_edge: option once_in_a_while scores {"distress":1} → {"distress":2}',
      ]),
    );
    expect(
      (await admin('script', 'simulate', 'default', '6', '--locale', 'en', '--answers', '1')).out.join('\n'),
    ).toContain(NEW_WORDING);
    expect(await admin('script', 'publish', 'default', '6')).toMatchObject({ code: 0 });
    expect(await statuses()).toEqual(['5:retired', '6:published']);

    // The resident who started on version 5 carries on with it; a new one gets version 6.
    await before.send('1');
    const screenings = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: before.residentId },
    });
    expect(screenings.scriptVersion).toBe(5);
    const after = createResident(app, { id: 71_001, languageCode: 'en' });
    await after.consent();
    expect(after.read().at(-1)).toContain(NEW_WORDING);

    expect(await admin('script', 'rollback', 'default')).toMatchObject({
      code: 0,
      out: [expect.stringMatching(/^Published script "default" version 5 \(version 6 retired\)/)],
    });
    expect(await statuses()).toEqual(['5:published', '6:retired']);
    const third = createResident(app, { id: 71_002, languageCode: 'en' });
    await third.consent();
    expect(third.read().at(-1)).toContain(OLD_WORDING);
    // And forward again.
    expect((await admin('script', 'publish', 'default', '6')).code).toBe(0);
  });

  it('stores a version with findings as a draft, refuses to publish it and changes nothing', async () => {
    const before = await statuses();
    const pushed = await admin('script', 'push', 'v7.yaml');
    expect(pushed.code).toBe(0);
    expect(pushed.err.join('\n')).toMatch(/v7\.yaml:\d+:\d+ \w+ .*nowhere_at_all/);
    expect((await admin('script', 'lint', 'default', '7')).code).toBe(1);
    const refused = await admin('script', 'publish', 'default', '7');
    expect(refused.code).toBe(1);
    expect(refused.err.at(-1)).toMatch(/^Not published: version 7 has \d+ finding\(s\)\. Nothing changed\.$/);
    expect(await statuses()).toEqual([...before, '7:draft']);
  });

  it('rolls back along the history of publications, one step at a time', async () => {
    files.set('v8.yaml', V6.replace('version: 6', 'version: 8'));
    expect((await admin('script', 'push', 'v8.yaml')).code).toBe(0);
    expect((await admin('script', 'publish', 'default', '6')).code).toBe(0);
    expect((await admin('script', 'publish', 'default', '8')).code).toBe(0);
    const published = async () =>
      (await app.prisma.scriptVersion.findFirstOrThrow({ where: { status: 'published' } })).version;
    expect(await published()).toBe(8);
    expect((await admin('script', 'rollback', 'default')).code).toBe(0);
    expect(await published()).toBe(6);
    expect((await admin('script', 'rollback', 'default')).code).toBe(0);
    expect(await published()).toBe(5);
    expect(await admin('script', 'rollback', 'default')).toMatchObject({
      code: 2,
      err: ['Script "default" has no earlier published version to roll back to.'],
    });
    expect((await admin('script', 'publish', 'default', '6')).code).toBe(0);
  });

  it('never changes a published version, and answers bad requests clearly', async () => {
    const changed = V6.replace(NEW_WORDING, 'Something else entirely?');
    files.set('v6-changed.yaml', changed);
    expect(await admin('script', 'push', 'v6-changed.yaml')).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/version 6 is published with other text/)],
    });
    expect((await admin('script', 'publish', 'default', '9')).err).toEqual([
      'No script "default" version 9 is stored (see script list).',
    ]);
    expect((await admin('script', 'push', 'missing.yaml')).err).toEqual([
      'Cannot read missing.yaml: ENOENT.',
    ]);
    expect((await admin('script', 'publish', 'default', 'four')).code).toBe(2);
    expect((await admin('script', 'export', 'default', '6')).out.join('\n')).toBe(V6.replace(/\n$/, ''));
    const audit = await admin('audit', '--action', 'script.published');
    expect(audit.out.length).toBeGreaterThanOrEqual(3);
  });
});
