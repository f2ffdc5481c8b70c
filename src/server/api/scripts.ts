import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { diffScripts, lintScriptText, parseScriptText, simulateScript } from '../../domain/script/index.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import { tokenActor } from '../../services/admin-tokens.ts';
import {
  listScriptVersions,
  publishScriptVersion,
  pushScriptDraft,
  rollbackScript,
  scriptSource,
  type TPublishOutcome,
} from '../../services/script-versions.ts';
import { requireAdmin, type TApiEnv } from './auth.ts';
import { ApiError } from './errors.ts';
import { asJson, responses, SECURITY, ZScriptId, ZVersion } from './schemas.ts';

type TDeps = { prisma: PrismaClient; clock: () => Date };

const MAX_SCRIPT_CHARS = 200_000;
const tags = ['scripts'];

/** The screening script's versions over HTTP: the same operations as `admin script …`. */
export function addScriptRoutes(app: OpenAPIHono<TApiEnv>, deps: TDeps): void {
  const admin = requireAdmin(deps);
  const versionParams = z.object({ id: ZScriptId, version: ZVersion });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/scripts',
      tags,
      security: SECURITY,
      responses: responses(200, 'Every version'),
    }),
    async (c) => c.json(asJson({ versions: await listScriptVersions(deps) }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/scripts',
      tags,
      security: SECURITY,
      middleware: [admin] as const,
      request: {
        body: {
          content: {
            'application/json': { schema: z.object({ source: z.string().min(1).max(MAX_SCRIPT_CHARS) }) },
          },
        },
      },
      responses: responses(201, 'Stored as a draft, with its lint findings'),
    }),
    async (c) => {
      const { source } = c.req.valid('json');
      const pushed = await pushScriptDraft(deps, {
        source,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      if (pushed.type === 'invalid')
        throw new ApiError(400, 'invalid_script', 'The script does not parse.', pushed.findings);
      if (pushed.type === 'version-taken')
        throw new ApiError(
          409,
          'version_taken',
          `Version ${pushed.version} is ${pushed.status}: versions never change once published.`,
        );
      return c.json(asJson(pushed), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/scripts/{id}/diff',
      tags,
      security: SECURITY,
      request: {
        params: z.object({ id: ZScriptId }),
        query: z.object({
          from: z.coerce.number().int().min(1).max(999_999),
          to: z.coerce.number().int().min(1).max(999_999),
        }),
      },
      responses: responses(200, 'What changed, one line per change'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { from, to } = c.req.valid('query');
      const [a, b] = [
        parseScriptText(await sourceOrThrow(deps, id, from)),
        parseScriptText(await sourceOrThrow(deps, id, to)),
      ];
      if (!a.ok || !b.ok) throw new ApiError(409, 'invalid_script', 'A version does not parse.');
      return c.json(asJson({ changes: diffScripts(a.script, b.script) }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/scripts/{id}/{version}',
      tags,
      security: SECURITY,
      request: { params: versionParams },
      responses: responses(200, 'The version as pushed, with its lint findings'),
    }),
    async (c) => {
      const { id, version } = c.req.valid('param');
      const source = await sourceOrThrow(deps, id, version);
      return c.json(
        asJson({ scriptId: id, version, source, findings: lintScriptText(source).findings }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/scripts/{id}/{version}/simulate',
      tags,
      security: SECURITY,
      request: {
        params: versionParams,
        body: {
          content: {
            'application/json': {
              schema: z.object({
                locale: z.string().min(2).max(20),
                answers: z.array(z.string().max(4000)).max(200).default([]),
              }),
            },
          },
        },
      },
      responses: responses(200, 'Where the answers lead'),
    }),
    async (c) => {
      const { id, version } = c.req.valid('param');
      const { locale, answers } = c.req.valid('json');
      const parsed = parseScriptText(await sourceOrThrow(deps, id, version));
      if (!parsed.ok)
        throw new ApiError(409, 'invalid_script', 'This version does not parse.', parsed.findings);
      return c.json(asJson(simulateScript(parsed.script, locale, answers)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/scripts/{id}/{version}/publish',
      tags,
      security: SECURITY,
      middleware: [admin] as const,
      request: { params: versionParams },
      responses: responses(200, 'Published: new screenings start on it'),
    }),
    async (c) => {
      const { id, version } = c.req.valid('param');
      const outcome = await publishScriptVersion(deps, {
        scriptId: id,
        version,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      return c.json(asJson(publishedOrThrow(outcome)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/scripts/{id}/rollback',
      tags,
      security: SECURITY,
      middleware: [admin] as const,
      request: { params: z.object({ id: ZScriptId }) },
      responses: responses(200, 'The version published before, published again'),
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const outcome = await rollbackScript(deps, {
        scriptId: id,
        actor: tokenActor(c.get('caller').name),
        now: deps.clock(),
      });
      if (outcome.type === 'nothing-to-roll-back')
        throw new ApiError(409, 'nothing_to_roll_back', `Script "${id}" has no earlier published version.`);
      return c.json(asJson(publishedOrThrow(outcome)), 200);
    },
  );
}

async function sourceOrThrow(deps: TDeps, scriptId: string, version: number): Promise<string> {
  const source = await scriptSource(deps, { scriptId, version });
  if (source === undefined)
    throw new ApiError(404, 'not_found', `No script "${scriptId}" version ${version}.`);
  return source;
}

function publishedOrThrow(outcome: TPublishOutcome): TPublishOutcome {
  if (outcome.type === 'not-found')
    throw new ApiError(404, 'not_found', `No script "${outcome.scriptId}" version ${outcome.version}.`);
  if (outcome.type === 'refused')
    throw new ApiError(
      409,
      'lint_findings',
      `Version ${outcome.version} has findings: not published.`,
      outcome.findings,
    );
  return outcome;
}
