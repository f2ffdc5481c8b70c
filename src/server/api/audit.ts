import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { listAuditEvents } from '../../services/audit.ts';
import { requireAdmin, type TApiEnv } from './auth.ts';
import { exported } from './cases.ts';
import { asJson, responses, SECURITY } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date };

/** The audit log over HTTP, for admin tokens: by actor, case, action and time. */
export function addAuditRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      security: SECURITY,
      middleware: [requireAdmin(deps)] as const,
      request: {
        query: z.object({
          actor: z.string().max(100).optional(),
          case: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
          action: z.string().max(60).optional(),
          since: z.iso.datetime({ offset: true }).optional(),
        }),
      },
      responses: responses(200, 'The audit log, oldest first (never message text)'),
    }),
    async (c) => {
      const query = c.req.valid('query');
      await exported(deps, c.get('caller').name, 'audit');
      const entries = await listAuditEvents(deps.prisma, {
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.case ? { caseId: query.case } : {}),
        ...(query.action ? { type: query.action } : {}),
        ...(query.since ? { since: new Date(query.since) } : {}),
      });
      return c.json(asJson({ entries }), 200);
    },
  );
}
