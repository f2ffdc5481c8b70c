import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, GrammyError, HttpError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramFetch } from '../src/telegram-fetch.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN } from './helpers/fake-bot-api.ts';

const fake = createFakeBotApi();
let server: { url: string; close: () => Promise<void> };
let api: Api;

beforeAll(async () => {
  server = await fake.listen();
  api = new Api(FAKE_BOT_TOKEN, { apiRoot: server.url, fetch: createTelegramFetch(), timeoutSeconds: 2 });
});
afterAll(() => server.close());

describe('the sender’s HTTP client', () => {
  it('carries a call and its answer as grammY expects (a Message, with the payload as sent)', async () => {
    const sent = await api.sendMessage(77, '您好 — a question', {
      reply_markup: { inline_keyboard: [[{ text: '1 · None', callback_data: 's:1:a' }]] },
    });
    expect(sent).toMatchObject({ chat: { id: 77 }, text: '您好 — a question' });
    expect(fake.calls.at(-1)).toMatchObject({
      method: 'sendMessage',
      payload: { chat_id: 77, text: '您好 — a question' },
    });
  });

  it('turns Telegram’s refusal into the GrammyError the outbox reads (code, description, retry_after)', async () => {
    fake.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests',
      parameters: { retry_after: 3 },
    });
    const refusal = await api.sendMessage(77, 'x').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(GrammyError);
    expect(refusal).toMatchObject({
      error_code: 429,
      description: 'Too Many Requests',
      parameters: { retry_after: 3 },
    });
  });

  it('gives up on a server that does not answer within the call’s timeout, as an HttpError', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const slowApi = new Api(FAKE_BOT_TOKEN, {
      apiRoot: url,
      fetch: createTelegramFetch(),
      timeoutSeconds: 1,
    });
    const startedAt = Date.now();
    const failure = await slowApi.getMe().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpError);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    silent.closeAllConnections();
    silent.close();
  });

  it('reports a host that refuses the connection as an HttpError, not a crash', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refusedApi = new Api(FAKE_BOT_TOKEN, { apiRoot: url, fetch: createTelegramFetch() });
    await expect(refusedApi.getMe()).rejects.toBeInstanceOf(HttpError);
  });
});
