import { describe, expect, it } from 'vitest';
import { SHORT_TEXT_WORDS, scoreGrievance } from '../../../src/domain/risk/grievance.ts';
import {
  GRIEVANCE_CATEGORIES,
  parseGrievanceDictionaryCsv,
  parseGrievanceLexiconYaml,
  stemToken,
} from '../../../src/domain/risk/grievance-lexicon.ts';
import { grievanceLexicons } from './risk-data.ts';

const category = (signals: ReturnType<typeof scoreGrievance>, name: string) =>
  signals.categories.find((item) => item.category === name);

describe('stemToken', () => {
  it.each([
    ['Injustice', 'injustic'],
    ['anxiety', 'anxieti'],
    ['destroyed', 'destroy'],
    ['way', 'way'],
    ['died', 'die'],
    ['dying', 'die'],
    ['u.s.', 'u.s.'],
    ['alone.', 'alon'],
  ])('%s → %s', (word, stem) => {
    expect(stemToken(word)).toBe(stem);
  });
});

describe('scoreGrievance (Grievance Dictionary, en)', () => {
  const en = grievanceLexicons.en;

  it('covers the 22 categories in the dictionary order', () => {
    const signals = scoreGrievance('', en);
    expect(signals.categories.map((item) => item.category)).toEqual([...GRIEVANCE_CATEGORIES]);
    expect(signals).toMatchObject({ type: 'grievance-signals', wordCount: 0, isShortText: true });
  });

  it('matches inflected words through their stems, with the words the resident used', () => {
    const signals = scoreGrievance('The injustices keep coming. It is unfair, so unfair.', en);
    const grievance = category(signals, 'grievance');
    expect(grievance?.topTerms).toEqual([
      { term: 'unfair', count: 2, examples: ['unfair'] },
      { term: 'injustic', count: 1, examples: ['injustices'] },
    ]);
    expect(grievance?.matches).toBe(3);
    expect(grievance?.proportion).toBeCloseTo(3 / 9);
  });

  it('prefers a multi-word entry over its first word within a category, without double counting', () => {
    const signals = scoreGrievance('there is no way out for me', en);
    const desperation = category(signals, 'desperation');
    expect(desperation?.topTerms.map((term) => term.term)).toEqual(['no way out']);
    expect(desperation?.matches).toBe(1);
  });

  it('falls back to the parts of an unknown hyphenated word, counting it as one word', () => {
    const signals = scoreGrievance('my ex-boss', en);
    expect(signals.wordCount).toBe(2);
    expect(category(signals, 'deadline')?.topTerms[0]?.term).toBe('boss');
  });

  it('flags text under 50 words as short, and not at 50', () => {
    expect(scoreGrievance('word '.repeat(SHORT_TEXT_WORDS - 1), en).isShortText).toBe(true);
    expect(scoreGrievance('word '.repeat(SHORT_TEXT_WORDS), en).isShortText).toBe(false);
  });

  it('computes proportions as matches over all words', () => {
    const text = `${'the council ignored our petition again '.repeat(10)}and I feel hopeless`;
    const signals = scoreGrievance(text, en);
    expect(signals.wordCount).toBe(64);
    for (const item of signals.categories) expect(item.proportion).toBeCloseTo(item.matches / 64);
    expect(category(signals, 'help')?.topTerms[0]).toMatchObject({ term: 'petit', count: 10 });
  });
});

describe('scoreGrievance (Bridgeline lexicon, zh-CN)', () => {
  const zh = grievanceLexicons['zh-CN'];

  it('has the nine categories of our own lexicon', () => {
    expect(scoreGrievance('', zh).categories.map((item) => item.category)).toEqual([
      'desperation',
      'frustration',
      'grievance',
      'help',
      'loneliness',
      'planning',
      'suicide',
      'threat',
      'violence',
    ]);
  });

  it('matches terms as substrings, longest first, and counts Han characters / 2 as words', () => {
    const text = '房子被强拆了，太不公平了。我 一个人 很孤单，真的撑不下去了。';
    const signals = scoreGrievance(text, zh);
    expect(signals.wordCount).toBe(Math.ceil(25 / 2));
    expect(
      category(signals, 'grievance')
        ?.topTerms.map((term) => term.term)
        .sort(),
    ).toEqual(['不公平', '强拆']);
    expect(category(signals, 'loneliness')?.matches).toBe(2);
    expect(category(signals, 'desperation')?.topTerms[0]).toMatchObject({ term: '撑不下去', count: 1 });
    expect(signals.isShortText).toBe(true);
  });

  it('does not let a shorter term re-count characters a longer one claimed', () => {
    const signals = scoreGrievance('不公正', zh);
    expect(category(signals, 'grievance')?.topTerms).toEqual([
      { term: '不公正', count: 1, examples: ['不公正'] },
    ]);
  });
});

describe('lexicon parsers', () => {
  it('rejects a dictionary CSV with an unknown category, naming the line', () => {
    const result = parseGrievanceDictionaryCsv('"","category","word","mean_rating"\n"1","anger","rage",8\n');
    expect(result.ok ? [] : result.errors).toEqual(['line 2: unknown category "anger"']);
  });

  it('rejects a lexicon file with an unknown category', () => {
    const result = parseGrievanceLexiconYaml(
      'name: x\nlocale: zh-CN\nversion: 1\ncategories:\n  rage: [愤怒]\n',
    );
    expect(result.ok).toBe(false);
  });
});
