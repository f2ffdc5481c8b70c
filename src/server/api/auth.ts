import type { Context, MiddlewareHandler } from 'hono';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { checkAdminToken, type TTokenRole, tokenActor } from '../../services/admin-tokens.ts';
import { recordAuditAction } from '../../services/audit.ts';
import { addressOf, createWindowCounter } from '../rate-limit.ts';
import { ApiError } from './errors.ts';

export type TApiCaller = { name: string; role: TTokenRole };
/** `logger` is the request's, set by the server before `/api` is reached. */
export type TApiEnv = { Variables: { caller: TApiCaller; logger: Logger } };

/** Requests allowed per minute, per token and per address: a leaked token or a scanner is slowed, not the team. */
export type TApiRateLimits = { perToken: number; perAddress: number };
export const DEFAULT_API_RATE_LIMITS: TApiRateLimits = { perToken: 120, perAddress: 300 };

/**
 * Every `/api` request: within the rate limits, then a bearer token that is known, not revoked and not expired
 * (401 otherwise); the caller is set for the route's role check. Refusals are audited with the route and why,
 * never the token: the first of each kind from each caller in a minute.
 */
export function authenticate(deps: {
  prisma: PrismaClient;
  clock: () => Date;
  limits: TApiRateLimits;
}): MiddlewareHandler<TApiEnv> {
  const byAddress = createWindowCounter();
  const byToken = createWindowCounter();
  // A scanner's thousand refusals are one entry a minute, not a thousand: the log must not be the flood.
  const refusals = createWindowCounter();
  const refuseOnce = async (c: Context, now: Date, reason: string, tokenName?: string) => {
    if (refusals(`${tokenName ?? addressOf(c)}:${reason}`, now) === 1)
      await refuse(deps, c, now, reason, tokenName);
  };
  return async (c, next) => {
    const now = deps.clock();
    const address = addressOf(c);
    if (byAddress(address, now) > deps.limits.perAddress) {
      await refuseOnce(c, now, 'rate-limited-address');
      throw new ApiError(429, 'rate_limited', 'Too many requests from this address: wait a minute.');
    }
    const token = /^Bearer (.+)$/.exec(c.req.header('Authorization') ?? '')?.[1]?.trim();
    const checked = await checkAdminToken(deps, { token, now });
    if (!checked.ok) {
      await refuseOnce(c, now, `token-${checked.reason}`);
      throw new ApiError(401, 'unauthorized', unauthorizedMessage(checked.reason));
    }
    if (byToken(checked.name, now) > deps.limits.perToken) {
      await refuseOnce(c, now, 'rate-limited-token', checked.name);
      throw new ApiError(429, 'rate_limited', 'Too many requests with this token: wait a minute.');
    }
    c.set('caller', { name: checked.name, role: checked.role });
    await next();
  };
}

/** A route only `admin` tokens may use: 403 (audited) for a `supervisor`. */
export function requireAdmin(deps: { prisma: PrismaClient; clock: () => Date }): MiddlewareHandler<TApiEnv> {
  return async (c, next) => {
    const caller = c.get('caller');
    if (caller.role !== 'admin') {
      await refuse(deps, c, deps.clock(), 'wrong-role', caller.name);
      throw new ApiError(403, 'forbidden', 'This needs an admin token.');
    }
    await next();
  };
}

async function refuse(
  deps: { prisma: PrismaClient },
  c: Context,
  now: Date,
  reason: string,
  tokenName?: string,
): Promise<void> {
  await recordAuditAction(deps, {
    type: 'api.refused',
    actor: tokenName ? tokenActor(tokenName) : 'anonymous',
    now,
    detail: { method: c.req.method, route: new URL(c.req.url).pathname, reason },
  });
}

function unauthorizedMessage(reason: 'missing' | 'unknown' | 'revoked' | 'expired'): string {
  return {
    missing: 'Send a token: Authorization: Bearer <token> (admin token create).',
    unknown: 'This token is not known.',
    revoked: 'This token was revoked.',
    expired: 'This token has expired.',
  }[reason];
}
