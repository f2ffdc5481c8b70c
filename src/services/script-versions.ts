import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import {
  lintScriptText,
  loadScript,
  parseScriptText,
  type TFinding,
  type TScript,
} from '../domain/script/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';

/**
 * The life of a screening script's versions (ODK Central's draft → test → publish, with history): a pushed text
 * is a `draft` (replaceable while it is one); publishing checks it with the schema and the linter and refuses it
 * with the findings, changing nothing; exactly one version per script id is `published` (what new screenings
 * start with), the one it replaced `retired` (screenings under way keep theirs); a rollback publishes the
 * version published before. Each step is audited.
 */

/** The shipped script cannot be installed: broken, or a published version's text changed in the file. */
export class ScriptInstallError extends Error {
  override readonly name = 'ScriptInstallError';
}

export type TScriptVersionRow = {
  scriptId: string;
  version: number;
  status: 'draft' | 'published' | 'retired';
  createdAt: Date;
  publishedAt: Date | null;
};

export type TPushOutcome =
  | { type: 'stored'; scriptId: string; version: number; isReplaced: boolean; findings: TFinding[] }
  | { type: 'unchanged'; scriptId: string; version: number; status: string }
  | { type: 'invalid'; findings: TFinding[] }
  | { type: 'version-taken'; scriptId: string; version: number; status: string };

/** Stores a script text as a draft (see above); the findings are the linter's, for the admin to fix before publishing. */
export async function pushScriptDraft(
  deps: { prisma: PrismaClient },
  input: { source: string; actor: string; now: Date },
): Promise<TPushOutcome> {
  const parsed = parseScriptText(input.source);
  if (!parsed.ok) return { type: 'invalid', findings: parsed.findings };
  const { id: scriptId, version } = parsed.script;
  return runUnitOfWork(deps.prisma, async () => {
    const db = currentClient(deps.prisma);
    const existing = await db.scriptVersion.findUnique({
      where: { scriptId_version: { scriptId, version } },
    });
    if (existing && existing.source === input.source)
      return { type: 'unchanged', scriptId, version, status: existing.status };
    if (existing && existing.status !== 'draft')
      return { type: 'version-taken', scriptId, version, status: existing.status };
    await db.scriptVersion.upsert({
      where: { scriptId_version: { scriptId, version } },
      create: {
        scriptId,
        version,
        source: input.source,
        status: 'draft',
        createdAt: input.now,
        publishedAt: null,
      },
      update: { source: input.source },
    });
    await recordAuditAction(deps, {
      type: 'script.pushed',
      actor: input.actor,
      now: input.now,
      detail: { scriptId, version },
    });
    const { findings } = lintScriptText(input.source);
    return { type: 'stored', scriptId, version, isReplaced: existing !== null, findings };
  });
}

export type TPublishOutcome =
  | { type: 'published'; scriptId: string; version: number; retired: number | undefined }
  | { type: 'already-published'; scriptId: string; version: number }
  | { type: 'not-found'; scriptId: string; version: number }
  | { type: 'refused'; scriptId: string; version: number; findings: TFinding[] };

/** Publishes a stored version: only a lint-clean one; the one published before is retired. */
export async function publishScriptVersion(
  deps: { prisma: PrismaClient },
  input: {
    scriptId: string;
    version: number;
    actor: string;
    now: Date;
    action?: 'script.published' | 'script.rolled-back';
  },
): Promise<TPublishOutcome> {
  const { scriptId, version } = input;
  return runUnitOfWork(deps.prisma, async () => {
    const db = currentClient(deps.prisma);
    // Every version of the script, locked: two publishes of one script take turns.
    await db.$queryRaw`SELECT version FROM "ScriptVersion" WHERE "scriptId" = ${scriptId} FOR UPDATE`;
    const row = await db.scriptVersion.findUnique({ where: { scriptId_version: { scriptId, version } } });
    if (!row) return { type: 'not-found', scriptId, version };
    if (row.status === 'published') return { type: 'already-published', scriptId, version };
    const loaded = loadScript(row.source);
    if (!loaded.ok) return { type: 'refused', scriptId, version, findings: loaded.findings };
    const current = await db.scriptVersion.findFirst({ where: { scriptId, status: 'published' } });
    if (current)
      await db.scriptVersion.update({
        where: { scriptId_version: { scriptId, version: current.version } },
        data: { status: 'retired' },
      });
    const isRollback = input.action === 'script.rolled-back';
    await db.scriptVersion.update({
      where: { scriptId_version: { scriptId, version } },
      // A rollback keeps the version's own place in the history, so the next one goes further back.
      data: {
        status: 'published',
        publishedAt: input.now,
        ...(isRollback || row.replacedVersion !== null ? {} : { replacedVersion: current?.version ?? null }),
      },
    });
    await recordAuditAction(deps, {
      type: input.action ?? 'script.published',
      actor: input.actor,
      now: input.now,
      detail: { scriptId, version, retired: current?.version ?? null },
    });
    return { type: 'published', scriptId, version, retired: current?.version };
  });
}

