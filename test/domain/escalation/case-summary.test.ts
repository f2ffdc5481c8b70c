import { describe, expect, it } from 'vitest';
import { formatWaiting, renderCaseSummary, type TCaseView } from '../../../src/domain/escalation/index.ts';
import { scriptLabels } from '../../../src/domain/script/index.ts';
import { createI18n } from '../../../src/i18n.ts';
import { pagesTranslator } from '../../../src/services/pages.ts';
import { loadDefaultScript } from '../script/support.ts';

const i18n = createI18n();
const en = pagesTranslator(i18n, 'en');
const zh = pagesTranslator(i18n, 'zh-CN');

const createdAt = new Date('2030-01-01T12:00:00Z');
const now = new Date('2030-01-01T12:07:30Z');

/** A screening case as `openOrRaiseCase` stores it, with signals that quote the resident. */
const view: TCaseView = {
  id: 42,
  level: 'imminent',
  score: 21,
  source: 'screening',
  createdAt,
  scores: {
    distress: {
      total: 21,
      min: 0,
      max: 24,
      band: 'severe',
      level: 'high',
      contributions: [{ questionId: 'k6_on_edge', optionId: 'often', points: 3 }],
    },
    suicide_risk: { total: 4, min: 0, max: 5, band: 'acute', level: 'imminent', contributions: [] },
  },
  explanation: [
    {
      kind: 'critical',
      rule: 'asq_acute',
      level: 'imminent',
      because: [
        { kind: 'answer', questionId: 'asq_now', optionId: 'yes_now' },
        { kind: 'score', indicator: 'suicide_risk', total: 4, gte: 1 },
      ],
    },
    {
      kind: 'band',
      indicator: 'distress',
      total: 21,
      band: 'severe',
      level: 'high',
      answers: [
        { questionId: 'k6_on_edge', optionId: 'often', points: 3 },
        { questionId: 'k6_no_hope', optionId: 'nearly_always', points: 4 },
      ],
    },
    { kind: 'band', indicator: 'grievance', total: 0, band: 'none', level: 'none', answers: [] },
  ],
  signals: {
    crisis: {
      level: 'imminent',
      kind: 'self',
      reasons: [
        {
          id: 'self.use-means',
          explanation: 'Speaks of using a means of self-harm',
          span: { start: 0, end: 9, text: 'RESIDENT-WORDS' },
        },
      ],
      normalisedText: 'RESIDENT-WORDS and more',
    },
    grievance: {
      type: 'grievance-signals',
      wordCount: 20,
      isShortText: true,
      categories: [
        { category: 'desperation', matches: 0, proportion: 0, topTerms: [] },
        {
          category: 'grievance',
          matches: 2,
          proportion: 0.1,
          topTerms: [{ term: 'unfair', count: 2, examples: ['RESIDENT-EXAMPLE'] }],
        },
      ],
    },
  },
};

