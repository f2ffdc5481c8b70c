import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Crisis-pattern data: the schema admins write against, and its compilation into ready-to-run regexes.
 *
 * Patterns are data, not code, so a supervisor who hears a new local euphemism can add it to the locale's YAML
 * file without a release. Everything a file says is checked before the bot uses it: unknown keys, unknown
 * kinds or levels, duplicate ids, regexes that do not compile, and regexes whose nesting invites catastrophic
 * backtracking (the detector runs on every message, so one bad pattern must not stall the bot).
 */

export const CRISIS_KINDS = ['self', 'others'] as const;
export type TCrisisKind = (typeof CRISIS_KINDS)[number];

export const CRISIS_LEVELS = ['none', 'concern', 'high', 'imminent'] as const;
export type TCrisisLevel = (typeof CRISIS_LEVELS)[number];

/** What lifts a `concern` or `high` match to `imminent`: a plan, the means, a time, or (for harm to others) a target. */
export const INTENSIFIER_TYPES = ['plan', 'means', 'time', 'target'] as const;
export type TIntensifierType = (typeof INTENSIFIER_TYPES)[number];

/** Longest regex source accepted after macro and lexicon expansion; longer ones are almost certainly a mistake. */
const MAX_REGEX_LENGTH = 12000;
const MACRO_RE = /\{\{([A-Z][A-Z0-9_]*)\}\}/g;

const ZId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]*$/, 'ids use lower-case letters, digits, dots and dashes (e.g. "self.intent")');

/** One regex, or a list of alternatives joined with `|` (easier to read and to extend in YAML). */
const ZRegexSource = z.union([
  z.string().min(1, 'regex is empty'),
  z.array(z.string().min(1, 'regex alternative is empty')).min(1, 'regex list is empty'),
]);

const ZCue = z.strictObject({
  id: ZId,
  regex: ZRegexSource,
  description: z.string().min(1).optional(),
  /** Limit the cue to matches of these kinds (e.g. a bare "he" marks someone else's self-harm, not a threat). */
  kinds: z.array(z.enum(CRISIS_KINDS)).min(1).optional(),
});

const ZPattern = z.strictObject({
  id: ZId,
  kind: z.enum(CRISIS_KINDS),
  level: z.enum(['concern', 'high', 'imminent']),
  description: z.string().min(1, 'say what the pattern means, for the worker who sees it'),
  regex: ZRegexSource,
  /** The match only counts when one of these intensifier types is also present (for vague phrases). */
  requires: z.array(z.enum(INTENSIFIER_TYPES)).min(1).optional(),
  /** Which intensifier types may lift this `concern` pattern to `imminent` (default: all). */
  liftBy: z.array(z.enum(INTENSIFIER_TYPES)).optional(),
  /**
   * Ordinary use that explains the match away when it occurs in the same sentence (a rope "for the tarp",
   * charcoal "for the bbq"). Meant for the broad safety-net rules, whose vocabulary also names everyday things.
   */
  unless: ZRegexSource.optional(),
});

const ZContextCue = z.strictObject({
  id: ZId,
  kind: z.enum(CRISIS_KINDS),
  description: z.string().min(1, 'say what the cue means, for the worker who sees it'),
  regex: ZRegexSource,
});

const ZIdiom = z.strictObject({
  id: ZId,
  regex: ZRegexSource,
  description: z.string().min(1),
  /** `strong` always suppresses; `weak` (hyperbole) suppresses unless a plan, means, time or target is present. */
  strength: z.enum(['strong', 'weak']).default('strong'),
});

const ZIntensifier = z.strictObject({
  id: ZId,
  type: z.enum(INTENSIFIER_TYPES),
  kinds: z.array(z.enum(CRISIS_KINDS)).min(1),
  description: z.string().min(1),
  regex: ZRegexSource,
});

/**
 * A lexicon entry: a plain word or phrase, not a regex, so a supervisor can add "crowbar" or "老鼠药" without
 * knowing regex syntax. Matched literally (special characters are escaped) on normalised text.
 */
const ZLexiconTerm = z
  .string()
  .min(1, 'lexicon term is empty')
  .refine(
    (term) => term === term.trim() && !/\s{2,}/.test(term),
    'lexicon terms have no leading, trailing or double spaces',
  )
  .refine(
    (term) => term === term.toLowerCase(),
    'write lexicon terms in lower case (they match lower-cased text)',
  );

