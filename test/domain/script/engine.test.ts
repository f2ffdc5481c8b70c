import { describe, expect, it } from 'vitest';
import {
  resumeScript,
  startScript,
  submitAnswer,
  type TScript,
  type TScriptState,
  type TStep,
} from '../../../src/domain/script/index.ts';
import { ROUTES } from '../../helpers/default-script-routes.ts';
import { loadDefaultScript, runThrough, scriptFrom } from './support.ts';

const OUTCOMES = `
outcomes:
  none: { message: { en: None } }
  low: { message: { en: Low } }
  moderate: { message: { en: Moderate } }
  high: { message: { en: High }, resources: [{ title: { en: Call us } }] }
  imminent: { message: { en: Now } }
`;

// Every kind of move: a branch to the end, to a named question, on a running score, first match wins,
// all/not conditions, `next`, falling through to the following question, and the last question ending it.
const branching = scriptFrom(`
id: branching
version: 3
title: { en: Branching }
locales: [en]
indicators:
  a:
    min: 0
    max: 10
    bands:
      - { name: low, min: 0, max: 4, level: none }
      - { name: high, min: 5, max: 10, level: high }
questions:
  - id: start
    kind: single_choice
    intro: { en: Hello }
    text: { en: Where to? }
    options:
      - { id: to_end, label: { en: To the end } }
      - { id: to_c, label: { en: To c } }
      - { id: heavy, label: { en: Heavy }, scores: { a: 5 } }
      - { id: heavy_end, label: { en: Heavy end }, scores: { a: 5 } }
      - { id: plain, label: { en: Plain }, scores: { a: 1 } }
    branch:
      - when: { answer: start, in: [to_end, heavy_end] }
        goto: end
      - when: { answer: start, in: [to_c] }
        goto: c
      - when: { score: a, gte: 5 }
        goto: d
  - id: b
    kind: yes_no
    text: { en: B? }
    options:
      - { id: 'yes', label: { en: 'Yes' } }
      - { id: 'no', label: { en: 'No' } }
    branch:
      - when: { all: [{ answer: b, in: ['yes'] }, { score: a, lte: 1 }] }
        goto: c
    next: d
  - id: c
    kind: free_text
    text: { en: Tell me }
    maxLength: 10
    next: end
  - id: d
    kind: yes_no
    text: { en: D? }
    options:
      - { id: 'yes', label: { en: 'Yes' } }
      - { id: 'no', label: { en: 'No' } }
    branch:
      - when: { not: { answer: d, in: ['yes'] } }
        goto: end
  - id: e
    kind: scale
    text: { en: E? }
    options:
      - { id: zero, value: 0, label: { en: Zero } }
      - { id: five, value: 5, label: { en: Five }, scores: { a: 5 } }
critical:
  - id: crisis
    level: imminent
    when: { answer: d, in: ['yes'] }
${OUTCOMES}`);

function started(script: TScript, locale = 'en') {
  const result = startScript(script, locale);
  if (!result.ok) throw new Error('did not start');
  return result.step;
}

describe('branching', () => {
  it.each([
    [['to_end'], ['start']],
    [['heavy_end'], ['start']],
    [
      ['to_c', 'hello'],
      ['start', 'c'],
    ],
    [
      ['heavy', 'yes', 'zero'],
      ['start', 'd', 'e'],
    ],
    [
      ['heavy', 'no'],
      ['start', 'd'],
    ],
    [
      ['plain', 'yes', 'hi'],
      ['start', 'b', 'c'],
    ],
    [
      ['plain', 'no', 'no'],
      ['start', 'b', 'd'],
    ],
    [
      ['plain', 'no', 'yes', '5'],
      ['start', 'b', 'd', 'e'],
    ],
  ])('answers %j take the path %j', (answers, path) => {
    const { done } = runThrough(branching, 'en', answers);
    expect(done.result.path).toEqual(path);
    expect(done.state.path).toEqual(path);
    expect(done.state.current).toBeNull();
  });

  it('follows the first branch that holds', () => {
    // heavy_end matches both the first branch (to the end) and the score branch (to d).
    expect(runThrough(branching, 'en', ['heavy_end']).done.result.path).toEqual(['start']);
  });
});

describe('startScript', () => {
  it('asks the first question in the chosen locale, with the progress to come', () => {
    const step = started(branching);
    expect(step).toMatchObject({
      type: 'question',
      state: {
        scriptId: 'branching',
        scriptVersion: 3,
        locale: 'en',
        current: 'start',
        path: [],
        answers: {},
      },
      question: { id: 'start', kind: 'single_choice', intro: 'Hello', text: 'Where to?' },
      progress: { answered: 0, total: 4 },
    });
    if (step.type !== 'question') return;
    expect(step.question.options[0]).toEqual({ id: 'to_end', label: 'To the end' });
    expect(step.alert).toBeUndefined();
  });

  it('refuses a locale the script lacks', () => {
    expect(startScript(branching, 'fr')).toEqual({ ok: false, error: 'unknown_locale' });
  });
});

