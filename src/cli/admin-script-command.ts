import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { diffScripts, lintScriptText, parseScriptText, type TFinding } from '../domain/script/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from '../services/audit.ts';
import {
  listScriptVersions,
  publishScriptVersion,
  pushScriptDraft,
  rollbackScript,
  scriptSource,
} from '../services/script-versions.ts';
import { runScriptCommand } from './script-command.ts';

/**
 * `admin script …`: the screening script's versions in the database, as an admin works on them: push a file
 * as a draft, lint and simulate a stored version, publish it, roll back, list, diff two versions, export one.
 * Every refusal is one clear message (exit 2, or 1 for findings) and changes nothing.
 */

export const SCRIPT_USAGE = [
  '  script push <file>         store a script file as a draft (prints its id and version, and lint findings)',
  '  script lint <id> <version> the findings of a stored version (exit 1 when there are any)',
  '  script simulate <id> <version> --locale <l> [--answers a,b,c]',
  '                             walk through a stored version as a resident would',
  '  script publish <id> <version>',
  '                             serve it to new screenings (refused, with the findings, unless lint-clean);',
  '                             screenings under way keep their version',
  '  script rollback <id>       publish again the version published before',
  '  script list [--json]       every version: draft, published or retired',
  '  script diff <id> <a> <b>   what changed from version a to b',
  '  script export <id> <version>',
  '                             print a stored version exactly as pushed',
];

export type TScriptAdminCommand =
  | { command: 'script-push'; file: string }
  | { command: 'script-lint' | 'script-publish' | 'script-export'; scriptId: string; version: number }
  | {
      command: 'script-simulate';
      scriptId: string;
      version: number;
      locale: string;
      answers: string | undefined;
    }
  | { command: 'script-rollback'; scriptId: string }
  | { command: 'script-list'; json: boolean }
  | { command: 'script-diff'; scriptId: string; from: number; to: number };

type TIo = { out: (line: string) => void; err: (line: string) => void };

const VERSION = /^\d{1,6}$/;

/** Parses `script …`; a string is the usage problem. */
export function parseScriptAdminArgs(args: string[]): TScriptAdminCommand | string {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      locale: { type: 'string' },
      answers: { type: 'string' },
    },
  });
  const [first, second, third, ...extra] = positionals;
  const idAndVersion = (what: string): { scriptId: string; version: number } | string => {
    if (!first || !second || third !== undefined) return `script ${what} needs <id> <version>.`;
    if (!VERSION.test(second))
      return `script ${what}: the version is a number, not ${JSON.stringify(second)}.`;
    return { scriptId: first, version: Number(second) };
  };
  switch (sub) {
    case 'push':
      if (!first || second !== undefined) return 'script push needs one file.';
      return { command: 'script-push', file: first };
    case 'lint':
    case 'publish':
    case 'export': {
      const target = idAndVersion(sub);
      return typeof target === 'string' ? target : { command: `script-${sub}`, ...target };
    }
    case 'simulate': {
      const target = idAndVersion('simulate');
      if (typeof target === 'string') return target;
      if (!values.locale) return 'script simulate needs --locale <locale>.';
      return { command: 'script-simulate', ...target, locale: values.locale, answers: values.answers };
    }
    case 'rollback':
      if (!first || second !== undefined) return 'script rollback needs the script id.';
      return { command: 'script-rollback', scriptId: first };
    case 'list':
      if (first !== undefined) return 'script list takes no arguments.';
      return { command: 'script-list', json: values.json };
    case 'diff':
      if (!first || !second || !third || extra.length > 0) return 'script diff needs <id> <a> <b>.';
      if (!VERSION.test(second) || !VERSION.test(third)) return 'script diff: versions are numbers.';
      return { command: 'script-diff', scriptId: first, from: Number(second), to: Number(third) };
    default:
      return sub === undefined
        ? 'script needs a command (push, lint, simulate, publish, rollback, list, diff, export).'
        : `Unknown script command "${sub}".`;
  }
}

