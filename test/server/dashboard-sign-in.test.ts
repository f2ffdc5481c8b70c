import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** Signing in to the dashboard without passwords: the bot's one-time link, a session cookie, sign-out with CSRF. */
const w = createI18n().getFixedT('en', 'worker');
const PUBLIC_URL = 'https://bridgeline.example.org';

let app: TTestApp;
let ann: TStaff;
beforeAll(async () => {
  app = await createTestApp({ publicUrl: PUBLIC_URL });
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

describe(describeDatabase('dashboard sign-in'), () => {
  it('a link from the bot signs in once, with a session cookie that is HttpOnly, SameSite=Strict and Secure', async () => {
    const link = await linkFor(ann);
    const opened = await app.app.request(link);
    expect(opened.status).toBe(303);
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Secure/);
    const page = await app.app.request(`${PUBLIC_URL}/dashboard`, { headers: { Cookie: cookieOf(opened) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as Annabel Lee');

    // Single use: the same link again is refused.
    const again = await app.app.request(link);
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('was already used');
  });

  it('refuses an expired link, and a page without a session', async () => {
    const link = await linkFor(ann);
    await app.prisma.dashboardLink.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    const opened = await app.app.request(link);
    expect(opened.status).toBe(401);
    expect(await opened.text()).toContain('has expired');
    expect((await app.app.request(`${PUBLIC_URL}/dashboard`)).status).toBe(401);
    expect((await app.app.request(`${PUBLIC_URL}/dashboard/sign-in?token=made-up`)).status).toBe(401);
  });

  it("signs out only with the session's CSRF token, and a forged one is refused", async () => {
    const opened = await app.app.request(await linkFor(ann));
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
    const cookie = cookieOf(await app.app.request(await linkFor(bo)));
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
    const cookie = cookieOf(await app.app.request(await linkFor(ann)));
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

  it('says within a second that a new case arrived, over server-sent events', async () => {
    const cookie = cookieOf(await app.app.request(await linkFor(ann)));
    const response = await app.app.request(`${PUBLIC_URL}/dashboard/events`, { headers: { Cookie: cookie } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const events = () => (text.match(/event: queue/g) ?? []).length;
    let pending: ReturnType<typeof reader.read> | undefined;
    const readUntil = async (count: number, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      while (events() < count && Date.now() < deadline) {
        // One read in flight at a time: a chunk is never dropped by the timeout.
        pending ??= reader.read();
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 100));
        const chunk = await Promise.race([pending, timeout]);
        if (chunk === 'timeout') continue;
        pending = undefined;
        if (!chunk.done) text += decoder.decode(chunk.value);
      }
    };
    await readUntil(1, 3000);
    expect(events()).toBe(1);
    const arrived = Date.now();
    await app.prisma.case.create({ data: { level: 'imminent', source: 'crisis-message' } });
    await readUntil(2, 3000);
    expect(events()).toBe(2);
    expect(Date.now() - arrived).toBeLessThan(1500);
    await reader.cancel();
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
      const response = await app.app.request(`${PUBLIC_URL}/dashboard/sign-in?token=guess-${attempt}`);
      if (response.status === 429) refusedAt = attempt;
      else expect(response.status).toBe(401);
    }
    expect(refusedAt).toBeGreaterThan(0);
    const refused = await app.app.request(`${PUBLIC_URL}/dashboard/sign-in?token=guess-again`);
    expect(await refused.text()).toContain('Too many sign-in attempts from this address');
  });
});
