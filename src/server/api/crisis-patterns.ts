import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { TCrisisPatterns } from '../../domain/risk/crisis-patterns.ts';
import type { TApiEnv } from './auth.ts';
import { asJson, responses, SECURITY } from './schemas.ts';

/** The crisis patterns in force, per locale: ids, kinds, levels and what each means (never a regex). */
export function addCrisisPatternRoutes(
  app: OpenAPIHono<TApiEnv>,
  deps: { crisisPatterns: readonly TCrisisPatterns[] },
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
          })),
        }),
        200,
      ),
  );
}
