import type { TCrisisReason, TCrisisSignals } from './crisis.ts';
import type { TCrisisPatterns } from './crisis-patterns.ts';

/**
 * Adds to each reason its explanation in every locale whose pattern file knows the reason's id. Pattern
 * files are written per language, so the file that matched explains in the resident's language; a worker
 * reading in another language is shown that file's own words for the same id when it has one.
 *
 * @example
 * const signals = withWordings([en, zhCN], detectCrisis(text, en));
 * signals.reasons[0].wordings; // { en: 'States an intention to end their own life', 'zh-CN': '表示要结束自己的生命（意图）' }
 */
export function withWordings(patterns: readonly TCrisisPatterns[], signals: TCrisisSignals): TCrisisSignals {
  return { ...signals, reasons: signals.reasons.map((reason) => withReasonWordings(patterns, reason)) };
}

function withReasonWordings(patterns: readonly TCrisisPatterns[], reason: TCrisisReason): TCrisisReason {
  const wordings: Record<string, string> = {};
  for (const set of patterns) {
    const described =
      reason.source === 'pattern'
        ? (set.patterns.find((pattern) => pattern.id === reason.id) ??
          set.contextCues.find((cue) => cue.id === reason.id))
        : reason.source === 'intensifier'
          ? set.intensifiers.find((intensifier) => intensifier.id === reason.id)
          : undefined;
    if (described) wordings[set.locale] = described.description;
  }
  return Object.keys(wordings).length > 0 ? { ...reason, wordings } : reason;
}
