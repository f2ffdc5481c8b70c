import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldText, normaliseText } from '../../../src/domain/risk/normalise.ts';

describe('normaliseText', () => {
  it.each([
    ['case and spacing', '  I   WANT\tto  DIE  ', 'i want to die'],
    ['full-width letters and punctuation', 'Ｉ ｗａｎｔ ｔｏ ｄｉｅ！', 'i want to die!'],
    ['curly apostrophes dropped', 'I’m not ok, I can’t', 'im not ok, i cant'],
    ['stretched vowels shrink to one', 'kiiiill myseeeelf', 'kill myself'],
    ['stretched consonants shrink to two', 'killlll meeee', 'kill me'],
    ['leetspeak inside words', 'k1ll mys3lf, $uicide, p1lls', 'kill myself, suicide, pills'],
    ['leading numbers stay', 'at 5pm on the 14th, 30 pills', 'at 5pm on the 14th, 30 pills'],
    ['punctuation runs collapse', 'help!!!!! please...', 'help! please.'],
    ['zero-width characters vanish', 'ki\u200bll my\u00adself', 'kill myself'],
    ['line breaks survive as sentence ends', 'bye\r\n\r\n  everyone', 'bye\neveryone'],
    ['Chinese punctuation maps to ASCII', '我不想活了。真的，很累！', '我不想活了.真的,很累!'],
    ['spaces between Han characters removed', '我 想 死', '我想死'],
    [
      'a space between runs of Chinese words is a clause break',
      '周日我就结束 办法都想好了',
      '周日我就结束,办法都想好了',
    ],
    ['full-width digits', '今晚１０点', '今晚10点'],
    ['Han runs shrink to two', '啊啊啊啊啊', '啊啊'],
    ['Han characters join before runs shrink', '我 我我', '我我'],
  ])('%s', (_name, input, expected) => {
    expect(normaliseText(input)).toBe(expected);
  });

  it('is idempotent on arbitrary unicode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const once = normaliseText(text);
        expect(normaliseText(once)).toBe(once);
      }),
      { numRuns: 5000 },
    );
  });

  it('is idempotent on text made of the characters it rewrites', () => {
    const tricky = fc.constantFrom(...'aeiouklms013457@$ \n\t.!,。，！我想死ＫＩ’\u200b'.split(''));
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 40 }), (chars) => {
        const once = normaliseText(chars.join(''));
        expect(normaliseText(once)).toBe(once);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('foldText', () => {
  it('keeps apostrophes, digits and letter runs for lexicon matching', () => {
    expect(foldText('Ｉ  don’t   call 911, sooo ALONE')).toBe("i don't call 911, sooo alone");
  });
});
