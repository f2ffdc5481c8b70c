import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import { createGroup, listGroups, setGroupStatus, ZNewGroup } from '../../services/groups.ts';
import type { TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZJsonObject } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date };

const ZSlug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/);

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
      const created = await createGroup(deps, {
        group: parsed.data,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
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
        body: {
          content: {
            'application/json': { schema: z.object({ status: z.enum(['active', 'paused', 'archived']) }) },
          },
        },
      },
      responses: responses(200, 'The group with its new status'),
    }),
    async (c) => {
      const { slug } = c.req.valid('param');
      const { status } = c.req.valid('json');
      const changed = await setGroupStatus(deps, {
        slug,
        status,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      if (!changed) throw new ApiError(404, 'not_found', `No group "${slug}".`);
      return c.json({ slug, status }, 200);
    },
  );
}
