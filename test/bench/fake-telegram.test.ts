import { performance } from 'node:perf_hooks';
import type { Update } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTelegram, type TFakeTelegram } from './fake-telegram.ts';

let fake: TFakeTelegram | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function call(method: string, payload: Record<string, unknown> = {}) {
  const response = await fetch(`${fake?.url}/bot1:token/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return (await response.json()) as {
    ok: boolean;
    result?: unknown;
    error_code?: number;
    parameters?: { retry_after?: number };
  };
}

const textUpdate = (updateId: number): Update =>
  ({
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: 7, type: 'private', first_name: 'R' }, text: 'hi' },
  }) as Update;

describe('the bench fake Bot API', () => {
  it('answers a round trip after the call and accepts it half way, like Telegram far away', async () => {
    fake = await startFakeTelegram({ rttMs: 80 });
    const seen: number[] = [];
    fake.onChatMessage(42, (message) => seen.push(message.at));
    const started = performance.now();
    const answer = await call('sendMessage', {
      chat_id: 42,
      text: 'Question 1\n\n1 / 3',
      reply_markup: { inline_keyboard: [[{ text: 'Never', callback_data: 'q:never' }]] },
    });
    const elapsed = performance.now() - started;

    expect(answer.ok).toBe(true);
    expect(answer.result).toMatchObject({ chat: { id: 42 }, text: 'Question 1\n\n1 / 3' });
    expect(elapsed).toBeGreaterThanOrEqual(78);
    expect(elapsed).toBeLessThan(400);
    const [record] = fake.calls;
    expect(record?.acceptedAt).toBeGreaterThanOrEqual((record?.arrivedAt ?? 0) + 38);
    expect(record?.buttons).toEqual([{ text: 'Never', data: 'q:never' }]);
    expect(seen).toEqual([record?.acceptedAt]);
  });

  it('gives every message a fresh id and answers other methods with true', async () => {
    fake = await startFakeTelegram({ rttMs: 0 });
    const first = (await call('sendMessage', { chat_id: 1, text: 'a' })).result as { message_id: number };
    const second = (await call('sendMessage', { chat_id: 1, text: 'b' })).result as { message_id: number };
    expect(second.message_id).toBeGreaterThan(first.message_id);
    expect((await call('answerCallbackQuery', { callback_query_id: 'x' })).result).toBe(true);
    expect(((await call('getMe')).result as { is_bot: boolean }).is_bot).toBe(true);
  });

  it('answers 429 with retry_after past the messages allowed per second across the bot', async () => {
    fake = await startFakeTelegram({
      rttMs: 0,
      rateLimit: { perSecond: 5, perChatPerSecond: 100, perChatBurst: 100 },
    });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call('sendMessage', { chat_id: 100 + i, text: 'x' })),
    );
    const refused = answers.filter((a) => !a.ok);
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    expect(refused).toHaveLength(3);
    expect(refused[0]?.error_code).toBe(429);
    expect(refused[0]?.parameters?.retry_after).toBe(1);
    // Not counted: answering a button press.
    expect((await call('answerCallbackQuery', { callback_query_id: 'x' })).ok).toBe(true);
    expect(fake.rateLimitedCount()).toBe(3);
  });

  it('paces one chat: a burst passes, then about one message a second', async () => {
    fake = await startFakeTelegram({
      rttMs: 0,
      rateLimit: { perSecond: 1000, perChatPerSecond: 1, perChatBurst: 3 },
    });
    const answers: boolean[] = [];
    for (let i = 0; i < 5; i++) answers.push((await call('sendMessage', { chat_id: 9, text: `${i}` })).ok);
    expect(answers).toEqual([true, true, true, false, false]);
    // Another chat is not held up by this one.
    expect((await call('sendMessage', { chat_id: 10, text: 'other' })).ok).toBe(true);
  });

  it('serves long polling: waits for an update, then drops what a later offset confirms', async () => {
    fake = await startFakeTelegram({ rttMs: 40 });
    const started = performance.now();
    const polled = call('getUpdates', { offset: 0, timeout: 5 });
    setTimeout(() => fake?.queueUpdate(textUpdate(10)), 100);
    const first = await polled;
    const waited = performance.now() - started;
    expect((first.result as Update[]).map((u) => u.update_id)).toEqual([10]);
    // Queued at 100 ms; the waiting poll is answered half a round trip later.
    expect(waited).toBeGreaterThanOrEqual(115);
    expect(waited).toBeLessThan(600);

    fake.queueUpdate(textUpdate(11));
    const second = await call('getUpdates', { offset: 11, timeout: 5 });
    expect((second.result as Update[]).map((u) => u.update_id)).toEqual([11]);
    expect(fake.pendingUpdateCount()).toBe(1);
    const empty = await call('getUpdates', { offset: 12, timeout: 0 });
    expect(empty.result).toEqual([]);
    expect(fake.pendingUpdateCount()).toBe(0);
  });
});
