import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseChanges } from '../../src/services/case-changes.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { followSignInLink, openEventStream } from '../helpers/dashboard.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** The dashboard's case page: why a case was flagged, its record, and the same case work as the bot's commands. */
const PUBLIC_URL = 'https://bridgeline.example.org';
const bot = botTexts('en');

let app: TTestApp;
let ann: TStaff;
let bob: TStaff;
let sue: TStaff;
beforeAll(async () => {
  // The live streams' own look comes only every 5 s here: a case shown sooner was pushed at its commit.
  app = await createTestApp({ publicUrl: PUBLIC_URL, staff: 'none', liveIntervalMs: 5000 });
  ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  bob = await joinStaff(app, staffPerson('Bob'), { name: 'Bob Ray' });
  sue = await joinStaff(app, staffPerson('Sue'), { name: 'Sue Chen', role: 'supervisor' });
});
afterAll(async () => {
  await app.close();
});

type TSignedIn = {
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>, csrf?: string): Promise<Response>;
  csrf: string;
  cookie: string;
};

/** Signs a worker in through the bot's link, as their browser would. */
async function signIn(staff: TStaff): Promise<TSignedIn> {
  staff.read();
  await staff.send('/dashboard');
  const link = /https:\/\/\S+/.exec(staff.read()[0] ?? '')?.[0] ?? '';
  const opened = await followSignInLink(app, link);
  const cookies = [(opened.headers.get('set-cookie') ?? '').split(';')[0] ?? ''];
  const get = async (path: string) =>
    app.app.request(`${PUBLIC_URL}${path}`, { headers: { Cookie: cookies.join('; ') } });
  const page = await (await get('/dashboard')).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  return {
    csrf,
    cookie: cookies.join('; '),
    get,
    async post(path, fields, token = csrf) {
      const response = await app.app.request(`${PUBLIC_URL}${path}`, {
        method: 'POST',
        headers: { Cookie: cookies.join('; '), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: token, ...fields }).toString(),
      });
      const set = response.headers.get('set-cookie');
      if (set?.startsWith('bl_lang=')) cookies.push(set.split(';')[0] ?? '');
      return response;
    },
  };
}

/** A resident whose first message opens an imminent case; returns them and the case id. */
async function residentInCrisis(id: number, text: string) {
  const resident = createResident(app, { id, languageCode: 'en' });
  await resident.consent();
  await resident.send(text);
  await deliverOutbox(app);
  resident.read();
  const row = await app.prisma.case.findFirstOrThrow({
    where: { residentId: resident.residentId },
    orderBy: { id: 'desc' },
  });
  return { resident, caseId: row.id };
}

