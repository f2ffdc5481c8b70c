import { compareLevels, RISK_LEVELS, type TRiskLevel } from '../risk/level.ts';
import { wordsFor } from './answer.ts';
import { leavesOf } from './condition.ts';
import { formatPath, type TIssue } from './findings.ts';
import { edgesFrom, extremeRoute, indexQuestions, reachableFrom, startId, type TPath } from './graph.ts';
import {
  END,
  type TCondition,
  type TLocalizedText,
  type TOption,
  type TQuestion,
  type TScript,
} from './schema.ts';

/**
 * Checks what the schema cannot see on one part alone: references between parts, the flow from the first
 * question to the end, translations, score ranges and bands, that the level can only rise as answers score
 * higher, and that the imminent outcome can be reached. An empty list means the script is fit to publish.
 *
 * Each issue names a path in the script; {@link lintScriptText} turns paths into lines and columns.
 *
 * @example
 * const issues = lintScript(script);
 * // [{ code: 'unreachable_question', message: "'g_means' can never be asked", path: ['questions', 12, 'id'] }]
 */
export function lintScript(script: TScript): TIssue[] {
  const context = createContext(script);
  return [
    ...duplicateIssues(script),
    ...flowIssues(context),
    ...conditionIssues(context),
    ...translationIssues(script),
    ...ambiguityIssues(script),
    ...scoreIssues(context),
    ...bandIssues(script),
    ...criticalMonotonicIssues(script),
    ...imminentIssues(context),
    ...communityIssues(context),
  ];
}

/** The community picture's area must be a single-choice question the script has; theme ids, unique. */
function communityIssues({ script, index }: TContext): TIssue[] {
  const community = script.community;
  if (!community) return [];
  const issues = duplicates(
    community.themes,
    (theme) => theme.id,
    (t) => ['community', 'themes', t, 'id'],
    'theme',
  );
  if (community.area !== undefined) {
    const position = index.get(community.area);
    const question = position === undefined ? undefined : script.questions[position];
    if (question?.kind !== 'single_choice')
      issues.push({
        code: 'community_area',
        message: `the area question '${community.area}' must be a single-choice question of this script`,
        path: ['community', 'area'],
      });
  }
  return issues;
}

type TContext = {
  script: TScript;
  index: Map<string, number>;
  reachable: Set<string>;
  /** The lowest and highest total each indicator can reach along any route, conditions ignored. */
  totals: Map<string, { min: number; max: number }>;
};

function createContext(script: TScript): TContext {
  const index = indexQuestions(script);
  const start = startId(script);
  const totals = new Map<string, { min: number; max: number }>();
  for (const indicator of Object.keys(script.indicators)) {
    const points = (question: TQuestion, pick: (...values: number[]) => number) => {
      const options: readonly TOption[] = question.options;
      const values = options.map((option) => option.scores?.[indicator] ?? 0);
      // Typed free text scores nothing.
      return pick(...values, ...(question.kind === 'free_text' ? [0] : []));
    };
    totals.set(indicator, {
      min: extremeRoute(script, start, (q) => points(q, Math.min), 'min'),
      max: extremeRoute(script, start, (q) => points(q, Math.max), 'max'),
    });
  }
  return { script, index, reachable: reachableFrom(script, start), totals };
}

function duplicates<T>(
  items: readonly T[],
  key: (item: T) => string,
  path: (i: number) => TPath,
  what: string,
) {
  const seen = new Set<string>();
  const issues: TIssue[] = [];
  items.forEach((item, i) => {
    const id = key(item);
    if (seen.has(id))
      issues.push({ code: 'duplicate_id', message: `${what} '${id}' is used more than once`, path: path(i) });
    seen.add(id);
  });
  return issues;
}