describe('renderCaseSummary', () => {
  it('shows level, waiting time, scores and bands, the rules and answers, and signals with reasons', () => {
    const text = renderCaseSummary(en, view, {
      now,
      locale: 'en',
      paged: { step: 1, audiences: ['on-call', 'supervisors'] },
    });
    expect(text.split('\n')).toEqual([
      '🔔 Case #42: IMMINENT risk',
      'Waiting 7 min · from a screening',
      'Paged as: on call + supervisor (step 1)',
      '',
      'Scores',
      '• distress: 21 (range 0–24), band severe',
      '• suicide_risk: 4 (range 0–5), band acute',
      '',
      'Why this level',
      '• asq_acute → IMMINENT risk, because: asq_now: yes_now; suicide_risk total 4 ≥ 1',
      '• distress “severe” → HIGH risk, from: k6_on_edge: often (+3); k6_no_hope: nearly_always (+4)',
      '',
      'Signals (for your judgement, not a verdict)',
      '• Crisis language (imminent, about themselves):',
      '  – Speaks of using a means of self-harm',
      '• Grievance language over 20 words (short text, proportions unstable): grievance ×2 (10.0%: unfair)',
    ]);
  });

  it('names scores, rules, questions and answers by the labels of the script, in the language of the reader', () => {
    const script = loadDefaultScript();
    const fromScreening: TCaseView = {
      ...view,
      scores: {
        distress: { total: 21, min: 0, max: 24, band: 'serious', level: 'high' },
      },
      explanation: [
        {
          kind: 'critical',
          rule: 'asq_acute',
          level: 'imminent',
          because: [{ kind: 'answer', questionId: 'asq_now', optionId: 'yes_now' }],
        },
        {
          kind: 'band',
          indicator: 'distress',
          total: 21,
          band: 'serious',
          level: 'high',
          answers: [
            { questionId: 'k6_on_edge', optionId: 'often', points: 3 },
            { questionId: 'k6_worth', optionId: 'nearly_always', points: 4 },
          ],
        },
      ],
    };
    const english = renderCaseSummary(en, fromScreening, {
      now,
      locale: 'en',
      labels: scriptLabels(script, 'en'),
    });
    expect(english).toContain('• Distress: 21 (range 0–24), band Serious');
    expect(english).toContain(
      '• Thinking of suicide right now → IMMINENT risk, because: Thinking of ending their life right now: Yes, right now',
    );
    expect(english).toContain(
      '• Distress “Serious” → HIGH risk, from: Tense or on edge: Often (+3); Felt no good, worthless: Nearly all the time (+4)',
    );
    const chinese = renderCaseSummary(zh, fromScreening, {
      now,
      locale: 'zh-CN',
      labels: scriptLabels(script, 'zh-CN'),
    });
    expect(chinese).toContain('• 心理困扰：21');
    expect(chinese).toContain('当下有自杀念头 → 紧急风险，依据：此刻正想结束生命：');
    expect(chinese).toContain('紧张或心里发慌：经常（+3）');
    expect(chinese).not.toMatch(/k6_|asq_|serious/);
  });

  it('never shows what the resident wrote', () => {
    for (const [t, locale] of [
      [en, 'en'],
      [zh, 'zh-CN'],
    ] as const) {
      const text = renderCaseSummary(t, view, { now, locale });
      expect(text).not.toContain('RESIDENT');
    }
  });

  it('reads in Chinese with the same structure', () => {
    const text = renderCaseSummary(zh, view, { now, locale: 'zh-CN' });
    expect(text).toContain('个案 #42：紧急风险');
    expect(text).toContain('已等待 7 分钟');
    expect(text).toContain('信号（供您判断，并非结论）');
    // A missing translation would show its key.
    expect(text).not.toMatch(/\b(page|scores|why|signals|level|source|crisis_kind|crisis_level)\.[a-z_]+/);
  });

  it('leaves out what a case does not have, or holds in an unexpected shape', () => {
    const bare: TCaseView = {
      id: 7,
      level: 'imminent',
      score: 0,
      source: 'crisis-message',
      createdAt,
      scores: null,
      explanation: 'not a list',
      signals: { crisis: { level: 'imminent', reasons: 'broken' } },
    };
    expect(renderCaseSummary(en, bare, { now: createdAt, locale: 'en' })).toBe(
      '🔔 Case #7: IMMINENT risk\nWaiting under a minute · from crisis language in a message',
    );
  });

  it('shortens long reason lists and keeps the text within a Telegram message', () => {
    const many: TCaseView = {
      ...view,
      explanation: Array.from({ length: 9 }, (_, i) => ({
        kind: 'band',
        indicator: `indicator_${i}`,
        total: 9,
        band: 'high',
        level: 'high',
        answers: Array.from({ length: 8 }, (_, j) => ({ questionId: `q${j}`, optionId: 'x', points: 1 })),
      })),
    };
    const text = renderCaseSummary(en, many, { now, locale: 'en' });
    expect(text).toContain('q4: x (+1); 3 more');
    expect(text).toContain('• … and 5 more reasons (Details)');
    expect(text.length).toBeLessThanOrEqual(3500);
  });
});

describe('formatWaiting', () => {
  it.each([
    [0, 'under a minute', '不到 1 分钟'],
    [59_999, 'under a minute', '不到 1 分钟'],
    [60_000, '1 min', '1 分钟'],
    [59 * 60_000, '59 min', '59 分钟'],
    [185 * 60_000, '3 h 5 min', '3 小时 5 分钟'],
    [(2 * 24 + 4) * 3_600_000, '2 d 4 h', '2 天 4 小时'],
    [-5000, 'under a minute', '不到 1 分钟'],
  ])('%i ms', (ms, english, chinese) => {
    expect(formatWaiting(en, ms)).toBe(english);
    expect(formatWaiting(zh, ms)).toBe(chinese);
  });
});