const ZCrisisPatternsShape = z.strictObject({
  locale: z.string().min(2),
  version: z.number().int().positive(),
  /**
   * What any of this file's rules needs in a message (its script, say): a message without it reads `none` at
   * once, unread. Every message is read by every locale's rules, so this halves the cost of each. Must be true
   * of every text a pattern can match.
   */
  reads: ZRegexSource.optional(),
  /**
   * Named word lists (harm acts, means, targets, plan cues, farewells…), each usable as `{{NAME}}` in any regex
   * or macro, where it matches any one of its terms. The broad vocabulary lives here; the regexes say how the
   * pieces combine.
   */
  lexicons: z
    .record(z.string(), z.array(ZLexiconTerm).min(1, 'a lexicon needs at least one term'))
    .superRefine((lexicons, ctx) => {
      for (const name of Object.keys(lexicons)) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'lexicon names are UPPER_SNAKE_CASE, like macros',
          });
        }
      }
    })
    .default({}),
  /** `{{NAME}}` in any regex is replaced by the macro's source (macros may use earlier macros). */
  macros: z
    .record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'macro names are UPPER_SNAKE_CASE'), ZRegexSource)
    .default({}),
  boundaries: z.strictObject({ sentence: ZRegexSource, clause: ZRegexSource }),
  patterns: z.array(ZPattern).min(1, 'a locale needs at least one pattern'),
  idioms: z.array(ZIdiom).default([]),
  negation: z.strictObject({
    /** How far before a match a negation cue may sit, in characters of normalised text (within the clause). */
    window: z.number().int().min(1).max(200),
    cues: z.array(ZCue),
    pseudo: z.array(ZCue).default([]),
  }),
  reported: z.strictObject({ cues: z.array(ZCue), firstPerson: z.array(ZCue) }),
  fiction: z.array(ZCue).default([]),
  past: z.strictObject({
    cues: z.array(ZCue),
    present: z.array(ZCue).default([]),
    resolved: z.array(ZCue).default([]),
  }),
  jocular: z.array(ZCue).default([]),
  /**
   * Lawful action taken or threatened (arbitration, suing, a complaint, a row): anger without a threat. With a
   * laughter or emoji marker (`jocular`), it keeps the learned model from reading a message `high` or above
   * on its own when the rules find no threat: the model may still offer a worker (`concern`).
   */
  lawful: z.array(ZCue).default([]),
  intensifiers: z.array(ZIntensifier).default([]),
  /**
   * Farewell cues that mean nothing alone ("Thursday.", "the letters are posted") but are `imminent` from
   * someone the service already worries about (an open case, a recent high screening): read only then.
   */
  contextCues: z.array(ZContextCue).default([]),
});

/**
 * The crisis-pattern file schema. Beyond shape, it compiles every regex (after macro expansion) and reports
 * the ones that fail or look prone to catastrophic backtracking, with their path and id.
 */
export const ZCrisisPatterns = ZCrisisPatternsShape.superRefine((doc, ctx) => {
  for (const [name, terms] of Object.entries(doc.lexicons)) {
    if (name in doc.macros) {
      ctx.addIssue({
        code: 'custom',
        path: ['lexicons', name],
        message: `"${name}" is both a lexicon and a macro; rename one`,
      });
    }
    const seenTerms = new Set<string>();
    terms.forEach((term, index) => {
      if (seenTerms.has(term))
        ctx.addIssue({
          code: 'custom',
          path: ['lexicons', name, index],
          message: `duplicate term "${term}"`,
        });
      seenTerms.add(term);
    });
  }
  const macros = expandMacros(
    doc.macros,
    (path, message) => ctx.addIssue({ code: 'custom', path, message }),
    doc.lexicons,
  );
  for (const { path, id, source } of regexFields(doc)) {
    const problem = checkRegex(source, macros);
    if (problem) ctx.addIssue({ code: 'custom', path, message: id ? `${problem} (id "${id}")` : problem });
  }
  const seen = new Map<string, string>();
  const idLists: Array<[string, Array<{ id: string }>]> = [
    ['patterns', doc.patterns],
    ['intensifiers', doc.intensifiers],
    ['idioms', doc.idioms],
    ['contextCues', doc.contextCues],
  ];
  for (const [list, items] of idLists) {
    items.forEach((item, index) => {
      const previous = seen.get(item.id);
      if (previous) {
        ctx.addIssue({
          code: 'custom',
          path: [list, index, 'id'],
          message: `duplicate id "${item.id}" (also ${previous})`,
        });
      }
      seen.set(item.id, `${list}[${index}]`);
    });
  }
});

export type TCrisisPatternsFile = z.input<typeof ZCrisisPatterns>;

