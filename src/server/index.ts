import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { TBot } from '../bot/index.ts';
import type { Logger } from '../logger.ts';
import { errorBody } from './api/errors.ts';
import { createAdminApi, type TAdminApiDeps } from './api/index.ts';
import { limitBody } from './body-limit.ts';
import { createDashboard, type TDashboardDeps } from './dashboard.tsx';
import { createClientAddress } from './rate-limit.ts';
import type { TServerEnv } from './types.ts';
import { createWebhookRoute } from './webhook.ts';

const API_BODY_LIMIT = 512 * 1024;

export type TServerDeps = {
  logger: Logger;
  /** Whether the database answers, for `/healthz`. */
  pingDatabase: () => Promise<boolean>;
  /**
   * What makes the service degraded though it runs (a case nobody could be paged for), each with its
   * reason, for `/healthz`. No personal content: case numbers and times at most.
   */
  readProblems?: () => Promise<THealthProblem[]>;
  /** Present in webhook mode only: polling mode serves no webhook route. */
  webhook?: { bot: TBot; secret: string };
  /** `GET /metrics` with this bearer token: counts of what the process did, never personal data. */
  metrics?: { token: string; read: () => Record<string, unknown> };
  /** The admin HTTP API under `/api` (token-protected; see `createAdminApi`). */
  adminApi?: TAdminApiDeps;
  /** The workers' dashboard under `/dashboard` (signed in with the bot's one-time links). */
  dashboard?: TDashboardDeps;
  /**
   * Reverse proxies in front (`TRUST_PROXY_HOPS`) whose `X-Forwarded-For` names the client for the
   * per-address limits; default 0: the socket's address, and the header is ignored.
   */
  trustProxyHops?: number;
};

export type THealthProblem = { reason: string; detail: Record<string, unknown> };

export type TServer = {
  app: Hono<TServerEnv>;
  /** Stop taking updates: the webhook answers 503 from now on, so Telegram retries later. */
  stopAccepting: () => void;
};

/**
 * The HTTP side: health check, (in webhook mode) the Telegram webhook, and (with a token) counts for
 * operators. Later: admin API and dashboard.
 *
 * @example
 * const { app } = createServer({ logger, pingDatabase: db.ping, webhook: { bot, secret } });
 * const res = await app.request('/healthz');
 */
export function createServer(deps: TServerDeps): TServer {
  let isAccepting = true;
  const app = new Hono<TServerEnv>();

  app.use(async (c, next) => {
    c.set('logger', deps.logger.child({ request_id: c.req.header('X-Request-Id') ?? randomUUID() }));
    await next();
  });
  app.use(createClientAddress({ trustProxyHops: deps.trustProxyHops ?? 0 }));

  // 503 only when this process cannot work (no database); a problem it reports is the team's to act on.
  app.get('/healthz', async (c) => {
    const isDatabaseUp = await deps.pingDatabase().catch(() => false);
    if (!isDatabaseUp) return c.json({ status: 'degraded', database: 'down' }, 503);
    const problems =
      (await deps.readProblems?.().catch((error: unknown) => {
        c.get('logger').error({ err: error }, 'could not read the service’s problems');
        return [{ reason: 'problems-unknown', detail: {} }];
      })) ?? [];
    if (problems.length === 0) return c.json({ status: 'ok', database: 'up' });
    return c.json({ status: 'degraded', database: 'up', problems });
  });

  const { metrics } = deps;
  if (metrics) {
    app.get('/metrics', (c) => {
      const given = c.req.header('Authorization')?.replace(/^Bearer /, '') ?? '';
      if (!isTokenValid(given, metrics.token))
        throw new HTTPException(401, { message: 'wrong or missing token' });
      return c.json(metrics.read());
    });
  }

  if (deps.adminApi) {
    // Larger than any script, far smaller than memory: checked before the body is read.
    app.use(
      '/api/*',
      limitBody({
        maxSize: API_BODY_LIMIT,
        onError: (c) => c.json(errorBody('too_large', 'The body is too large.'), 413),
      }),
    );
    app.route('/api', createAdminApi(deps.adminApi));
  }

  if (deps.dashboard) {
    app.use('/dashboard/*', limitBody({ maxSize: 64 * 1024 }));
    app.route('/dashboard', createDashboard(deps.dashboard));
  }

  if (deps.webhook) {
    app.route('/webhook', createWebhookRoute({ ...deps.webhook, isAccepting: () => isAccepting }));
  }

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
    c.get('logger').error({ err: error }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });

  return {
    app,
    stopAccepting: () => {
      isAccepting = false;
    },
  };
}

function isTokenValid(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
