import type {
  TCompiledCue,
  TCompiledIdiom,
  TCompiledIntensifier,
  TCompiledPattern,
  TCrisisKind,
  TCrisisLevel,
  TCrisisPatterns,
  TIntensifierType,
} from './crisis-patterns.ts';
import { normaliseText } from './normalise.ts';

/**
 * Crisis-language detection for one free-text message, in every conversation state.
 *
 * Pipeline: normalisation → pattern matching → modifiers → decision. Patterns (from the locale's data file)
 * propose matches; modifiers then explain some of them away (negation in the same clause, an idiom over the
 * match, someone else as the subject, a film or game, ideation that is past and resolved, a joke) or lift them
 * (`concern` or `high` → `imminent` when a plan, means, time or target is present). A pattern may also name an ordinary
 * use (`unless`) that explains its words away in the same sentence (a rope for a tarp). The output is a set of
 * signals with reasons for a trained worker, never a verdict on a person.
 */

export type { TCrisisKind, TCrisisLevel } from './crisis-patterns.ts';

/** Longer input is cut before matching; Telegram messages are at most 4,096 characters. */
export const MAX_CRISIS_INPUT = 8192;

/** A stretch of the normalised text (offsets are UTF-16 indices into `normalisedText`). */
export interface TTextSpan {
  start: number;
  end: number;
  text: string;
}

/** One reason behind the level, shown to the worker: what matched, where, and what it means. */
export interface TCrisisReason {
  /**
   * Pattern or intensifier id from the locale file; `context.past` / `context.jocular` (a cap);
   * `context.open-case` / `context.screening` (what the service knew raised it); `model`.
   */
  id: string;
  source: 'pattern' | 'intensifier' | 'context' | 'model';
  kind: TCrisisKind | null;
  /** The level this reason supports (`concern` for a context note that capped a match). */
  level: Exclude<TCrisisLevel, 'none'>;
  explanation: string;
  span: TTextSpan;
  /** An intensifier's type, and whether it lifted the match to imminent: workers read these in their language. */
  intensifier?: { type: TIntensifierType; lifts: boolean };
  /**
   * The explanation in each locale whose pattern file knows this id (added by the reader that ran every
   * locale's patterns), so a worker reads it in their own language whatever language the resident wrote in.
   */
  wordings?: Readonly<Record<string, string>>;
  /** The learned model's reading, when it raised the level: P(high or imminent) and P(any level). */
  model?: { high: number; any: number };
  /** What the service knew that raised the level: an open case, or a screening, and its level. */
  context?: { reason: 'open-case' | 'screening'; level: string };
}

export type TSuppressionCause =
  | 'negated'
  | 'idiom'
  | 'reported'
  | 'fiction'
  | 'ordinary-use'
  | 'past-resolved'
  | 'jocular';

/** A pattern that matched but was explained away; kept so a worker or an admin can see why. */
export interface TCrisisSuppression {
  patternId: string;
  kind: TCrisisKind;
  span: TTextSpan;
  cause: TSuppressionCause;
  /** The cue that explained it away (a negation, idiom, …), when there was one. */
  cue: { id: string; span: TTextSpan } | undefined;
}

/**
 * Crisis signals for one message. Holds message text (spans, `normalisedText`): store it like message text
 * (encrypted) and never log it.
 */
export interface TCrisisSignals {
  type: 'crisis-signals';
  locale: string;
  patternsVersion: number;
  level: TCrisisLevel;
  /** Kind behind the level; when both kinds reach it, `others` (harm to other people changes who must act). */
  kind: TCrisisKind | null;
  /** Every kind with an active match, for the worker. */
  kinds: TCrisisKind[];
  /** Active matches and what lifted or capped them, in text order. Empty when the level is `none`. */
  reasons: TCrisisReason[];
  suppressed: TCrisisSuppression[];
  normalisedText: string;
}

interface TFound extends TTextSpan {
  id: string;
}

interface TRange {
  start: number;
  end: number;
}

interface TActiveIntensifier {
  intensifier: TCompiledIntensifier;
  span: TFound;
}

