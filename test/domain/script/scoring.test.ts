import { describe, expect, it } from 'vitest';
import type { TRiskLevel } from '../../../src/domain/risk/level.ts';
import {
  bandFor,
  holds,
  outcomeFor,
  scoreAnswers,
  type TAnswers,
  type TCondition,
} from '../../../src/domain/script/index.ts';
import { loadDefaultScript } from './support.ts';

const script = loadDefaultScript();
const K6 = ['k6_on_edge', 'k6_no_hope', 'k6_unsettled', 'k6_low', 'k6_effort', 'k6_worth'];
const K6_OPTIONS = ['never', 'once_in_a_while', 'part_of_the_time', 'often', 'nearly_always'];
const ASQ = ['asq_wish_dead', 'asq_burden', 'asq_thoughts', 'asq_attempt'];

const option = (optionId: string) => ({ type: 'option' as const, optionId });

/** K6 answers adding up to `total` (0-24), filling items in order. */
function k6(total: number): TAnswers {
  return Object.fromEntries(
    K6.map((id, i) => [id, option(K6_OPTIONS[Math.max(0, Math.min(4, total - i * 4))] as string)]),
  );
}
const asqNo: TAnswers = Object.fromEntries(ASQ.map((id) => [id, option('no')]));

/** Grievance answers: the given items, everything else at its lowest. */
function grievance(items: Record<string, string>): TAnswers {
  const lowest: Record<string, string> = {
    g_injustice: 'not_at_all',
    g_blame: 'not_at_all',
    g_channels: 'not_tried',
    g_nothing_to_lose: 'not_at_all',
    g_revenge: 'never',
    g_told_others: 'no',
    g_means: 'no',
    g_isolation: 'not_at_all',
  };
  return Object.fromEntries(Object.entries({ ...lowest, ...items }).map(([id, o]) => [id, option(o)]));
}

describe('K6 distress bands (published cut-offs: 0-4, 5-12, 13+)', () => {
  it.each<[number, string, TRiskLevel]>([
    [0, 'low', 'none'],
    [4, 'low', 'none'],
    [5, 'moderate', 'moderate'],
    [12, 'moderate', 'moderate'],
    [13, 'serious', 'high'],
    [24, 'serious', 'high'],
  ])('a total of %i is band %s, level %s', (total, band, level) => {
    const scoring = scoreAnswers(script, { ...k6(total), ...asqNo });
    expect(scoring.scores.distress).toMatchObject({ total, band, level, min: 0, max: 24 });
    expect(scoring.level).toBe(level);
  });
});

describe('grievance bands', () => {
  it.each<[Record<string, string>, number, string, TRiskLevel]>([
    [{}, 0, 'low', 'none'],
    [{ g_injustice: 'very_much', g_blame: 'quite_a_lot' }, 5, 'low', 'none'],
    [{ g_injustice: 'very_much', g_blame: 'very_much' }, 6, 'some', 'low'],
    [
      {
        g_injustice: 'very_much',
        g_blame: 'very_much',
        g_channels: 'failed_repeatedly',
        g_isolation: 'quite_a_lot',
      },
      11,
      'some',
      'low',
    ],
    [
      {
        g_injustice: 'very_much',
        g_blame: 'very_much',
        g_channels: 'failed_repeatedly',
        g_isolation: 'very_much',
      },
      12,
      'marked',
      'moderate',
    ],
    [
      {
        g_injustice: 'very_much',
        g_blame: 'very_much',
        g_channels: 'failed_repeatedly',
        g_isolation: 'very_much',
        g_nothing_to_lose: 'very_much',
        g_revenge: 'sometimes',
        g_means: 'no',
      },
      16,
      'marked',
      'moderate',
    ],
  ])('%j totals %i, band %s', (items, total, band, level) => {
    const scoring = scoreAnswers(script, { ...k6(0), ...asqNo, ...grievance(items) });
    expect(scoring.scores.grievance).toMatchObject({ total, band, level });
    expect(scoring.level).toBe(level);
  });

  it('puts 18+ in the severe band, high', () => {
    const items = {
      g_injustice: 'very_much',
      g_blame: 'very_much',
      g_channels: 'failed_repeatedly',
      g_isolation: 'very_much',
      g_nothing_to_lose: 'very_much',
      g_revenge: 'most_days',
    };
    const scoring = scoreAnswers(script, { ...k6(0), ...asqNo, ...grievance(items) });
    expect(scoring.scores.grievance).toMatchObject({ total: 18, band: 'severe', level: 'high' });
    expect(scoring.level).toBe('high');
  });
});

