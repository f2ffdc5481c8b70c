import { describe, expect, it } from 'vitest';
import { createFloodLimiter } from '../../../src/domain/flood/limiter.ts';

describe('flood limiter', () => {
  it('lets the pace through, says "over" once per burst, and forgets the burst once it has passed', () => {
    const flood = createFloodLimiter({ limit: 3, windowMs: 1000 });
    expect([0, 10, 20].map((t) => flood.hit('a', t))).toEqual(['ok', 'ok', 'ok']);
    expect(flood.hit('a', 30)).toBe('over-first');
    expect(flood.hit('a', 40)).toBe('over');
    expect(flood.hit('b', 40)).toBe('ok');
    // A second later the window holds only what came since.
    expect(flood.hit('a', 1041)).toBe('ok');
    expect(flood.hit('a', 1042)).toBe('ok');
    expect(flood.hit('a', 1043)).toBe('ok');
    expect(flood.hit('a', 1044)).toBe('over-first');
  });

  it('keeps at most maxKeys senders, forgetting the least recently active', () => {
    const flood = createFloodLimiter({ limit: 1, windowMs: 1000, maxKeys: 2 });
    flood.hit('a', 0);
    flood.hit('b', 0);
    flood.hit('c', 0);
    expect(flood.size()).toBe(2);
    expect(flood.hit('a', 1)).toBe('ok');
  });
});
