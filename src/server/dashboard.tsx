import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { html } from 'hono/html';
import { streamSSE } from 'hono/streaming';
import type { i18n } from 'i18next';
import { z } from 'zod';
import { runUnitOfWork } from '../db/unit-of-work.ts';
import { CASE_LEVELS } from '../domain/escalation/index.ts';
import { isLocale } from '../i18n.ts';
import { caseChanges, type TCaseChanges } from '../services/case-changes.ts';
import { caseRecordFor } from '../services/case-record.ts';
import {
  addCaseNote,
  MAX_RELAY_LENGTH,
  relayFromWorker,
  releaseCase,
  resolveCase,
  type TCaseWorkDeps,
  workerTexts,
} from '../services/case-work.ts';
import { claimCase } from '../services/claim-case.ts';
import { dashboardCases, queueSignature } from '../services/dashboard-queue.ts';
import {
  SESSION_TTL_MS,
  sessionOf,
  signInWithLink,
  signOut,
  type TDashboardSession,
} from '../services/dashboard-sessions.ts';
import type { TEscalationDeps } from '../services/escalation.ts';
import { offerGroupsAfterCase } from '../services/group-offers-after-case.ts';
import { describeOutcome } from '../services/outcome-wording.ts';
import { pagesTranslator } from '../services/pages.ts';
import { CasePage } from './dashboard-case-page.tsx';
import { documentOf, type TViewer } from './dashboard-layout.tsx';
import { QueuePage, QueueTable } from './dashboard-queue-page.tsx';
import { addSupervisorRoutes } from './dashboard-supervisor-routes.tsx';
import { addressOf, createWindowCounter } from './rate-limit.ts';
import type { TServerEnv } from './types.ts';

const COOKIE = 'bl_session';
/** The language the worker chose on the dashboard (their bot language until they do). */
const LANGUAGE_COOKIE = 'bl_lang';

/** Case work from the dashboard does what the bot's commands do, with the same services. */
export type TDashboardDeps = TCaseWorkDeps &
  TEscalationDeps & {
    /** The outcome codes a case is resolved with (`RESOLVE_OUTCOMES`). */
    resolveOutcomes: readonly string[];
    /** The script residents answer: the community picture names its themes and areas. */
    scriptId: string;
    /**
     * Where workers reach the dashboard (`PUBLIC_URL`). Its scheme decides the cookies' `Secure`: behind a
     * TLS proxy the request itself arrives over http.
     */
    publicUrl: string;
    clock?: () => Date;
    /**
     * How often a live stream looks for a change without being told (default 1 s): a change made in this
     * process wakes it at once; one made by another instance is seen at the next look.
     */
    liveIntervalMs?: number;
    /** How often the queue is sent again with no change, so that waiting times move on (default 30 s). */
    tickIntervalMs?: number;
    /** The signal that wakes live streams when cases change (default: this process's). */
    caseChanges?: TCaseChanges;
    /** Sign-in attempts allowed per address per minute (default {@link SIGN_INS_PER_MINUTE}). */
    signInsPerMinute?: number;
  };

export type TDashboardEnv = TServerEnv & { Variables: { session: TDashboardSession; viewer: TViewer } };

/** Sign-in attempts per address per minute: a team behind one office address signs in well under this. */
const SIGN_INS_PER_MINUTE = 30;

/** The shortest time between two looks of one live stream, however often cases change. */
const MIN_ROUND_GAP_MS = 250;

/** One event stream lasts an hour at most; the browser reconnects by itself. */
const LIVE_STREAM_MS = 3_600_000;

const ZFilter = z.object({
  level: z
    .enum([...CASE_LEVELS, ''])
    .optional()
    .transform((value) => value || undefined),
  status: z
    .enum(['waiting', 'claimed', ''])
    .optional()
    .transform((value) => value || undefined),
  partial: z.literal('1').optional(),
});

/** A sign-in link's token as `createSignInLink` makes it (32 random bytes, base64url). */
const ZLinkToken = z.string().regex(/^[\w-]{20,100}$/);
const ZCaseId = z.coerce.number().int().positive().max(2_147_483_647);
const ZText = z.object({ text: z.string().trim().min(1).max(MAX_RELAY_LENGTH) });
const ZNote = z.object({ text: z.string().trim().min(1).max(4000) });
const ZOutcome = z.object({ outcome: z.string().min(1).max(64) });