/**
 * Publishes again the version the current one replaced when it was first published: v3 → v4 → v5, then
 * rollbacks go to v4, then v3.
 */
export async function rollbackScript(
  deps: { prisma: PrismaClient },
  input: { scriptId: string; actor: string; now: Date },
): Promise<TPublishOutcome | { type: 'nothing-to-roll-back'; scriptId: string }> {
  const current = await currentClient(deps.prisma).scriptVersion.findFirst({
    where: { scriptId: input.scriptId, status: 'published' },
  });
  if (current?.replacedVersion === null || current?.replacedVersion === undefined)
    return { type: 'nothing-to-roll-back', scriptId: input.scriptId };
  return publishScriptVersion(deps, {
    ...input,
    version: current.replacedVersion,
    action: 'script.rolled-back',
  });
}

/** Every version of every script, newest first within a script; never the text. */
export async function listScriptVersions(deps: { prisma: PrismaClient }): Promise<TScriptVersionRow[]> {
  const rows = await deps.prisma.scriptVersion.findMany({
    select: { scriptId: true, version: true, status: true, createdAt: true, publishedAt: true },
    orderBy: [{ scriptId: 'asc' }, { version: 'desc' }],
  });
  return rows.map((row) => ({ ...row, status: row.status as TScriptVersionRow['status'] }));
}

/** A stored version's text, exactly as pushed. */
export async function scriptSource(
  deps: { prisma: PrismaClient },
  input: { scriptId: string; version: number },
): Promise<string | undefined> {
  const row = await deps.prisma.scriptVersion.findUnique({
    where: { scriptId_version: { scriptId: input.scriptId, version: input.version } },
    select: { source: true },
  });
  return row?.source;
}

/**
 * At start: the shipped script file. On a database with no published version of it, it is published; a newer
 * version in the file than the one published is stored as a draft and left for an admin to publish (an admin's
 * choice of version, or a rollback, is never undone by a deploy); the same version with other text is refused.
 * Returns the published script and what became of the file.
 */
export async function installShippedScript(
  deps: { prisma: PrismaClient },
  input: { source: string; now: Date; published: (scriptId: string) => Promise<TScript | undefined> },
): Promise<{
  file: 'published' | 'stored-as-draft' | 'draft-differs' | 'kept';
  fileVersion: number;
  script: TScript;
}> {
  const loaded = loadScript(input.source);
  if (!loaded.ok)
    throw new Error(loaded.findings.map((f) => `${f.line}:${f.col} ${f.code} ${f.message}`).join('\n'));
  const { id, version } = loaded.script;
  const current = await input.published(id);
  if (!current) {
    const pushed = await pushScriptDraft(deps, { source: input.source, actor: 'system', now: input.now });
    if (pushed.type === 'version-taken')
      throw new Error(
        `Script "${id}" version ${version} is already stored (${pushed.status}) with other text.`,
      );
    await publishScriptVersion(deps, { scriptId: id, version, actor: 'system', now: input.now });
    const script = await input.published(id);
    if (!script) throw new ScriptInstallError(`Script "${id}" version ${version} could not be published.`);
    return { file: 'published', fileVersion: version, script };
  }
  const stored = await deps.prisma.scriptVersion.findUnique({
    where: { scriptId_version: { scriptId: id, version } },
    select: { source: true, status: true },
  });
  if (!stored) {
    if (version <= current.version) return { file: 'kept', fileVersion: version, script: current };
    await pushScriptDraft(deps, { source: input.source, actor: 'system', now: input.now });
    return { file: 'stored-as-draft', fileVersion: version, script: current };
  }
  if (stored.source !== input.source) {
    if (stored.status !== 'draft')
      throw new ScriptInstallError(
        `Script "${id}" version ${version} is already published with other text. Published versions never change: raise "version" to publish the edit.`,
      );
    // An admin's own draft of that version is theirs: a deploy never overwrites it.
    return { file: 'draft-differs', fileVersion: version, script: current };
  }
  return { file: 'kept', fileVersion: version, script: current };
}
