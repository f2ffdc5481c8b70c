import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { TCrisisPatterns } from '../../domain/risk/crisis-patterns.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import { changeLexicon } from '../../services/crisis-lexicon-store.ts';
import { requireAdmin, type TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY } from './schemas.ts';

/** The crisis patterns in force, per locale: ids, kinds, levels and what each means (never a regex). */
export function addCrisisPatternRoutes(
  app: OpenAPIHono<TApiEnv>,
  deps: { prisma: PrismaClient; clock: () => Date; crisisPatterns: TCrisisPatterns[] },
): void {
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
            lexicons: set.lexicons,
          })),
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/crisis-patterns/{locale}/lexicons/{name}',
      tags: ['crisis'],
      security: SECURITY,
      middleware: [requireAdmin(deps)] as const,
      request: {
        params: z.object({
          locale: z
            .string()
            .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale, e.g. en or zh-CN')
            .openapi({ param: { name: 'locale', in: 'path' } }),
          name: z
            .string()
            .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'a word list name, e.g. WEAPONS')
            .openapi({ param: { name: 'name', in: 'path' } }),
        }),
        body: {
          content: {
            'application/json': {
              schema: z
                .object({
                  add: z.array(ZTerm).max(200).default([]),
                  remove: z.array(ZTerm).max(200).default([]),
                })
                .refine(
                  (body) => body.add.length + body.remove.length > 0,
                  'add or remove at least one term',
                ),
            },
          },
        },
      },
      responses: responses(200, 'The list changed: every instance reads messages with it within a second'),
    }),
    async (c) => {
      const { locale, name } = c.req.valid('param');
      const { add, remove } = c.req.valid('json');
      const changed = await changeLexicon(deps, {
        locale,
        name,
        add,
        remove,
        live: deps.crisisPatterns,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      if (changed.type === 'refused')
        throw new ApiError(409, 'refused', changed.problems.join(' '), changed.problems);
      return c.json(asJson(changed), 200);
    },
  );
}

/** A word-list term as the pattern files write them: lower case, single spaces, no regex needed. */
const ZTerm = z
  .string()
  .min(1)
  .max(80)
  .refine(
    (term) => term === term.trim().toLowerCase() && !/\s{2,}/.test(term),
    'lower case, single spaces, trimmed',
  );