/**
 * The workers' dashboard, `/dashboard`: sign-in with the bot's one-time link and its Continue form (a session
 * cookie: HttpOnly, SameSite=Strict, Secure when PUBLIC_URL is https), the queue, a case and what can be done
 * on it (the same services as the bot's commands, each in one short transaction whose messages leave after the
 * commit), and sign-out. Every form carries the session's CSRF token. Refusals are 4xx pages that say what to
 * do, never 5xx.
 */
export function createDashboard(deps: TDashboardDeps): Hono<TDashboardEnv> {
  const clock = deps.clock ?? (() => new Date());
  const refuse = refusalsIn(deps.i18n);
  const app = new Hono<TDashboardEnv>();
  const publicOrigin = new URL(deps.publicUrl).origin;
  const isSecure = new URL(deps.publicUrl).protocol === 'https:';
  const changes = deps.caseChanges ?? caseChanges;

  // Opening the link spends nothing: anything may fetch it (a chat's link preview, a mail scanner). The page
  // asks the worker to continue, and that POST spends the token.
  app.get('/sign-in', (c) => {
    const token = c.req.query('token') ?? '';
    if (!ZLinkToken.safeParse(token).success) return refuse(c, 401, 'link_unknown');
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'same-origin');
    return continuePage(c, deps.i18n, token);
  });

  // Links are long and random; many tries from one address are someone guessing. Only a form of this site may
  // spend one: a page elsewhere cannot sign a worker in as someone else (SameSite is for cookies, and there is
  // no session yet, so the browser's Origin and Sec-Fetch-Site headers say where the form came from).
  const signInsByAddress = createWindowCounter();
  app.post('/sign-in', async (c) => {
    if (signInsByAddress(addressOf(c), clock()) > (deps.signInsPerMinute ?? SIGN_INS_PER_MINUTE))
      return refuse(c, 429, 'too_many');
    const origin = c.req.header('Origin');
    const site = c.req.header('Sec-Fetch-Site');
    if ((origin !== undefined && origin !== publicOrigin) || (site !== undefined && site !== 'same-origin'))
      return refuse(c, 403, 'csrf');
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = ZLinkToken.safeParse(form.token);
    const signedIn = token.success
      ? await signInWithLink(deps, { token: token.data, now: clock() })
      : undefined;
    if (signedIn?.type !== 'signed-in') {
      return refuse(c, 401, `link_${signedIn?.reason ?? 'unknown'}`);
    }
    setCookie(c, COOKIE, signedIn.sessionId, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isSecure,
      path: '/dashboard',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return c.redirect('/dashboard', 303);
  });

  // Everything past sign-in needs a live session; every POST, the session's own CSRF token (a page elsewhere
  // cannot act for the worker, even where a browser would send the cookie).
  app.use(
    '*',
    createMiddleware<TDashboardEnv>(async (c, next) => {
      const session = await sessionOf(deps, { sessionId: getCookie(c, COOKIE), now: clock() });
      if (!session) return refuse(c, 401, 'sign_in');
      if (c.req.method === 'POST') {
        const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        if (form.csrf !== session.csrfToken) return refuse(c, 403, 'csrf');
      }
      const chosen = getCookie(c, LANGUAGE_COOKIE);
      const locale = isLocale(chosen)
        ? chosen
        : isLocale(session.worker.locale)
          ? session.worker.locale
          : 'en';
      c.set('session', session);
      c.set('viewer', {
        t: pagesTranslator(deps.i18n, locale),
        locale,
        name: session.worker.name,
        role: session.worker.role,
        csrfToken: session.csrfToken,
      });
      return next();
    }),
  );

  app.get('/', async (c) => {
    const { session, viewer } = c.var;
    const filter = ZFilter.safeParse(c.req.query());
    if (!filter.success) return refuse(c, 400, 'filter');
    const { partial, ...wanted } = filter.data;
    const now = clock();
    const cases = await dashboardCases(deps, { worker: session.worker, filter: wanted });
    if (partial) return c.html(<QueueTable t={viewer.t} cases={cases} now={now} />);
    return c.html(documentOf(<QueuePage viewer={viewer} filter={wanted} cases={cases} now={now} />));
  });

  // Server-sent events: `queue` whenever the list this worker sees changes (woken by a change in this
  // process, else seen at the next look), and again every half minute with no change, so that waiting times
  // shown move on. Every round asks again whether the session still stands: signed out, expired or the
  // worker's access ended, the stream says `signed-out` and ends.
  app.get('/events', async (c) => {
    const sessionId = getCookie(c, COOKIE);
    const interval = deps.liveIntervalMs ?? 1000;
    const tick = deps.tickIntervalMs ?? 30_000;
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const endsAt = Date.now() + LIVE_STREAM_MS;
      let seen: string | undefined;
      let sentAt = 0;
      while (!stream.aborted && Date.now() < endsAt) {
        const roundAt = Date.now();
        const since = changes.version();
        const live = await sessionOf(deps, { sessionId, now: clock() });
        if (!live) {
          await stream.writeSSE({ event: 'signed-out', data: '' });
          return;
        }
        const cases = await dashboardCases(deps, { worker: live.worker, filter: {} });
        const signature = queueSignature(cases);
        const isChanged = signature !== seen;
        if (isChanged || Date.now() - sentAt >= tick) {
          seen = signature;
          sentAt = Date.now();
          await stream.writeSSE({
            event: 'queue',
            data: JSON.stringify({ count: cases.length, changed: isChanged }),
          });
        }
        await changes.next(Math.max(1, Math.min(interval, sentAt + tick - Date.now())), {
          signal: aborted.signal,
          since,
        });
        // Each round costs every open stream three queries: a burst of case changes wakes it at most this often.
        const gap = roundAt + MIN_ROUND_GAP_MS - Date.now();
        if (gap > 0 && !stream.aborted) await stream.sleep(gap);
      }
    });
  });

  app.get('/cases/:id', async (c) => {
    const { session, viewer } = c.var;
    const caseId = ZCaseId.safeParse(c.req.param('id'));
    if (!caseId.success) return refuse(c, 404, 'no_case');
    const now = clock();
    // The view and its audit entry commit together: no case is shown without its record.
    const opened = await runUnitOfWork(deps.prisma, () =>
      caseRecordFor(deps, { worker: session.worker, caseId: caseId.data, now, locale: viewer.locale }),
    );
    if (opened.type === 'not-found') return refuse(c, 404, 'no_case');
    if (opened.type === 'not-allowed') return refuse(c, 403, 'not_yours', { id: caseId.data });
    const workerT = workerTexts(deps, viewer.locale);
    return c.html(
      documentOf(
        <CasePage
          viewer={viewer}
          record={opened.record}
          options={{
            now,
            outcomes: deps.resolveOutcomes.map((code) => ({ code, label: describeOutcome(workerT, code) })),
            notice: /^[a-z_]{1,40}$/.test(c.req.query('notice') ?? '') ? c.req.query('notice') : undefined,
          }}
        />,
      ),
    );
  });

  // An action on a case: checked, done in one transaction (its messages leave after the commit), and the
  // case page again with what happened.
  app.post('/cases/:id/:action', async (c) => {
    const { session } = c.var;
    const caseId = ZCaseId.safeParse(c.req.param('id'));
    if (!caseId.success) return refuse(c, 404, 'no_case');
    const form = await c.req.parseBody();
    const worker = session.worker;
    const now = clock();
    const input = { worker, caseId: caseId.data, now };
    const back = (notice: string) => c.redirect(`/dashboard/cases/${caseId.data}?notice=${notice}`, 303);
    const invalid = (key: string) =>
      refuse(c, 400, key, { max: MAX_RELAY_LENGTH, outcomes: deps.resolveOutcomes.join(', ') });
    switch (c.req.param('action')) {
      case 'claim': {
        const claimed = await runUnitOfWork(deps.prisma, () => claimCase(deps, input));
        return back(claimed.type === 'already-yours' ? 'claimed' : claimed.type.replaceAll('-', '_'));
      }
      case 'reply': {
        const parsed = ZText.safeParse(form);
        if (!parsed.success) return invalid('reply');
        const relayed = await runUnitOfWork(deps.prisma, () =>
          relayFromWorker(deps, { ...input, text: parsed.data.text }),
        );
        return back(relayed.type.replaceAll('-', '_'));
      }
      case 'note': {
        const parsed = ZNote.safeParse(form);
        if (!parsed.success) return invalid('note');
        const noted = await runUnitOfWork(deps.prisma, () =>
          addCaseNote(deps, { ...input, text: parsed.data.text }),
        );
        return back(noted.type.replaceAll('-', '_'));
      }
      case 'release': {
        const released = await runUnitOfWork(deps.prisma, () => releaseCase(deps, input));
        return back(released.type.replaceAll('-', '_'));
      }
      case 'resolve': {
        const parsed = ZOutcome.safeParse(form);
        if (!parsed.success || !deps.resolveOutcomes.includes(parsed.data.outcome)) return invalid('outcome');
        const resolved = await runUnitOfWork(deps.prisma, () =>
          resolveCase(deps, { ...input, outcome: parsed.data.outcome, outcomes: deps.resolveOutcomes }),
        );
        if (resolved.type === 'resolved') {
          if (form.groups === '1' && resolved.isResidentTold)
            await runUnitOfWork(deps.prisma, () =>
              offerGroupsAfterCase(deps, { caseId: resolved.caseId, now }),
            );
          return back(resolved.isResidentTold ? 'resolved' : 'resolved_unreachable');
        }
        return back(resolved.type.replaceAll('-', '_'));
      }
      default:
        return refuse(c, 404, 'no_action');
    }
  });

  addSupervisorRoutes(app, deps, { clock, refuse });

  app.post('/language', async (c) => {
    const form = await c.req.parseBody();
    if (!isLocale(form.locale)) return refuse(c, 400, 'language');
    setCookie(c, LANGUAGE_COOKIE, form.locale, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isSecure,
      path: '/dashboard',
      maxAge: 365 * 24 * 3600,
    });
    // Back to a dashboard page only: never a redirect elsewhere.
    const back =
      typeof form.back === 'string' && /^\/dashboard(\/[\w/-]*)?$/.test(form.back) ? form.back : '/dashboard';
    return c.redirect(back, 303);
  });

  app.post('/sign-out', async (c) => {
    await signOut(deps, { sessionId: getCookie(c, COOKIE) ?? '', now: clock() });
    deleteCookie(c, COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard', 303);
  });

  return app;
}