describe(describeDatabase('dashboard case page'), () => {
  it('shows why a case was flagged and what the resident wrote (escaped), and audits every view', async () => {
    const words = '<script>alert(1)</script> the pills are counted out and tonight I take them all';
    const { caseId } = await residentInCrisis(91_001, words);
    const annPage = await signIn(ann);
    const response = await annPage.get(`/dashboard/cases/${caseId}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`Case #${caseId}`);
    expect(page).toContain('IMMINENT risk');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; the pills are counted out');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('Claim this case');
    const views = await app.prisma.caseEvent.findMany({ where: { caseId, type: 'viewed' } });
    expect(views).toHaveLength(1);
    expect(views[0]?.detail).toEqual({ via: 'dashboard' });
  });

  it('claims, replies through the bot, notes and resolves — each with the CSRF token, each on the timeline', async () => {
    const { resident, caseId } = await residentInCrisis(
      91_002,
      'I have the rope ready in the garage for tonight',
    );
    const annPage = await signIn(ann);
    const path = `/dashboard/cases/${caseId}`;

    const forged = await annPage.post(`${path}/claim`, {}, 'forged');
    expect(forged.status).toBe(403);
    expect((await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).status).toBe('waiting');

    const claimed = await annPage.post(`${path}/claim`, {});
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get('location')).toBe(`${path}?notice=claimed`);
    const row = await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.status).toBe('claimed');
    expect(row.claimedById).toBe((await ann.worker()).id);
    await deliverOutbox(app);
    expect(resident.read()).toContain(bot('relay.claimed', { numbers: bot('emergency.default') }));

    // A colleague cannot open it now; a supervisor can.
    expect((await (await signIn(bob)).get(path)).status).toBe(403);
    expect((await (await signIn(sue)).get(path)).status).toBe(200);

    expect((await annPage.post(`${path}/reply`, { text: '   ' })).status).toBe(400);
    const replied = await annPage.post(`${path}/reply`, {
      text: 'I am here with you. Can you tell me where you are?',
    });
    expect(replied.headers.get('location')).toBe(`${path}?notice=relayed`);
    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      bot('relay.from_worker', { text: 'I am here with you. Can you tell me where you are?' }),
    ]);

    await annPage.post(`${path}/note`, { text: 'Spoke about the garage; <b>safety plan</b> next.' });
    const page = await (await annPage.get(`${path}?notice=noted`)).text();
    expect(page).toContain('Note saved.');
    expect(page).toContain('Spoke about the garage; &lt;b&gt;safety plan&lt;/b&gt; next.');
    expect(page).toContain('I am here with you.');
    expect(page).toContain('Reply sent to the resident');

    expect((await annPage.post(`${path}/resolve`, { outcome: 'made-up' })).status).toBe(400);
    const resolved = await annPage.post(`${path}/resolve`, { outcome: 'supported' });
    expect(resolved.headers.get('location')).toBe(`${path}?notice=resolved`);
    const closed = await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(closed).toMatchObject({ status: 'resolved', outcome: 'supported' });
    await deliverOutbox(app);
    expect(resident.read()).toEqual([bot('relay.case_closed', { numbers: bot('emergency.default') })]);

    const types = (await app.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } })).map(
      (event) => event.type,
    );
    expect(types).toEqual(expect.arrayContaining(['claimed', 'relayed', 'noted', 'resolved']));
  });

  it('release puts the case back and pages again; a second claim by someone else is refused politely', async () => {
    const { caseId } = await residentInCrisis(91_003, 'the knife is on the table and I am doing it now');
    const annPage = await signIn(ann);
    const bobPage = await signIn(bob);
    const path = `/dashboard/cases/${caseId}`;
    await annPage.post(`${path}/claim`, {});
    const taken = await bobPage.post(`${path}/claim`, {});
    expect(taken.headers.get('location')).toBe(`${path}?notice=taken`);
    const notYours = await bobPage.post(`${path}/note`, { text: 'mine?' });
    expect(notYours.headers.get('location')).toBe(`${path}?notice=not_yours`);
    const released = await annPage.post(`${path}/release`, {});
    expect(released.headers.get('location')).toBe(`${path}?notice=released`);
    expect((await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).status).toBe('waiting');
    // Every notice an action can lead to has words of its own, not the generic refusal.
    const notClaimed = await (await annPage.get(`${path}?notice=not_claimed`)).text();
    expect(notClaimed).toContain('This case is not claimed: claim it first.');
  });

  it('answers bad addresses and bad forms with 4xx and changes nothing', async () => {
    const annPage = await signIn(ann);
    expect((await annPage.get('/dashboard/cases/abc')).status).toBe(404);
    expect((await annPage.get('/dashboard/cases/99999999')).status).toBe(404);
    expect((await annPage.get('/dashboard/cases/1e3')).status).toBe(404);
    expect((await annPage.post('/dashboard/cases/1/explode', {})).status).toBe(404);
    expect((await annPage.post('/dashboard/language', { locale: 'xx' })).status).toBe(400);
    expect((await app.app.request(`${PUBLIC_URL}/dashboard/cases/1`)).status).toBe(401);
  });

  it('tells an open queue of a new case within a second of its commit, pushed rather than polled', async () => {
    const annPage = await signIn(ann);
    const stream = await openEventStream(app, PUBLIC_URL, annPage.cookie);
    const queued = () => stream.events.filter((event) => event.name === 'queue');
    expect(await stream.readUntil(() => queued().length >= 1, 3000)).toBe(true);
    const resident = createResident(app, { id: 91_010, languageCode: 'en' });
    await resident.consent();
    // The first change said after the message is the commit that opened its case.
    const committed = caseChanges.next(10_000).then(() => Date.now());
    await resident.send('I have the pills here and I am taking them all tonight');
    expect(await stream.readUntil(() => queued().length >= 2, 3000)).toBe(true);
    const news = queued()[1];
    expect(JSON.parse(news?.data ?? '{}')).toMatchObject({ changed: true });
    expect((news?.at ?? Number.POSITIVE_INFINITY) - (await committed)).toBeLessThan(1000);
    await stream.close();
  });

  it("audits a refused attempt to open another worker's case", async () => {
    const { caseId } = await residentInCrisis(91_011, 'I am on the roof now and I am going to jump');
    await (await signIn(ann)).post(`/dashboard/cases/${caseId}/claim`, {});
    expect((await (await signIn(bob)).get(`/dashboard/cases/${caseId}`)).status).toBe(403);
    const refused = await app.prisma.caseEvent.findMany({ where: { caseId, type: 'view-refused' } });
    expect(refused.map((event) => [event.actor, event.detail])).toEqual([
      [`worker:${(await bob.worker()).id}`, { via: 'dashboard' }],
    ]);
  });

  it("shows a screening case in the dashboard's language, the script's labels included", async () => {
    const resident = createResident(app, { id: 91_012, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    await deliverOutbox(app);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    // Ann's bot speaks English; her dashboard is switched to Chinese.
    const annPage = await signIn(ann);
    await annPage.post('/dashboard/language', { locale: 'zh-CN' });
    const page = await (await annPage.get(`/dashboard/cases/${row.id}`)).text();
    expect(page).toContain('心理困扰');
    expect(page).not.toMatch(/>Distress[:<\s]/);
  });

  it("opens a Chinese-speaking worker's first page in Chinese", async () => {
    const mei = await joinStaff(app, staffPerson('Mei', 'zh-CN'), { name: 'Mei Lin' });
    const page = await (await (await signIn(mei)).get('/dashboard')).text();
    expect(page).toContain('<html lang="zh-CN"');
  });

  it('switches to Chinese on request, and back only to a dashboard page', async () => {
    const { caseId } = await residentInCrisis(
      91_004,
      'tonight I jump from the roof of my building, I am up here now',
    );
    const annPage = await signIn(ann);
    const switched = await annPage.post('/dashboard/language', {
      locale: 'zh-CN',
      back: `/dashboard/cases/${caseId}`,
    });
    expect(switched.headers.get('location')).toBe(`/dashboard/cases/${caseId}`);
    const page = await (await annPage.get(`/dashboard/cases/${caseId}`)).text();
    expect(page).toContain(`个案 #${caseId}`);
    expect(page).toContain('<html lang="zh-CN"');
    const elsewhere = await annPage.post('/dashboard/language', {
      locale: 'en',
      back: 'https://evil.example',
    });
    expect(elsewhere.headers.get('location')).toBe('/dashboard');
  });
});
