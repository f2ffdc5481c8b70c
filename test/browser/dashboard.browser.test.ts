import { mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseChanges } from '../../src/services/case-changes.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { CHROMIUM_ARGS, ensureChromium } from '../helpers/chromium.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): sign in from the bot's link,
 * watch a case arrive live, understand it, claim it, talk to the resident, resolve it, sign out; and the
 * refusals — a reused link, an expired session, a forged CSRF token, another worker's case. Screenshots go
 * to test/artifacts/screenshots.
 */
const SCREENSHOTS = new URL('../artifacts/screenshots/', import.meta.url);
const bot = botTexts('en');

const chromiumPath = await ensureChromium();
if (!chromiumPath)
  process.stderr.write(
    '\n*** BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium and none could be installed (apt-get install -y chromium needs root and Debian). ***\n\n',
  );

let app: TTestApp;
let browser: Browser;
let http: ReturnType<typeof serve>;
let baseUrl: string;
let ann: TStaff;
let bob: TStaff;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The link the bot gives a worker for `/dashboard`. */
async function linkFor(staff: TStaff): Promise<string> {
  staff.read();
  await staff.send('/dashboard');
  return /http:\/\/\S+/.exec(staff.read()[0] ?? '')?.[0] ?? '';
}

/** Opens the bot's link (its page spends nothing) and presses Continue, as the worker does. */
async function signInOn(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForLoadState();
}

async function signedInPage(staff: TStaff): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await signInOn(page, await linkFor(staff));
  return { context, page };
}

