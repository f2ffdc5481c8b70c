import { describe, expect, it } from 'vitest';
import {
  crisisReasonText,
  leadingCrisisReason,
  renderCaseSummary,
} from '../../../src/domain/escalation/index.ts';
import { createI18n } from '../../../src/i18n.ts';
import { assessMessage } from '../../../src/services/crisis.ts';
import { loadRiskData } from '../../../src/services/load-risk-data.ts';
import { pagesTranslator } from '../../../src/services/pages.ts';

const i18n = createI18n();
const en = pagesTranslator(i18n, 'en');
const zh = pagesTranslator(i18n, 'zh-CN');
const { crisisPatterns } = loadRiskData();

describe('crisisReasonText', () => {
  it('uses the wording of the reader’s own pattern file for the same id', () => {
    const signals = assessMessage(crisisPatterns, '我今晚就从楼上跳下去');
    const intent = signals?.reasons.find((reason) => reason.id === 'self.intent');
    expect(intent).toBeDefined();
    if (!intent) return;
    expect(crisisReasonText(zh, 'zh-CN', intent)).toBe('表示要结束自己的生命（意图）');
    expect(crisisReasonText(en, 'en', intent)).toBe('States an intention to end their own life');
  });

  it('says what lifted a match to imminent, in the reader’s words', () => {
    const signals = assessMessage(crisisPatterns, '今晚我要去江边跳下去');
    const height = signals?.reasons.find((reason) => reason.id === 'means.height');
    expect(height?.intensifier).toEqual({ type: 'means', lifts: true });
    if (!height) return;
    expect(crisisReasonText(en, 'en', height)).toBe(
      'Names a height, water or railway to go to (means at hand: makes it imminent)',
    );
    expect(crisisReasonText(zh, 'zh-CN', height)).toBe('提到高处、水边或铁轨（手边的手段：因此升为紧急）');
  });

  it('names the kind and urgency when only the other language’s file knows the pattern', () => {
    const reason = {
      id: 'self.method-mention',
      source: 'pattern' as const,
      kind: 'self' as const,
      level: 'imminent' as const,
      explanation: '第一人称提到一种明确的自杀方式',
      wordings: { 'zh-CN': '第一人称提到一种明确的自杀方式' },
    };
    expect(crisisReasonText(en, 'en', reason)).toBe(
      'Crisis language about themselves, imminent (a pattern written for another language)',
    );
  });

  it('translates the context notes, and shows an older row’s explanation as it was kept', () => {
    const past = {
      id: 'context.past',
      source: 'context' as const,
      explanation: 'Told as in the past (cue x)',
    };
    expect(crisisReasonText(zh, 'zh-CN', past)).toBe('讲述的是过去的事：保持为需关注');
    expect(crisisReasonText(zh, 'zh-CN', { id: 'x', explanation: 'Kept as it was' })).toBe('Kept as it was');
  });
});

describe('leadingCrisisReason', () => {
  it('is the first pattern at the signals’ level, not what lifted it', () => {
    const signals = assessMessage(crisisPatterns, '我今晚就从楼上跳下去');
    expect(leadingCrisisReason({ crisis: signals })?.id).toBe('self.intent');
    expect(leadingCrisisReason({ grievance: {} })).toBeUndefined();
    expect(leadingCrisisReason(undefined)).toBeUndefined();
  });
});

describe('grievance categories', () => {
  it('are named in the reader’s language', () => {
    const view = {
      id: 3,
      level: 'moderate',
      score: 0,
      source: 'screening',
      createdAt: new Date(0),
      scores: null,
      explanation: null,
      signals: {
        grievance: {
          wordCount: 40,
          isShortText: false,
          categories: [
            { category: 'desperation', matches: 2, proportion: 0.05, topTerms: [{ term: '绝望' }] },
          ],
        },
      },
    };
    expect(renderCaseSummary(zh, view, { now: new Date(0), locale: 'zh-CN' })).toContain(
      '绝望 ×2（5.0%：绝望）',
    );
    expect(renderCaseSummary(en, view, { now: new Date(0), locale: 'en' })).toContain('desperation ×2');
  });
});
