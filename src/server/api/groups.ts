import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { currentClient, runUnitOfWork } from '../../db/unit-of-work.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import {
  createGroup,
  listGroups,
  setGroupFacilitator,
  setGroupStatus,
  ZNewGroup,
} from '../../services/groups.ts';
import type { TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZJsonObject } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date };

const ZSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/);

/** A change to a group: its status, its facilitator (an active worker's id or name), or both. */
const ZGroupChange = z
  .strictObject({
    status: z.enum(['active', 'paused', 'archived']).optional(),
    facilitator: z.string().trim().min(1).max(100).optional(),
  })
  .refine((change) => change.status !== undefined || change.facilitator !== undefined, {
    message: 'give a status, a facilitator, or both',
  });

/** Support groups over HTTP, for admins and supervisors alike (they run group work). */
export function addGroupRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/groups',
      tags: ['groups'],
      security: SECURITY,
      responses: responses(200, 'The groups, with members and waiting-list counts (no one named)'),
    }),
    async (c) => c.json(asJson({ groups: await listGroups(deps) }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/groups',
      tags: ['groups'],
      security: SECURITY,
      request: { body: { content: { 'application/json': { schema: ZJsonObject } } } },
      responses: responses(201, 'The group, offered from now on'),
    }),
    async (c) => {
      const parsed = ZNewGroup.safeParse(c.req.valid('json'));
      if (!parsed.success)
        throw new ApiError(400, 'invalid_request', 'The group is not valid.', parsed.error.issues);
      const created = await runUnitOfWork(deps.prisma, () =>
        createGroup(deps, { group: parsed.data, actor: tokenActor(c.get('caller').name), now: deps.clock() }),
      );
      if (created.type === 'slug-taken')
        throw new ApiError(409, 'slug_taken', `A group "${parsed.data.slug}" exists already.`);
      if (created.type === 'no-facilitator')
        throw new ApiError(400, 'no_facilitator', `No single active worker "${parsed.data.facilitator}".`);
      return c.json(asJson(created.group), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/groups/{slug}',
      tags: ['groups'],
      security: SECURITY,
      request: {
        params: z.object({ slug: ZSlug }),
        body: { content: { 'application/json': { schema: ZGroupChange } } },
      },
      responses: responses(200, 'The group with its status, and its facilitator when that changed (audited)'),
    }),
    async (c) => {
      const { slug } = c.req.valid('param');
      const { status, facilitator } = c.req.valid('json');
      const actor = tokenActor(c.get('caller').name);
      const now = deps.clock();
      // One transaction: both changes and their audit entries commit together, or nothing does. The
      // facilitator first: a worker who cannot run it leaves the status as it was too.
      const group = await runUnitOfWork(deps.prisma, async () => {
        if (facilitator !== undefined) {
          const changed = await setGroupFacilitator(deps, { slug, facilitator, actor, now });
          if (changed.type === 'no-group') throw new ApiError(404, 'not_found', `No group "${slug}".`);
          if (changed.type === 'no-facilitator')
            throw new ApiError(400, 'no_facilitator', `No single active worker "${facilitator}".`);
        }
        if (status !== undefined && !(await setGroupStatus(deps, { slug, status, actor, now })))
          throw new ApiError(404, 'not_found', `No group "${slug}".`);
        return currentClient(deps.prisma).supportGroup.findUnique({ where: { slug } });
      });
      if (!group) throw new ApiError(404, 'not_found', `No group "${slug}".`);
      // The facilitator's id only when it was asked to change (the answer a status change gave before).
      const changedFacilitator = facilitator === undefined ? {} : { facilitatorId: group.facilitatorId };
      return c.json({ slug, status: group.status, ...changedFacilitator }, 200);
    },
  );
}