/**
 * A refusal as a small page in the reader's language (their dashboard choice, else the browser's), with the
 * status that says what went wrong: never a 5xx for what a request carried.
 */
export function refusalsIn(i18n: i18n) {
  return (
    c: Context,
    status: 400 | 401 | 403 | 404 | 429,
    key: string,
    values: Record<string, string | number> = {},
  ) => {
    const locale = unsignedLocale(c);
    const t = pagesTranslator(i18n, locale);
    return plainPage(c, {
      locale,
      title: t(`dashboard.refused.${key}.title`),
      body: html`<p>${t(`dashboard.refused.${key}.text`, values)}</p>
        <p><a href="/dashboard">${t('dashboard.nav_queue')}</a></p>`,
      status,
    });
  };
}

/** A page of the dashboard shown without a session (a refusal, the sign-in link's): a title and a little text. */
function plainPage(
  c: Context,
  page: {
    locale: string;
    title: string;
    body: ReturnType<typeof html>;
    status?: 200 | 400 | 401 | 403 | 404 | 429;
    referrer?: 'same-origin';
  },
) {
  return c.html(
    html`<!doctype html>
      <html lang="${page.locale}">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          ${page.referrer ? html`<meta name="referrer" content="${page.referrer}" />` : ''}
          <title>${page.title}</title>
        </head>
        <body>
          <h1>${page.title}</h1>
          ${page.body}
        </body>
      </html>`,
    page.status ?? 200,
  );
}

/** The language of a page shown before sign-in: the dashboard's choice, else the browser's. */
function unsignedLocale(c: Context): string {
  const chosen = getCookie(c, LANGUAGE_COOKIE);
  if (isLocale(chosen)) return chosen;
  return /^zh\b/i.test(c.req.header('Accept-Language') ?? '') ? 'zh-CN' : 'en';
}

/** The page a sign-in link opens: one button, whose POST (with the link's token) signs in. */
function continuePage(c: Context, i18n: i18n, token: string) {
  const locale = unsignedLocale(c);
  const t = pagesTranslator(i18n, locale);
  return plainPage(c, {
    locale,
    title: t('dashboard.continue_title'),
    referrer: 'same-origin',
    body: html`<p>${t('dashboard.continue_text')}</p>
      <form method="post" action="/dashboard/sign-in">
        <input type="hidden" name="token" value="${token}" />
        <button type="submit" autofocus>${t('dashboard.continue')}</button>
      </form>`,
  });
}
