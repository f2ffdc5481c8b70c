import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectCrisis } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * `reads`: a message without what a locale's rules need (a Latin letter, a Chinese character) reads `none`
 * unread. It only saves time if it never hides a match: every corpus and round line reads the same with the
 * gate as without it, in both locales.
 */
const CORPUS = new URL('../../fixtures/crisis-corpus/', import.meta.url);
const texts = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.tsv'))
  .flatMap((file) => readFileSync(new URL(file, CORPUS), 'utf8').split('\n'))
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => line.split('\t').at(-1) ?? '')
  .concat(['wxs', '💊💊💊', '123', 'ok 好的', '😂']);

describe.each(['en', 'zh-CN'] as const)('the %s rules’ reads gate', (locale) => {
  const gated = crisisPatterns[locale];
  const ungated = { ...gated, reads: undefined };

  it('is set, and skips a message without its script', () => {
    expect(gated.reads).toBeDefined();
    const other = locale === 'en' ? '我今晚就从楼顶跳下去' : 'i am going to kill myself tonight';
    expect(detectCrisis(other, gated).level).toBe('none');
  });

  it(`hides no match in ${texts.length} corpus lines`, () => {
    const differ = texts.filter((text) => {
      const a = detectCrisis(text, gated);
      const b = detectCrisis(text, ungated);
      return a.level !== b.level || a.reasons.length !== b.reasons.length;
    });
    expect(differ).toEqual([]);
  });
});
