import type { TAnswers } from './answer.ts';
import type { TCondition } from './schema.ts';

/** What a condition may look at: the answers so far and the running indicator totals. */
export type TConditionContext = { answers: TAnswers; totals: Readonly<Record<string, number>> };

/** One fact that made a condition hold, for explanations. */
export type TEvidence =
  | { kind: 'answer'; questionId: string; optionId: string }
  | { kind: 'score'; indicator: string; total: number; gte?: number; lte?: number };

/**
 * Whether `condition` holds. An unanswered question matches no option and an unknown indicator totals 0,
 * so a condition about something not (yet) known is simply false.
 *
 * @example holds({ answer: 'asq_now', in: ['yes_now'] }, { answers: { asq_now: { type: 'option', optionId: 'yes_now' } }, totals: {} }) // true
 */
export function holds(condition: TCondition, context: TConditionContext): boolean {
  if ('answer' in condition) {
    const answer = context.answers[condition.answer];
    return answer?.type === 'option' && condition.in.includes(answer.optionId);
  }
  if ('score' in condition) {
    const total = context.totals[condition.score] ?? 0;
    return (
      (condition.gte === undefined || total >= condition.gte) &&
      (condition.lte === undefined || total <= condition.lte)
    );
  }
  if ('all' in condition) return condition.all.every((part) => holds(part, context));
  if ('any' in condition) return condition.any.some((part) => holds(part, context));
  return !holds(condition.not, context);
}

/** The answers and totals that make a holding `condition` hold; the parts under `not` name nothing. */
export function evidenceFor(condition: TCondition, context: TConditionContext): TEvidence[] {
  if (!holds(condition, context)) return [];
  if ('answer' in condition) {
    const answer = context.answers[condition.answer];
    return answer?.type === 'option'
      ? [{ kind: 'answer', questionId: condition.answer, optionId: answer.optionId }]
      : [];
  }
  if ('score' in condition) {
    return [
      {
        kind: 'score',
        indicator: condition.score,
        total: context.totals[condition.score] ?? 0,
        ...(condition.gte === undefined ? {} : { gte: condition.gte }),
        ...(condition.lte === undefined ? {} : { lte: condition.lte }),
      },
    ];
  }
  if ('all' in condition) return condition.all.flatMap((part) => evidenceFor(part, context));
  if ('any' in condition) return condition.any.flatMap((part) => evidenceFor(part, context));
  return [];
}

/** Every leaf of `condition` with its path below the condition and whether it sits under a `not`. */
export function leavesOf(
  condition: TCondition,
  path: readonly (string | number)[] = [],
  negated = false,
): Array<{
  leaf: Extract<TCondition, { answer: string } | { score: string }>;
  path: (string | number)[];
  negated: boolean;
}> {
  if ('answer' in condition || 'score' in condition) return [{ leaf: condition, path: [...path], negated }];
  if ('all' in condition)
    return condition.all.flatMap((part, i) => leavesOf(part, [...path, 'all', i], negated));
  if ('any' in condition)
    return condition.any.flatMap((part, i) => leavesOf(part, [...path, 'any', i], negated));
  return leavesOf(condition.not, [...path, 'not'], !negated);
}
