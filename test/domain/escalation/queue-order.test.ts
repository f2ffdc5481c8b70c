import { describe, expect, it } from 'vitest';
import { compareForQueue, type TQueueEntry } from '../../../src/domain/escalation/index.ts';

const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 12, minute));

describe('compareForQueue', () => {
  it.each<[string, TQueueEntry, TQueueEntry]>([
    [
      'imminent before high',
      { level: 'imminent', score: 0, createdAt: at(9) },
      { level: 'high', score: 30, createdAt: at(0) },
    ],
    [
      'high before moderate',
      { level: 'high', score: 1, createdAt: at(9) },
      { level: 'moderate', score: 30, createdAt: at(0) },
    ],
    [
      'moderate before low',
      { level: 'moderate', score: 1, createdAt: at(9) },
      { level: 'low', score: 30, createdAt: at(0) },
    ],
    [
      'a known level before an unknown one',
      { level: 'low', score: 0, createdAt: at(9) },
      { level: 'urgent?', score: 30, createdAt: at(0) },
    ],
    [
      'same level: higher score first',
      { level: 'high', score: 20, createdAt: at(9) },
      { level: 'high', score: 19, createdAt: at(0) },
    ],
    [
      'same level and score: waited longer first',
      { level: 'high', score: 5, createdAt: at(1) },
      { level: 'high', score: 5, createdAt: at(2) },
    ],
    [
      'all equal: lower id first',
      { id: 3, level: 'low', score: 5, createdAt: at(1) },
      { id: 4, level: 'low', score: 5, createdAt: at(1) },
    ],
  ])('%s', (_name, first, second) => {
    expect(compareForQueue(first, second)).toBeLessThan(0);
    expect(compareForQueue(second, first)).toBeGreaterThan(0);
  });

  it('sorts a queue', () => {
    const queue = [
      { id: 1, level: 'moderate', score: 9, createdAt: at(0) },
      { id: 2, level: 'high', score: 10, createdAt: at(5) },
      { id: 3, level: 'imminent', score: 0, createdAt: at(8) },
      { id: 4, level: 'high', score: 10, createdAt: at(3) },
      { id: 5, level: 'high', score: 12, createdAt: at(9) },
      { id: 6, level: 'low', score: 20, createdAt: at(0) },
    ];
    expect(queue.sort(compareForQueue).map((c) => c.id)).toEqual([3, 5, 4, 2, 1, 6]);
  });
});
