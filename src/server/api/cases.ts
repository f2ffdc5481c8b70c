import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { TCrisisPatterns } from '../../domain/risk/crisis-patterns.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import { listAuditEvents, recordAuditAction, recordCaseEvent } from '../../services/audit.ts';
import { listCasesForAdmin } from '../../services/cases.ts';
import { requireAdmin, type TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZNumericId } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date; crisisPatterns: readonly TCrisisPatterns[] };

/** Cases (never what a resident wrote), the audit log, and the crisis-pattern lists, over HTTP. */
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

  app.openapi(
    createRoute({
      method: 'get',
      path: '/crisis-patterns',
      tags: ['crisis'],
      security: SECURITY,
      responses: responses(
        200,
        "Each locale's crisis patterns, intensifiers and context cues: ids, levels, descriptions",
      ),
    }),
    async (c) =>
      c.json(
        asJson({
          locales: deps.crisisPatterns.map((set) => ({
            locale: set.locale,
            version: set.version,
            patterns: set.patterns.map(({ id, kind, level, description }) => ({
              id,
              kind,
              level,
              description,
            })),
            intensifiers: set.intensifiers.map(({ id, type, description }) => ({ id, type, description })),
            contextCues: set.contextCues.map(({ id, kind, description }) => ({ id, kind, description })),
          })),
        }),
        200,
      ),
  );
}

/** Every listing taken out through the API is on record, with whose token. */
async function exported(deps: TDeps, tokenName: string, what: 'cases' | 'audit'): Promise<void> {
  await recordAuditAction(deps, {
    type: 'data.exported',
    actor: tokenActor(tokenName),
    now: deps.clock(),
    detail: { what },
  });
}