describe.skipIf(!chromiumPath)('dashboard in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // Streams look on their own only every 5 s: a case shown sooner was pushed. Waiting times tick each second.
    app = await createTestApp({
      publicUrl: baseUrl,
      staff: 'none',
      liveIntervalMs: 5000,
      tickIntervalMs: 1000,
    });
    http = serve({ fetch: app.app.fetch, hostname: '127.0.0.1', port });
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
    ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
    bob = await joinStaff(app, staffPerson('Bob'), { name: 'Bob Ray' });
  });
  afterAll(async () => {
    await browser?.close();
    http?.close();
    await app?.close();
  });

  it('a worker signs in, sees a new case arrive live, understands it, claims it, talks, resolves, signs out', async () => {
    const { context, page } = await signedInPage(ann);
    await expect.poll(() => page.textContent('body')).toContain('Signed in as Annabel Lee');
    expect(new URL(page.url()).pathname).toBe('/dashboard');

    // A resident writes in crisis: the case shows on the open page without a reload, within a second of the
    // commit that opened it (the first change said after the message).
    await expect.poll(() => page.textContent('#queue-status')).toContain('Cases listed: 0');
    const resident = createResident(app, { id: 92_001, languageCode: 'en' });
    await resident.consent();
    const committed = caseChanges.next(10_000).then(() => Date.now());
    const sending = resident.send('I have saved up the pills and tonight I am taking all of them');
    const link = page.locator('#queue a[href^="/dashboard/cases/"]');
    await link.first().waitFor({ timeout: 3000 });
    const shownAt = Date.now();
    await sending;
    expect(shownAt - (await committed)).toBeLessThan(1000);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    expect(await link.first().getAttribute('href')).toBe(`/dashboard/cases/${row.id}`);
    // The short status line says so (it, not the table, is what a screen reader hears).
    await expect.poll(() => page.textContent('#queue-status')).toContain('Cases listed: 1');
    expect(await page.getAttribute('#queue', 'aria-live')).toBeNull();
    // Waiting times move on with no change to the list: the next tick shows the case's real wait.
    await app.prisma.case.update({
      where: { id: row.id },
      data: { createdAt: new Date(Date.now() - 3 * 3_600_000) },
    });
    await expect.poll(() => page.textContent('#queue'), { timeout: 3000 }).toMatch(/3 h/);
    await page.screenshot({ path: new URL('queue.png', SCREENSHOTS).pathname, fullPage: true });

    // Why it was flagged: the level, the detector's reason and what the resident wrote.
    await link.click();
    await page.waitForURL(`**/dashboard/cases/${row.id}`);
    const casePage = await page.textContent('main');
    expect(casePage).toContain('IMMINENT risk');
    expect(casePage).toContain('I have saved up the pills and tonight I am taking all of them');
    await page.screenshot({ path: new URL('case.png', SCREENSHOTS).pathname, fullPage: true });

    await page.getByRole('button', { name: 'Claim this case' }).click();
    await expect.poll(() => page.textContent('main')).toContain('The case is yours.');
    await deliverOutbox(app);
    resident.read();

    await page.getByLabel('Reply to the resident').fill('I am here. Are the pills still with you?');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => page.textContent('main')).toContain('Your reply is on its way');
    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      bot('relay.from_worker', { text: 'I am here. Are the pills still with you?' }),
    ]);

    // The resident answers through the bot; the worker reads it on the case page.
    await resident.send('yes they are on the table');
    await deliverOutbox(app);
    resident.read();
    await page.reload();
    expect(await page.textContent('main')).toContain('yes they are on the table');

    await page.getByLabel('Outcome').selectOption('supported');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => page.textContent('main')).toContain('The case is resolved.');
    await deliverOutbox(app);
    expect(resident.read()).toEqual([bot('relay.case_closed', { numbers: bot('emergency.default') })]);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect
      .poll(() => page.textContent('body'))
      .toContain('Send /dashboard to the bot for a sign-in link');
    expect((await page.goto(`${baseUrl}/dashboard`))?.status()).toBe(401);
    await context.close();
  });

  it('refuses a reused link, an expired session and a forged CSRF token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const link = await linkFor(ann);
    await signInOn(page, link);
    expect(await page.textContent('body')).toContain('Signed in as Annabel Lee');
    // The same link in another browser: its page opens (it spends nothing), Continue is refused.
    const reused = await (await browser.newContext()).newPage();
    expect((await reused.goto(link))?.status()).toBe(200);
    const [answer] = await Promise.all([
      reused.waitForResponse((response) => response.url().endsWith('/dashboard/sign-in')),
      reused.getByRole('button', { name: 'Continue' }).click(),
    ]);
    expect(answer.status()).toBe(401);
    expect(await reused.textContent('body')).toContain('was already used');

    // A form posted with a made-up token, as a page elsewhere would try: refused, nothing happens.
    const forged = await page.evaluate(async () => {
      const response = await fetch('/dashboard/sign-out', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'csrf=forged',
      });
      return response.status;
    });
    expect(forged).toBe(403);
    // The queue's live stream is open once its first news has been read (the page then fetches the list).
    const [opened] = await Promise.all([
      page.waitForResponse((response) => response.url().includes('partial=1')),
      page.goto(`${baseUrl}/dashboard`),
    ]);
    expect(opened.status()).toBe(200);

    await app.prisma.dashboardSession.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    // The open queue's live stream sees the session end and reloads the page, which asks to sign in again. It
    // looks once a tick (1 s here), and then the page loads again: more than the poll's default second.
    await expect
      .poll(() => page.textContent('body').catch(() => ''), { timeout: 5000 })
      .toContain('Send /dashboard to the bot for a sign-in link');
    expect((await page.goto(`${baseUrl}/dashboard/statistics`))?.status()).toBe(401);
    await context.close();
  });

  it('a queue whose live stream is refused (the session ended before it connected) reloads to the sign-in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInOn(page, await linkFor(ann));
    let letStreamGo: () => void = () => undefined;
    const sessionEnded = new Promise<void>((resolve) => {
      letStreamGo = resolve;
    });
    await page.route('**/dashboard/events', async (route) => {
      await sessionEnded;
      await route.continue();
    });
    expect((await page.goto(`${baseUrl}/dashboard`))?.status()).toBe(200);
    await app.prisma.dashboardSession.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } });
    letStreamGo();
    await expect
      .poll(() => page.textContent('body').catch(() => ''), { timeout: 5000 })
      .toContain('Send /dashboard to the bot for a sign-in link');
    await context.close();
  });

  it('a supervisor sees a screening case drawn against its bands, the statistics and the community picture', async () => {
    const sue = await joinStaff(app, staffPerson('Sue'), { name: 'Sue Chen', role: 'supervisor' });
    const resident = createResident(app, { id: 92_003, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    await deliverOutbox(app);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    // Earlier weeks' screenings, as the service would have counted them: enough in one area to show.
    const day = new Date(Date.UTC(2026, 0, 1));
    day.setTime(Date.now() - 8 * 86_400_000);
    await app.prisma.communityTally.createMany({
      data: [
        ...Array.from({ length: 7 }, () => ({
          day,
          scriptId: 'default',
          level: 'moderate',
          bands: { distress: 'moderate', grievance: 'marked' },
          themes: ['injustice', 'failed_channels'],
          area: 'riverside',
        })),
        {
          day,
          scriptId: 'default',
          level: 'high',
          bands: { distress: 'serious', grievance: 'low' },
          themes: [],
          area: 'harbour',
        },
      ],
    });

    const { context, page } = await signedInPage(sue);
    await page.goto(`${baseUrl}/dashboard/cases/${row.id}`);
    expect(await page.locator('figure svg').count()).toBeGreaterThan(0);
    expect(await page.textContent('main')).toContain('Distress:');
    await page.screenshot({ path: new URL('case-screening.png', SCREENSHOTS).pathname, fullPage: true });

    await page.getByRole('link', { name: 'Statistics' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Statistics');
    await page.screenshot({ path: new URL('statistics.png', SCREENSHOTS).pathname, fullPage: true });

    await page.getByRole('link', { name: 'Community picture' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Community picture');
    const main = await page.textContent('main');
    expect(main).toContain('fewer than 5');
    expect(main).toContain('Riverside');
    await page.screenshot({ path: new URL('community.png', SCREENSHOTS).pathname, fullPage: true });

    // The simulator walks the published script as a resident would: an option pressed, the next question.
    await page.getByRole('link', { name: 'Scripts' }).click();
    await page.getByRole('link', { name: 'default v5' }).click();
    const first = page.getByRole('group', { name: /tense, anxious or on edge/ });
    await first.getByRole('button').first().click();
    await expect.poll(() => page.textContent('main')).toContain('Tense or on edge:');
    expect(await page.locator('fieldset legend').textContent()).not.toMatch(/tense, anxious or on edge/);
    await context.close();
  });

  it("a worker cannot open another worker's case", async () => {
    const resident = createResident(app, { id: 92_002, languageCode: 'en' });
    await resident.consent();
    await resident.send('I am standing on the bridge now and I am going to jump');
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    const annSide = await signedInPage(ann);
    await annSide.page.goto(`${baseUrl}/dashboard/cases/${row.id}`);
    await annSide.page.getByRole('button', { name: 'Claim this case' }).click();
    await expect.poll(() => annSide.page.textContent('main')).toContain('The case is yours.');

    const bobSide = await signedInPage(bob);
    const refused = await bobSide.page.goto(`${baseUrl}/dashboard/cases/${row.id}`);
    expect(refused?.status()).toBe(403);
    expect(await bobSide.page.textContent('body')).toContain('claimed by another worker');
    await annSide.context.close();
    await bobSide.context.close();
  });
});
