import { compareLevels, maxLevel, type TRiskLevel } from '../risk/level.ts';
import type { TAnswers } from './answer.ts';
import { evidenceFor, holds, type TEvidence } from './condition.ts';
import type { TBand, TIndicator, TOption, TScript } from './schema.ts';
import { localize } from './text.ts';

/** Points one answer gave one indicator. */
export type TContribution = { questionId: string; optionId: string; points: number };

export type TIndicatorScore = {
  total: number;
  min: number;
  max: number;
  band: string;
  level: TRiskLevel;
  /** The answers that gave points, in script order. */
  contributions: TContribution[];
};

/**
 * One reason behind the level, for the worker and the audit trail: an indicator's band, or a critical rule
 * with the answers and totals that triggered it.
 */
export type TExplanation =
  | {
      kind: 'band';
      indicator: string;
      total: number;
      band: string;
      level: TRiskLevel;
      answers: TContribution[];
    }
  | { kind: 'critical'; rule: string; level: TRiskLevel; because: TEvidence[] };

export type TScoring = {
  /** The highest level among the bands and the critical rules that hold. */
  level: TRiskLevel;
  scores: Record<string, TIndicatorScore>;
  /** Every band and every critical rule that holds, highest level first. */
  explanation: TExplanation[];
};

/** A critical rule that holds on the answers so far. */
export type TCriticalHit = { rule: string; level: TRiskLevel; because: TEvidence[] };

/** The option chosen for each answered question, in script order; free text and unknown ids are skipped. */
function chosenOptions(script: TScript, answers: TAnswers): Array<{ questionId: string; option: TOption }> {
  const chosen: Array<{ questionId: string; option: TOption }> = [];
  for (const question of script.questions) {
    const answer = answers[question.id];
    if (answer?.type !== 'option') continue;
    const options: readonly TOption[] = question.options;
    const option = options.find((o) => o.id === answer.optionId);
    if (option !== undefined) chosen.push({ questionId: question.id, option });
  }
  return chosen;
}

/** Each indicator's total over `answers` (a running total while the script is under way). */
export function totalsOf(script: TScript, answers: TAnswers): Record<string, number> {
  const totals: Record<string, number> = Object.fromEntries(
    Object.keys(script.indicators).map((id) => [id, 0]),
  );
  for (const { option } of chosenOptions(script, answers)) {
    for (const [indicator, points] of Object.entries(option.scores ?? {})) {
      if (indicator in totals) totals[indicator] = (totals[indicator] ?? 0) + points;
    }
  }
  return totals;
}

/**
 * The band a total falls in. Linted bands cover the range without gaps; for anything else the band with the
 * highest start at or below the total is used (the lowest band below the range), so a total always has one.
 */
export function bandFor(indicator: TIndicator, total: number): TBand {
  const sorted = [...indicator.bands].sort((a, b) => a.min - b.min);
  const below = sorted.filter((band) => band.min <= total);
  return (below[below.length - 1] ?? sorted[0]) as TBand;
}

/** The critical rules that hold on `answers`, in script order. */
export function criticalHits(script: TScript, answers: TAnswers): TCriticalHit[] {
  const context = { answers, totals: totalsOf(script, answers) };
  return script.critical
    .filter((rule) => holds(rule.when, context))
    .map((rule) => ({ rule: rule.id, level: rule.level, because: evidenceFor(rule.when, context) }));
}

/**
 * Scores a set of answers: each indicator's total and band, the critical rules that hold, the overall level
 * and why. Only the answers given count, so a skipped question adds nothing.
 *
 * The level is monotonic when the script lints clean: bands rise with the total, and critical rules only
 * test for high scores and for options no higher-scoring option escapes. So choosing a higher-scoring option
 * for any one answer never lowers the level.
 *
 * @example
 * const { level, explanation } = scoreAnswers(script, { asq_now: { type: 'option', optionId: 'yes_now' } });
 * // level === 'imminent', explanation[0] names the rule and the answer
 */
export function scoreAnswers(script: TScript, answers: TAnswers): TScoring {
  const chosen = chosenOptions(script, answers);
  const totals = totalsOf(script, answers);
  const scores: Record<string, TIndicatorScore> = {};
  const bands: TExplanation[] = [];
  for (const [id, indicator] of Object.entries(script.indicators)) {
    const total = totals[id] ?? 0;
    const band = bandFor(indicator, total);
    const contributions = chosen
      .map(({ questionId, option }) => ({
        questionId,
        optionId: option.id,
        points: option.scores?.[id] ?? 0,
      }))
      .filter((contribution) => contribution.points !== 0);
    scores[id] = {
      total,
      min: indicator.min,
      max: indicator.max,
      band: band.name,
      level: band.level,
      contributions,
    };
    bands.push({
      kind: 'band',
      indicator: id,
      total,
      band: band.name,
      level: band.level,
      answers: contributions,
    });
  }
  const critical: TExplanation[] = criticalHits(script, answers).map((hit) => ({ kind: 'critical', ...hit }));
  // Critical rules first, so at equal levels the specific reason reads before the general one.
  const explanation = [...critical, ...bands].sort((a, b) => compareLevels(b.level, a.level));
  return { level: maxLevel(...explanation.map((item) => item.level)), scores, explanation };
}

export type TResourceView = { title: string; detail?: string; url?: string };

/** What to tell the resident at a level, in one language. */
export type TOutcomeView = { level: TRiskLevel; title?: string; message: string; resources: TResourceView[] };

/**
 * The outcome message and resources for `level` in `locale` (falling back to the script's first locale).
 * Emergency numbers are not part of it: they come from the service's configuration.
 *
 * @example outcomeFor(script, 'moderate', 'zh-CN').message
 */
export function outcomeFor(script: TScript, level: TRiskLevel, locale: string): TOutcomeView {
  const outcome = script.outcomes[level];
  const text = (value: Parameters<typeof localize>[0]) => localize(value, locale, script.locales);
  return {
    level,
    ...(outcome.title === undefined ? {} : { title: text(outcome.title) }),
    message: text(outcome.message),
    resources: outcome.resources.map((resource) => ({
      title: text(resource.title),
      ...(resource.detail === undefined ? {} : { detail: text(resource.detail) }),
      ...(resource.url === undefined ? {} : { url: resource.url }),
    })),
  };
}