describe('submitAnswer', () => {
  it('re-asks without moving on or changing the state', () => {
    const first = started(branching);
    const frozen = structuredClone(first.state);
    const step = submitAnswer(branching, first.state, 'somewhere else');
    expect(step).toMatchObject({ type: 'reask', reason: 'not_an_option', question: { id: 'start' } });
    expect(step.state).toEqual(frozen);
    expect(first.state).toEqual(frozen);
  });

  it('re-asks free text that is too long for the question', () => {
    const atC = submitAnswer(branching, started(branching).state, 'to_c');
    const step = submitAnswer(branching, atC.state, 'x'.repeat(11));
    expect(step).toMatchObject({ type: 'reask', reason: 'too_long', question: { id: 'c', maxLength: 10 } });
  });

  it('never changes the state it is given', () => {
    const first = started(branching);
    const before = JSON.stringify(first.state);
    const next = submitAnswer(branching, first.state, 'plain');
    expect(JSON.stringify(first.state)).toBe(before);
    expect(next.state.path).toEqual(['start']);
    expect(next.state.answers).toEqual({ start: { type: 'option', optionId: 'plain' } });
  });

  it('counts progress against the longest route from the start, which a shorter branch ends early', () => {
    const { steps } = runThrough(branching, 'en', ['plain', 'no', 'yes', '5']);
    const progress = steps.flatMap((step) => (step.type === 'question' ? [step.progress] : []));
    expect(progress).toEqual([
      { answered: 0, total: 4 },
      { answered: 1, total: 4 },
      { answered: 2, total: 4 },
      { answered: 3, total: 4 },
    ]);
    const short = runThrough(branching, 'en', ['heavy', 'yes', 'zero']).steps;
    expect(short.flatMap((s) => (s.type === 'question' ? [s.progress] : []))).toEqual([
      { answered: 0, total: 4 },
      { answered: 1, total: 4 },
      { answered: 2, total: 4 },
    ]);
  });

  it('raises an alert as soon as a critical rule holds, mid-script', () => {
    const { steps } = runThrough(branching, 'en', ['heavy', 'yes', 'zero']);
    expect(steps[2]).toMatchObject({
      type: 'question',
      question: { id: 'e' },
      alert: { level: 'imminent', rules: ['crisis'] },
    });
    expect(steps[1]).not.toHaveProperty('alert');
  });

  it('returns the same result when a finished script is answered again', () => {
    const { done } = runThrough(branching, 'en', ['to_end']);
    expect(submitAnswer(branching, done.state, 'anything')).toEqual(done);
  });

  it('finishes rather than strands the resident when an unlinted script jumps nowhere or back', () => {
    const broken: TScript = structuredClone(branching);
    const first = broken.questions[0];
    if (first === undefined) throw new Error('no question');
    first.branch = [
      { when: { answer: 'start', in: ['plain'] }, goto: 'missing' },
      { when: { score: 'a', gte: 0 }, goto: 'start' },
    ];
    expect(runThrough(broken, 'en', ['plain']).done.result.path).toEqual(['start']);
    expect(runThrough(broken, 'en', ['to_c']).done.result.path).toEqual(['start']);
  });
});

describe('resumeScript', () => {
  const mid = () => submitAnswer(branching, started(branching).state, 'plain').state;

  it('picks up a persisted state where it stopped', () => {
    const saved = JSON.parse(JSON.stringify(mid()));
    const resumed = resumeScript(branching, saved);
    expect(resumed).toMatchObject({
      ok: true,
      step: { type: 'question', question: { id: 'b' }, progress: { answered: 1 } },
    });
    if (!resumed.ok) return;
    const next = submitAnswer(branching, resumed.step.state, 'no');
    expect(next).toMatchObject({ type: 'question', question: { id: 'd' } });
  });

  it('returns the result for a finished state', () => {
    const { done } = runThrough(branching, 'en', ['heavy', 'no']);
    expect(resumeScript(branching, JSON.parse(JSON.stringify(done.state)))).toEqual({ ok: true, step: done });
  });

  it.each<[string, (state: TScriptState) => unknown, string]>([
    ['not an object', () => 'hello', 'invalid_state'],
    ['a missing field', ({ path: _path, ...rest }) => rest, 'invalid_state'],
    ['an unknown answer shape', (s) => ({ ...s, answers: { start: { type: 'voice' } } }), 'invalid_state'],
    ['another version', (s) => ({ ...s, scriptVersion: 4 }), 'other_script'],
    ['another script', (s) => ({ ...s, scriptId: 'default' }), 'other_script'],
    ['a locale the script lacks', (s) => ({ ...s, locale: 'fr' }), 'unknown_locale'],
    ['a current question already answered', (s) => ({ ...s, current: 'start' }), 'inconsistent_state'],
    ['an unknown current question', (s) => ({ ...s, current: 'zzz' }), 'inconsistent_state'],
    ['a path without its answer', (s) => ({ ...s, answers: {} }), 'inconsistent_state'],
  ])('refuses %s', (_, change, error) => {
    expect(resumeScript(branching, change(mid()))).toEqual({ ok: false, error });
  });
});

describe('state size', () => {
  it('stays small: a full run of the default script is well under 2 KB of JSON', () => {
    const script = loadDefaultScript();
    const answers = [
      '4',
      '4',
      '4',
      '4',
      '4',
      '4',
      'no',
      'no',
      'no',
      'no',
      '3',
      '3',
      '5',
      '3',
      '2',
      'no',
      'no',
      '3',
      '8',
      '8',
    ];
    const { done } = runThrough(script, 'en', [...answers, 'x'.repeat(200)]);
    expect(JSON.stringify(done.state).length).toBeLessThan(2048);
  });
});

describe('progress', () => {
  it('never goes backwards: the total stays as first shown, whatever branch is taken', () => {
    const script = loadDefaultScript();
    for (const route of Object.values(ROUTES)) {
      const started = startScript(script, 'en');
      if (!started.ok) throw new Error(started.error);
      let step: TStep = started.step;
      const shown: Array<{ answered: number; total: number }> = [];
      for (const answer of route) {
        if (step.type !== 'question') break;
        shown.push(step.progress);
        step = submitAnswer(script, step.state, answer);
      }
      expect(step.type).toBe('done');
      expect(new Set(shown.map((progress) => progress.total)).size).toBe(1);
      expect(shown.map((progress) => progress.answered)).toEqual(shown.map((_, index) => index));
    }
  });
});
