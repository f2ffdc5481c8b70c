import { describe, expect, it } from 'vitest';
import { PRIORITY, type TPriority } from '../../../src/domain/outbox/kinds.ts';
import { createTokenBucket, createWindowLimit } from '../../../src/domain/outbox/rate-limit.ts';
import {
  createSendQueue,
  type TQueuedMessage,
  type TSendLimits,
} from '../../../src/domain/outbox/send-queue.ts';

const NO_LIMITS: TSendLimits = { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 };

let seq = 0;
function message(lane: string, priority: TPriority, options: Partial<TQueuedMessage> = {}): TQueuedMessage {
  seq += 1;
  return { key: `m${seq}`, lane, seq, priority, isOrdered: true, isLimited: true, ...options };
}

/** Takes every message that may go at `nowMs`, marking each done at once; returns their keys in order. */
function drain(queue: ReturnType<typeof createSendQueue>, nowMs: number): string[] {
  const sent: string[] = [];
  for (;;) {
    const next = queue.next(nowMs);
    if (next.type !== 'send') return sent;
    sent.push(next.message.key);
    queue.done(next.message.key);
  }
}

describe('createSendQueue', () => {
  it('sends the most urgent first, then the oldest', () => {
    const queue = createSendQueue(NO_LIMITS);
    const routine = message('a', PRIORITY.routine);
    const relay = message('b', PRIORITY.relay);
    const crisis = message('c', PRIORITY.crisis);
    for (const m of [routine, relay, crisis]) queue.add(m);
    expect(drain(queue, 0)).toEqual([crisis.key, relay.key, routine.key]);
  });

  it("keeps a chat's new messages in their order, one at a time", () => {
    const queue = createSendQueue(NO_LIMITS);
    const first = message('a', PRIORITY.routine);
    const second = message('a', PRIORITY.routine);
    queue.add(second);
    queue.add(first);
    const next = queue.next(0);
    expect(next).toMatchObject({ type: 'send', message: { key: first.key } });
    // The second waits while the first is in flight.
    expect(queue.next(0)).toEqual({ type: 'idle' });
    queue.done(first.key);
    expect(queue.next(0)).toMatchObject({ type: 'send', message: { key: second.key } });
  });

  it('lets a crisis message past a routine one of its chat, never the other way round', () => {
    const queue = createSendQueue(NO_LIMITS);
    const question = message('a', PRIORITY.routine);
    const numbers = message('a', PRIORITY.crisis);
    const nextQuestion = message('a', PRIORITY.routine);
    for (const m of [question, numbers, nextQuestion]) queue.add(m);
    // The question is stuck (Telegram failed it): the numbers still go, what came after them waits.
    expect(queue.next(0)).toMatchObject({ message: { key: numbers.key } });
    expect(queue.next(0)).toMatchObject({ message: { key: question.key } });
    queue.retry(question.key, { atMs: 5000, isRateLimited: false });
    queue.done(numbers.key);
    expect(queue.next(0)).toEqual({ type: 'wait', untilMs: 5000 });
    expect(drain(queue, 5000)).toEqual([question.key, nextQuestion.key]);
  });

  it('sends edits and callback answers whenever they can, and an edit only once what it edits has gone', () => {
    const queue = createSendQueue(NO_LIMITS);
    const page = message('w', PRIORITY.urgent);
    const edit = message('w', PRIORITY.housekeeping, { isOrdered: false, waitsFor: page.key });
    const answer = message('w', PRIORITY.urgent, { isOrdered: false, isLimited: false });
    for (const m of [page, edit, answer]) queue.add(m);
    const sent = [queue.next(0), queue.next(0)].map((next) =>
      next.type === 'send' ? next.message.key : next.type,
    );
    expect(sent.sort()).toEqual([answer.key, page.key].sort());
    expect(queue.next(0)).toEqual({ type: 'idle' });
    queue.done(page.key);
    expect(queue.next(0)).toMatchObject({ message: { key: edit.key } });
  });

  it('keeps to the bot’s limit without being told: the rest waits for a free second, most urgent first', () => {
    const queue = createSendQueue({ perSecond: 2, perChatPerSecond: 0, chatBurst: 1 });
    const routine = ['a', 'b', 'c', 'e'].map((lane) => message(lane, PRIORITY.routine));
    for (const m of routine) queue.add(m);
    expect(drain(queue, 0)).toEqual([routine[0]?.key, routine[1]?.key]);
    const crisis = message('d', PRIORITY.crisis);
    queue.add(crisis);
    expect(queue.next(400)).toEqual({ type: 'wait', untilMs: 1000 });
    expect(drain(queue, 1000)).toEqual([crisis.key, routine[2]?.key]);
    expect(drain(queue, 1500)).toEqual([]);
    expect(drain(queue, 2000)).toEqual([routine[3]?.key]);
  });

  it("keeps a chat's pace after its burst, while other chats go on", () => {
    const queue = createSendQueue({ perSecond: 0, perChatPerSecond: 1, chatBurst: 2 });
    const busy = [1, 2, 3].map(() => message('busy', PRIORITY.routine));
    const quiet = message('quiet', PRIORITY.routine);
    for (const m of [...busy, quiet]) queue.add(m);
    expect(drain(queue, 0)).toEqual([busy[0]?.key, busy[1]?.key, quiet.key]);
    expect(queue.next(0)).toEqual({ type: 'wait', untilMs: 1000 });
    expect(drain(queue, 1000)).toEqual([busy[2]?.key]);
  });

  it('after a 429, less urgent messages wait out its retry_after; as urgent or more go on', () => {
    const queue = createSendQueue(NO_LIMITS);
    const refused = message('a', PRIORITY.relay);
    const routine = message('b', PRIORITY.routine);
    const crisis = message('c', PRIORITY.crisis);
    queue.add(refused);
    expect(queue.next(0)).toMatchObject({ message: { key: refused.key } });
    queue.retry(refused.key, { atMs: 3000, isRateLimited: true });
    queue.add(routine);
    queue.add(crisis);
    expect(drain(queue, 100)).toEqual([crisis.key]);
    expect(queue.next(100)).toEqual({ type: 'wait', untilMs: 3000 });
    expect(drain(queue, 3000)).toEqual([refused.key, routine.key]);
  });

  it('retryNow lets what waits go at once', () => {
    const queue = createSendQueue(NO_LIMITS);
    const stuck = message('a', PRIORITY.routine);
    queue.add(stuck);
    queue.next(0);
    queue.retry(stuck.key, { atMs: 60_000, isRateLimited: true });
    queue.retryNow();
    expect(drain(queue, 1)).toEqual([stuck.key]);
    expect(queue.size()).toBe(0);
  });
});

