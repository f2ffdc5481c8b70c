import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { openDatabase } from '../../src/db/client.ts';
import { withDatabase } from '../../src/db/postgres-admin.ts';
import { createTestApp, TEST_WEBHOOK_SECRET, type TTestApp } from '../helpers/app.ts';
import { describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi } from '../helpers/fake-bot-api.ts';
import { ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { callbackUpdate, textUpdate } from '../helpers/updates.ts';

/**
 * Two instances of the bot behind a load balancer, on one database: each with its own sender, and on
 * PostgreSQL its own connection pool (the embedded database has one owner; there both share its socket).
 * One resident's updates are handed to either, some of them to both at once.
 */
let a: TTestApp;
let b: TTestApp;
let secondDatabase: TTestDatabase | undefined;
beforeAll(async () => {
  // A round trip to Telegram takes a while: one instance's messages are still on their way when the other
  // instance has handled the chat's next update.
  a = await createTestApp({ api: createFakeBotApi({ latencyMs: 40 }) });
  let database = a.database;
  if (a.databaseKind === 'postgres') {
    const [{ name } = { name: '' }] = await a.prisma.$queryRaw<Array<{ name: string }>>`
      SELECT current_database() AS name`;
    const url = withDatabase({ connectionString: process.env.TEST_POSTGRES_URL }, name).connectionString;
    const db = await openDatabase(url ?? '');
    secondDatabase = { db, kind: 'postgres', close: () => db.close() };
    database = secondDatabase;
  }
  b = await createTestApp({ database, api: a.api });
});

/** POSTs an update to an instance's webhook; resolves once it is committed, before its replies are sent. */
async function post(instance: TTestApp, update: unknown): Promise<number> {
  const response = await instance.app.request('/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': TEST_WEBHOOK_SECRET },
    body: JSON.stringify(update),
  });
  return response.status;
}
afterAll(async () => {
  await b.close();
  await secondDatabase?.close();
  await a.close();
});

const person = { id: 52_001, languageCode: 'en' };

/** The progress counters ("3 / 20") of the questions the resident was sent, in the order Telegram took them. */
function progressSeen(): number[] {
  return a.api
    .callsOf('sendMessage')
    .filter((call) => call.payload.chat_id === person.id && call.result !== undefined)
    .flatMap((call) => {
      const match = /(\d+) \/ \d+$/.exec(String(call.payload.text));
      return match ? [Number(match[1])] : [];
    });
}

describe(describeDatabase('two instances taking one chat’s updates'), () => {
  it('handle each update once, in turn, and the chat reads its messages in order', async () => {
    await a.send(textUpdate(person, '/start'));
    const notice = a.api.lastKeyboard(person.id);
    await b.send(callbackUpdate(person, CALLBACK.consentYes, notice?.messageId ?? 0));

    const answers = ROUTES.low.slice(0, -1).map((answer) => textUpdate(person, answer));
    for (const [index, update] of answers.entries()) {
      const instance = index % 2 === 0 ? a : b;
      // Every third update is delivered to both at once, as a redelivery can be.
      const deliveries = index % 3 === 0 ? [post(a, update), post(b, update)] : [post(instance, update)];
      expect(await Promise.all(deliveries)).toEqual(deliveries.map(() => 200));
    }
    // What either left for the other's sweep (a chat's next message while the other instance held its last).
    for (let round = 0; round < 3; round += 1) {
      await deliverOutbox(a);
      await deliverOutbox(b);
    }

    const ids = [...answers.map((update) => update.update_id)];
    const processed = await a.prisma.processedUpdate.findMany({
      where: { updateId: { in: ids.map((id) => BigInt(id)) } },
    });
    expect(processed).toHaveLength(ids.length);
    const seen = progressSeen();
    // Question 1 after consent, then one more per answer: each once, in order.
    expect(seen).toEqual(Array.from({ length: answers.length + 1 }, (_, index) => index + 1));
    const screening = await a.prisma.screening.findFirstOrThrow({
      where: { residentId: a.protector.pseudonymOf(person.id) },
    });
    expect(screening.status).toBe('active');
  });
});