describe('critical rules', () => {
  it.each(ASQ)('a "yes" to %s alone is a positive screen: high, whatever the totals', (id) => {
    const scoring = scoreAnswers(script, { ...k6(0), ...asqNo, [id]: option('yes'), asq_now: option('no') });
    expect(scoring.level).toBe('high');
    expect(scoring.explanation[0]).toEqual({
      kind: 'critical',
      rule: 'asq_positive',
      level: 'high',
      because: [{ kind: 'answer', questionId: id, optionId: 'yes' }],
    });
  });

  it('"yes, right now" on the acute item is imminent', () => {
    const scoring = scoreAnswers(script, {
      ...k6(0),
      ...asqNo,
      asq_thoughts: option('yes'),
      asq_now: option('yes_now'),
    });
    expect(scoring.level).toBe('imminent');
    expect(scoring.explanation[0]).toMatchObject({ kind: 'critical', rule: 'asq_acute', level: 'imminent' });
  });

  it.each<[string, Record<string, string>, TRiskLevel, string[]]>([
    ['leakage alone', { g_told_others: 'yes' }, 'moderate', ['leakage']],
    [
      'marked grievance with revenge thinking',
      {
        g_injustice: 'very_much',
        g_blame: 'very_much',
        g_channels: 'failed_repeatedly',
        g_revenge: 'often',
        g_nothing_to_lose: 'a_little',
      },
      'high',
      ['grievance_with_revenge'],
    ],
    [
      'revenge thinking without marked grievance',
      { g_injustice: 'very_much', g_blame: 'very_much', g_revenge: 'often' },
      'low',
      [],
    ],
    [
      'marked grievance with leakage',
      {
        g_injustice: 'very_much',
        g_blame: 'very_much',
        g_channels: 'failed_repeatedly',
        g_told_others: 'yes',
      },
      'high',
      ['leakage', 'grievance_with_leakage'],
    ],
    [
      'marked grievance with means',
      { g_injustice: 'very_much', g_blame: 'very_much', g_channels: 'failed_repeatedly', g_means: 'yes' },
      'high',
      ['grievance_with_means'],
    ],
    [
      'stated intent and means',
      { g_told_others: 'yes', g_means: 'yes' },
      'high',
      ['leakage', 'intent_with_means'],
    ],
    [
      'stated intent, means and frequent revenge thoughts',
      { g_told_others: 'yes', g_means: 'yes', g_revenge: 'most_days' },
      'imminent',
      ['leakage', 'intent_with_means', 'threat_with_means'],
    ],
  ])('%s', (_, items, level, rules) => {
    const scoring = scoreAnswers(script, { ...k6(0), ...asqNo, ...grievance(items) });
    expect(scoring.level).toBe(level);
    const fired = scoring.explanation.flatMap((item) => (item.kind === 'critical' ? [item.rule] : []));
    expect(fired.sort()).toEqual([...rules].sort());
  });

  it('names the answers and totals behind a combined rule', () => {
    const items = {
      g_injustice: 'very_much',
      g_blame: 'very_much',
      g_channels: 'failed_repeatedly',
      g_means: 'yes',
    };
    const scoring = scoreAnswers(script, { ...k6(0), ...asqNo, ...grievance(items) });
    expect(scoring.explanation.find((item) => item.kind === 'critical')).toEqual({
      kind: 'critical',
      rule: 'grievance_with_means',
      level: 'high',
      because: [
        { kind: 'score', indicator: 'grievance', total: 12, gte: 12 },
        { kind: 'answer', questionId: 'g_means', optionId: 'yes' },
      ],
    });
  });
});

