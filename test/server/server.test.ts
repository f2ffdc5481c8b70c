import { describe, expect, it } from 'vitest';
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

  it('serves no webhook route in polling mode', async () => {
    const { app } = createServer({ logger, pingDatabase: async () => true });
    const response = await app.request('/webhook', { method: 'POST', body: '{"update_id":1}' });
    expect(response.status).toBe(404);
  });
});