function duplicateIssues(script: TScript): TIssue[] {
  return [
    ...duplicates(
      script.locales,
      (l) => l,
      (i) => ['locales', i],
      'locale',
    ),
    ...duplicates(
      script.questions,
      (q) => q.id,
      (i) => ['questions', i, 'id'],
      'question id',
    ),
    ...script.questions.flatMap((question, q) =>
      duplicates<TOption>(
        question.options,
        (o) => o.id,
        (i) => ['questions', q, 'options', i, 'id'],
        `in '${question.id}', option id`,
      ),
    ),
    ...Object.entries(script.indicators).flatMap(([id, indicator]) =>
      duplicates(
        indicator.bands,
        (b) => b.name,
        (i) => ['indicators', id, 'bands', i, 'name'],
        `in '${id}', band`,
      ),
    ),
    ...duplicates(
      script.critical,
      (r) => r.id,
      (i) => ['critical', i, 'id'],
      'critical rule id',
    ),
  ];
}

function flowIssues({ script, index, reachable }: TContext): TIssue[] {
  const issues: TIssue[] = [];
  if (script.start !== undefined && !index.has(script.start)) {
    issues.push({
      code: 'unknown_question',
      message: `start names '${script.start}', which is no question`,
      path: ['start'],
    });
  }
  script.questions.forEach((question, position) => {
    for (const edge of edgesFrom(script, position)) {
      if (edge.to === END || index.has(edge.to)) continue;
      const message = `'${question.id}' leads to '${edge.to}', which is no question; the conversation would stop there (use '${END}' to finish)`;
      issues.push({ code: 'dead_end', message, path: edge.path });
    }
    if (index.get(question.id) === position && !reachable.has(question.id)) {
      const message = `'${question.id}' can never be asked: no route from the start leads to it`;
      issues.push({ code: 'unreachable_question', message, path: ['questions', position, 'id'] });
    }
  });
  return [...issues, ...cycleIssues(script, index)];
}

function cycleIssues(script: TScript, index: Map<string, number>): TIssue[] {
  const issues: TIssue[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string) => {
    const position = index.get(id);
    if (position === undefined || done.has(id)) return;
    stack.push(id);
    for (const edge of edgesFrom(script, position)) {
      const loopStart = stack.indexOf(edge.to);
      if (loopStart >= 0) {
        const loop = [...stack.slice(loopStart), edge.to].join(' -> ');
        issues.push({ code: 'cycle', message: `the questions loop: ${loop}`, path: edge.path });
        continue;
      }
      visit(edge.to);
    }
    stack.pop();
    done.add(id);
  };
  for (const question of script.questions) visit(question.id);
  return issues;
}

type TLeafUse = { condition: TCondition; base: TPath; askedAt?: string };

function conditionUses(script: TScript): TLeafUse[] {
  return [
    ...script.questions.flatMap((question, q) =>
      question.branch.map((branch, b) => ({
        condition: branch.when,
        base: ['questions', q, 'branch', b, 'when'],
        askedAt: question.id,
      })),
    ),
    ...script.critical.map((rule, r) => ({ condition: rule.when, base: ['critical', r, 'when'] })),
    ...(script.community?.themes ?? []).map((theme, t) => ({
      condition: theme.when,
      base: ['community', 'themes', t, 'when'],
    })),
  ];
}

function conditionIssues({ script, index }: TContext): TIssue[] {
  const issues: TIssue[] = [];
  for (const { condition, base, askedAt } of conditionUses(script)) {
    for (const { leaf, path } of leavesOf(condition)) {
      const at = [...base, ...path];
      if ('score' in leaf) {
        if (!(leaf.score in script.indicators)) {
          const message = `the condition tests '${leaf.score}', which is no indicator`;
          issues.push({ code: 'unknown_indicator', message, path: [...at, 'score'] });
        }
        continue;
      }
      const position = index.get(leaf.answer);
      const question = position === undefined ? undefined : script.questions[position];
      if (question === undefined) {
        const message = `the condition tests '${leaf.answer}', which is no question`;
        issues.push({ code: 'unknown_question', message, path: [...at, 'answer'] });
        continue;
      }
      const options: readonly TOption[] = question.options;
      leaf.in.forEach((optionId, k) => {
        if (options.some((option) => option.id === optionId)) return;
        const message = `'${leaf.answer}' has no option '${optionId}'`;
        issues.push({ code: 'unknown_option', message, path: [...at, 'in', k] });
      });
      if (
        askedAt !== undefined &&
        leaf.answer !== askedAt &&
        !reachableFrom(script, leaf.answer).has(askedAt)
      ) {
        const message = `the branch of '${askedAt}' tests '${leaf.answer}', which is never answered before it`;
        issues.push({ code: 'condition_not_yet_answered', message, path: [...at, 'answer'] });
      }
    }
  }
  return issues;
}