describe('explanation', () => {
  it('lists every band with the answers that scored, highest level first', () => {
    const scoring = scoreAnswers(script, { ...k6(14), ...asqNo, ...grievance({ g_blame: 'a_little' }) });
    expect(scoring.level).toBe('high');
    expect(scoring.explanation).toEqual([
      {
        kind: 'band',
        indicator: 'distress',
        total: 14,
        band: 'serious',
        level: 'high',
        answers: [
          { questionId: 'k6_on_edge', optionId: 'nearly_always', points: 4 },
          { questionId: 'k6_no_hope', optionId: 'nearly_always', points: 4 },
          { questionId: 'k6_unsettled', optionId: 'nearly_always', points: 4 },
          { questionId: 'k6_low', optionId: 'part_of_the_time', points: 2 },
        ],
      },
      {
        kind: 'band',
        indicator: 'grievance',
        total: 1,
        band: 'low',
        level: 'none',
        answers: [{ questionId: 'g_blame', optionId: 'a_little', points: 1 }],
      },
    ]);
  });

  it('counts only the answers given (skipped questions add nothing) and ignores free text', () => {
    const scoring = scoreAnswers(script, { closing: { type: 'text', text: 'hello' } });
    expect(scoring.scores.distress?.total).toBe(0);
    expect(scoring.level).toBe('none');
  });
});

describe('bandFor', () => {
  const indicator = {
    min: 0,
    max: 10,
    bands: [
      { name: 'b', min: 5, max: 10, level: 'high' as const },
      { name: 'a', min: 0, max: 4, level: 'none' as const },
    ],
  };
  it.each([
    [-3, 'a'],
    [0, 'a'],
    [4, 'a'],
    [5, 'b'],
    [99, 'b'],
  ])('puts %i in band %s, clamping totals outside the range', (total, band) => {
    expect(bandFor(indicator, total).name).toBe(band);
  });
});

describe('holds', () => {
  const context = {
    answers: { q: option('b'), t: { type: 'text' as const, text: 'b' } },
    totals: { x: 5 },
  };
  it.each<[TCondition, boolean]>([
    [{ answer: 'q', in: ['a', 'b'] }, true],
    [{ answer: 'q', in: ['a'] }, false],
    [{ answer: 't', in: ['b'] }, false],
    [{ answer: 'unanswered', in: ['b'] }, false],
    [{ score: 'x', gte: 5 }, true],
    [{ score: 'x', gte: 6 }, false],
    [{ score: 'x', lte: 5 }, true],
    [{ score: 'x', gte: 1, lte: 4 }, false],
    [{ score: 'missing', lte: 0 }, true],
    [
      {
        all: [
          { score: 'x', gte: 1 },
          { answer: 'q', in: ['b'] },
        ],
      },
      true,
    ],
    [
      {
        all: [
          { score: 'x', gte: 1 },
          { answer: 'q', in: ['a'] },
        ],
      },
      false,
    ],
    [
      {
        any: [
          { score: 'x', gte: 9 },
          { answer: 'q', in: ['b'] },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { score: 'x', gte: 9 },
          { answer: 'q', in: ['a'] },
        ],
      },
      false,
    ],
    [{ not: { answer: 'q', in: ['a'] } }, true],
    [{ not: { not: { answer: 'q', in: ['a'] } } }, false],
  ])('%j is %s', (condition, expected) => {
    expect(holds(condition, context)).toBe(expected);
  });
});

describe('outcomeFor', () => {
  it('gives the message and resources of a level in the locale asked', () => {
    const en = outcomeFor(script, 'imminent', 'en');
    const zh = outcomeFor(script, 'imminent', 'zh-CN');
    expect(en.title).toBe('Your safety comes first');
    expect(zh.title).toBe('您的安全最重要');
    expect(en.resources.map((r) => r.title)).toEqual([
      'Emergency services',
      'Make your surroundings safer',
      'A local support line',
    ]);
    expect(zh.resources).toHaveLength(3);
  });

  it('falls back to the first locale for one the script lacks', () => {
    expect(outcomeFor(script, 'low', 'fr').message).toBe(outcomeFor(script, 'low', 'en').message);
  });
});