export interface TCompiledCue {
  id: string;
  description: string | undefined;
  /** Kinds the cue applies to (all when the file does not say). */
  kinds: readonly TCrisisKind[];
  regex: RegExp;
}

export interface TCompiledPattern {
  id: string;
  kind: TCrisisKind;
  level: 'concern' | 'high' | 'imminent';
  description: string;
  regex: RegExp;
  requires: readonly TIntensifierType[] | undefined;
  liftBy: readonly TIntensifierType[];
  /** Ordinary use in the same sentence that explains the match away. */
  unless: RegExp | undefined;
}

export interface TCompiledIdiom extends TCompiledCue {
  strength: 'strong' | 'weak';
}

export interface TCompiledIntensifier {
  id: string;
  type: TIntensifierType;
  kinds: readonly TCrisisKind[];
  description: string;
  regex: RegExp;
}

/** Ready-to-run patterns for one locale. Build once at start-up with {@link parseCrisisPatterns}. */
export interface TCrisisPatterns {
  locale: string;
  version: number;
  /** A message this does not match is not read by these rules (see `reads` in the schema). */
  reads: RegExp | undefined;
  sentenceBoundary: RegExp;
  clauseBoundary: RegExp;
  patterns: readonly TCompiledPattern[];
  idioms: readonly TCompiledIdiom[];
  negation: { window: number; cues: readonly TCompiledCue[]; pseudo: readonly TCompiledCue[] };
  reported: { cues: readonly TCompiledCue[]; firstPerson: readonly TCompiledCue[] };
  fiction: readonly TCompiledCue[];
  past: {
    cues: readonly TCompiledCue[];
    present: readonly TCompiledCue[];
    resolved: readonly TCompiledCue[];
  };
  jocular: readonly TCompiledCue[];
  /** Lawful action without a threat: caps a model-only reading at `concern` (see `lawful` in the schema). */
  lawful: readonly TCompiledCue[];
  intensifiers: readonly TCompiledIntensifier[];
  contextCues: readonly TCompiledContextCue[];
  /** The word lists the rules combine, as written (and as added to at run time). */
  lexicons: Readonly<Record<string, readonly string[]>>;
}

export interface TCompiledContextCue {
  id: string;
  kind: TCrisisKind;
  description: string;
  regex: RegExp;
}

export type TParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/**
 * Parse and compile a crisis-patterns YAML document. Never throws: a malformed file yields every problem found,
 * each prefixed with its location, so an admin can fix them in one pass.
 *
 * @example
 * const result = parseCrisisPatterns(yamlText);
 * if (!result.ok) console.error(result.errors.join('\n'));
 * else detectCrisis('I want to die', result.value);
 */
