import { readFileSync } from 'node:fs';
import { currentClient } from '../db/unit-of-work.ts';
import {
  ID_LABELS,
  loadScript,
  scriptLabels,
  type TScript,
  type TScriptLabels,
} from '../domain/script/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { publishScriptVersion, pushScriptDraft } from './script-versions.ts';

export const DEFAULT_SCRIPT_FILE = new URL('../../conversation-scripts/default.yaml', import.meta.url);

/** A script that cannot be published: invalid, or a changed text under a version already published. */
export class ScriptPublishError extends Error {
  override readonly name = 'ScriptPublishError';
  constructor(
    readonly code: 'SCRIPT_INVALID' | 'SCRIPT_VERSION_TAKEN',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Published screening scripts, by id and version. A published version never changes, so it is cached for
 * the life of the process; each screening names the version it started with and gets exactly that one back.
 *
 * @example
 * const scripts = createScriptRegistry(prisma);
 * await scripts.publish(readFileSync('conversation-scripts/default.yaml', 'utf8'));
 * const script = await scripts.get('default', 1);
 */
export function createScriptRegistry(prisma: PrismaClient) {
  const cache = new Map<string, TScript>();
  const keyOf = (scriptId: string, version: number) => `${scriptId}@${version}`;

  function parse(source: string): TScript {
    const loaded = loadScript(source);
    if (loaded.ok) return loaded.script;
    const findings = loaded.findings.map((f) => `  ${f.line}:${f.col} ${f.code} ${f.message}`).join('\n');
    throw new ScriptPublishError('SCRIPT_INVALID', `The script does not pass the linter:\n${findings}`);
  }

  return {
    /**
     * Stores `source` and publishes it (retiring the version published before), unless that id and version
     * exist already, published or retired, with other text: published versions never change.
     */
    async publish(source: string): Promise<TScript> {
      const script = parse(source);
      const now = new Date();
      const pushed = await pushScriptDraft({ prisma }, { source, actor: 'system', now });
      if (pushed.type === 'version-taken') {
        throw new ScriptPublishError(
          'SCRIPT_VERSION_TAKEN',
          `Script "${script.id}" version ${script.version} is already published with other text. Published versions never change: raise "version" to publish the edit.`,
        );
      }
      await publishScriptVersion(
        { prisma },
        { scriptId: script.id, version: script.version, actor: 'system', now },
      );
      cache.set(keyOf(script.id, script.version), script);
      return script;
    },

    /** A version that is or was published (never a draft, which may still change), or undefined. */
    async get(scriptId: string, version: number): Promise<TScript | undefined> {
      const cached = cache.get(keyOf(scriptId, version));
      if (cached) return cached;
      const row = await currentClient(prisma).scriptVersion.findUnique({
        where: { scriptId_version: { scriptId, version } },
      });
      if (!row || row.status === 'draft') return undefined;
      const script = parse(row.source);
      cache.set(keyOf(scriptId, version), script);
      return script;
    },

    /**
     * The names a worker reads for a result of this script version, in `locale`; ids when the case has no
     * script (a crisis message) or the version is unknown.
     */
    async labels(scriptId: string | null, version: number | null, locale: string): Promise<TScriptLabels> {
      const script = scriptId === null || version === null ? undefined : await this.get(scriptId, version);
      return script ? scriptLabels(script, locale) : ID_LABELS;
    },

    /** The published version of a script: what a new screening starts with. */
    async latest(scriptId: string): Promise<TScript | undefined> {
      const row = await currentClient(prisma).scriptVersion.findFirst({
        where: { scriptId, status: 'published' },
        select: { version: true },
      });
      return row ? this.get(scriptId, row.version) : undefined;
    },
  };
}

export type TScriptRegistry = ReturnType<typeof createScriptRegistry>;

export function readDefaultScript(): string {
  return readFileSync(DEFAULT_SCRIPT_FILE, 'utf8');
}
