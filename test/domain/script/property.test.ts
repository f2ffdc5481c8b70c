import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLevels, RISK_LEVELS, type TRiskLevel } from '../../../src/domain/risk/level.ts';
import {
  lintScript,
  resumeScript,
  scoreAnswers,
  startScript,
  submitAnswer,
  type TAnswers,
  type TCondition,
  type TOption,
  type TScript,
  type TStep,
  ZScript,
} from '../../../src/domain/script/index.ts';
import { loadDefaultScript } from './support.ts';

const INDICATORS = ['a', 'b'] as const;
const KINDS = ['single_choice', 'scale', 'yes_no', 'free_text'] as const;
const label = (en: string, zh: string) => ({ en, 'zh-CN': zh });

type TRawOption = { id: string; label: object; scores: Record<string, number>; value?: number };
type TRawQuestion = {
  id: string;
  kind: (typeof KINDS)[number];
  text: object;
  options: TRawOption[];
  branch: Array<{ when: TCondition; goto: string }>;
};

const arbScores = fc.record({ a: fc.integer({ min: 0, max: 3 }), b: fc.integer({ min: 0, max: 3 }) });

function arbQuestion(i: number) {
  return fc
    .record({
      // The first question always has options, so the imminent rule below has something to hold on.
      kind: i === 0 ? fc.constantFrom('single_choice' as const, 'scale' as const) : fc.constantFrom(...KINDS),
      optionCount: fc.integer({ min: 2, max: 4 }),
      quickReplies: fc.integer({ min: 0, max: 2 }),
      scores: fc.array(arbScores, { minLength: 4, maxLength: 4 }),
    })
    .map(({ kind, optionCount, quickReplies, scores }): TRawQuestion => {
      const count = kind === 'yes_no' ? 2 : kind === 'free_text' ? quickReplies : optionCount;
      const options = Array.from({ length: count }, (_, j) => ({
        id: `o${j}`,
        label: label(`Option ${j}`, `选项 ${j}`),
        scores: scores[j] ?? { a: 0, b: 0 },
        ...(kind === 'scale' ? { value: j } : {}),
      }));
      return { id: `q${i}`, kind, text: label(`Question ${i}`, `问题 ${i}`), options, branch: [] };
    });
}

