import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findAll } from '../../../src/domain/risk/crisis.ts';
import { normaliseText } from '../../../src/domain/risk/normalise.ts';
import { readTrainingCorpus } from '../../../src/services/crisis-model-files.ts';
import { crisisPatterns } from './risk-data.ts';

/** What `text.matchAll(regex)` finds, leaving out empty matches: the reference `findAll` must agree with. */
function byMatchAll(regex: RegExp, text: string, id: string, offset: number) {
  return [...text.matchAll(regex)]
    .filter((match) => match[0] !== '')
    .map((match) => ({
      id,
      start: match.index + offset,
      end: match.index + offset + match[0].length,
      text: match[0],
    }));
}

const SHIPPED = Object.values(crisisPatterns).flatMap((patterns) => [
  patterns.sentenceBoundary,
  patterns.clauseBoundary,
  ...patterns.patterns.map((pattern) => pattern.regex),
  ...patterns.idioms.map((idiom) => idiom.regex),
  ...patterns.intensifiers.map((intensifier) => intensifier.regex),
]);

// Messages the patterns were written for, read as the reader reads them, each with a pattern that matches it.
const MATCHED = (['en', 'zh-CN'] as const).flatMap((locale) =>
  readTrainingCorpus(locale)
    .messages.filter((_, index) => index % 20 === 0)
    .map((message) => normaliseText(message.text))
    .flatMap((text) =>
      SHIPPED.filter((regex) => byMatchAll(regex, text, 'p', 0).length > 0).map((regex) => ({ regex, text })),
    ),
);

describe('finding every match of a pattern', () => {
  it('finds what matchAll finds, for the shipped patterns and any text, and leaves the pattern as it was', () => {
    expect(MATCHED.length).toBeGreaterThan(100);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...MATCHED),
          fc.record({ regex: fc.constantFrom(...SHIPPED), text: fc.string({ unit: 'grapheme' }) }),
        ),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.nat(50),
        ({ regex, text: middle }, before, after, offset) => {
          const text = `${before}${middle}${after}`;
          expect(findAll(regex, text, 'p', offset)).toEqual(byMatchAll(regex, text, 'p', offset));
          expect(regex.lastIndex).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('steps past empty matches by whole characters, surrogate pairs included', () => {
    for (const text of ['', 'a', 'b😢a', '😢😢', 'ab\ud83d', '\ude22a']) {
      for (const regex of [/a?/gu, /(?:)|a/gu, /a?/g]) {
        expect(findAll(regex, text, 'p')).toEqual(byMatchAll(regex, text, 'p', 0));
        expect(regex.lastIndex).toBe(0);
      }
    }
  });

  it('refuses a pattern without the g flag, as matchAll does', () => {
    expect(() => findAll(/a/u, 'a', 'p')).toThrow(TypeError);
  });
});
