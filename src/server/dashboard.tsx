import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { streamSSE } from 'hono/streaming';
import type { i18n } from 'i18next';
import { z } from 'zod';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { dashboardCases, queueSignature } from '../services/dashboard-queue.ts';
import { SESSION_TTL_MS, sessionOf, signInWithLink, signOut } from '../services/dashboard-sessions.ts';
import { pagesTranslator } from '../services/pages.ts';
import { QueuePage, QueueTable } from './dashboard-queue-page.tsx';
import type { TServerEnv } from './types.ts';

const COOKIE = 'bl_session';

export type TDashboardDeps = {
  prisma: PrismaClient;
  i18n: i18n;
  clock?: () => Date;
  /** How often the live updates look for a change (default 1 s). */
  liveIntervalMs?: number;
};

/** One event stream lasts an hour at most; the browser reconnects by itself. */
const LIVE_ROUNDS = 3600;

const ZFilter = z.object({
  level: z
    .enum(['imminent', 'high', 'moderate', 'low', ''])
    .optional()
    .transform((value) => value || undefined),
  status: z
    .enum(['waiting', 'claimed', ''])
    .optional()
    .transform((value) => value || undefined),
  partial: z.literal('1').optional(),
});

/**
 * The workers' dashboard, `/dashboard`: sign-in with the bot's one-time link (a session cookie: HttpOnly,
 * SameSite=Strict, Secure over https), the signed-in page, and sign-out (a form with the session's CSRF token).
 * Refusals are 4xx pages that say what to do, never 5xx.
 */
export function createDashboard(deps: TDashboardDeps): Hono<TServerEnv> {
  const clock = deps.clock ?? (() => new Date());
  const app = new Hono<TServerEnv>();

  app.get('/sign-in', async (c) => {
    const token = c.req.query('token') ?? '';
    const signedIn = token ? await signInWithLink(deps, { token, now: clock() }) : undefined;
    if (signedIn?.type !== 'signed-in') {
      const why = {
        unknown: 'is not known',
        used: 'was already used',
        expired: 'has expired',
        inactive: 'is not for an active worker',
      };
      return c.html(
        page(
          'Sign-in link refused',
          html`<p>This link ${why[signedIn?.reason ?? 'unknown']}. Send /dashboard to the bot for a new one.</p>`,
        ),
        401,
      );
    }
    setCookie(c, COOKIE, signedIn.sessionId, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/dashboard',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return c.redirect('/dashboard', 303);
  });

  app.get('/', async (c) => {
    const session = await sessionOf(deps, { sessionId: getCookie(c, COOKIE), now: clock() });
    if (!session)
      return c.html(page('Sign in', html`<p>Send /dashboard to the bot for a sign-in link.</p>`), 401);
    const filter = ZFilter.safeParse(c.req.query());
    if (!filter.success) return c.html(page('Refused', html`<p>Unknown level or status.</p>`), 400);
    const { partial, ...wanted } = filter.data;
    const now = clock();
    const cases = await dashboardCases(deps, { worker: session.worker, filter: wanted });
    const t = pagesTranslator(deps.i18n, session.worker.locale);
    if (partial) return c.html(<QueueTable t={t} cases={cases} now={now} />);
    return c.html(
      '<!doctype html>' +
        (
          <QueuePage
            t={t}
            locale={session.worker.locale}
            name={session.worker.name}
            csrfToken={session.csrfToken}
            filter={wanted}
            cases={cases}
            now={now}
          />
        ).toString(),
    );
  });

  // Server-sent events: `queue` whenever the list this worker sees changes (checked each second).
  app.get('/events', async (c) => {
    const session = await sessionOf(deps, { sessionId: getCookie(c, COOKIE), now: clock() });
    if (!session) return c.text('Sign in first.', 401);
    return streamSSE(c, async (stream) => {
      let seen = '';
      for (let round = 0; round < LIVE_ROUNDS && !stream.aborted; round += 1) {
        const cases = await dashboardCases(deps, { worker: session.worker, filter: {} });
        const signature = queueSignature(cases);
        if (signature !== seen) {
          seen = signature;
          await stream.writeSSE({ event: 'queue', data: String(cases.length) });
        }
        await stream.sleep(deps.liveIntervalMs ?? 1000);
      }
    });
  });

  app.post('/sign-out', async (c) => {
    const sessionId = getCookie(c, COOKIE);
    const session = await sessionOf(deps, { sessionId, now: clock() });
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    // The form must carry the session's own token: a page elsewhere cannot sign anyone out.
    if (!session || !sessionId || form.csrf !== session.csrfToken)
      return c.html(page('Refused', html`<p>This request did not come from your dashboard.</p>`), 403);
    await signOut(deps, { sessionId, now: clock() });
    deleteCookie(c, COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard', 303);
  });

  return app;
}

function page(title: string, body: ReturnType<typeof html>) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
      </head>
      <body>
        <h1>${title}</h1>
        ${body}
      </body>
    </html>`;
}
