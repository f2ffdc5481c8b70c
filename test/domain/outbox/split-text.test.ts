import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitText } from '../../../src/domain/outbox/split-text.ts';

describe('splitText', () => {
  it('leaves a text that fits alone', () => {
    expect(splitText('Are you there?', 100)).toEqual(['Are you there?']);
    expect(splitText('', 100)).toEqual(['']);
  });

  it('cuts at the last line break or space in the second half of a part', () => {
    expect(splitText('aaaa bbbb\ncccc dddd', 12)).toEqual(['aaaa bbbb', 'cccc dddd']);
    expect(splitText('aaaaaaaaa bb', 10)).toEqual(['aaaaaaaaa', 'bb']);
  });

  it('cuts a text without spaces at the limit, never inside an emoji', () => {
    expect(splitText('我今晚就从楼上跳下去', 4)).toEqual(['我今晚就', '从楼上跳', '下去']);
    expect(splitText('abc😀def', 4)).toEqual(['abc', '😀de', 'f']);
  });

  it('keeps every part within the limit and every non-space character, in order', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.integer({ min: 2, max: 50 }),
        (text, max) => {
          const parts = splitText(text, max);
          for (const part of parts) expect(part.length).toBeLessThanOrEqual(max);
          const strip = (value: string) => value.replace(/[ \n]/gu, '');
          expect(strip(parts.join(''))).toBe(strip(text));
        },
      ),
    );
  });
});
