import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import { recordAuditAction, recordCaseEvent } from '../../services/audit.ts';
import { listCasesForAdmin } from '../../services/cases.ts';
import type { TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZNumericId } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date };

/** Cases over HTTP: never what a resident wrote; a read is audited, and so is every listing taken out. */
export function addCaseRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/cases',
      tags: ['cases'],
      security: SECURITY,
      responses: responses(200, 'The cases, no personal content'),
    }),
    async (c) => {
      await exported(deps, c.get('caller').name, 'cases');
      return c.json(asJson({ cases: await listCasesForAdmin(deps.prisma) }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/cases/{id}',
      tags: ['cases'],
      security: SECURITY,
      request: { params: z.object({ id: ZNumericId }) },
      responses: responses(
        200,
        'One case: level, status, scores and the rules behind them, its timeline (the read is audited)',
      ),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await deps.prisma.case.findUnique({
        where: { id },
        select: {
          id: true,
          level: true,
          status: true,
          source: true,
          score: true,
          scores: true,
          explanation: true,
          scriptId: true,
          scriptVersion: true,
          createdAt: true,
          claimedById: true,
          outcome: true,
          events: { select: { type: true, actor: true, createdAt: true }, orderBy: { id: 'asc' } },
        },
      });
      if (!row) throw new ApiError(404, 'not_found', `No case #${id}.`);
      await recordCaseEvent(deps, {
        caseId: id,
        type: 'viewed',
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      return c.json(asJson(row), 200);
    },
  );
}

/** Every listing taken out through the API is on record, with whose token. */
export async function exported(
  deps: Pick<TDeps, 'prisma' | 'clock'>,
  tokenName: string,
  what: 'cases' | 'audit' | 'community-picture',
): Promise<void> {
  await recordAuditAction(deps, {
    type: 'data.exported',
    actor: tokenActor(tokenName),
    now: deps.clock(),
    detail: { what },
  });
}
