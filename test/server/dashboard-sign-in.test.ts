import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { followSignInLink, openEventStream, postSignIn } from '../helpers/dashboard.ts';
import { describeDatabase } from '../helpers/database.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** Signing in to the dashboard without passwords: the bot's one-time link, a session cookie, sign-out with CSRF. */
const w = createI18n().getFixedT('en', 'worker');
const PUBLIC_URL = 'https://bridgeline.example.org';

let app: TTestApp;
let ann: TStaff;
beforeAll(async () => {
  // The queue is sent again with no change every 400 ms here (30 s in service): the waiting times' tick.
  app = await createTestApp({ publicUrl: PUBLIC_URL, tickIntervalMs: 400 });
  ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  ann.read();
});
afterAll(async () => {
  await app.close();
});

/** `/dashboard` in the bot, and the link it answers with. */
async function linkFor(staff: TStaff): Promise<string> {
  await staff.send('/dashboard');
  const [reply] = staff.read();
  const url = /https:\/\/\S+/.exec(reply ?? '')?.[0] ?? '';
  expect(reply).toBe(w('dashboard.link', { url }));
  return url.replace(PUBLIC_URL, 'https://bridgeline.example.org');
}

function cookieOf(response: Response): string {
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';

describe(describeDatabase('dashboard sign-in'), () => {
  it('sends the link without a preview: Telegram must not open it', async () => {
    await linkFor(ann);
    const sent = app.api.callsOf('sendMessage').at(-1);
    expect(String(sent?.payload.text)).toContain('/dashboard/sign-in?token=');
    expect(sent?.payload.link_preview_options).toEqual({ is_disabled: true });
  });

  it('opening a link spends nothing; its Continue form signs in once, with an HttpOnly, SameSite=Strict cookie', async () => {
    const link = await linkFor(ann);
    // A link preview, a scanner, the worker twice: each GET only shows the Continue form.
    for (const _ of [1, 2]) {
      const page = await app.app.request(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('set-cookie')).toBeNull();
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/dashboard/sign-in">');
      expect(html).toContain(`name="token" value="${tokenOf(link)}"`);
    }
    expect(await app.prisma.dashboardLink.count({ where: { usedAt: { not: null } } })).toBe(0);

    const opened = await postSignIn(app, PUBLIC_URL, tokenOf(link), { Origin: PUBLIC_URL });
    expect(opened.status).toBe(303);
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const page = await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookieOf(opened) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as Annabel Lee');

    // Single use: the same token posted again is refused.
    const again = await postSignIn(app, PUBLIC_URL, tokenOf(link));
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('was already used');
  });

  it('marks the cookie Secure when PUBLIC_URL is https, though the request reached it over http (a TLS proxy)', async () => {
    const link = await linkFor(ann);
    const opened = await postSignIn(app, 'http://10.0.0.7:3000', tokenOf(link));
    expect(opened.status).toBe(303);
    expect(opened.headers.get('set-cookie') ?? '').toMatch(/;\s*Secure/);
  });

  it('refuses a sign-in form posted from another site, and spends nothing', async () => {
    const link = await linkFor(ann);
    const elsewhere = await postSignIn(app, PUBLIC_URL, tokenOf(link), { Origin: 'https://evil.example' });
    expect(elsewhere.status).toBe(403);
    const crossSite = await postSignIn(app, PUBLIC_URL, tokenOf(link), { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await followSignInLink(app, link)).status).toBe(303);
  });

  it('refuses an expired link, and a page without a session', async () => {
    const link = await linkFor(ann);
    await app.prisma.dashboardLink.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    const opened = await followSignInLink(app, link);
    expect(opened.status).toBe(401);
    expect(await opened.text()).toContain('has expired');
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`)).status).toBe(401);
    expect((await app.app.request(`${PUBLIC_URL}/dashboard/sign-in?token=made-up`)).status).toBe(401);
    expect((await postSignIn(app, PUBLIC_URL, 'made-up')).status).toBe(401);
  });

  it("signs out only with the session's CSRF token, and a forged one is refused", async () => {
    const opened = await followSignInLink(app, await linkFor(ann));
    const cookie = cookieOf(opened);
    const page = await (
      await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookie } })
    ).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const post = (token: string) =>
      app.app.request(`${PUBLIC_URL}/dashboard/sign-out`, {
        method: 'POST',
        headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: token }).toString(),
      });
    expect((await post('forged')).status).toBe(403);
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookie } })).status).toBe(
      200,
    );
    expect((await post(csrf)).status).toBe(303);
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookie } })).status).toBe(
      401,
    );
  });

  it("ends a deactivated worker's sessions at once", async () => {
    const bo = await joinStaff(app, staffPerson('Bo'), { name: 'Bo Chan' });
    bo.read();
    const cookie = cookieOf(await followSignInLink(app, await linkFor(bo)));
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookie } })).status).toBe(
      200,
    );
    const quiet = { out: () => undefined, err: () => undefined };
    const { id } = await bo.worker();
    expect(await runAdminCommand(['deactivate', '--worker', String(id)], { prisma: app.prisma }, quiet)).toBe(
      0,
    );
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookie } })).status).toBe(
      401,
    );
  });

  it("lists waiting cases most urgent first with their level in words, filters them, and keeps others' claims out", async () => {
    const cookie = cookieOf(await followSignInLink(app, await linkFor(ann)));
    const get = (query = '') =>
      app.app.request(`${PUBLIC_URL}/dashboard${query}`, { headers: { Cookie: cookie } });
    const high = await app.prisma.case.create({ data: { level: 'high', source: 'screening' } });
    const imminent = await app.prisma.case.create({ data: { level: 'imminent', source: 'crisis-message' } });
    const other = await app.prisma.worker.create({
      data: { name: 'Ola', role: 'worker', telegramUserId: 777_001n },
    });
    const theirs = await app.prisma.case.create({
      data: { level: 'imminent', source: 'screening', status: 'claimed', claimedById: other.id },
    });
    const page = await (await get()).text();
    expect(page.indexOf(`>#${imminent.id}<`)).toBeGreaterThan(0);
    expect(page.indexOf(`>#${imminent.id}<`)).toBeLessThan(page.indexOf(`>#${high.id}<`));
    expect(page).toContain('IMMINENT risk');
    expect(page).not.toContain(`>#${theirs.id}<`);
    const onlyHigh = await (await get('?level=high&partial=1')).text();
    expect(onlyHigh).toContain(`>#${high.id}<`);
    expect(onlyHigh).not.toContain(`>#${imminent.id}<`);
    expect(onlyHigh).not.toContain('<html');
    expect((await get('?level=catastrophic')).status).toBe(400);
  });

  it('sends the queue again with no change at each tick, so that waiting times move on', async () => {
    const cookie = cookieOf(await followSignInLink(app, await linkFor(ann)));
    const stream = await openEventStream(app, PUBLIC_URL, cookie);
    const queued = () => stream.events.filter((event) => event.name === 'queue');
    expect(await stream.readUntil(() => queued().length >= 1, 3000)).toBe(true);
    expect(JSON.parse(queued()[0]?.data ?? '{}')).toMatchObject({ changed: true });
    expect(await stream.readUntil(() => queued().length >= 2, 2000)).toBe(true);
    expect(JSON.parse(queued()[1]?.data ?? '{}')).toMatchObject({ changed: false });
    await stream.close();
  });

  it('ends a live stream within a second of sign-out, of expiry and of the worker losing access', async () => {
    const streamOf = async (staff: TStaff) => {
      const cookie = cookieOf(await followSignInLink(app, await linkFor(staff)));
      const stream = await openEventStream(app, PUBLIC_URL, cookie);
      expect(await stream.readUntil(() => stream.events.length > 0, 3000)).toBe(true);
      return { cookie, stream };
    };
    const endsWithin = async (stream: Awaited<ReturnType<typeof streamOf>>['stream'], since: number) => {
      await stream.readUntil(() => false, 1500);
      expect(stream.isEnded()).toBe(true);
      const signedOut = stream.events.find((event) => event.name === 'signed-out');
      expect(signedOut).toBeDefined();
      expect((signedOut?.at ?? Number.POSITIVE_INFINITY) - since).toBeLessThan(1000);
    };

    const signedOut = await streamOf(ann);
    const page = await (
      await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: signedOut.cookie } })
    ).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const out = await app.app.request(`${PUBLIC_URL}/dashboard/sign-out`, {
      method: 'POST',
      headers: { Cookie: signedOut.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf }).toString(),
    });
    expect(out.status).toBe(303);
    await endsWithin(signedOut.stream, Date.now());

    const expired = await streamOf(ann);
    await app.prisma.dashboardSession.updateMany({
      where: { endedAt: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await endsWithin(expired.stream, Date.now());

    const cy = await joinStaff(app, staffPerson('Cy'), { name: 'Cy Ng' });
    const deactivated = await streamOf(cy);
    const { id } = await cy.worker();
    const quiet = { out: () => undefined, err: () => undefined };
    const at = Date.now();
    expect(await runAdminCommand(['deactivate', '--worker', String(id)], { prisma: app.prisma }, quiet)).toBe(
      0,
    );
    await endsWithin(deactivated.stream, at);
  });

  it('is only for workers: anyone else asking is told so', async () => {
    const { createResident } = await import('../helpers/journey.ts');
    const resident = createResident(app, { id: 88_000, languageCode: 'en' });
    await resident.send('/dashboard');
    expect(resident.read()).toEqual([w('gate.not_worker')]);
    expect(await app.prisma.dashboardLink.count({ where: { workerId: -1 } })).toBe(0);
  });
  it('slows down someone guessing links: too many sign-in attempts from one address answer 429', async () => {
    let refusedAt = 0;
    // Within two minutes' allowance at most, whatever minute the counting started in.
    for (let attempt = 1; attempt <= 61 && refusedAt === 0; attempt += 1) {
      const response = await postSignIn(app, PUBLIC_URL, `guess-${attempt}`);
      if (response.status === 429) refusedAt = attempt;
      else expect(response.status).toBe(401);
    }
    expect(refusedAt).toBeGreaterThan(0);
    const refused = await postSignIn(app, PUBLIC_URL, 'guess-again');
    expect(await refused.text()).toContain('Too many sign-in attempts from this address');
  });
});