/** Runs a parsed `script …` command; returns the exit code. */
export async function runScriptAdminCommand(
  command: TScriptAdminCommand,
  deps: { prisma: PrismaClient; readText?: (file: string) => Promise<string> },
  io: TIo,
  now: Date,
): Promise<number> {
  const actor = 'admin';
  switch (command.command) {
    case 'script-push': {
      const source = await (deps.readText ?? ((file) => readFile(file, 'utf8')))(command.file).catch(
        (error: NodeJS.ErrnoException) => error,
      );
      if (typeof source !== 'string') {
        io.err(`Cannot read ${command.file}: ${source.code ?? source.message}.`);
        return 2;
      }
      const pushed = await pushScriptDraft(deps, { source, actor, now });
      switch (pushed.type) {
        case 'invalid':
          printFindings(io, command.file, pushed.findings);
          io.err('Not stored: the file is not a script the schema accepts.');
          return 1;
        case 'version-taken':
          io.err(
            `Script "${pushed.scriptId}" version ${pushed.version} is ${pushed.status} with other text: versions never change once published. Raise "version" in the file.`,
          );
          return 2;
        case 'unchanged':
          io.out(
            `Script "${pushed.scriptId}" version ${pushed.version} is already stored (${pushed.status}), unchanged.`,
          );
          return 0;
        case 'stored':
          io.out(
            `Stored script "${pushed.scriptId}" version ${pushed.version} as a draft${pushed.isReplaced ? ' (replacing the earlier draft)' : ''}.`,
          );
          printFindings(io, command.file, pushed.findings);
          if (pushed.findings.length > 0)
            io.out(`${pushed.findings.length} finding(s): fix them before publishing.`);
          return 0;
      }
      return 2;
    }
    case 'script-lint': {
      const source = await stored(deps, io, command);
      if (source === undefined) return 2;
      const { findings } = lintScriptText(source);
      printFindings(io, `${command.scriptId}@${command.version}`, findings, io.out);
      return findings.length > 0 ? 1 : 0;
    }
    case 'script-simulate': {
      const source = await stored(deps, io, command);
      if (source === undefined) return 2;
      const name = `${command.scriptId}@${command.version}`;
      return runScriptCommand(
        [
          'simulate',
          name,
          '--locale',
          command.locale,
          ...(command.answers === undefined ? [] : ['--answers', command.answers]),
        ],
        {
          ...io,
          readText: async () => source,
          input: () => process.stdin[Symbol.asyncIterator]() as AsyncIterator<string>,
        },
      );
    }
    case 'script-publish': {
      const published = await publishScriptVersion(deps, { ...command, actor, now });
      return reportPublish(io, published);
    }
    case 'script-rollback': {
      const rolled = await rollbackScript(deps, { scriptId: command.scriptId, actor, now });
      if (rolled.type === 'nothing-to-roll-back') {
        io.err(`Script "${rolled.scriptId}" has no earlier published version to roll back to.`);
        return 2;
      }
      return reportPublish(io, rolled);
    }
    case 'script-list': {
      const rows = await listScriptVersions(deps);
      if (command.json) io.out(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.out('No scripts.');
      else
        for (const row of rows)
          io.out(
            `${row.scriptId}\tv${row.version}\t${row.status}\tstored ${row.createdAt.toISOString()}${row.publishedAt ? `\tpublished ${row.publishedAt.toISOString()}` : ''}`,
          );
      return 0;
    }
    case 'script-diff': {
      const [from, to] = await Promise.all(
        [command.from, command.to].map((version) =>
          stored(deps, io, { scriptId: command.scriptId, version }),
        ),
      );
      if (from === undefined || to === undefined) return 2;
      const [a, b] = [parseScriptText(from), parseScriptText(to)];
      if (!a.ok || !b.ok) {
        io.err('A stored version does not parse; lint it first.');
        return 2;
      }
      const lines = diffScripts(a.script, b.script);
      if (lines.length === 0) io.out(`No differences between versions ${command.from} and ${command.to}.`);
      for (const line of lines) io.out(line);
      return 0;
    }
    case 'script-export': {
      const source = await stored(deps, io, command);
      if (source === undefined) return 2;
      await recordAuditAction(deps, {
        type: 'data.exported',
        actor,
        now,
        detail: { what: 'script', scriptId: command.scriptId, version: command.version },
      });
      io.out(source.replace(/\n$/, ''));
      return 0;
    }
  }
}

async function stored(
  deps: { prisma: PrismaClient },
  io: TIo,
  target: { scriptId: string; version: number },
): Promise<string | undefined> {
  const source = await scriptSource(deps, target);
  if (source === undefined)
    io.err(`No script "${target.scriptId}" version ${target.version} is stored (see script list).`);
  return source;
}

function reportPublish(io: TIo, outcome: Awaited<ReturnType<typeof publishScriptVersion>>): number {
  switch (outcome.type) {
    case 'published':
      io.out(
        `Published script "${outcome.scriptId}" version ${outcome.version}${outcome.retired === undefined ? '' : ` (version ${outcome.retired} retired)`}: new screenings start on it; screenings under way keep theirs.`,
      );
      return 0;
    case 'already-published':
      io.out(`Script "${outcome.scriptId}" version ${outcome.version} is already the published version.`);
      return 0;
    case 'not-found':
      io.err(`No script "${outcome.scriptId}" version ${outcome.version} is stored (see script list).`);
      return 2;
    case 'refused':
      printFindings(io, `${outcome.scriptId}@${outcome.version}`, outcome.findings);
      io.err(
        `Not published: version ${outcome.version} has ${outcome.findings.length} finding(s). Nothing changed.`,
      );
      return 1;
  }
}

function printFindings(io: TIo, where: string, findings: readonly TFinding[], write = io.err): void {
  for (const f of findings) write(`${where}:${f.line}:${f.col} ${f.code} ${f.message}`);
}
