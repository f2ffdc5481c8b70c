import { describe, expect, it } from 'vitest';
import { backoffMs, classifyFailure, type TCallError } from '../../../src/domain/outbox/failure.ts';

const telegram = (code: number, description: string, retryAfterSeconds?: number): TCallError => ({
  type: 'telegram',
  code,
  description,
  ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
});

describe('classifyFailure', () => {
  it.each<[string, TCallError, 'send' | 'edit' | 'answer', number, object]>([
    [
      '429 with retry_after',
      telegram(429, 'Too Many Requests', 12),
      'send',
      1,
      { type: 'retry', delayMs: 12_000, isRateLimited: true },
    ],
    [
      '429 without retry_after',
      telegram(429, 'Too Many Requests'),
      'send',
      3,
      { type: 'retry', delayMs: 4000 },
    ],
    ['502', telegram(502, 'Bad Gateway'), 'send', 1, { type: 'retry', delayMs: 1000, isRateLimited: false }],
    [
      '500 on the 4th attempt',
      telegram(500, 'Internal Server Error'),
      'edit',
      4,
      { type: 'retry', delayMs: 8000 },
    ],
    [
      'a network error',
      { type: 'network', description: 'ECONNRESET' },
      'send',
      2,
      { type: 'retry', delayMs: 2000 },
    ],
    ['401 (token)', telegram(401, 'Unauthorized'), 'send', 1, { type: 'retry' }],
    [
      '403 blocked',
      telegram(403, 'Forbidden: bot was blocked by the user'),
      'send',
      1,
      { type: 'unreachable' },
    ],
    ['403 deactivated', telegram(403, 'Forbidden: user is deactivated'), 'send', 1, { type: 'unreachable' }],
    ['400 chat not found', telegram(400, 'Bad Request: chat not found'), 'send', 1, { type: 'unreachable' }],
    ['400 other', telegram(400, 'Bad Request: message is too long'), 'send', 1, { type: 'failed' }],
    ['edit not modified', telegram(400, 'Bad Request: message is not modified'), 'edit', 1, { type: 'done' }],
    ['edit gone', telegram(400, "Bad Request: message can't be edited"), 'edit', 1, { type: 'gone' }],
    [
      'edit to a blocked chat',
      telegram(403, 'Forbidden: bot was blocked by the user'),
      'edit',
      1,
      { type: 'gone' },
    ],
    [
      'a button press too old to answer',
      telegram(400, 'Bad Request: query is too old'),
      'answer',
      1,
      { type: 'gone' },
    ],
    [
      'an answer refused otherwise',
      telegram(400, 'Bad Request: text is too long'),
      'answer',
      1,
      { type: 'failed' },
    ],
  ])('%s', (_name, error, action, attempts, expected) => {
    expect(classifyFailure(error, action, attempts)).toMatchObject(expected);
  });

  it('backs off 1 s, 2 s, 4 s … up to 5 min', () => {
    expect([1, 2, 3, 4, 9, 10, 30, 1000].map(backoffMs)).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000,
    ]);
  });
});