function* localizedTexts(script: TScript): Generator<{ text: TLocalizedText; path: TPath }> {
  yield { text: script.title, path: ['title'] };
  for (const [id, indicator] of Object.entries(script.indicators)) {
    if (indicator.label) yield { text: indicator.label, path: ['indicators', id, 'label'] };
    for (const [b, band] of indicator.bands.entries()) {
      if (band.label) yield { text: band.label, path: ['indicators', id, 'bands', b, 'label'] };
    }
  }
  for (const [q, question] of script.questions.entries()) {
    if (question.label) yield { text: question.label, path: ['questions', q, 'label'] };
    if (question.intro) yield { text: question.intro, path: ['questions', q, 'intro'] };
    yield { text: question.text, path: ['questions', q, 'text'] };
    for (const [o, option] of (question.options as readonly TOption[]).entries()) {
      yield { text: option.label, path: ['questions', q, 'options', o, 'label'] };
    }
  }
  for (const [r, rule] of script.critical.entries()) {
    if (rule.label) yield { text: rule.label, path: ['critical', r, 'label'] };
  }
  for (const [t, theme] of (script.community?.themes ?? []).entries()) {
    yield { text: theme.label, path: ['community', 'themes', t, 'label'] };
  }
  for (const level of RISK_LEVELS) {
    const outcome = script.outcomes[level];
    if (outcome.title) yield { text: outcome.title, path: ['outcomes', level, 'title'] };
    yield { text: outcome.message, path: ['outcomes', level, 'message'] };
    for (const [k, resource] of outcome.resources.entries()) {
      yield { text: resource.title, path: ['outcomes', level, 'resources', k, 'title'] };
      if (resource.detail)
        yield { text: resource.detail, path: ['outcomes', level, 'resources', k, 'detail'] };
    }
  }
}

function translationIssues(script: TScript): TIssue[] {
  const issues: TIssue[] = [];
  const unknownLocales = (keys: string[], path: TPath) => {
    for (const key of keys.filter((k) => !script.locales.includes(k))) {
      const message = `'${key}' is not one of the script's locales (${script.locales.join(', ')})`;
      issues.push({ code: 'unknown_locale', message, path: [...path, key] });
    }
  };
  for (const { text, path } of localizedTexts(script)) {
    for (const locale of script.locales.filter((l) => text[l] === undefined)) {
      const message = `${formatPath(path)} is missing the ${locale} translation`;
      issues.push({ code: 'missing_translation', message, path });
    }
    unknownLocales(Object.keys(text), path);
  }
  script.questions.forEach((question, q) => {
    (question.options as readonly TOption[]).forEach((option, o) => {
      unknownLocales(Object.keys(option.aliases ?? {}), ['questions', q, 'options', o, 'aliases']);
    });
  });
  return issues;
}

