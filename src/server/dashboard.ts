import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { SESSION_TTL_MS, sessionOf, signInWithLink, signOut } from '../services/dashboard-sessions.ts';
import type { TServerEnv } from './types.ts';

const COOKIE = 'bl_session';

export type TDashboardDeps = { prisma: PrismaClient; clock?: () => Date };

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
    return c.html(
      page(
        'Bridgeline',
        html`<p>Signed in as ${session.worker.name}.</p>
          <form method="post" action="/dashboard/sign-out">
            <input type="hidden" name="csrf" value="${session.csrfToken}" />
            <button type="submit">Sign out</button>
          </form>`,
      ),
    );
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