describe('createWindowLimit', () => {
  it('allows so many in any window, never a burst on top', () => {
    const limit = createWindowLimit({ perWindow: 2, windowMs: 1000 });
    expect(limit.take(0)).toEqual({ isTaken: true });
    expect(limit.take(600)).toEqual({ isTaken: true });
    expect(limit.take(700)).toEqual({ isTaken: false, readyAtMs: 1000 });
    expect(limit.take(1000)).toEqual({ isTaken: true });
    expect(limit.take(1100)).toEqual({ isTaken: false, readyAtMs: 1600 });
    expect(limit.isFull(5000)).toBe(true);
  });
});

describe('createTokenBucket', () => {
  it('gives a burst, then one token per 1/rate seconds; 0 means no limit', () => {
    const bucket = createTokenBucket({ perSecond: 4, burst: 2 });
    expect(bucket.take(0)).toEqual({ isTaken: true });
    expect(bucket.take(0)).toEqual({ isTaken: true });
    expect(bucket.take(0)).toEqual({ isTaken: false, readyAtMs: 250 });
    expect(bucket.take(250)).toEqual({ isTaken: true });
    expect(bucket.isFull(250)).toBe(false);
    expect(bucket.isFull(10_000)).toBe(true);
    const unlimited = createTokenBucket({ perSecond: 0, burst: 1 });
    for (let i = 0; i < 100; i++) expect(unlimited.take(0)).toEqual({ isTaken: true });
  });
});