function ambiguityIssues(script: TScript): TIssue[] {
  const issues: TIssue[] = [];
  script.questions.forEach((question, q) => {
    const options: readonly TOption[] = question.options;
    for (const locale of script.locales) {
      const owner = new Map<string, string>();
      options.forEach((option, o) => {
        for (const word of new Set(wordsFor(option, locale))) {
          const other = owner.get(word);
          if (other !== undefined && other !== option.id) {
            const message = `in '${question.id}', '${word}' (${locale}) names both '${other}' and '${option.id}'`;
            issues.push({ code: 'ambiguous_option', message, path: ['questions', q, 'options', o, 'label'] });
          }
          owner.set(word, option.id);
        }
      });
    }
    if (question.kind !== 'scale') return;
    const values = new Set<number>();
    question.options.forEach((option, o) => {
      if (values.has(option.value)) {
        const message = `in '${question.id}', the value ${option.value} is given to more than one option`;
        issues.push({ code: 'ambiguous_option', message, path: ['questions', q, 'options', o, 'value'] });
      }
      values.add(option.value);
    });
  });
  return issues;
}

function scoreIssues({ script, totals }: TContext): TIssue[] {
  const issues: TIssue[] = [];
  script.questions.forEach((question, q) => {
    (question.options as readonly TOption[]).forEach((option, o) => {
      for (const [id, points] of Object.entries(option.scores ?? {})) {
        const path = ['questions', q, 'options', o, 'scores', id];
        const indicator = script.indicators[id];
        if (indicator === undefined) {
          issues.push({ code: 'unknown_indicator', message: `'${id}' is no indicator`, path });
          continue;
        }
        if (points < indicator.min || points > indicator.max) {
          const message = `${points} points for '${id}' is outside its range ${indicator.min}-${indicator.max}`;
          issues.push({ code: 'score_out_of_range', message, path });
        }
      }
    });
  });
  for (const [id, indicator] of Object.entries(script.indicators)) {
    const reach = totals.get(id);
    if (reach === undefined) continue;
    if (reach.max > indicator.max) {
      const message = `answers can add up to ${reach.max} for '${id}', above its max ${indicator.max}`;
      issues.push({ code: 'total_out_of_range', message, path: ['indicators', id, 'max'] });
    }
    if (reach.min < indicator.min) {
      const message = `answers can add up to ${reach.min} for '${id}', below its min ${indicator.min}`;
      issues.push({ code: 'total_out_of_range', message, path: ['indicators', id, 'min'] });
    }
  }
  return issues;
}

function bandIssues(script: TScript): TIssue[] {
  const issues: TIssue[] = [];
  for (const [id, indicator] of Object.entries(script.indicators)) {
    const at = (b: number, field: string): TPath => ['indicators', id, 'bands', b, field];
    const sorted = indicator.bands.map((band, b) => ({ band, b })).sort((x, y) => x.band.min - y.band.min);
    let coveredTo = indicator.min - 1;
    let highest: TRiskLevel = 'none';
    for (const { band, b } of sorted) {
      if (band.min < indicator.min || band.max > indicator.max) {
        const message = `band '${band.name}' (${band.min}-${band.max}) reaches outside '${id}' (${indicator.min}-${indicator.max})`;
        issues.push({
          code: 'band_outside_range',
          message,
          path: at(b, band.min < indicator.min ? 'min' : 'max'),
        });
      }
      if (band.min > coveredTo + 1) {
        const message = `totals ${coveredTo + 1}-${band.min - 1} of '${id}' fall in no band`;
        issues.push({ code: 'band_gap', message, path: at(b, 'min') });
      } else if (band.min <= coveredTo) {
        const message = `band '${band.name}' starts at ${band.min}, inside the band before it (up to ${coveredTo})`;
        issues.push({ code: 'band_overlap', message, path: at(b, 'min') });
      }
      coveredTo = Math.max(coveredTo, band.max);
      if (compareLevels(band.level, highest) < 0) {
        const message = `band '${band.name}' of '${id}' has level ${band.level}, below the ${highest} of a lower band: a higher total would lower the level`;
        issues.push({ code: 'band_not_monotonic', message, path: at(b, 'level') });
      }
      if (compareLevels(band.level, highest) > 0) highest = band.level;
    }
    if (coveredTo < indicator.max) {
      const last = sorted[sorted.length - 1];
      const message = `totals ${coveredTo + 1}-${indicator.max} of '${id}' fall in no band`;
      issues.push({
        code: 'band_gap',
        message,
        path: last === undefined ? ['indicators', id] : at(last.b, 'max'),
      });
    }
  }
  return issues;
}