/** A condition on answers to questions up to `upTo` (so always already answered or skipped) or on scores. */
function arbCondition(questions: TRawQuestion[], upTo: number): fc.Arbitrary<TCondition> {
  const withOptions = questions.slice(0, upTo + 1).filter((q) => q.options.length > 0);
  const leaf: fc.Arbitrary<TCondition>[] = [
    fc.record({
      score: fc.constantFrom(...INDICATORS),
      gte: fc.integer({ min: 0, max: 8 }),
    }),
    fc.record({ score: fc.constantFrom(...INDICATORS), lte: fc.integer({ min: 0, max: 8 }) }),
  ];
  if (withOptions.length > 0) {
    leaf.push(
      fc.constantFrom(...withOptions).chain((q) =>
        fc
          .subarray(
            q.options.map((o) => o.id),
            { minLength: 1 },
          )
          .map((ids) => ({ answer: q.id, in: ids })),
      ),
    );
  }
  const base = fc.oneof(...leaf);
  return fc.oneof(
    base,
    fc.array(base, { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
    fc.array(base, { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
    base.map((not) => ({ not })),
  );
}

/** Contiguous bands over 0..max whose levels never fall. */
function arbBands(max: number) {
  return fc
    .record({
      cuts: fc.uniqueArray(fc.integer({ min: 1, max }), { maxLength: 3 }),
      levels: fc.array(fc.constantFrom(...RISK_LEVELS), { minLength: 4, maxLength: 4 }),
    })
    .map(({ cuts, levels }) => {
      const starts = [0, ...cuts.sort((x, y) => x - y)];
      const sorted = [...levels].sort(compareLevels);
      return starts.map((min, k) => ({
        name: `band${k}`,
        min,
        max: (starts[k + 1] ?? max + 1) - 1,
        level: sorted[k] as TRiskLevel,
      }));
    });
}

const sumOf = (option: TRawOption) => INDICATORS.reduce((total, id) => total + (option.scores[id] ?? 0), 0);

/**
 * A valid script: 1-7 questions of every kind, forward-only branches (so no cycles, and every question is
 * reachable by falling through), bands that cover the range with rising levels, and critical rules that only
 * look for "more": options at or above a score, or totals at or above a threshold.
 */
const arbScript: fc.Arbitrary<TScript> = fc
  .integer({ min: 1, max: 7 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbQuestion(i))))
  .chain((questions) => {
    const branches = questions.map((_, i) =>
      fc.array(
        fc.record({
          when: arbCondition(questions, i),
          goto: fc.constantFrom('end', ...questions.slice(i + 1).map((q) => q.id)),
        }),
        { maxLength: 2 },
      ),
    );
    const maxOf = (id: string) =>
      Math.max(
        1,
        questions.reduce((t, q) => t + Math.max(0, ...q.options.map((o) => o.scores[id] ?? 0)), 0),
      );
    const withOptions = questions.filter((q) => q.options.length > 0);
    const critical = fc.array(
      fc.oneof(
        fc.record({
          level: fc.constantFrom('low' as const, 'moderate' as const, 'high' as const, 'imminent' as const),
          when: fc.record({ score: fc.constantFrom(...INDICATORS), gte: fc.integer({ min: 1, max: 10 }) }),
        }),
        fc.record({
          level: fc.constantFrom('low' as const, 'moderate' as const, 'high' as const),
          when: fc.constantFrom(...withOptions).chain((q) =>
            fc.constantFrom(...q.options.map(sumOf)).map((threshold) => ({
              answer: q.id,
              in: q.options.filter((o) => sumOf(o) >= threshold).map((o) => o.id),
            })),
          ),
        }),
      ),
      { maxLength: 3 },
    );
    return fc
      .record({
        branches: fc.tuple(...branches),
        bandsA: arbBands(maxOf('a')),
        bandsB: arbBands(maxOf('b')),
        critical,
      })
      .map(({ branches: chosen, bandsA, bandsB, critical: rules }) => {
        const first = questions[0] as TRawQuestion;
        const top = Math.max(...first.options.map(sumOf));
        const outcome = (level: string) => ({ message: label(`Outcome ${level}`, `结果 ${level}`) });
        return ZScript.parse({
          id: 'generated',
          version: 1,
          title: label('Generated', '生成'),
          locales: ['en', 'zh-CN'],
          indicators: {
            a: { min: 0, max: maxOf('a'), bands: bandsA },
            b: { min: 0, max: maxOf('b'), bands: bandsB },
          },
          questions: questions.map((q, i) => ({ ...q, branch: chosen[i] ?? [] })),
          critical: [
            {
              id: 'top_answer',
              level: 'imminent',
              when: { answer: first.id, in: first.options.filter((o) => sumOf(o) >= top).map((o) => o.id) },
            },
            ...rules.map((rule, k) => ({ id: `rule${k}`, ...rule })),
          ],
          outcomes: Object.fromEntries(RISK_LEVELS.map((level) => [level, outcome(level)])),
        });
      });
  });

/** What a resident might send: option ids, labels, numbers, free text, nothing, far too much. */
const arbInput = fc.oneof(
  fc.constantFrom('o0', 'o1', 'o2', 'o3', 'Option 1', '选项 2', '0', '1', '2', '3', '4'),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '   ', 'x'.repeat(2001)),
);

function drive(script: TScript, locale: string, inputs: readonly string[]): TStep[] {
  const started = startScript(script, locale);
  if (!started.ok) throw new Error('did not start');
  const steps: TStep[] = [started.step];
  let step: TStep = started.step;
  for (const input of inputs) {
    if (step.type === 'done') break;
    step = submitAnswer(script, step.state, input);
    steps.push(step);
  }
  return steps;
}

/** An answer that every question takes: its first option, or text. */
function acceptable(script: TScript, id: string): string {
  const question = script.questions.find((q) => q.id === id);
  return question?.options[0]?.id ?? 'some words';
}

function dominates(a: TOption, b: TOption): boolean {
  const ids = new Set([...Object.keys(a.scores ?? {}), ...Object.keys(b.scores ?? {})]);
  const diffs = [...ids].map((id) => (a.scores?.[id] ?? 0) - (b.scores?.[id] ?? 0));
  return diffs.every((d) => d >= 0) && diffs.some((d) => d > 0);
}

describe('generated scripts', () => {
  it('lint clean (the generator makes what the linter accepts)', () => {
    fc.assert(
      fc.property(arbScript, (script) => {
        expect(lintScript(script)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('end within as many answers as there are questions, asking none twice', () => {
    fc.assert(
      fc.property(arbScript, fc.constantFrom('en', 'zh-CN'), (script, locale) => {
        const n = script.questions.length;
        let step: TStep | undefined = drive(script, locale, []).at(-1);
        let accepted = 0;
        while (step !== undefined && step.type !== 'done') {
          step = submitAnswer(script, step.state, acceptable(script, step.question.id));
          accepted += 1;
          expect(accepted).toBeLessThanOrEqual(n);
        }
        if (step?.type !== 'done') throw new Error('no result');
        expect(new Set(step.result.path).size).toBe(step.result.path.length);
        expect(step.result.path.length).toBeLessThanOrEqual(n);
      }),
      { numRuns: 100 },
    );
  });

  it('keep scores within their range and progress within the script, whatever is sent', () => {
    fc.assert(
      fc.property(arbScript, fc.array(arbInput, { maxLength: 30 }), (script, inputs) => {
        const steps = drive(script, 'en', inputs);
        let answered = 0;
        for (const step of steps) {
          if (step.type === 'done') {
            for (const [id, score] of Object.entries(step.result.scores)) {
              const indicator = script.indicators[id];
              expect(score.total).toBeGreaterThanOrEqual(indicator?.min ?? Number.NaN);
              expect(score.total).toBeLessThanOrEqual(indicator?.max ?? Number.NaN);
              const band = indicator?.bands.find((b) => b.name === score.band);
              expect(score.total).toBeGreaterThanOrEqual(band?.min ?? Number.NaN);
              expect(score.total).toBeLessThanOrEqual(band?.max ?? Number.NaN);
            }
            continue;
          }
          if (step.type === 'reask') expect(step.progress.answered).toBe(answered);
          answered = step.state.path.length;
          expect(step.progress.answered).toBe(answered);
          expect(step.progress.total).toBeGreaterThan(step.progress.answered);
          expect(step.progress.total).toBeLessThanOrEqual(script.questions.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never lower the level when one answer is replaced by a higher-scoring option', () => {
    const arbCase = arbScript.chain((script) => {
      // Every (question, option, option that scores higher on every indicator) in the script.
      const raises = script.questions.flatMap((q) => {
        const options: readonly TOption[] = q.options;
        return options.flatMap((low) =>
          options.filter((high) => dominates(high, low)).map((high) => ({ q, low, high })),
        );
      });
      if (raises.length === 0) return fc.constant(null);
      return fc.record({
        script: fc.constant(script),
        picks: fc.array(fc.nat(), { minLength: script.questions.length, maxLength: script.questions.length }),
        raise: fc.constantFrom(...raises),
      });
    });
    fc.assert(
      fc.property(arbCase, (testCase) => {
        if (testCase === null) return;
        const { script, picks, raise } = testCase;
        const answers: Record<string, TAnswers[string]> = {};
        script.questions.forEach((q, i) => {
          const options: readonly TOption[] = q.options;
          const option = options[(picks[i] ?? 0) % Math.max(1, options.length)];
          answers[q.id] =
            option === undefined ? { type: 'text', text: 'words' } : { type: 'option', optionId: option.id };
        });
        const before = scoreAnswers(script, {
          ...answers,
          [raise.q.id]: { type: 'option', optionId: raise.low.id },
        });
        const after = scoreAnswers(script, {
          ...answers,
          [raise.q.id]: { type: 'option', optionId: raise.high.id },
        });
        expect(compareLevels(after.level, before.level)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it('carry on the same after a JSON round trip of the state, deterministically', () => {
    fc.assert(
      fc.property(
        arbScript,
        fc.array(arbInput, { maxLength: 12 }),
        fc.array(arbInput, { maxLength: 12 }),
        (script, head, tail) => {
          const first = drive(script, 'zh-CN', head).at(-1) as TStep;
          const resumed = resumeScript(script, JSON.parse(JSON.stringify(first.state)));
          if (!resumed.ok) throw new Error(resumed.error);
          const continueFrom = (state: TStep['state']) =>
            tail.reduce<TStep>(
              (step, input) => (step.type === 'done' ? step : submitAnswer(script, step.state, input)),
              {
                ...first,
                state,
              } as TStep,
            );
          expect(continueFrom(resumed.step.state)).toEqual(continueFrom(first.state));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the default script', () => {
  const script = loadDefaultScript();
  const choiceQuestions = script.questions.filter((q) => q.kind !== 'free_text');

  /** Runs with a fixed option per question (by id), whatever route the answers take. */
  function levelFor(policy: Record<string, string>) {
    let step: TStep | undefined = drive(script, 'en', []).at(-1);
    while (step !== undefined && step.type !== 'done') {
      step = submitAnswer(script, step.state, policy[step.question.id] ?? 'nothing');
    }
    if (step?.type !== 'done') throw new Error('no result');
    return step.result.level;
  }

  it('never lowers the level when one answer scores higher, routes included', () => {
    const arbPolicy = fc.record(
      Object.fromEntries(
        choiceQuestions.map((q) => [
          q.id,
          fc.constantFrom(...(q.options as readonly TOption[]).map((o) => o.id)),
        ]),
      ),
    );
    const arbCase = fc.record({
      policy: arbPolicy,
      changed: fc.constantFrom(...choiceQuestions.map((q) => q.id)),
      to: fc.nat(),
    });
    fc.assert(
      fc.property(arbCase, ({ policy, changed, to }) => {
        const options: readonly TOption[] = script.questions.find((q) => q.id === changed)?.options ?? [];
        const current = options.find((o) => o.id === policy[changed]);
        const higher = options[to % options.length];
        fc.pre(current !== undefined && higher !== undefined && dominates(higher, current));
        const before = levelFor(policy);
        const after = levelFor({ ...policy, [changed]: higher?.id ?? '' });
        expect(compareLevels(after, before)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });
});