/**
 * Detect crisis language in one message with a locale's compiled patterns. The bot calls it on every message a
 * resident sends, in every state, and escalates on `imminent`. Pure, never throws, and fast enough for that
 * (about 0.1–0.2 ms for a typical message; most messages match no pattern and stop after the first pass).
 *
 * @example
 * const loaded = loadCrisisPatterns('en'); // once, at start-up (src/services/load-risk-data.ts)
 * if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
 * const signals = detectCrisis("I've got the pills and I'm taking them tonight", loaded.value);
 * signals.level; // 'imminent'
 * signals.kind; // 'self'
 * signals.reasons.map((r) => r.id); // ['means.drugs', 'self.use-means', 'time.soon']
 */
export function detectCrisis(text: string, patterns: TCrisisPatterns): TCrisisSignals {
  const normalisedText = normaliseText(
    text.length > MAX_CRISIS_INPUT ? text.slice(0, MAX_CRISIS_INPUT) : text,
  );
  const empty: TCrisisSignals = {
    type: 'crisis-signals',
    locale: patterns.locale,
    patternsVersion: patterns.version,
    level: 'none',
    kind: null,
    kinds: [],
    reasons: [],
    suppressed: [],
    normalisedText,
  };
  if (normalisedText === '' || (patterns.reads && normalisedText.search(patterns.reads) === -1)) return empty;

  const candidates: Array<{ pattern: TCompiledPattern; span: TFound }> = [];
  for (const pattern of patterns.patterns) {
    for (const span of findAll(pattern.regex, normalisedText, pattern.id)) candidates.push({ pattern, span });
  }
  if (candidates.length === 0) return empty;

  const context = new DetectionContext(normalisedText, patterns);
  const intensifiers = context.activeIntensifiers();
  const reasons: TCrisisReason[] = [];
  const suppressed: TCrisisSuppression[] = [];
  const levelByKind = new Map<TCrisisKind, TCrisisLevel>();

  for (const { pattern, span } of candidates) {
    // A joke frames its own sentence: laughter after one message's news does not make the next one light.
    const jocular = context.cueInSentence(patterns.jocular, span);
    const applicable = intensifiers.filter((item) => item.intensifier.kinds.includes(pattern.kind));
    if (pattern.requires && !applicable.some((item) => pattern.requires?.includes(item.intensifier.type)))
      continue;
    const suppress = (cause: TSuppressionCause, cue?: TFound) =>
      suppressed.push({
        patternId: pattern.id,
        kind: pattern.kind,
        span: toSpan(span),
        cause,
        cue: cue && toCue(cue),
      });

    const idiom = context.idiomOver(span, applicable.length > 0);
    if (idiom) {
      suppress('idiom', idiom);
      continue;
    }
    const negation = context.negationBefore(span);
    if (negation) {
      suppress('negated', negation);
      continue;
    }
    const reporter = context.reportedSubject(span, pattern.kind);
    if (reporter) {
      suppress('reported', reporter);
      continue;
    }
    const fiction = context.fictionIn(span);
    if (fiction) {
      suppress('fiction', fiction);
      continue;
    }
    const ordinary = pattern.unless && context.inSentence(pattern.unless, span, pattern.id);
    if (ordinary) {
      suppress('ordinary-use', ordinary);
      continue;
    }
    const past = context.pastContext(span);
    if (past) {
      const resolved = context.firstCue(patterns.past.resolved);
      if (resolved) {
        suppress('past-resolved', resolved);
        continue;
      }
    }

    // An intensifier inside the match itself ("hold the knife to my wrist") is already part of what it means.
    const lifts = firstPerId(
      applicable.filter(
        (item) => pattern.liftBy.includes(item.intensifier.type) && !overlaps(item.span, span),
      ),
    );
    if (jocular && lifts.length === 0 && pattern.kind === 'others') {
      suppress('jocular', jocular);
      continue;
    }

    let level: Exclude<TCrisisLevel, 'none'> = pattern.level;
    const notes: TCrisisReason[] = [];
    const lifted = !past && !(jocular && lifts.length === 0) && level !== 'imminent' && lifts.length > 0;
    if (past) {
      level = 'concern';
      notes.push(contextReason('context.past', pattern.kind, 'Told as in the past: capped at concern', past));
    } else if (jocular && lifts.length === 0) {
      level = 'concern';
      notes.push(
        contextReason('context.jocular', pattern.kind, 'Framed as a joke: capped at concern', jocular),
      );
    } else {
      if (lifted) level = 'imminent';
      // Every plan, means, time or target beside the match is a signal the worker should see.
      for (const { intensifier, span: found } of firstPerId(
        applicable.filter((item) => !overlaps(item.span, span)),
      )) {
        const lifting = lifted && lifts.some((item) => item.intensifier.id === intensifier.id);
        notes.push({
          id: intensifier.id,
          source: 'intensifier',
          kind: pattern.kind,
          level,
          explanation: `${intensifier.description} (${intensifier.type}${lifting ? ': lifts to imminent' : ''})`,
          span: toSpan(found),
          intensifier: { type: intensifier.type, lifts: lifting },
        });
      }
    }
    reasons.push(
      {
        id: pattern.id,
        source: 'pattern',
        kind: pattern.kind,
        level,
        explanation: pattern.description,
        span: toSpan(span),
      },
      ...notes,
    );
    if (rank(level) > rank(levelByKind.get(pattern.kind) ?? 'none')) levelByKind.set(pattern.kind, level);
  }

  const selfLevel = levelByKind.get('self') ?? 'none';
  const othersLevel = levelByKind.get('others') ?? 'none';
  const level = rank(othersLevel) >= rank(selfLevel) ? othersLevel : selfLevel;
  const kind: TCrisisKind | null = level === 'none' ? null : level === othersLevel ? 'others' : 'self';
  return {
    ...empty,
    level,
    kind,
    kinds: [...levelByKind.keys()].sort(),
    reasons: dedupeReasons(reasons),
    suppressed,
  };
}

