import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, TEST_WEBHOOK_SECRET, type TTestApp } from '../helpers/app.ts';
import { createFakeBotApi } from '../helpers/fake-bot-api.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
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
    expect(await response.json()).toEqual({
      error: expect.stringMatching(/^not a Telegram update: unexpected /),
    });
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
    const update = textUpdate(RESIDENT_EN, '/cancel');
    // The database loses a table mid-update: the feature fails, and its transaction rolls back.
    await app.prisma.$executeRawUnsafe('ALTER TABLE "Screening" RENAME TO "Screening_away"');
    const responses: Response[] = [];
    try {
      // Telegram delivers it again after a 500: the resident is not apologised to twice.
      responses.push(await app.send(update), await app.send(update));
    } finally {
      await app.prisma.$executeRawUnsafe('ALTER TABLE "Screening_away" RENAME TO "Screening"');
    }
    expect(responses.map((response) => response.status)).toEqual([500, 500]);
    expect(await processedCount(update.update_id)).toBe(0);
    expect(app.api.textsTo(RESIDENT_EN.id)).toEqual([
      expect.stringMatching(/something went wrong[\s\S]*112/),
    ]);

    expect((await app.send(update)).status).toBe(200);
    expect(await processedCount(update.update_id)).toBe(1);
    expect(app.api.textsTo(RESIDENT_EN.id).at(-1)).toMatch(/no questions under way/);
  });
});

describe('Telegram failing or slow', () => {
  it('does not fail the update: it is recorded, and the reply follows once Telegram answers', async () => {
    const update = textUpdate(RESIDENT_EN, '/help');
    app.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect((await app.send(update)).status).toBe(200);
    expect(await processedCount(update.update_id)).toBe(1);
    await deliverOutbox(app);
    const delivered = app.api.callsOf('sendMessage').filter((call) => call.result !== undefined);
    expect(delivered.map((call) => String(call.payload.text))).toEqual([expect.stringMatching(/^What I do/)]);
  });

  it('answers the webhook as soon as the update is committed, before a slow Bot API has answered', async () => {
    const slow = await createTestApp({ api: createFakeBotApi({ latencyMs: 3000 }) });
    try {
      const update = textUpdate(RESIDENT_EN, '/help');
      const started = performance.now();
      const response = await slow.app.request('/webhook', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'X-Telegram-Bot-Api-Secret-Token': TEST_WEBHOOK_SECRET,
        },
        body: JSON.stringify(update),
      });
      const answeredMs = performance.now() - started;
      expect(response.status).toBe(200);
      expect(answeredMs).toBeLessThan(1500);
      expect(await slow.prisma.processedUpdate.count({ where: { updateId: BigInt(update.update_id) } })).toBe(
        1,
      );
      // The reply is on its way, not yet answered; it arrives once the round trip is over.
      expect(slow.api.callsOf('sendMessage')).toHaveLength(1);
      expect(slow.api.callsOf('sendMessage')[0]?.result).toBeUndefined();
      await slow.dispatcher.idle();
      expect(slow.api.callsOf('sendMessage')[0]?.result).toBeDefined();
    } finally {
      await slow.close();
    }
  });
});