/** `a` scores at least as much as `b` on every indicator and more on one. */
function dominates(a: TOption, b: TOption): boolean {
  const indicators = new Set([...Object.keys(a.scores ?? {}), ...Object.keys(b.scores ?? {})]);
  let higher = false;
  for (const id of indicators) {
    const difference = (a.scores?.[id] ?? 0) - (b.scores?.[id] ?? 0);
    if (difference < 0) return false;
    if (difference > 0) higher = true;
  }
  return higher;
}

// A critical rule must not be escapable by scoring higher; otherwise a worse answer could lower the level.
function criticalMonotonicIssues(script: TScript): TIssue[] {
  const issues: TIssue[] = [];
  const index = indexQuestions(script);
  script.critical.forEach((rule, r) => {
    for (const { leaf, path, negated } of leavesOf(rule.when)) {
      const at = ['critical', r, 'when', ...path];
      if (negated) {
        const message = `critical rule '${rule.id}' uses 'not': a higher-scoring answer could switch it off`;
        issues.push({ code: 'critical_not_monotonic', message, path: at });
        continue;
      }
      if ('score' in leaf) {
        if (leaf.lte === undefined) continue;
        const message = `critical rule '${rule.id}' caps '${leaf.score}' with lte: a higher total could switch it off`;
        issues.push({ code: 'critical_not_monotonic', message, path: [...at, 'lte'] });
        continue;
      }
      const question = script.questions[index.get(leaf.answer) ?? -1];
      const options: readonly TOption[] = question?.options ?? [];
      const chosen = options.filter((option) => leaf.in.includes(option.id));
      const escapes = options
        .filter((option) => !leaf.in.includes(option.id))
        .flatMap((other) =>
          chosen.filter((option) => dominates(other, option)).map((option) => ({ other, option })),
        );
      const first = escapes[0];
      if (first === undefined) continue;
      const message = `critical rule '${rule.id}' fires on '${first.option.id}' but not on '${first.other.id}', which scores higher`;
      issues.push({ code: 'critical_not_monotonic', message, path: [...at, 'in'] });
    }
  });
  return issues;
}

/**
 * Whether the condition could hold on some run. Generous on purpose (answers on different routes may be
 * counted together, `not` is assumed satisfiable): it exists to catch a script with no crisis exit at all.
 */
function mayHold(condition: TCondition, context: TContext): boolean {
  if ('answer' in condition) {
    const question = context.script.questions[context.index.get(condition.answer) ?? -1];
    if (question === undefined || !context.reachable.has(question.id)) return false;
    return (question.options as readonly TOption[]).some((option) => condition.in.includes(option.id));
  }
  if ('score' in condition) {
    const reach = context.totals.get(condition.score);
    if (reach === undefined) return false;
    return (
      (condition.gte === undefined || reach.max >= condition.gte) &&
      (condition.lte === undefined || reach.min <= condition.lte)
    );
  }
  if ('all' in condition) return condition.all.every((part) => mayHold(part, context));
  if ('any' in condition) return condition.any.some((part) => mayHold(part, context));
  return true;
}

function imminentIssues(context: TContext): TIssue[] {
  const { script, totals } = context;
  const byRule = script.critical.some((rule) => rule.level === 'imminent' && mayHold(rule.when, context));
  const byBand = Object.entries(script.indicators).some(([id, indicator]) => {
    const reach = totals.get(id);
    return indicator.bands.some(
      (band) =>
        band.level === 'imminent' && reach !== undefined && band.min <= reach.max && band.max >= reach.min,
    );
  });
  if (byRule || byBand) return [];
  const message =
    'no answers lead to the imminent outcome: add a critical rule with level imminent (e.g. on an acute suicide item)';
  return [{ code: 'no_imminent_path', message, path: ['outcomes', 'imminent'] }];
}
