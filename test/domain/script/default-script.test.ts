import { describe, expect, it } from 'vitest';
import { RISK_LEVELS, type TRiskLevel } from '../../../src/domain/risk/level.ts';
import { outcomeFor, startScript } from '../../../src/domain/script/index.ts';
import { ROUTES } from '../../helpers/default-script-routes.ts';
import { loadDefaultScript, runThrough } from './support.ts';

const script = loadDefaultScript();
const K6 = ['k6_on_edge', 'k6_no_hope', 'k6_unsettled', 'k6_low', 'k6_effort', 'k6_worth'];
const ASQ = ['asq_wish_dead', 'asq_burden', 'asq_thoughts', 'asq_attempt'];
const GRIEVANCE_FULL = [
  'g_injustice',
  'g_blame',
  'g_channels',
  'g_nothing_to_lose',
  'g_revenge',
  'g_told_others',
  'g_means',
  'g_isolation',
];

function summary(locale: string, answers: string[]) {
  const { done } = runThrough(script, locale, answers);
  const { result } = done;
  return {
    path: result.path,
    distress: `${result.scores.distress?.total} ${result.scores.distress?.band}`,
    grievance: `${result.scores.grievance?.total} ${result.scores.grievance?.band}`,
    level: result.level,
    rules: result.explanation.flatMap((item) => (item.kind === 'critical' ? [item.rule] : [])),
    outcome: result.outcome,
    answers: done.state.answers,
  };
}

describe('golden transcripts', () => {
  it('en, doing well: the short route, level none', () => {
    const run = summary('en', [
      'Never',
      'never',
      '0',
      '0',
      'never',
      '0',
      'No',
      'no',
      'n',
      'NO',
      'Not at all',
      '0',
      '0',
      "Something else, or I'd rather not say",
      "I'd rather not say",
      'Nothing to add',
    ]);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, 'g_injustice', 'g_blame', 'g_isolation', 'topic', 'area', 'closing'],
      distress: '0 low',
      grievance: '0 low',
      level: 'none',
      rules: [],
      outcome: { level: 'none', title: 'Thank you' },
    });
    expect(run.answers.closing).toEqual({ type: 'option', optionId: 'nothing' });
  });

  it('zh-CN, unfairness but coping: the full grievance block, level low', () => {
    const run = summary('zh-CN', [
      ...Array(6).fill('从不'),
      '否',
      '否',
      '否',
      '否',
      '比较多',
      '比较多',
      '试过，但没有结果',
      '有一点',
      '从不',
      '否',
      '否',
      '有一点',
      '其他，或不想说',
      '河滨',
      '房东一直不退押金',
    ]);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, ...GRIEVANCE_FULL, 'topic', 'area', 'closing'],
      distress: '0 low',
      grievance: '8 some',
      level: 'low',
      rules: [],
      outcome: { level: 'low', title: '谢谢您的分享' },
    });
    expect(run.answers.closing).toEqual({ type: 'text', text: '房东一直不退押金' });
  });

  it('en, moderate distress: level moderate, and no short route', () => {
    const run = summary('en', [
      '2',
      '2',
      '1',
      '1',
      '1',
      '1',
      'no',
      'no',
      'no',
      'no',
      '1',
      '1',
      '1',
      '0',
      '0',
      'no',
      'no',
      '1',
      'job_loss',
      '2',
      'I lost my job in March.',
    ]);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, ...GRIEVANCE_FULL, 'topic', 'area', 'closing'],
      distress: '8 moderate',
      grievance: '3 low',
      level: 'moderate',
      rules: [],
    });
  });

  it('zh-CN, one "yes" on the suicide screener: the acute item, then level high', () => {
    const run = summary('zh-CN', [
      ...Array(6).fill('偶尔'),
      '是',
      '否',
      '否',
      '否',
      '现在没有',
      '0',
      '0',
      '1',
      '0',
      '0',
      '否',
      '否',
      '0',
      '其他，或不想说',
      '不想说',
      '没有要补充的',
    ]);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, 'asq_now', ...GRIEVANCE_FULL, 'topic', 'area', 'closing'],
      distress: '6 moderate',
      grievance: '0 low',
      level: 'high',
      rules: ['asq_positive'],
      outcome: { level: 'high', title: '社工很快会联系您' },
    });
  });

  it('en, thinking of suicide right now: the screening stops at once, level imminent', () => {
    const run = summary('en', ['4', '4', '3', '3', '2', '2', 'yes', 'yes', 'no', 'no', 'Yes, right now']);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, 'asq_now'],
      distress: '18 serious',
      grievance: '0 low',
      level: 'imminent',
      rules: ['asq_acute', 'asq_positive'],
      outcome: { level: 'imminent', title: 'Your safety comes first' },
    });
  });

  it('zh-CN, marked grievance with frequent revenge thoughts: level high', () => {
    const run = summary('zh-CN', [
      ...Array(6).fill('0'),
      '否',
      '否',
      '否',
      '否',
      '3',
      '3',
      '4',
      '2',
      '2',
      '否',
      '否',
      '0',
      '其他，或不想说',
      '不想说',
      '没有要补充的',
    ]);
    expect(run).toMatchObject({ grievance: '12 marked', level: 'high', rules: ['grievance_with_revenge'] });
  });

  it('en, intent, means and revenge thoughts: stops after the means item, level imminent', () => {
    const run = summary('en', [
      '1',
      '1',
      '1',
      '1',
      '1',
      '1',
      'no',
      'no',
      'no',
      'no',
      '3',
      '3',
      '5',
      '3',
      '3',
      'yes',
      'yes',
    ]);
    expect(run).toMatchObject({
      path: [...K6, ...ASQ, ...GRIEVANCE_FULL.slice(0, 7)],
      distress: '6 moderate',
      grievance: '21 severe',
      level: 'imminent',
    });
    expect(run.rules.sort()).toEqual([
      'grievance_with_leakage',
      'grievance_with_means',
      'grievance_with_revenge',
      'intent_with_means',
      'leakage',
      'threat_with_means',
    ]);
  });
});

