import { setTimeout } from 'node:timers/promises';
import { HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { afterEach, describe, expect, it } from 'vitest';
import { startPolling, type TPolling } from '../../src/bot/polling.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts } from '../helpers/journey.ts';
import { textUpdate } from '../helpers/updates.ts';

const en = botTexts('en');
let app: TTestApp | undefined;
let polling: TPolling | undefined;
afterEach(async () => {
  await polling?.stop();
  await app?.close();
  polling = undefined;
  app = undefined;
});

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    if (await condition()) return;
    await setTimeout(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The privacy notice that /start shows, with its consent buttons. */
function noticeShownTo(chatId: number): boolean {
  return (
    app?.api
      .textsTo(chatId)
      .some((text) => text.endsWith(`${en('consent.notice')}\n\n${en('consent.ask')}`)) === true
  );
}

/**
 * Makes the bot's handling of chosen updates fail or wait, around the real handling: what the polling loop
 * does with a failure or a slow update is what these tests look at.
 */
function interceptHandling(
  target: TTestApp,
  intercept: (update: Update, handle: () => Promise<void>) => Promise<void>,
): void {
  const handle = target.bot.handleUpdate.bind(target.bot);
  target.bot.handleUpdate = (update, webhookReplyEnvelope) =>
    intercept(update, () => handle(update, webhookReplyEnvelope));
}

describe('long polling', () => {
  it('tries an update that failed in a way time may cure again, in a new transaction, instead of moving on', async () => {
    app = await createTestApp();
    const person = { id: 24_001, languageCode: 'en' };
    let failures = 1;
    interceptHandling(app, async (_update, handle) => {
      if (failures-- > 0) throw new HttpError('Network request failed', new Error('ECONNRESET'));
      await handle();
    });
    polling = startPolling(app.bot, { logger: app.logger, retryDelaysMs: [10, 10] });
    const update = textUpdate(person, '/start');
    app.api.queueUpdate(update);

    await until(() => noticeShownTo(person.id), 'the consent notice');
    const processed = await app.prisma.processedUpdate.count({
      where: { updateId: BigInt(update.update_id) },
    });
    expect(processed).toBe(1);
    expect(app.logLines.some((line) => line.includes('update handled on a new try'))).toBe(true);
  });

  it('gives up after the last try, logs it, and goes on with the chat’s next update', async () => {
    app = await createTestApp();
    const person = { id: 24_002, languageCode: 'en' };
    const failing = textUpdate(person, '/help');
    interceptHandling(app, async (update, handle) => {
      if (update.update_id === failing.update_id)
        throw new HttpError('Network request failed', new Error('down'));
      await handle();
    });
    polling = startPolling(app.bot, { logger: app.logger, retryDelaysMs: [10] });
    app.api.queueUpdate(failing);
    app.api.queueUpdate(textUpdate(person, '/start'));

    await until(() => noticeShownTo(person.id), 'the second update answered');
    expect(app.logLines.some((line) => line.includes('update failed for good'))).toBe(true);
  });

  it('passes over an update of a shape Telegram never sends, changes nothing, and goes on', async () => {
    app = await createTestApp();
    const person = { id: 24_010, languageCode: 'en' };
    const malformed = textUpdate(person, '/start') as unknown as { message: { from: { id: unknown } } };
    malformed.message.from.id = '24010';
    app.api.queueUpdate(malformed as unknown as Update);
    app.api.queueUpdate(textUpdate(person, '/start'));
    polling = startPolling(app.bot, { logger: app.logger, retryDelaysMs: [10] });

    await until(() => noticeShownTo(person.id), 'the well-formed update answered');
    expect(app.api.textsTo(person.id).filter((text) => text.endsWith(en('consent.ask')))).toHaveLength(1);
    expect(app.logLines.some((line) => line.includes('not a shape Telegram sends'))).toBe(true);
  });

  it('does not try again what fails the same way every time (a bug), and holds nobody up', async () => {
    app = await createTestApp();
    const person = { id: 24_003, languageCode: 'en' };
    const failing = textUpdate(person, '/help');
    interceptHandling(app, async (update, handle) => {
      if (update.update_id === failing.update_id) throw new TypeError('a bug');
      await handle();
    });
    polling = startPolling(app.bot, { logger: app.logger, retryDelaysMs: [60_000] });
    app.api.queueUpdate(failing);
    app.api.queueUpdate(textUpdate(person, '/start'));

    // Well before the minute a retry would wait.
    await until(() => noticeShownTo(person.id), 'the second update answered');
    expect(app.logLines.some((line) => line.includes('update failed for good'))).toBe(true);
    expect(app.logLines.some((line) => line.includes('trying again'))).toBe(false);
  });

  it('handles two chats at once: one slow update holds up only its own chat, in order', async () => {
    app = await createTestApp();
    const slowPerson = { id: 24_004, languageCode: 'en' };
    const other = { id: 24_005, languageCode: 'en' };
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = textUpdate(slowPerson, '/start');
    const order: number[] = [];
    interceptHandling(app, async (update, handle) => {
      if (update.update_id === slow.update_id) await released;
      await handle();
      order.push(update.update_id);
    });
    polling = startPolling(app.bot, { logger: app.logger });
    const behindSlow = textUpdate(slowPerson, '/help');
    app.api.queueUpdate(slow);
    app.api.queueUpdate(behindSlow);
    const fromOther = textUpdate(other, '/start');
    app.api.queueUpdate(fromOther);

    await until(() => noticeShownTo(other.id), 'the other chat answered');
    expect(order).toEqual([fromOther.update_id]);
    // While the slow one is handled, Telegram is never told it is done: a crash now would get it again.
    const offsets = app.api.callsOf('getUpdates').map((call) => Number(call.payload.offset ?? 0));
    expect(Math.max(...offsets)).toBeLessThanOrEqual(slow.update_id);

    release();
    await until(() => order.length === 3, 'the slow chat answered');
    expect(order).toEqual([fromOther.update_id, slow.update_id, behindSlow.update_id]);
    await until(
      () =>
        app?.api.callsOf('getUpdates').some((call) => Number(call.payload.offset) > behindSlow.update_id) ===
        true,
      'the handled updates confirmed',
    );
  });

  it('fetches again at once while updates keep coming, and waits between fetches once none do', async () => {
    app = await createTestApp();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Every update stays in hand, so every fetch gets the earlier ones again: only new ones count as coming.
    interceptHandling(app, async (_update, handle) => {
      await released;
      await handle();
    });
    const fetchedAt: number[] = [];
    const newcomers = 12;
    app.bot.api.config.use((previous, method, payload, signal) => {
      if (method === 'getUpdates') {
        // Someone new writes while each of the first fetches is on its way.
        if (fetchedAt.length < newcomers) {
          app?.api.queueUpdate(textUpdate({ id: 24_300 + fetchedAt.length, languageCode: 'en' }, '/help'));
        }
        fetchedAt.push(performance.now());
      }
      return previous(method, payload, signal);
    });
    polling = startPolling(app.bot, { logger: app.logger });

    await until(() => fetchedAt.length > newcomers, 'a fetch after the last newcomer');
    // Eleven fetches after ones that each brought someone new: waiting 50 ms before each would take 550.
    expect((fetchedAt[newcomers] ?? 0) - (fetchedAt[1] ?? 0)).toBeLessThan(250);

    // Then nothing new comes while everyone is still in hand: a fetch at most every 50 ms, not a spin.
    const quietFrom = fetchedAt.length;
    await setTimeout(600);
    expect(fetchedAt.length - quietFrom).toBeLessThanOrEqual(13);
    release();
  });

  it('with more updates in hand than Telegram sends at once, confirms none of them before it is done', async () => {
    app = await createTestApp();
    const inHand = new Set<number>();
    const handled = new Set<number>();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    interceptHandling(app, async (update, handle) => {
      inHand.add(update.update_id);
      await released;
      await handle();
      inHand.delete(update.update_id);
      handled.add(update.update_id);
    });
    polling = startPolling(app.bot, { logger: app.logger });
    // A backlog after downtime: 150 people wrote while the bot was away.
    const backlog = Array.from({ length: 150 }, (_, index) =>
      textUpdate({ id: 24_100 + index, languageCode: 'en' }, '/help'),
    );
    for (const update of backlog) app.api.queueUpdate(update);

    await until(() => inHand.size >= 100, 'a full batch in hand');
    await setTimeout(300);
    const confirmedEarly = app.api.confirmedUpdates.filter((confirmed) => !handled.has(confirmed.updateId));
    expect(confirmedEarly).toEqual([]);

    release();
    await until(() => handled.size === backlog.length, 'the whole backlog handled');
    const last = backlog.at(-1)?.update_id ?? 0;
    await until(() => app?.api.confirmedUpdates.some((c) => c.updateId === last) === true, 'all confirmed');
    expect(new Set(app.api.confirmedUpdates.map((c) => c.updateId)).size).toBe(backlog.length);
  });
});
