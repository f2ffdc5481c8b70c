import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { i18n } from 'i18next';
import type { TEscalationPolicy } from '../../domain/escalation/index.ts';
import type { TCrisisPatterns } from '../../domain/risk/crisis-patterns.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { TDataProtector } from '../../services/data-protection.ts';
import type { TScriptRegistry } from '../../services/script-registry.ts';
import { addAuditRoutes } from './audit.ts';
import { authenticate, DEFAULT_API_RATE_LIMITS, type TApiEnv, type TApiRateLimits } from './auth.ts';
import { addCaseRoutes } from './cases.ts';
import { addCommunityRoutes } from './community.ts';
import { addCrisisPatternRoutes } from './crisis-patterns.ts';
import { ApiError, answerError, errorBody } from './errors.ts';
import { addGroupRoutes } from './groups.ts';
import { addScriptRoutes } from './scripts.ts';
import { addStaffRoutes } from './staff.ts';

export type TAdminApiDeps = {
  prisma: PrismaClient;
  policy: TEscalationPolicy;
  /** The live patterns: an admin's change to a word list is compiled into them in place. */
  crisisPatterns: TCrisisPatterns[];
  clock?: () => Date;
  limits?: TApiRateLimits;
  /** To tell a worker the API deactivates, and their residents. */
  notices?: { protector: TDataProtector; i18n: i18n };
  /** The script residents answer: the community picture counts its themes. */
  community?: { scripts: TScriptRegistry; scriptId: string };
};

/**
 * The admin HTTP API, mounted at `/api`: every body, parameter and query checked with zod (400 with the
 * issues), every route behind a bearer token (`admin token create`) and its role, refusals audited, errors
 * always `{ "error": { "code", "message", "details" } }`. `GET /api/openapi.json` is generated from the same
 * schemas.
 *
 * @example app.route('/api', createAdminApi({ prisma, policy, crisisPatterns }));
 */
export function createAdminApi(deps: TAdminApiDeps): OpenAPIHono<TApiEnv> {
  const clock = deps.clock ?? (() => new Date());
  const app = new OpenAPIHono<TApiEnv>({
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      return c.json(errorBody('invalid_request', 'The request is not valid.', result.error.issues), 400);
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc('/openapi.json', {
    openapi: '3.0.0',
    info: { title: 'Bridgeline admin API', version: '1' },
  });
  // One guard for the app's life: it holds the rate limits' counters.
  const guard = authenticate({ prisma: deps.prisma, clock, limits: deps.limits ?? DEFAULT_API_RATE_LIMITS });
  app.use('*', async (c, next) => (c.req.path === '/api/openapi.json' ? next() : guard(c, next)));
  const routeDeps = { ...deps, clock };
  addScriptRoutes(app, routeDeps);
  addStaffRoutes(app, routeDeps);
  addCaseRoutes(app, routeDeps);
  addAuditRoutes(app, routeDeps);
  addCrisisPatternRoutes(app, routeDeps);
  addCommunityRoutes(app, routeDeps);
  addGroupRoutes(app, routeDeps);
  app.notFound((c) => c.json(errorBody('not_found', 'No such route.'), 404));
  app.onError((error, c) => {
    if (error instanceof ApiError) return answerError(c, error);
    if (error instanceof SyntaxError) return c.json(errorBody('invalid_json', 'The body is not JSON.'), 400);
    if (error instanceof HTTPException)
      return c.json(
        errorBody(`http_${error.status}`, error.message || 'The request was refused.'),
        error.status,
      );
    // A bug, never the caller's input: logged; the caller gets the same shape.
    c.get('logger').error({ err: error }, 'admin API request failed');
    return c.json(errorBody('internal', 'Something went wrong on our side.'), 500);
  });
  return app;
}