/**
 * Whether a message at this level reaches a person now: `high` and `imminent` give the emergency numbers and
 * open (or raise) a case that is paged; `concern` offers a worker.
 */
export function isEscalatingLevel(level: TCrisisLevel): level is 'high' | 'imminent' {
  return level === 'high' || level === 'imminent';
}

/** One line per reason, for logs-free places that show text: the CLI and the worker's case view. */
export function describeCrisisReason(reason: TCrisisReason): string {
  // The model and the context read the whole message: no span of it to quote.
  if (reason.span.text === '') return `${reason.id}: ${reason.explanation}`;
  return `${reason.id}: ${reason.explanation} [${JSON.stringify(reason.span.text)}]`;
}

const LEVEL_RANK: Readonly<Record<TCrisisLevel, number>> = { none: 0, concern: 1, high: 2, imminent: 3 };

function rank(level: TCrisisLevel): number {
  return LEVEL_RANK[level];
}

/** Lazily computed views of one normalised message, shared by all candidate matches. */
class DetectionContext {
  readonly #text: string;
  readonly #patterns: TCrisisPatterns;
  readonly #sentences: TRange[];
  readonly #clauses: TRange[];
  readonly #cache = new Map<readonly TCompiledCue[], TFound[]>();
  #idioms: Array<{ idiom: TCompiledIdiom; found: TFound }> | undefined;

