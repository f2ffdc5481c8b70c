import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { i18n } from 'i18next';
import { type TEscalationPolicy, ZEscalationPolicy } from '../../domain/escalation/index.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import type { TDataProtector } from '../../services/data-protection.ts';
import { storePolicy } from '../../services/escalation-policy-store.ts';
import { addShift, listShifts, removeShift } from '../../services/rota.ts';
import {
  changeWorkerRole,
  createInvitation,
  deactivateWorker,
  listWorkersForAdmin,
  WORKER_ROLES,
} from '../../services/workers.ts';
import { requireAdmin, type TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZNumericId } from './schemas.ts';

type TDeps = {
  prisma: PrismaClient;
  clock: () => Date;
  policy: TEscalationPolicy;
  /** To tell a deactivated worker and their residents, as the command line does. */
  notices?: { protector: TDataProtector; i18n: i18n };
};

/** An ISO 8601 time with its time zone (seconds optional): a shift in local time would mean something else elsewhere. */
const ZTime = z
  .string()
  .regex(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i,
    'an ISO 8601 time with a time zone, e.g. 2026-05-01T09:00Z',
  )
  .refine((value) => !Number.isNaN(Date.parse(value)), 'not a real date and time')
  .openapi({ example: '2026-05-01T09:00+08:00' });

/** Workers, invitations, the rota and the escalation policy over HTTP. */
export function addStaffRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  const admin = requireAdmin(deps);
  const idParam = z.object({ id: ZNumericId });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/workers',
      tags: ['workers'],
      security: SECURITY,
      responses: responses(200, 'The workers'),
    }),
    async (c) => c.json(asJson({ workers: await listWorkersForAdmin(deps.prisma, deps.clock()) }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/invitations',
      tags: ['workers'],
      security: SECURITY,
      middleware: [admin] as const,
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ role: z.enum(WORKER_ROLES), name: z.string().trim().min(1).max(100) }),
            },
          },
        },
      },
      responses: responses(201, 'The one-time code (valid 24 h): the worker sends /join <code> to the bot'),
    }),
    async (c) => {
      const { role, name } = c.req.valid('json');
      const invitation = await createInvitation(deps, {
        role,
        name,
        now: deps.clock(),
        actor: tokenActor(c.get('caller').name),
      });
      return c.json(asJson(invitation), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/workers/{id}',
      tags: ['workers'],
      security: SECURITY,
      middleware: [admin] as const,
      request: {
        params: idParam,
        body: { content: { 'application/json': { schema: z.object({ role: z.enum(WORKER_ROLES) }) } } },
      },
      responses: responses(200, 'The role changed'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { role } = c.req.valid('json');
      const changed = await changeWorkerRole(deps, {
        workerId: id,
        role,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      if (!changed) throw new ApiError(404, 'not_found', `No active worker #${id}.`);
      return c.json({ workerId: id, role }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/workers/{id}/deactivate',
      tags: ['workers'],
      security: SECURITY,
      middleware: [admin] as const,
      request: { params: idParam },
      responses: responses(200, 'Access ended; the cases they held back in the queue and paged again'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const outcome = await deactivateWorker(deps, {
        worker: String(id),
        now: deps.clock(),
        actor: tokenActor(c.get('caller').name),
      });
      if (outcome.type === 'unknown-worker' || outcome.type === 'ambiguous-worker')
        throw new ApiError(404, 'not_found', `No worker #${id}.`);
      return c.json(asJson(outcome), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/rota',
      tags: ['rota'],
      security: SECURITY,
      request: { query: z.object({ all: z.enum(['true', 'false']).default('false') }) },
      responses: responses(200, 'The shifts not yet over (all=true: past ones too)'),
    }),
    async (c) => {
      const { all } = c.req.valid('query');
      const shifts = await listShifts(deps.prisma, { now: deps.clock(), includePast: all === 'true' });
      return c.json(asJson({ shifts }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/rota',
      tags: ['rota'],
      security: SECURITY,
      middleware: [admin] as const,
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ worker: z.string().trim().min(1).max(100), from: ZTime, to: ZTime }),
            },
          },
        },
      },
      responses: responses(201, "The shift, and the worker's shifts it overlaps"),
    }),
    async (c) => {
      const body = c.req.valid('json');
      const [startsAt, endsAt] = [new Date(body.from), new Date(body.to)];
      if (endsAt <= startsAt) throw new ApiError(400, 'invalid_request', '"to" must be later than "from".');
      const outcome = await addShift(deps.prisma, {
        worker: body.worker,
        startsAt,
        endsAt,
        now: deps.clock(),
        actor: tokenActor(c.get('caller').name),
      });
      if (outcome.type === 'added') return c.json(asJson(outcome), 201);
      if (outcome.type === 'already-over')
        throw new ApiError(400, 'shift_over', 'That shift ends in the past.');
      throw new ApiError(404, 'not_found', `No active worker "${body.worker}" (${outcome.type}).`);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/rota/{id}',
      tags: ['rota'],
      security: SECURITY,
      middleware: [admin] as const,
      request: { params: idParam },
      responses: responses(200, 'The shift removed'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await removeShift(deps.prisma, id, deps.clock(), tokenActor(c.get('caller').name))))
        throw new ApiError(404, 'not_found', `No shift #${id}.`);
      return c.json({ removed: id }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/escalation-policy',
      tags: ['rota'],
      security: SECURITY,
      responses: responses(200, 'Acknowledge timeouts and repeats in force (set by ESCALATION_POLICY_FILE)'),
    }),
    async (c) => c.json(asJson(deps.policy), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/escalation-policy',
      tags: ['rota'],
      security: SECURITY,
      middleware: [admin] as const,
      request: {
        body: {
          content: {
            'application/json': {
              schema: ZEscalationPolicy,
            },
          },
        },
      },
      responses: responses(200, 'The policy now in force on every instance (over ESCALATION_POLICY_FILE)'),
    }),
    async (c) => {
      await storePolicy(deps, {
        policy: c.req.valid('json'),
        live: deps.policy,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      return c.json(asJson(deps.policy), 200);
    },
  );
}