export function parseCrisisPatterns(
  yamlText: string,
  lexiconAdditions: Readonly<Record<string, readonly string[]>> = {},
): TParseResult<TCrisisPatterns> {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (error) {
    return { ok: false, errors: [`YAML: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const merged = withLexiconAdditions(data, lexiconAdditions);
  return typeof merged === 'string' ? { ok: false, errors: [merged] } : compileCrisisPatterns(merged);
}

/**
 * The file's data with terms an admin added at run time appended to its word lists (`lexicons`): a list the
 * file does not have is an error; a term already there is not repeated.
 */
function withLexiconAdditions(
  data: unknown,
  additions: Readonly<Record<string, readonly string[]>>,
): unknown | string {
  const names = Object.keys(additions);
  if (names.length === 0) return data;
  const document = (typeof data === 'object' && data !== null ? data : {}) as {
    lexicons?: Record<string, string[]>;
  };
  const lexicons = { ...(document.lexicons ?? {}) };
  for (const name of names) {
    const terms = lexicons[name];
    if (!terms) return `lexicons: there is no word list "${name}" to add to`;
    lexicons[name] = [...terms, ...(additions[name] ?? []).filter((term) => !terms.includes(term))];
  }
  return { ...document, lexicons };
}

/** Validate already-parsed data (e.g. from an admin API body) and compile it. */
export function compileCrisisPatterns(data: unknown): TParseResult<TCrisisPatterns> {
  const parsed = ZCrisisPatterns.safeParse(data);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues) };
  const doc = parsed.data;
  const macros = expandMacros(doc.macros, () => {}, doc.lexicons);
  const compile = (source: string | string[]) => new RegExp(expand(joinAlternatives(source), macros), 'gu');
  const cues = (list: Array<z.output<typeof ZCue>>): TCompiledCue[] =>
    list.map((cue) => ({
      id: cue.id,
      description: cue.description,
      kinds: cue.kinds ?? CRISIS_KINDS,
      regex: compile(cue.regex),
    }));
  return {
    ok: true,
    value: {
      locale: doc.locale,
      version: doc.version,
      reads: doc.reads === undefined ? undefined : compile(doc.reads),
      sentenceBoundary: compile(doc.boundaries.sentence),
      clauseBoundary: compile(doc.boundaries.clause),
      patterns: doc.patterns.map((pattern) => ({
        id: pattern.id,
        kind: pattern.kind,
        level: pattern.level,
        description: pattern.description,
        regex: compile(pattern.regex),
        requires: pattern.requires,
        liftBy: pattern.liftBy ?? INTENSIFIER_TYPES,
        unless: pattern.unless === undefined ? undefined : compile(pattern.unless),
      })),
      idioms: doc.idioms.map((idiom) => ({
        id: idiom.id,
        description: idiom.description,
        kinds: CRISIS_KINDS,
        strength: idiom.strength,
        regex: compile(idiom.regex),
      })),
      negation: {
        window: doc.negation.window,
        cues: cues(doc.negation.cues),
        pseudo: cues(doc.negation.pseudo),
      },
      reported: { cues: cues(doc.reported.cues), firstPerson: cues(doc.reported.firstPerson) },
      fiction: cues(doc.fiction),
      past: { cues: cues(doc.past.cues), present: cues(doc.past.present), resolved: cues(doc.past.resolved) },
      jocular: cues(doc.jocular),
      lawful: cues(doc.lawful),
      intensifiers: doc.intensifiers.map((item) => ({
        id: item.id,
        type: item.type,
        kinds: item.kinds,
        description: item.description,
        regex: compile(item.regex),
      })),
      lexicons: doc.lexicons,
      contextCues: doc.contextCues.map((cue) => ({
        id: cue.id,
        kind: cue.kind,
        description: cue.description,
        regex: compile(cue.regex),
      })),
    },
  };
}

/**
 * Why a regex source is unacceptable, or `undefined` when it is fine. The backtracking check is a heuristic:
 * it rejects back-references and an unbounded quantifier applied to a group that itself contains one (`(a+)+`,
 * `(?:\w+ )*`), the shapes behind almost every catastrophic regex. Bounded repeats (`(?:\w+ ){0,3}`) are allowed.
 */
export function findRegexHazard(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source))
    return 'back-references are not allowed (they can make matching very slow)';
  const stack: boolean[] = [false];
  let index = 0;
  const quantifierAt = (at: number): { unbounded: boolean; max: number; length: number } | undefined => {
    const char = source[at];
    if (char === '*' || char === '+') return { unbounded: true, max: Number.POSITIVE_INFINITY, length: 1 };
    if (char === '?') return { unbounded: false, max: 1, length: 1 };
    if (char !== '{') return undefined;
    const brace = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
    if (!brace) return undefined;
    const max =
      brace[2] === undefined ? Number(brace[1]) : brace[3] ? Number(brace[3]) : Number.POSITIVE_INFINITY;
    return { unbounded: max === Number.POSITIVE_INFINITY, max, length: brace[0].length };
  };
  const markInner = (unbounded: boolean) => {
    if (unbounded) stack[stack.length - 1] = true;
  };
  while (index < source.length) {
    const char = source[index];
    if (char === '\\') {
      index += 2;
      const quantifier = quantifierAt(index);
      markInner(quantifier?.unbounded ?? false);
      if (quantifier) index += quantifier.length;
      continue;
    }
    if (char === '[') {
      index = skipClass(source, index);
      const quantifier = quantifierAt(index);
      markInner(quantifier?.unbounded ?? false);
      if (quantifier) index += quantifier.length;
      continue;
    }
    if (char === '(') {
      stack.push(false);
      index += 1;
      continue;
    }
    if (char === ')') {
      const innerUnbounded = stack.length > 1 ? (stack.pop() ?? false) : false;
      index += 1;
      const quantifier = quantifierAt(index);
      if (quantifier && innerUnbounded && (quantifier.unbounded || quantifier.max > 20)) {
        return 'a repeated group contains an unbounded repeat, e.g. (a+)+ or (?:\\w+ )* (catastrophic backtracking risk); bound it, e.g. (?:\\w+ ){0,3}';
      }
      markInner(innerUnbounded || (quantifier?.unbounded ?? false));
      if (quantifier) index += quantifier.length;
      continue;
    }
    index += 1;
    const quantifier = quantifierAt(index);
    markInner(quantifier?.unbounded ?? false);
    if (quantifier) index += quantifier.length;
  }
  return undefined;
}

function skipClass(source: string, start: number): number {
  let index = start + 1;
  if (source[index] === '^') index += 1;
  if (source[index] === ']') index += 1;
  while (index < source.length && source[index] !== ']') index += source[index] === '\\' ? 2 : 1;
  return index + 1;
}

function checkRegex(source: string | string[], macros: ReadonlyMap<string, string>): string | undefined {
  const joined = joinAlternatives(source);
  const unknown = [...joined.matchAll(MACRO_RE)].map((m) => m[1]).filter((name) => name && !macros.has(name));
  if (unknown.length > 0) return `unknown macro ${unknown.map((name) => `{{${name}}}`).join(', ')}`;
  const expanded = expand(joined, macros);
  if (expanded.length > MAX_REGEX_LENGTH)
    return `regex is too long (${expanded.length} > ${MAX_REGEX_LENGTH} characters)`;
  const letters = expanded.replace(/\\[pP]\{[^}]*\}|\\./g, '');
  if (/[A-Z]/.test(letters)) {
    return 'write letters in lower case: patterns run on lower-cased text (upper-case escapes like \\W are fine)';
  }
  try {
    const regex = new RegExp(expanded, 'gu');
    if (regex.test('')) return 'regex matches the empty string, so it would match every message';
  } catch (error) {
    return `invalid regex: ${error instanceof Error ? error.message : String(error)}`;
  }
  return findRegexHazard(expanded);
}

function joinAlternatives(source: string | string[]): string {
  return typeof source === 'string' ? source : source.map((alternative) => `(?:${alternative})`).join('|');
}

function expand(source: string, macros: ReadonlyMap<string, string>): string {
  return source.replace(MACRO_RE, (whole, name: string) => macros.get(name) ?? whole);
}

/**
 * Expand macros in declaration order; a macro may only use lexicons and macros declared before it, so there are
 * no cycles. Lexicons come first: each becomes an alternation of its escaped terms, longest first (so "gas can"
 * wins over "gas"), with any run of spaces in a term matching one space.
 */
function expandMacros(
  raw: Record<string, string | string[]>,
  report: (path: Array<string | number>, message: string) => void,
  lexicons: Record<string, string[]> = {},
): Map<string, string> {
  const macros = new Map<string, string>();
  for (const [name, terms] of Object.entries(lexicons)) {
    const sorted = [...new Set(terms)].sort((a, b) => b.length - a.length);
    macros.set(name, `(?:${sorted.map(escapeTerm).join('|')})`);
  }
  for (const [name, source] of Object.entries(raw)) {
    const joined = joinAlternatives(source);
    for (const match of joined.matchAll(MACRO_RE)) {
      const used = match[1];
      if (used && !macros.has(used)) {
        report(['macros', name], `macro {{${used}}} is unknown or declared after ${name}`);
      }
    }
    macros.set(name, `(?:${expand(joined, macros)})`);
  }
  return macros;
}

function escapeTerm(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function* regexFields(
  doc: z.output<typeof ZCrisisPatternsShape>,
): Generator<{ path: Array<string | number>; id?: string; source: string | string[] }> {
  if (doc.reads !== undefined) yield { path: ['reads'], source: doc.reads };
  yield { path: ['boundaries', 'sentence'], source: doc.boundaries.sentence };
  yield { path: ['boundaries', 'clause'], source: doc.boundaries.clause };
  const lists: Array<[Array<string | number>, Array<{ id: string; regex: string | string[] }>]> = [
    [['patterns'], doc.patterns],
    [['idioms'], doc.idioms],
    [['negation', 'cues'], doc.negation.cues],
    [['negation', 'pseudo'], doc.negation.pseudo],
    [['reported', 'cues'], doc.reported.cues],
    [['reported', 'firstPerson'], doc.reported.firstPerson],
    [['fiction'], doc.fiction],
    [['past', 'cues'], doc.past.cues],
    [['past', 'present'], doc.past.present],
    [['past', 'resolved'], doc.past.resolved],
    [['jocular'], doc.jocular],
    [['lawful'], doc.lawful],
    [['intensifiers'], doc.intensifiers],
    [['contextCues'], doc.contextCues],
  ];
  for (const [path, items] of lists) {
    for (const [index, item] of items.entries()) {
      yield { path: [...path, index, 'regex'], id: item.id, source: item.regex };
    }
  }
  for (const [index, pattern] of doc.patterns.entries()) {
    if (pattern.unless) yield { path: ['patterns', index, 'unless'], id: pattern.id, source: pattern.unless };
  }
}

function formatIssues(issues: z.ZodError['issues']): string[] {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(file)';
    return `${where}: ${issue.message}`;
  });
}
