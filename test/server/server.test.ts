import { describe, expect, it } from 'vitest';
import type { TBot } from '../../src/bot/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer } from '../../src/server/index.ts';

const logger = createLogger({ level: 'silent' });

describe('createServer', () => {
  it('reports an unreachable database as 503', async () => {
    const { app } = createServer({ logger, pingDatabase: async () => false });
    const response = await app.request('/healthz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'degraded', database: 'down' });
  });

  it('treats a failing ping as down, not as a crash', async () => {
    const { app } = createServer({
      logger,
      pingDatabase: async () => {
        throw new Error('connection refused');
      },
    });
    expect((await app.request('/healthz')).status).toBe(503);
  });

  it('answers 503 to a webhook delivery until the bot has reached Telegram, and handles nothing', async () => {
    let handled = 0;
    const bot = {
      isInited: () => false,
      handleUpdate: async () => {
        handled += 1;
      },
    } as unknown as TBot;
    const { app } = createServer({ logger, pingDatabase: async () => true, webhook: { bot, secret: 's' } });
    const response = await app.request('/webhook', {
      method: 'POST',
      headers: { 'X-Telegram-Bot-Api-Secret-Token': 's', 'Content-Type': 'application/json' },
      body: JSON.stringify({ update_id: 1 }),
    });
    expect(response.status).toBe(503);
    expect(handled).toBe(0);
  });

  it('serves no webhook route in polling mode', async () => {
    const { app } = createServer({ logger, pingDatabase: async () => true });
    const response = await app.request('/webhook', { method: 'POST', body: '{"update_id":1}' });
    expect(response.status).toBe(404);
  });
});
