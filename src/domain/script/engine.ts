import { z } from 'zod';
import { maxLevel, type TRiskLevel } from '../risk/level.ts';
import { maxTextLength, readAnswer, type TAnswer, type TReaskReason, ZAnswer } from './answer.ts';
import { holds } from './condition.ts';
import { defaultTarget, indexQuestions, longestRemaining, startId } from './graph.ts';
import { END, type TOption, type TQuestion, type TQuestionKind, type TScript } from './schema.ts';
import {
  criticalHits,
  outcomeFor,
  scoreAnswers,
  type TOutcomeView,
  type TScoring,
  totalsOf,
} from './scoring.ts';
import { localize } from './text.ts';

/**
 * Everything needed to carry on a screening later, as small plain JSON. The bot persists it between updates
 * and parses it back with {@link ZScriptState} (or {@link resumeScript}) before use.
 */
export const ZScriptState = z.strictObject({
  scriptId: z.string(),
  scriptVersion: z.int(),
  locale: z.string(),
  /** The question waiting for an answer; `null` once the script is done. */
  current: z.string().nullable(),
  /** Answered question ids, in the order they were asked. */
  path: z.array(z.string()),
  answers: z.record(z.string(), ZAnswer),
});
export type TScriptState = z.infer<typeof ZScriptState>;

/** A question ready to show in one language: buttons from `options` (empty for plain free text). */
export type TQuestionView = {
  id: string;
  kind: TQuestionKind;
  /** Said before the question, e.g. before a block of sensitive questions. */
  intro?: string;
  text: string;
  options: Array<{ id: string; label: string; value?: number }>;
  /** Only for free text: the longest answer kept, in characters. */
  maxLength?: number;
};

/** "4 / 14": answered so far, and answered plus the most questions that could still come. */
export type TProgress = { answered: number; total: number };

/** Critical rules that already hold mid-script, so an imminent answer can be acted on at once. */
export type TAlert = { level: TRiskLevel; rules: string[] };

export type TScriptResult = TScoring & {
  scriptId: string;
  scriptVersion: number;
  locale: string;
  path: string[];
  /** The message and resources for {@link TScoring.level}, in the state's locale. */
  outcome: TOutcomeView;
};

export type TQuestionStep = {
  type: 'question';
  state: TScriptState;
  question: TQuestionView;
  progress: TProgress;
  alert?: TAlert;
};
export type TReaskStep = {
  type: 'reask';
  reason: TReaskReason;
  state: TScriptState;
  question: TQuestionView;
  progress: TProgress;
  alert?: TAlert;
};
export type TDoneStep = { type: 'done'; state: TScriptState; result: TScriptResult };
export type TStep = TQuestionStep | TReaskStep | TDoneStep;

export type TStartResult =
  | { ok: true; step: TQuestionStep | TDoneStep }
  | { ok: false; error: 'unknown_locale' };

export type TResumeResult =
  | { ok: true; step: TQuestionStep | TDoneStep }
  | { ok: false; error: 'invalid_state' | 'other_script' | 'unknown_locale' | 'inconsistent_state' };

/**
 * Starts a screening in one of the script's locales (see `resolveLocale` to pick one).
 *
 * @example
 * const started = startScript(script, 'en');
 * if (started.ok && started.step.type === 'question') await askQuestion(started.step.question);
 */
export function startScript(script: TScript, locale: string): TStartResult {
  if (!script.locales.includes(locale)) return { ok: false, error: 'unknown_locale' };
  const state: TScriptState = {
    scriptId: script.id,
    scriptVersion: script.version,
    locale,
    current: null,
    path: [],
    answers: {},
  };
  return { ok: true, step: moveTo(script, state, startId(script)) };
}

/**
 * Takes one answer as sent (an option id from a button, or typed text) and returns what comes next: the next
 * question, the same question again with the reason it was not taken, or the result. Never throws and never
 * changes `state`; the returned step carries the new state. Answering a finished script returns the result
 * again.
 *
 * @example
 * const step = submitAnswer(script, state, '2');
 * if (step.type === 'reask') await sayKindly(step.reason, step.question);
 * if (step.type === 'done') await showOutcome(step.result.outcome);
 */
export function submitAnswer(script: TScript, state: TScriptState, input: string): TStep {
  const question = currentQuestion(script, state);
  if (question === undefined) return finish(script, { ...state, current: null });
  const read = readAnswer(question, input, state.locale, script.locales);
  if (!read.ok) return { ...questionStep(script, state, question), type: 'reask', reason: read.reason };
  return record(script, state, question, read.answer);
}

