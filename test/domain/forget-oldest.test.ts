import { describe, expect, it } from 'vitest';
import { forgetOldest } from '../../src/domain/forget-oldest.ts';

describe('forgetOldest', () => {
  it('lets a map grow a tenth past what it keeps, then keeps only the newest, in their order', () => {
    const recent = new Map<number, string>();
    const sizes: number[] = [];
    for (let id = 1; id <= 25; id += 1) {
      recent.set(id, `m${id}`);
      forgetOldest(recent, 10);
      sizes.push(recent.size);
    }
    expect(Math.max(...sizes)).toBe(11);
    // Past 11, back to the newest 10: at ids 12, 14, … 24.
    expect(sizes.slice(9, 14)).toEqual([10, 11, 10, 11, 10]);
    expect([...recent.keys()]).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  it('changes nothing while the map holds no more than that', () => {
    const recent = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    forgetOldest(recent, 2);
    expect([...recent]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });
});
