import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushScriptDraft } from '../../src/services/script-versions.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { followSignInLink, sessionCookieOf } from '../helpers/dashboard.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** The supervisors' pages: the community picture (small cells suppressed), statistics, the rota, scripts. */
const PUBLIC_URL = 'https://bridgeline.example.org';

let app: TTestApp;
let sue: TStaff;
let ann: TStaff;
beforeAll(async () => {
  app = await createTestApp({ publicUrl: PUBLIC_URL, staff: 'none' });
  sue = await joinStaff(app, staffPerson('Sue'), { name: 'Sue Chen', role: 'supervisor' });
  ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
});
afterAll(async () => {
  await app.close();
});

async function signIn(staff: TStaff) {
  staff.read();
  await staff.send('/dashboard');
  const link = /https:\/\/\S+/.exec(staff.read()[0] ?? '')?.[0] ?? '';
  const cookie = sessionCookieOf(await followSignInLink(app, link));
  const get = async (path: string) =>
    app.app.request(`${PUBLIC_URL}${path}`, { headers: { Cookie: cookie } });
  const csrf = /name="csrf" value="([^"]+)"/.exec(await (await get('/dashboard')).text())?.[1] ?? '';
  const post = async (path: string, fields: Record<string, string>, token = csrf) =>
    app.app.request(`${PUBLIC_URL}${path}`, {
      method: 'POST',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: token, ...fields }).toString(),
    });
  return { get, post };
}

/** A resident who finishes the default screening choosing `area` (its option number). */
async function screenedResident(id: number, area: string, grievance: 'none' | 'marked') {
  const resident = createResident(app, { id, languageCode: 'en' });
  await resident.consent();
  const distress = ['1', '1', '1', '1', '1', '0'];
  const suicide = ['no', 'no', 'no', 'no'];
  const grievances =
    grievance === 'none'
      ? ['0', '0', '1', '0', '0', 'no', 'no', '0']
      : ['3', '3', '5', '2', '0', 'no', 'no', '2'];
  await resident.answer([...distress, ...suicide, ...grievances, 'rather_not_say', area, 'nothing']);
  await deliverOutbox(app);
  return resident;
}

