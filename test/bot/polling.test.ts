import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts } from '../helpers/journey.ts';
import { textUpdate } from '../helpers/updates.ts';

const en = botTexts('en');
let app: TTestApp | undefined;
afterEach(async () => {
  if (app?.bot.isRunning()) await app.bot.stop();
  await app?.close();
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
  return app?.api.textsTo(chatId).some((text) => text.endsWith(en('consent.notice'))) === true;
}

describe('long polling', () => {
  it('tries an update that failed again, in a new transaction, instead of moving on without it', async () => {
    app = await createTestApp({ pollingRetryDelaysMs: [10, 10] });
    const person = { id: 24_001, languageCode: 'en' };
    // The first reply fails (Telegram is briefly down): the update's transaction rolls back.
    app.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    void app.bot.start({ drop_pending_updates: false });
    const update = textUpdate(person, '/start');
    app.api.queueUpdate(update);

    await until(() => noticeShownTo(person.id), 'the consent notice');
    const processed = await app.prisma.processedUpdate.findMany({
      where: { updateId: BigInt(update.update_id) },
    });
    expect(processed).toHaveLength(1);
    expect(app.logLines.some((line) => line.includes('update handled on a new try'))).toBe(true);
  });

  it('gives up after the last try, logs it, and goes on with the next update', async () => {
    app = await createTestApp({ pollingRetryDelaysMs: [10] });
    const person = { id: 24_002, languageCode: 'en' };
    for (let i = 0; i < 4; i++)
      app.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    void app.bot.start({ drop_pending_updates: false });
    app.api.queueUpdate(textUpdate(person, '/start'));
    app.api.queueUpdate(textUpdate(person, '/start'));

    await until(() => noticeShownTo(person.id), 'the second /start answered');
    expect(app.logLines.some((line) => line.includes('update failed for good'))).toBe(true);
  });

  it('does not try again what fails the same way every time (a Telegram 4xx), and holds nobody up', async () => {
    app = await createTestApp({ pollingRetryDelaysMs: [60_000] });
    const person = { id: 24_003, languageCode: 'en' };
    app.api.failNext('sendMessage', { error_code: 400, description: 'Bad Request: message text is empty' });
    app.api.failNext('sendMessage', { error_code: 400, description: 'Bad Request: message text is empty' });
    void app.bot.start({ drop_pending_updates: false });
    app.api.queueUpdate(textUpdate(person, '/start'));
    app.api.queueUpdate(textUpdate(person, '/start'));

    // Well before the minute a retry would wait.
    await until(() => noticeShownTo(person.id), 'the second /start answered');
    expect(app.logLines.some((line) => line.includes('update failed for good'))).toBe(true);
    expect(app.logLines.some((line) => line.includes('trying again'))).toBe(false);
  });
});
