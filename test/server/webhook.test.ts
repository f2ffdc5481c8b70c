import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { RESIDENT_EN, textUpdate } from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});
beforeEach(() => app.api.reset());

async function processedCount(updateId: number): Promise<number> {
  return app.prisma.processedUpdate.count({ where: { updateId: BigInt(updateId) } });
}

describe(`POST /webhook`, () => {
  it('rejects a missing or wrong secret token with 401 and changes nothing', async () => {
    const update = textUpdate(RESIDENT_EN, '/start');
    for (const secret of [null, 'wrong-secret', '', `${'x'.repeat(5000)}`]) {
      const response = await app.send(update, secret);
      expect(response.status).toBe(401);
    }
    expect(app.api.calls).toEqual([]);
    expect(await processedCount(update.update_id)).toBe(0);
  });

  it.each([
    ['not JSON', '{"update_id": 1,'],
    ['a JSON array', '[1, 2]'],
    ['no update_id', '{"message": {}}'],
    ['a negative update_id', '{"update_id": -4}'],
    ['a string update_id', '{"update_id": "7"}'],
  ])('answers 400 to a body that is %s, and changes nothing', async (_name, body) => {
    const before = await app.prisma.processedUpdate.count();
    const response = await app.send(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'body is not a Telegram update' });
    expect(app.api.calls).toEqual([]);
    expect(await app.prisma.processedUpdate.count()).toBe(before);
  });

  it('answers 413 to a body far larger than any update', async () => {
    const response = await app.send(JSON.stringify({ update_id: 77, padding: 'x'.repeat(2 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(await processedCount(77)).toBe(0);
  });

  it('handles a re-delivered update once', async () => {
    const update = textUpdate(RESIDENT_EN, '/start');
    expect((await app.send(update)).status).toBe(200);
    const callsAfterFirst = app.api.calls.length;
    expect(callsAfterFirst).toBeGreaterThan(0);
    expect((await app.send(update)).status).toBe(200);
    expect(app.api.calls).toHaveLength(callsAfterFirst);
    expect(await processedCount(update.update_id)).toBe(1);
  });

  it('handles two simultaneous deliveries of one update once', async () => {
    const update = textUpdate(RESIDENT_EN, '/help');
    const responses = await Promise.all([app.send(update), app.send(update), app.send(update)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(app.api.textsTo(RESIDENT_EN.id)).toHaveLength(1);
  });

  it('keeps what residents write out of the log', async () => {
    const secretWords = 'my landlord Mr Zhang took everything';
    await app.send(textUpdate(RESIDENT_EN, secretWords));
    await app.send(textUpdate(RESIDENT_EN, `/start ${secretWords}`));
    expect(app.logLines.join('\n')).not.toContain('Zhang');
    expect(app.logLines.join('\n')).not.toContain(RESIDENT_EN.firstName);
  });
});

describe('GET /healthz', () => {
  it('reports the database as reachable', async () => {
    const response = await app.app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'up' });
  });
});

describe('a failure while handling an update', () => {
  it('apologises with the emergency numbers, answers 500 and records nothing, so Telegram delivers it again', async () => {
    const update = textUpdate(RESIDENT_EN, '/help');
    app.api.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    const response = await app.send(update);
    expect(response.status).toBe(500);
    expect(await processedCount(update.update_id)).toBe(0);
    expect(app.api.textsTo(RESIDENT_EN.id).at(-1)).toMatch(/something went wrong[\s\S]*112/);

    expect((await app.send(update)).status).toBe(200);
    expect(await processedCount(update.update_id)).toBe(1);
    expect(app.api.textsTo(RESIDENT_EN.id).at(-1)).toMatch(/^What I do/);
  });
});