  constructor(text: string, patterns: TCrisisPatterns) {
    this.#text = text;
    this.#patterns = patterns;
    const sentenceBreaks = findAll(patterns.sentenceBoundary, text, 'sentence');
    this.#sentences = split(text.length, sentenceBreaks);
    this.#clauses = split(text.length, [
      ...sentenceBreaks,
      ...findAll(patterns.clauseBoundary, text, 'clause'),
    ]);
  }

  /** Every intensifier occurrence not itself negated, fictional or inside a strong idiom ("end of my rope"). */
  activeIntensifiers(): TActiveIntensifier[] {
    const active: TActiveIntensifier[] = [];
    for (const intensifier of this.#patterns.intensifiers) {
      for (const span of findAll(intensifier.regex, this.#text, intensifier.id)) {
        if (
          this.#idiomMatches().some(
            ({ idiom, found }) => idiom.strength === 'strong' && overlaps(found, span),
          )
        ) {
          continue;
        }
        if (this.negationBefore(span)) continue;
        if (this.fictionIn(span)) continue;
        active.push({ intensifier, span });
      }
    }
    return active;
  }

  firstCue(cues: readonly TCompiledCue[]): TFound | undefined {
    return this.#all(cues)[0];
  }

  /** An idiom over the span; a weak one (hyperbole) only counts when no intensifier backs the match. */
  idiomOver(span: TRange, hasIntensifier: boolean): TFound | undefined {
    return this.#idiomMatches().find(
      ({ idiom, found }) => !(idiom.strength === 'weak' && hasIntensifier) && overlaps(found, span),
    )?.found;
  }

  /** A negation cue shortly before the span in the same clause, unless it is part of a pseudo-negation. */
  negationBefore(span: TRange): TFound | undefined {
    const clause = rangeAt(this.#clauses, span.start);
    const from = Math.max(clause.start, span.start - this.#patterns.negation.window);
    if (from >= span.start) return undefined;
    const window = this.#text.slice(from, span.start);
    const pseudo = this.#all(this.#patterns.negation.pseudo);
    for (const cue of this.#patterns.negation.cues) {
      for (const found of findAll(cue.regex, window, cue.id, from)) {
        if (!pseudo.some((p) => p.start <= found.start && p.end >= found.end)) return found;
      }
    }
    return undefined;
  }

  /** Someone else is the subject: a third-person cue earlier in the clause, with no first person after it. */
  reportedSubject(span: TRange, kind: TCrisisKind): TFound | undefined {
    const clause = rangeAt(this.#clauses, span.start);
    const applies = new Set(
      this.#patterns.reported.cues.filter((cue) => cue.kinds.includes(kind)).map((cue) => cue.id),
    );
    let last: TFound | undefined;
    for (const cue of this.#all(this.#patterns.reported.cues)) {
      if (!applies.has(cue.id)) continue;
      if (cue.start >= clause.start && cue.end <= span.start && (!last || cue.end > last.end)) last = cue;
    }
    if (!last) return undefined;
    const anchor = last;
    const firstPerson = this.#all(this.#patterns.reported.firstPerson).some(
      (cue) => cue.start >= anchor.end && cue.start < span.end,
    );
    return firstPerson ? undefined : anchor;
  }

  /** The first of `cues` in the sentence holding the span. */
  cueInSentence(cues: readonly TCompiledCue[], span: TRange): TFound | undefined {
    const sentence = rangeAt(this.#sentences, span.start);
    return this.#all(cues).find((cue) => cue.start >= sentence.start && cue.end <= sentence.end);
  }

  /** The first match of `regex` in the sentence holding the span (a pattern's `unless`: ordinary use). */
  inSentence(regex: RegExp, span: TRange, id: string): TFound | undefined {
    const sentence = rangeAt(this.#sentences, span.start);
    return findAll(regex, this.#text.slice(sentence.start, sentence.end), id, sentence.start)[0];
  }

  /**
   * A media cue in the span's clause ("a film where he kills himself"), or anywhere in its sentence when the
   * span is quoted ("'I wanna die' is the chorus of that song"): quotation marks end a clause, not the quote's source.
   */
  fictionIn(span: TRange): TFound | undefined {
    const sentence = rangeAt(this.#sentences, span.start);
    const scope = this.#isQuoted(span, sentence) ? sentence : rangeAt(this.#clauses, span.start);
    return this.#all(this.#patterns.fiction).find((cue) => cue.start >= scope.start && cue.end <= scope.end);
  }

  /** Whether the span sits between two quotation marks of its sentence. */
  #isQuoted(span: TRange, sentence: TRange): boolean {
    const before = this.#text.lastIndexOf('"', span.start - 1);
    const after = this.#text.indexOf('"', span.end);
    return before >= sentence.start && after !== -1 && after < sentence.end;
  }

  /**
   * A past-time cue in the same sentence before the span with no present-time marker in between ("years ago I
   * wanted to die"), after it in the same clause ("I cut myself when I was a teenager"), or inside it.
   */
  pastContext(span: TRange): TFound | undefined {
    const sentence = rangeAt(this.#sentences, span.start);
    const clause = rangeAt(this.#clauses, span.start);
    const present = this.#all(this.#patterns.past.present);
    for (const cue of this.#all(this.#patterns.past.cues)) {
      if (overlaps(cue, span)) return cue;
      if (cue.start >= span.end && cue.start < clause.end) return cue;
      if (cue.start >= sentence.start && cue.end <= span.start) {
        const interrupted = present.some((marker) => marker.start >= cue.end && marker.end <= span.start);
        if (!interrupted) return cue;
      }
    }
    return undefined;
  }

  #idiomMatches(): Array<{ idiom: TCompiledIdiom; found: TFound }> {
    this.#idioms ??= this.#patterns.idioms.flatMap((idiom) =>
      findAll(idiom.regex, this.#text, idiom.id).map((found) => ({ idiom, found })),
    );
    return this.#idioms;
  }

  #all(cues: readonly TCompiledCue[]): TFound[] {
    const cached = this.#cache.get(cues);
    if (cached) return cached;
    const found = cues
      .flatMap((cue) => findAll(cue.regex, this.#text, cue.id))
      .sort((a, b) => a.start - b.start);
    this.#cache.set(cues, found);
    return found;
  }
}

function firstPerId(items: readonly TActiveIntensifier[]): TActiveIntensifier[] {
  const seen = new Set<string>();
  return items.filter((item) => !seen.has(item.intensifier.id) && seen.add(item.intensifier.id));
}

/**
 * Every non-empty match, as `text.matchAll(regex)` finds them. `matchAll` copies the regex on every call, which
 * for these long patterns cost more than the matching; this runs the pattern's own `exec` from index 0 and
 * leaves its `lastIndex` at 0 again (nothing can run in between: there is no await).
 */
export function findAll(regex: RegExp, text: string, id: string, offset = 0): TFound[] {
  if (!regex.global) throw new TypeError(`pattern ${id} must have the g flag`);
  const found: TFound[] = [];
  regex.lastIndex = 0;
  try {
    for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
      if (match[0] === '') {
        regex.lastIndex = nextIndex(text, regex.lastIndex, regex.unicode);
        continue;
      }
      const start = match.index + offset;
      found.push({ id, start, end: start + match[0].length, text: match[0] });
    }
  } finally {
    regex.lastIndex = 0;
  }
  return found;
}

/** Past an empty match, one character on: a whole surrogate pair under the u flag (as `matchAll` does). */
function nextIndex(text: string, index: number, isUnicode: boolean): number {
  if (!isUnicode || index + 1 >= text.length) return index + 1;
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? index + 2 : index + 1;
}

/** Ranges between boundary matches; each range keeps its text only (boundaries belong to no range). */
function split(length: number, breaks: readonly TRange[]): TRange[] {
  const sorted = [...breaks].sort((a, b) => a.start - b.start);
  const ranges: TRange[] = [];
  let start = 0;
  for (const boundary of sorted) {
    if (boundary.start < start) {
      start = Math.max(start, boundary.end);
      continue;
    }
    ranges.push({ start, end: boundary.start });
    start = boundary.end;
  }
  ranges.push({ start, end: length });
  return ranges;
}

function rangeAt(ranges: readonly TRange[], position: number): TRange {
  for (const range of ranges) if (position >= range.start && position < range.end) return range;
  // A match may start on a boundary character (e.g. a pattern that begins with punctuation): use its own spot.
  return { start: position, end: position };
}

function overlaps(a: TRange, b: TRange): boolean {
  return a.start < b.end && b.start < a.end;
}

function toSpan(found: TFound): TTextSpan {
  return { start: found.start, end: found.end, text: found.text };
}

function toCue(found: TFound): { id: string; span: TTextSpan } {
  return { id: found.id, span: toSpan(found) };
}

function contextReason(id: string, kind: TCrisisKind, explanation: string, cue: TFound): TCrisisReason {
  return {
    id,
    source: 'context',
    kind,
    level: 'concern',
    explanation: `${explanation} (cue ${cue.id})`,
    span: toSpan(cue),
  };
}

function dedupeReasons(reasons: readonly TCrisisReason[]): TCrisisReason[] {
  const seen = new Set<string>();
  const unique: TCrisisReason[] = [];
  for (const reason of reasons) {
    const key = `${reason.id}@${reason.span.start}-${reason.span.end}@${reason.level}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(reason);
  }
  return unique.sort((a, b) => a.span.start - b.span.start);
}
