import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIORITY, type TPriority } from '../../../src/domain/outbox/kinds.ts';
import { createTokenBucket, createWindowLimit } from '../../../src/domain/outbox/rate-limit.ts';
import {
  createSendQueue,
  type TQueuedMessage,
  type TSendLimits,
} from '../../../src/domain/outbox/send-queue.ts';
import { createReferenceSendQueue } from './send-queue-reference.ts';

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
    queue.add(question);
    // The question is stuck (Telegram failed it): the numbers still go, what came after them waits.
    expect(queue.next(0)).toMatchObject({ message: { key: question.key } });
    queue.retry(question.key, { atMs: 5000, isRateLimited: false, nowMs: 0 });
    queue.add(numbers);
    queue.add(nextQuestion);
    expect(queue.next(0)).toMatchObject({ message: { key: numbers.key } });
    queue.done(numbers.key);
    expect(queue.next(0)).toEqual({ type: 'wait', untilMs: 5000 });
    expect(drain(queue, 5000)).toEqual([question.key, nextQuestion.key]);
  });

  it('never has two new messages of one chat on their way at once, whatever their urgency', () => {
    const queue = createSendQueue(NO_LIMITS);
    // Messages a worker's claim wrote: the kept relays first, then the more urgent answer announcing them.
    const relay = message('w', PRIORITY.relay);
    const answer = message('w', PRIORITY.urgent);
    for (const m of [relay, answer]) queue.add(m);
    expect(queue.next(0)).toMatchObject({ message: { key: answer.key } });
    // Sent at once, the relay could arrive first.
    expect(queue.next(0)).toEqual({ type: 'idle' });
    queue.done(answer.key);
    expect(queue.next(0)).toMatchObject({ message: { key: relay.key } });
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

  it('keeps to the bot’s limit without being told, a share held back for crisis messages', () => {
    const queue = createSendQueue({ perSecond: 10, perChatPerSecond: 0, chatBurst: 1 });
    const routine = Array.from({ length: 10 }, (_, index) => message(`r${index}`, PRIORITY.routine));
    for (const m of routine) queue.add(m);
    // Nine of ten: one is held back for a crisis.
    expect(drain(queue, 0)).toEqual(routine.slice(0, 9).map((m) => m.key));
    const crisis = message('c', PRIORITY.crisis);
    queue.add(crisis);
    expect(drain(queue, 400)).toEqual([crisis.key]);
    // The window is a little over a second: what leaves evenly may reach Telegram bunched up.
    expect(queue.next(400)).toEqual({ type: 'wait', untilMs: 1100 });
    expect(drain(queue, 1100)).toEqual([routine[9]?.key]);
  });

  it("keeps a chat's pace after its burst, a little under Telegram's, with room for a crisis message", () => {
    const queue = createSendQueue({ perSecond: 0, perChatPerSecond: 1, chatBurst: 5 });
    const busy = [1, 2, 3].map(() => message('busy', PRIORITY.routine));
    const quiet = message('quiet', PRIORITY.routine);
    for (const m of [...busy, quiet]) queue.add(m);
    // A burst of four less two held back for a crisis.
    expect(drain(queue, 0)).toEqual([busy[0]?.key, busy[1]?.key, quiet.key]);
    const crisis = message('busy', PRIORITY.crisis);
    queue.add(crisis);
    expect(drain(queue, 0)).toEqual([crisis.key]);
    // Two more tokens must come back first (0.9 a second): one for it, and the crisis reserve.
    expect(queue.next(0)).toEqual({ type: 'wait', untilMs: 2223 });
    expect(drain(queue, 2223)).toEqual([busy[2]?.key]);
  });

  it("after a chat's 429, that chat waits out its retry_after; the others go on", () => {
    const queue = createSendQueue(NO_LIMITS);
    const refused = message('a', PRIORITY.routine);
    const sameChat = message('a', PRIORITY.crisis);
    const otherChat = message('b', PRIORITY.routine);
    queue.add(refused);
    expect(queue.next(0)).toMatchObject({ message: { key: refused.key } });
    queue.retry(refused.key, { atMs: 3000, isRateLimited: true, nowMs: 0 });
    queue.add(sameChat);
    queue.add(otherChat);
    expect(drain(queue, 100)).toEqual([otherChat.key]);
    expect(queue.next(100)).toEqual({ type: 'wait', untilMs: 3000 });
    expect(drain(queue, 3000)).toEqual([sameChat.key, refused.key]);
  });

  it('after 429s from several chats at once (the bot’s limit), less urgent messages wait; as urgent or more go on', () => {
    const queue = createSendQueue(NO_LIMITS);
    const refused = ['a', 'b', 'c'].map((lane) => message(lane, PRIORITY.relay));
    for (const m of refused) queue.add(m);
    for (const _ of refused) expect(queue.next(0).type).toBe('send');
    for (const m of refused) queue.retry(m.key, { atMs: 3000, isRateLimited: true, nowMs: 0 });
    const routine = message('d', PRIORITY.routine);
    const crisis = message('e', PRIORITY.crisis);
    queue.add(routine);
    queue.add(crisis);
    expect(drain(queue, 100)).toEqual([crisis.key]);
    expect(queue.next(100)).toEqual({ type: 'wait', untilMs: 3000 });
    expect(drain(queue, 3000).sort()).toEqual([...refused.map((m) => m.key), routine.key].sort());
  });

  it('retryNow lets what waits go at once', () => {
    const queue = createSendQueue(NO_LIMITS);
    const stuck = message('a', PRIORITY.routine);
    queue.add(stuck);
    queue.next(0);
    queue.retry(stuck.key, { atMs: 60_000, isRateLimited: true, nowMs: 0 });
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

describe('createSendQueue against the plain queue it replaced', () => {
  type TStep =
    | { op: 'add'; lane: number; priority: TPriority; isOrdered: boolean; isLimited: boolean; waits: number }
    | { op: 'next' }
    | { op: 'done'; pick: number; ofHeld: boolean }
    | { op: 'retry'; pick: number; ofHeld: boolean; afterMs: number; isRateLimited: boolean }
    | { op: 'readd'; pick: number }
    | { op: 'retryNow' }
    | { op: 'tick'; ms: number };
  const priorities = Object.values(PRIORITY) as TPriority[];
  const step: fc.Arbitrary<TStep> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        lane: fc.nat(5),
        priority: fc.constantFrom(...priorities),
        isOrdered: fc.boolean(),
        isLimited: fc.boolean(),
        waits: fc.integer({ min: -3, max: 20 }),
      }),
    },
    { weight: 5, arbitrary: fc.constant({ op: 'next' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('done' as const), pick: fc.nat(50), ofHeld: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('retry' as const),
        pick: fc.nat(50),
        ofHeld: fc.boolean(),
        afterMs: fc.integer({ min: 0, max: 3000 }),
        isRateLimited: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: 'retryNow' as const }) },
    // A message handed back again after it left (the sweep takes up a row whose lease passed).
    { weight: 1, arbitrary: fc.record({ op: fc.constant('readd' as const), pick: fc.nat(50) }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 800 }) }),
    },
  );
  const limits = fc.constantFrom<TSendLimits>(
    NO_LIMITS,
    { perSecond: 30, perChatPerSecond: 1, chatBurst: 10 },
    { perSecond: 5, perChatPerSecond: 1, chatBurst: 3 },
  );

  it('chooses exactly as it did, message by message, in generated histories of adds, sends, retries and time', () => {
    fc.assert(
      fc.property(
        limits,
        // `size: 'max'`: fast-check's default size keeps an array to about ten steps, too few to reach the
        // states where what a chat offers must be looked at again.
        fc.array(step, { minLength: 1, maxLength: 300, size: 'max' }),
        (chosenLimits, steps) => {
          const quick = createSendQueue(chosenLimits);
          const plain = createReferenceSendQueue(chosenLimits);
          const keys: string[] = [];
          const added = new Map<string, TQueuedMessage>();
          /** A key among those held (or, when `ofHeld` is false or none is, among every key ever added). */
          const pickKey = (pick: number, ofHeld: boolean) => {
            const held = ofHeld ? keys.filter((key) => plain.has(key)) : [];
            const pool = held.length > 0 ? held : keys;
            return pool[pick % Math.max(1, pool.length)];
          };
          let nowMs = 1_000_000;
          let nextSeq = 0;
          for (const s of steps) {
            if (s.op === 'add') {
              nextSeq += 1;
              const key = `k${nextSeq}`;
              // Now and then an edit of an earlier message (held or not), or a callback answer's large seq.
              const waitsFor =
                s.waits > 0 && s.waits <= keys.length ? keys[keys.length - s.waits] : undefined;
              const message: TQueuedMessage = {
                key,
                lane: `chat${s.lane}`,
                seq: s.waits < 0 ? Number.MAX_SAFE_INTEGER : nextSeq,
                priority: s.priority,
                isOrdered: s.isOrdered,
                isLimited: s.isLimited,
                ...(waitsFor ? { waitsFor } : {}),
              };
              keys.push(key);
              added.set(key, message);
              quick.add({ ...message });
              plain.add({ ...message });
            } else if (s.op === 'next') {
              const a = quick.next(nowMs);
              const b = plain.next(nowMs);
              expect(a.type === 'send' ? `send ${a.message.key}` : JSON.stringify(a)).toBe(
                b.type === 'send' ? `send ${b.message.key}` : JSON.stringify(b),
              );
            } else if (s.op === 'readd') {
              const gone = keys.filter((key) => !plain.has(key));
              const message = added.get(gone[s.pick % Math.max(1, gone.length)] ?? '');
              if (message === undefined) continue;
              quick.add({ ...message });
              plain.add({ ...message });
            } else if (s.op === 'done' || s.op === 'retry') {
              const key = pickKey(s.pick, s.ofHeld);
              if (key === undefined) continue;
              if (s.op === 'done') {
                quick.done(key);
                plain.done(key);
              } else {
                const input = { atMs: nowMs + s.afterMs, isRateLimited: s.isRateLimited, nowMs };
                quick.retry(key, input);
                plain.retry(key, input);
              }
            } else if (s.op === 'retryNow') {
              quick.retryNow();
              plain.retryNow();
            } else {
              nowMs += s.ms;
            }
            expect([quick.size(), quick.inFlight()]).toEqual([plain.size(), plain.inFlight()]);
          }
          for (const key of keys) expect(quick.has(key)).toBe(plain.has(key));
        },
      ),
      { numRuns: 400, seed: 20261206 },
    );
  });
});
