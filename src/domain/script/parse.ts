import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { formatPath, mergeSharedIssues, type TFinding, type TIssue } from './findings.ts';
import type { TPath } from './graph.ts';
import { type TScript, ZScript } from './schema.ts';

/** Scripts are a few dozen kilobytes; anything far larger is a mistake, refused before parsing. */
export const MAX_SCRIPT_CHARS = 512 * 1024;

/** Maps a path in the parsed script to its place in the YAML text. */
export type TLocate = (path: TPath) => { line: number; col: number };

/** Issues found on the parsed script as findings: located, and one per place ({@link mergeSharedIssues}). */
export type TToFindings = (issues: readonly TIssue[]) => TFinding[];

export type TParseResult =
  | { ok: true; script: TScript; locate: TLocate; toFindings: TToFindings }
  | { ok: false; findings: TFinding[]; locate: TLocate };

/**
 * Reads a script from YAML text and checks it against {@link ZScript}. Pure: it takes the text, not a file.
 * YAML and schema errors come back as findings with line and column; `locate` places later lint findings.
 *
 * @example
 * const parsed = parseScriptText(text);
 * if (!parsed.ok) io.err(parsed.findings.map((f) => `${f.line}:${f.col} ${f.code} ${f.message}`).join('\n'));
 */
export function parseScriptText(text: string): TParseResult {
  const start: TLocate = () => ({ line: 1, col: 1 });
  if (text.length > MAX_SCRIPT_CHARS) {
    const message = `the script is ${text.length} characters; the limit is ${MAX_SCRIPT_CHARS}`;
    return {
      ok: false,
      findings: [{ code: 'too_large', message, path: [], line: 1, col: 1 }],
      locate: start,
    };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, strict: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return line === 0 ? { line: 1, col: col + 1 } : { line, col };
  };
  const walk = walker(doc);
  const locate: TLocate = (path) => position(walk(path).offset);

  const syntax: TFinding[] = doc.errors.map((error) => ({
    code: 'yaml_syntax',
    message: `invalid YAML: ${error.message}`,
    path: [],
    ...position(error.pos[0]),
  }));
  // An alias must name an anchor set earlier in the document: one walk in document order, instead of
  // `Alias.resolve`'s walk of the whole document for each alias (60 → 44 ms a parse of the default script).
  const anchorsSoFar = new Set<string>();
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) {
        if (anchorsSoFar.has(node.source)) return;
        const message = `invalid YAML: the alias *${node.source} names no anchor`;
        syntax.push({ code: 'yaml_syntax', message, path: [], ...position(node.range?.[0] ?? 0) });
      } else if (node.anchor !== undefined) anchorsSoFar.add(node.anchor);
    },
  });
  if (syntax.length > 0) return { ok: false, findings: syntax, locate };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    const reason = error instanceof RangeError ? 'it is nested too deeply' : String(error);
    const message = `invalid YAML: ${reason}`;
    return { ok: false, findings: [{ code: 'yaml_syntax', message, path: [], line: 1, col: 1 }], locate };
  }

  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const message =
      'a script is a YAML mapping with id, version, title, locales, indicators, questions and outcomes';
    return { ok: false, findings: [{ code: 'invalid_value', message, path: [], ...locate([]) }], locate };
  }
  const toFindings: TToFindings = (issues) =>
    mergeSharedIssues(issues, (path) => walk(path).place, sharerName(data)).map((issue) => ({
      ...issue,
      ...locate(issue.path),
    }));
  const parsed = ZScript.safeParse(data);
  if (parsed.success) return { ok: true, script: parsed.data, locate, toFindings };
  const issues = parsed.error.issues.flatMap((issue) => schemaFindings(issue, data));
  return { ok: false, findings: toFindings(issues), locate };
}

/** Who uses a shared place, for the message: a question by its id, anything else by where it sits. */
function sharerName(data: unknown): (path: TPath) => string {
  return (path) => {
    const id = path[0] === 'questions' ? valueAt(data, [...path.slice(0, 2), 'id']) : undefined;
    return typeof id === 'string' ? `'${id}'` : formatPath(path.slice(0, 2));
  };
}

function schemaFindings(issue: z.core.$ZodIssue, data: unknown): TIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      code: 'unknown_field',
      message: `${describe(path)}unknown field '${key}'`,
      path: [...path, key],
    }));
  }
  const last = path[path.length - 1];
  if (path.length > 0 && valueAt(data, path) === undefined) {
    const hint = issue.code === 'invalid_union' ? ` (${issue.message})` : '';
    return [
      { code: 'missing_field', message: `${describe(path.slice(0, -1))}'${last}' is required${hint}`, path },
    ];
  }
  const detail =
    issue.code === 'invalid_key'
      ? `invalid key '${String(last)}': ${issue.issues[0]?.message}`
      : issue.message;
  return [{ code: 'invalid_value', message: `${describe(path)}${detail}`, path }];
}

function describe(path: TPath): string {
  return path.length === 0 ? '' : `${formatPath(path)}: `;
}

function valueAt(data: unknown, path: TPath): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/**
 * Walks the YAML tree along `path` to the deepest part that exists. `offset` is where it starts: a map
 * entry's key (so `scores.distress` points at `distress:`), or a list item. Aliases are followed to their
 * anchor, which is where a fix would go. `place` names that part and the rest of the path, the same for
 * every path that reaches it through an alias.
 */
function walker(doc: Document): (path: TPath) => { offset: number; place: string } {
  const ids = new Map<unknown, number>();
  const idOf = (part: unknown) => {
    const resolved = isAlias(part) ? part.resolve(doc) : part;
    if (!ids.has(resolved)) ids.set(resolved, ids.size);
    return ids.get(resolved);
  };
  return (path) => {
    let node: unknown = doc.contents;
    let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
    let reached: unknown = node;
    let walked = 0;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair === undefined) break;
        if (isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
        node = pair.value;
        reached = isNode(pair.value) ? pair.value : pair;
        walked += 1;
        continue;
      }
      if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!isNode(item)) break;
        offset = item.range?.[0] ?? offset;
        node = item;
        reached = item;
        walked += 1;
        continue;
      }
      break;
    }
    return { offset, place: `${idOf(reached)}:${JSON.stringify(path.slice(walked))}` };
  };
}
