import type { TCrisisLevel, TCrisisReason, TCrisisSignals } from './crisis.ts';
import type { TModelReading } from './crisis-model.ts';
import type { TCrisisPatterns } from './crisis-patterns.ts';
import { normaliseText } from './normalise.ts';

/**
 * What the service already knows about the person writing, which makes a message read one level more
 * sensitively: an open case, or a recent screening that reached `high` or above (a positive suicide item,
 * serious distress, revenge thinking or "nothing left to lose" all do).
 */
export type TCrisisContext = { reason: 'open-case' | 'screening'; level: string };

const RANK: Readonly<Record<TCrisisLevel, number>> = { none: 0, concern: 1, high: 2, imminent: 3 };
const BY_RANK: readonly TCrisisLevel[] = ['none', 'concern', 'high', 'imminent'];

/**
 * One reading from the rules, the learned model and the context. The rules decide first: the model may
 * raise `none` or `concern` to what it proposes (`concern` or `high`, never `imminent`), and a rules reading of
 * `concern` to `high` when the model agrees (`agrees`: its P(high or imminent) reaches the lower agreement
 * threshold, chosen with the rules by cross-validation); then context raises
 * any reading one level (`concern` → `high`, `high` → `imminent`), so a model-only reading reaches `imminent`
 * only with context; and with context, a farewell cue (`contextCuesIn`) makes it `imminent`. Each step that
 * raised the level adds a reason the worker reads.
 *
 * @example
 * combineCrisisReadings(rules, readWithModel(model, text), { reason: 'open-case', level: 'high' });
 */
export function combineCrisisReadings(
  rules: TCrisisSignals,
  model: TModelReading | undefined,
  context: TCrisisContext | undefined,
  cues: readonly TCrisisReason[] = [],
  damper?: TCrisisReason,
): TCrisisSignals {
  let level = rules.level;
  const reasons: TCrisisReason[] = [...rules.reasons];
  const span = { start: 0, end: 0, text: '' };
  // Agreement: the rules read `concern` and the model's P(high or imminent) reaches its agreement threshold.
  let proposed = model?.agrees && level === 'concern' ? 'high' : model?.level;
  // Laughter or emoji marking hyperbole, or lawful action, and no threat the rules read `high`: the model
  // alone offers a worker at most (`concern`); it does not page anyone.
  const damped = damper !== undefined && proposed === 'high' && RANK[rules.level] < RANK.high;
  if (damped) proposed = 'concern';
  if (model && proposed && proposed !== 'none' && RANK[proposed] > RANK[level]) {
    const agreeing = !damped && proposed !== model.level;
    level = proposed;
    const high = model.probabilities.high + model.probabilities.imminent;
    const any = 1 - model.probabilities.none;
    reasons.push({
      id: agreeing ? 'model.agrees' : 'model',
      source: 'model',
      kind: rules.kind,
      level: proposed,
      explanation: agreeing
        ? `Learned model agrees with the rules: ${formatShare(high)} high or imminent, so read high`
        : damped
          ? `Learned model: ${formatShare(high)} high or imminent, read concern (${damper.explanation})`
          : `Learned model: ${formatShare(high)} high or imminent, ${formatShare(any)} any level`,
      span,
      model: { high: round(high), any: round(any) },
    });
  }
  if (context && level !== 'none' && level !== 'imminent') {
    level = BY_RANK[RANK[level] + 1] ?? level;
    reasons.push({
      id: `context.${context.reason}`,
      source: 'context',
      kind: rules.kind,
      level: level as Exclude<TCrisisLevel, 'none'>,
      explanation:
        context.reason === 'open-case'
          ? `Written while their ${context.level} case is open: read one level higher`
          : `After a screening that read ${context.level}: read one level higher`,
      span,
      context,
    });
  }
  if (context && cues.length > 0 && level !== 'imminent') {
    level = 'imminent';
    reasons.push(...cues, {
      id: 'context.farewell',
      source: 'context',
      kind: cues[0]?.kind ?? rules.kind,
      level: 'imminent',
      explanation: 'A farewell from someone already known to be at risk',
      span,
      context,
    });
  }
  if (level === rules.level) return rules;
  const kind = rules.kind ?? (context ? cues[0]?.kind : undefined) ?? null;
  return { ...rules, level, kind, reasons };
}

function round(probability: number): number {
  return Math.round(probability * 100) / 100;
}

function formatShare(probability: number): string {
  return `${Math.round(probability * 100)}%`;
}

/**
 * A laughter or emoji marker (`jocular`) or lawful action (`lawful`) in a message, from any locale's patterns:
 * what keeps the learned model alone from reading it `high` (see `combineCrisisReadings`). Undefined for most
 * messages.
 *
 * @example modelDamperIn(patterns, 'i\'ll kill my brother if he eats my leftovers 😂')?.id // 'joke.laughter'
 */
export function modelDamperIn(patterns: readonly TCrisisPatterns[], text: string): TCrisisReason | undefined {
  const normalised = normaliseText(text);
  for (const set of patterns) {
    for (const [cues, what] of [
      [set.jocular, 'marked as a joke'],
      [set.lawful, 'lawful action, no threat'],
    ] as const) {
      for (const cue of cues) {
        cue.regex.lastIndex = 0;
        const match = cue.regex.exec(normalised);
        // The rules share these regexes (global: `exec` moves `lastIndex`, which `matchAll` copies).
        cue.regex.lastIndex = 0;
        if (!match) continue;
        // Lawful action beside a time, means, plan or target is no reassurance ("after the hearing at 3").
        if (cues === set.lawful && hasIntensifier(patterns, normalised)) continue;
        return {
          id: cue.id,
          source: 'context',
          kind: null,
          level: 'concern',
          explanation: what,
          span: { start: match.index, end: match.index + match[0].length, text: match[0] },
        };
      }
    }
  }
  return undefined;
}

function hasIntensifier(patterns: readonly TCrisisPatterns[], normalised: string): boolean {
  return patterns.some((set) =>
    set.intensifiers.some((intensifier) => {
      intensifier.regex.lastIndex = 0;
      const found = intensifier.regex.test(normalised);
      intensifier.regex.lastIndex = 0;
      return found;
    }),
  );
}

/**
 * The farewell cues of every locale's patterns found in a message (see `contextCues` in the pattern files):
 * signals only for someone the service already worries about. Empty for almost every message.
 *
 * @example contextCuesIn(patterns, 'Thursday.') // [{ id: 'farewell.bare-day', … }]
 */
export function contextCuesIn(patterns: readonly TCrisisPatterns[], text: string): TCrisisReason[] {
  const normalised = normaliseText(text);
  const found: TCrisisReason[] = [];
  for (const set of patterns) {
    for (const cue of set.contextCues) {
      cue.regex.lastIndex = 0;
      const match = cue.regex.exec(normalised);
      if (!match) continue;
      found.push({
        id: cue.id,
        source: 'pattern',
        kind: cue.kind,
        level: 'imminent',
        explanation: cue.description,
        span: { start: match.index, end: match.index + match[0].length, text: match[0] },
      });
    }
  }
  return found;
}
