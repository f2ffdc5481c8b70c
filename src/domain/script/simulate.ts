import { startScript, submitAnswer, type TStep } from './engine.ts';
import type { TScript } from './schema.ts';

export type TSimulation =
  | { type: 'done'; path: string[]; level: string; scores: Record<string, { total: number; band: string }> }
  | { type: 'asking'; path: string[]; questionId: string }
  | { type: 'reask'; path: string[]; questionId: string; answer: string; reason: string }
  | { type: 'no-locale'; locale: string };

/**
 * Walks a script with the given answers as a resident would (for the admin API's simulate): where it ends, or
 * the question it still asks, or the first answer it would ask again.
 *
 * @example simulateScript(script, 'en', ['1', '0', 'no']) // { type: 'asking', path: […], questionId: 'k6_low' }
 */
export function simulateScript(script: TScript, locale: string, answers: readonly string[]): TSimulation {
  const started = startScript(script, locale);
  if (!started.ok) return { type: 'no-locale', locale };
  let step: TStep = started.step;
  for (const answer of answers) {
    if (step.type === 'done') break;
    const next = submitAnswer(script, step.state, answer);
    if (next.type === 'reask')
      return {
        type: 'reask',
        path: [...step.state.path],
        questionId: next.question.id,
        answer,
        reason: next.reason,
      };
    step = next;
  }
  if (step.type !== 'done')
    return { type: 'asking', path: [...step.state.path], questionId: step.question.id };
  const scores = Object.fromEntries(
    Object.entries(step.result.scores).map(([indicator, score]) => [
      indicator,
      { total: score.total, band: score.band },
    ]),
  );
  return { type: 'done', path: [...step.result.path], level: step.result.level, scores };
}