/**
 * Validates a persisted state against the script it claims to belong to and returns the step it is at, so
 * the bot can show the waiting question again after a restart. A state from another script or version is
 * refused: each conversation keeps the version it started with.
 *
 * @example
 * const resumed = resumeScript(script, JSON.parse(row.state));
 * if (!resumed.ok) return startOver();
 */
export function resumeScript(script: TScript, saved: unknown): TResumeResult {
  const parsed = ZScriptState.safeParse(saved);
  if (!parsed.success) return { ok: false, error: 'invalid_state' };
  const state = parsed.data;
  if (state.scriptId !== script.id || state.scriptVersion !== script.version)
    return { ok: false, error: 'other_script' };
  if (!script.locales.includes(state.locale)) return { ok: false, error: 'unknown_locale' };
  const index = indexQuestions(script);
  const consistent =
    new Set(state.path).size === state.path.length &&
    state.path.every((id) => index.has(id) && state.answers[id] !== undefined) &&
    Object.keys(state.answers).length === state.path.length &&
    (state.current === null || (index.has(state.current) && !state.path.includes(state.current)));
  if (!consistent) return { ok: false, error: 'inconsistent_state' };
  return {
    ok: true,
    step: state.current === null ? finish(script, state) : moveTo(script, state, state.current),
  };
}

function currentQuestion(script: TScript, state: TScriptState): TQuestion | undefined {
  if (state.current === null) return undefined;
  const position = indexQuestions(script).get(state.current);
  return position === undefined ? undefined : script.questions[position];
}

function record(script: TScript, state: TScriptState, question: TQuestion, answer: TAnswer): TStep {
  const answered: TScriptState = {
    ...state,
    path: [...state.path, question.id],
    answers: { ...state.answers, [question.id]: answer },
  };
  return moveTo(script, answered, nextTarget(script, answered, question));
}

function nextTarget(script: TScript, state: TScriptState, question: TQuestion): string {
  const context = { answers: state.answers, totals: totalsOf(script, state.answers) };
  const branch = question.branch.find((candidate) => holds(candidate.when, context));
  if (branch !== undefined) return branch.goto;
  return defaultTarget(script, indexQuestions(script).get(question.id) ?? script.questions.length);
}

// A target that is missing or already asked cannot occur in a linted script; finishing keeps a resident
// from ever being stuck or asked twice if one slips through.
function moveTo(script: TScript, state: TScriptState, target: string): TQuestionStep | TDoneStep {
  const position = indexQuestions(script).get(target);
  const question = position === undefined ? undefined : script.questions[position];
  if (target === END || question === undefined || state.path.includes(target)) {
    return finish(script, { ...state, current: null });
  }
  return questionStep(script, { ...state, current: target }, question);
}

function questionStep(script: TScript, state: TScriptState, question: TQuestion): TQuestionStep {
  const hits = criticalHits(script, state.answers);
  return {
    type: 'question',
    state,
    question: viewQuestion(script, question, state.locale),
    // The total is the longest way through from the start, so it never changes as the resident goes on:
    // a branch that skips questions ends sooner than announced, never later.
    progress: {
      answered: state.path.length,
      total: Math.max(
        longestRemaining(script, startId(script)),
        state.path.length + longestRemaining(script, question.id),
      ),
    },
    ...(hits.length === 0
      ? {}
      : { alert: { level: maxLevel(...hits.map((hit) => hit.level)), rules: hits.map((hit) => hit.rule) } }),
  };
}

function finish(script: TScript, state: TScriptState): TDoneStep {
  const scoring = scoreAnswers(script, state.answers);
  return {
    type: 'done',
    state,
    result: {
      scriptId: script.id,
      scriptVersion: script.version,
      locale: state.locale,
      path: [...state.path],
      ...scoring,
      outcome: outcomeFor(script, scoring.level, state.locale),
    },
  };
}

/** The question in one language, as the bot shows it. */
export function viewQuestion(script: TScript, question: TQuestion, locale: string): TQuestionView {
  const text = (value: Parameters<typeof localize>[0]) => localize(value, locale, script.locales);
  const options: readonly TOption[] = question.options;
  return {
    id: question.id,
    kind: question.kind,
    ...(question.intro === undefined ? {} : { intro: text(question.intro) }),
    text: text(question.text),
    options: options.map((option) => ({
      id: option.id,
      label: text(option.label),
      ...(option.value === undefined ? {} : { value: option.value }),
    })),
    ...(question.kind === 'free_text' ? { maxLength: maxTextLength(question) } : {}),
  };
}
