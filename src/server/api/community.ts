import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { readCommunityPicture, readGroupCounts } from '../../services/community-picture.ts';
import type { TScriptRegistry } from '../../services/script-registry.ts';
import type { TApiEnv } from './auth.ts';
import { exported } from './cases.ts';
import { asJson, responses, SECURITY } from './schemas.ts';

type TDeps = {
  prisma: PrismaClient;
  clock: () => Date;
  /** The script residents answer, for its themes; without it, levels, bands and areas only. */
  community?: { scripts: TScriptRegistry; scriptId: string };
};

/** The community picture over HTTP: counts only, every cell under 5 given as `{ "fewerThan": 5 }`. */
export function addCommunityRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/community',
      tags: ['community'],
      security: SECURITY,
      responses: responses(200, 'Counts by week, band, theme and area; cells under 5 suppressed'),
    }),
    async (c) => {
      const script = deps.community
        ? await deps.community.scripts.latest(deps.community.scriptId)
        : undefined;
      const picture = await readCommunityPicture(deps, { now: deps.clock(), script });
      const groups = await readGroupCounts(deps, { weeks: picture.weeks });
      await exported(deps, c.get('caller').name, 'community-picture');
      return c.json(asJson({ ...picture, groups }), 200);
    },
  );
}