describe(describeDatabase('dashboard for supervisors'), () => {
  it('counts a finished screening for the community picture without anything that names the resident', async () => {
    const resident = await screenedResident(93_001, '2', 'marked');
    const tallies = await app.prisma.communityTally.findMany();
    expect(tallies).toHaveLength(1);
    const [tally] = tallies;
    expect(tally).toMatchObject({ scriptId: 'default', level: 'moderate', area: 'riverside' });
    expect(tally?.themes).toEqual(['injustice', 'blame', 'failed_channels', 'nothing_to_lose', 'isolation']);
    expect(tally?.bands).toEqual({ distress: 'moderate', grievance: 'marked' });
    // The day, not the time; and nothing of the resident's.
    expect(tally?.day.toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect(JSON.stringify(tally)).not.toContain(resident.residentId);
    expect(JSON.stringify(tally)).not.toContain(String(resident.person.id));
  });

  it('shows the community picture with every cell under 5 suppressed, in the page and the CSV', async () => {
    for (let index = 0; index < 5; index += 1) await screenedResident(93_100 + index, '2', 'marked');
    await screenedResident(93_200, '5', 'none');
    const sueSide = await signIn(sue);
    const response = await sueSide.get('/dashboard/community');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Community picture');
    expect(page).toContain('What these figures can tell');
    // Riverside's 6 beside the 7 screenings counted would give Harbour's 1: not shown either.
    expect(page).toMatch(/<th scope="row">Riverside<\/th><td>not shown<\/td>/);
    expect(page).toMatch(/<th scope="row">Harbour<\/th><td>fewer than 5<\/td>/);
    expect(page).toContain('a few larger counts are “not shown”');
    expect(page).toContain('<svg');

    const csv = await sueSide.get('/dashboard/community.csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text).toContain('area,riverside,all,not shown\n');
    expect(text).toContain('area,harbour,all,fewer than 5\n');
    expect(text).not.toMatch(/,[1-4]\n/);
    const exported = await app.prisma.caseEvent.findMany({ where: { type: 'data.exported' } });
    expect(exported.map((event) => event.detail)).toContainEqual({ what: 'community-picture' });
  });

  it("shows a supervisor every claimed case in the queue, a colleague's too", async () => {
    const annId = (await ann.worker()).id;
    const theirs = await app.prisma.case.create({
      data: {
        level: 'high',
        source: 'screening',
        status: 'claimed',
        claimedById: annId,
        claimedAt: new Date(),
      },
    });
    const queue = await (await (await signIn(sue)).get('/dashboard?status=claimed')).text();
    expect(queue).toMatch(
      new RegExp(
        `>#${theirs.id}</a></td><td><span class="badge level-high">[^<]+</span></td><td>claimed</td>`,
      ),
    );
    expect(await (await (await signIn(ann)).get('/dashboard?status=claimed')).text()).toContain(
      `>#${theirs.id}<`,
    );
  });

  it('refuses a forged CSRF token on every state-changing form, and changes nothing', async () => {
    const sueSide = await signIn(sue);
    const annId = (await ann.worker()).id;
    const open = await app.prisma.case.create({ data: { level: 'high', source: 'screening' } });
    const shift = await app.prisma.rotaShift.create({
      data: {
        workerId: annId,
        startsAt: new Date(Date.now() + 86_400_000),
        endsAt: new Date(Date.now() + 90_000_000),
      },
    });
    const before = {
      events: await app.prisma.caseEvent.count(),
      shifts: await app.prisma.rotaShift.count(),
      case: await app.prisma.case.findUniqueOrThrow({ where: { id: open.id } }),
    };
    const forms: Array<[string, Record<string, string>]> = [
      ...['claim', 'release', 'note', 'reply', 'resolve'].map((action): [string, Record<string, string>] => [
        `/dashboard/cases/${open.id}/${action}`,
        { text: 'forged', outcome: 'supported' },
      ]),
      ['/dashboard/language', { locale: 'zh-CN' }],
      ['/dashboard/rota', { worker: String(annId), from: '2031-01-01T08:00', to: '2031-01-01T16:00' }],
      [`/dashboard/rota/${shift.id}/remove`, {}],
      ['/dashboard/sign-out', {}],
    ];
    for (const [path, fields] of forms) {
      for (const token of ['forged', '']) {
        const refused = await sueSide.post(path, fields, token);
        expect(refused.status, `${path} with ${JSON.stringify(token)}`).toBe(403);
        expect(refused.headers.get('set-cookie'), path).toBeNull();
      }
    }
    expect(await app.prisma.caseEvent.count()).toBe(before.events);
    expect(await app.prisma.rotaShift.count()).toBe(before.shifts);
    expect(await app.prisma.case.findUniqueOrThrow({ where: { id: open.id } })).toEqual(before.case);
    // Still signed in: the forged sign-out did nothing.
    expect((await sueSide.get('/dashboard')).status).toBe(200);
    await app.prisma.rotaShift.delete({ where: { id: shift.id } });
  });

  it('is for supervisors only', async () => {
    const annSide = await signIn(ann);
    for (const path of [
      '/dashboard/community',
      '/dashboard/community.csv',
      '/dashboard/statistics',
      '/dashboard/rota',
      '/dashboard/scripts',
    ])
      expect((await annSide.get(path)).status, path).toBe(403);
    expect(
      (
        await annSide.post('/dashboard/rota', {
          worker: '1',
          from: '2030-01-01T08:00',
          to: '2030-01-01T16:00',
        })
      ).status,
    ).toBe(403);
  });

  it('shows statistics as charts with their figures', async () => {
    const caseRow = await app.prisma.case.create({
      data: {
        level: 'high',
        source: 'screening',
        status: 'resolved',
        outcome: 'supported',
        createdAt: new Date(Date.now() - 3_600_000),
        claimedAt: new Date(Date.now() - 3_300_000),
        closedAt: new Date(),
      },
    });
    await app.prisma.caseEvent.create({
      data: { caseId: caseRow.id, type: 'paged', actor: 'system', detail: { step: 9, workerIds: [1, 2, 3] } },
    });
    const page = await (await (await signIn(sue)).get('/dashboard/statistics')).text();
    expect(caseRow.id).toBeGreaterThan(0);
    expect(page).toContain('Cases opened per day, by level');
    expect(page).toContain('Time from opening to claim');
    // Each chart says its figures in words: claimed after 5 minutes, resolved after an hour, 3 pages at step 9.
    const chart = (title: string) => new RegExp(`aria-label="${title}: ([^"]*)"`).exec(page)?.[1] ?? '';
    expect(chart('Time from opening to claim')).toContain('under 15 min 1;');
    expect(chart('Time from opening to resolution')).toMatch(/under 4 h[^;]* 1;/);
    expect(chart('Time from opening to resolution')).toMatch(/under 1 h[^;]* 0;/);
    expect(chart('Pages sent per escalation step')).toContain('Step 9 3');
    expect(page).toMatch(/supported[^<]*<\/text>/);
    expect(page).toContain('<svg');
  });

  it('edits the rota: adds a shift in the browser’s time and removes it, both audited', async () => {
    const sueSide = await signIn(sue);
    const annId = (await ann.worker()).id;
    const added = await sueSide.post('/dashboard/rota', {
      worker: String(annId),
      from: '2031-03-01T08:00',
      to: '2031-03-01T16:00',
      offset: '-60',
    });
    expect(added.headers.get('location')).toBe('/dashboard/rota?notice=added');
    const shift = await app.prisma.rotaShift.findFirstOrThrow({ where: { workerId: annId } });
    expect(shift.startsAt.toISOString()).toBe('2031-03-01T07:00:00.000Z');
    const page = await (await sueSide.get('/dashboard/rota')).text();
    expect(page).toContain('Annabel Lee');
    expect(page).toContain('2031-03-01 07:00 UTC');
    expect(
      (await sueSide.post('/dashboard/rota', { worker: String(annId), from: 'soon', to: 'later' })).status,
    ).toBe(400);
    const backwards = await sueSide.post('/dashboard/rota', {
      worker: String(annId),
      from: '2031-03-01T16:00',
      to: '2031-03-01T08:00',
    });
    expect(backwards.headers.get('location')).toBe('/dashboard/rota?notice=end_before_start');
    const removed = await sueSide.post(`/dashboard/rota/${shift.id}/remove`, {});
    expect(removed.headers.get('location')).toBe('/dashboard/rota?notice=removed');
    expect(await app.prisma.rotaShift.count()).toBe(0);
    const sueId = (await sue.worker()).id;
    const audited = await app.prisma.caseEvent.findMany({
      where: { type: { in: ['rota.added', 'rota.removed'] } },
    });
    expect(audited.map((event) => `${event.type} ${event.actor}`)).toEqual([
      `rota.added worker:${sueId}`,
      `rota.removed worker:${sueId}`,
    ]);
  });

  it('lists script versions with their lint results, and simulates a version as a resident would', async () => {
    const sueSide = await signIn(sue);
    // A draft with a label left untranslated: the linter's finding shows on the list and on its page.
    const source = readFileSync(new URL('../../conversation-scripts/default.yaml', import.meta.url), 'utf8')
      .replace(/^version: 5$/m, 'version: 6')
      .replace('label: { en: Distress, zh-CN: 心理困扰 }', 'label: { en: Distress }');
    const pushed = await pushScriptDraft(app, { source, actor: 'test', now: new Date() });
    expect(pushed).toMatchObject({ type: 'stored', version: 6 });
    const list = await (await sueSide.get('/dashboard/scripts')).text();
    expect(list).toContain('default v5');
    expect(list).toContain('published: new screenings use it');
    expect(list).toMatch(
      /default v6<\/a><\/td><td>draft<\/td><td>—<\/td><td>\d+: <code>missing_translation<\/code>/,
    );
    const draft = await (await sueSide.get('/dashboard/scripts/default/6')).text();
    expect(draft).toMatch(/<code>\d+:\d+ missing_translation<\/code>/);
    const first = await (await sueSide.get('/dashboard/scripts/default/5?locale=en')).text();
    expect(first).toContain('In the past 30 days, how often have you felt tense, anxious or on edge?');
    const stepped = await (
      await sueSide.get('/dashboard/scripts/default/5?locale=en&answers=0%0A0&next=never')
    ).text();
    expect(stepped).toContain('Tense or on edge: <strong>0</strong>');
    const done = await (
      await sueSide.get(
        `/dashboard/scripts/default/5?locale=en&answers=${encodeURIComponent(
          ['0', '0', '0', '0', '0', '0', 'no', 'no', 'no', 'no', '0', '0', '0', '8', '8', 'nothing'].join(
            '\n',
          ),
        )}`,
      )
    ).text();
    expect(done).toContain('Ends at no risk level.');
    expect((await sueSide.get('/dashboard/scripts/default/99')).status).toBe(404);
    expect((await sueSide.get('/dashboard/scripts/default/x')).status).toBe(404);
  });
});