describe('every level is reachable in every locale', () => {
  const routes: Record<TRiskLevel, readonly string[]> = ROUTES;
  const cases = script.locales.flatMap((locale) => RISK_LEVELS.map((level) => [locale, level] as const));

  it.each(cases)('%s reaches %s, with that level’s outcome', (locale, level) => {
    const { done } = runThrough(script, locale, routes[level]);
    expect(done.result.level).toBe(level);
    expect(done.result.outcome).toEqual(outcomeFor(script, level, locale));
    expect(done.result.outcome.message).toBe(script.outcomes[level].message[locale]);
  });
});

describe('the default script', () => {
  it('starts with the first distress item, and at most 22 questions to come', () => {
    const started = startScript(script, 'zh-CN');
    expect(started).toMatchObject({
      ok: true,
      step: { type: 'question', question: { id: 'k6_on_edge' }, progress: { answered: 0, total: 22 } },
    });
  });

  it('never skips the suicide screener, however well the distress items go', () => {
    const { done } = runThrough(script, 'en', [
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      'no',
      'no',
      'no',
      'no',
      '0',
      '0',
      '0',
      'rather_not_say',
      'rather_not_say',
      'nothing',
    ]);
    expect(done.result.path.slice(6, 10)).toEqual(ASQ);
  });

  it('has every text in both locales', () => {
    expect(script.locales).toEqual(['en', 'zh-CN']);
    for (const question of script.questions) {
      expect(Object.keys(question.text).sort()).toEqual(['en', 'zh-CN']);
    }
  });
});

describe('the default script in Chinese', () => {
  it('addresses the resident in one register: 您, never 你', () => {
    const chinese: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) for (const item of node) collect(item);
      else if (typeof node === 'object' && node !== null) {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'zh-CN' && typeof value === 'string') chinese.push(value);
          else collect(value);
        }
      }
    };
    collect(script);
    expect(chinese.length).toBeGreaterThan(20);
    expect(chinese.filter((text) => text.includes('你'))).toEqual([]);
  });
});
