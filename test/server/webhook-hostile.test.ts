import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_WEBHOOK_SECRET, type TTestApp } from '../helpers/app.ts';
import { describeDatabase, testDatabaseKind } from '../helpers/database.ts';
import { callbackUpdate, editedTextUpdate, textUpdate } from '../helpers/updates.ts';

/**
 * Hostile and malformed webhook requests, generated: with the right secret, a shape Telegram never sends is
 * answered 400 and changes nothing; anything else is handled; never a 5xx, never a crash, memory flat.
 */
let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 500_000;
const person = () => ({ id: nextId++, languageCode: 'en' });

/** What a request could have changed: rows that only handling an update writes. */
async function footprint() {
  const [updates, residents, outbox] = await Promise.all([
    app.prisma.processedUpdate.count(),
    app.prisma.resident.count(),
    app.prisma.outboxMessage.count(),
  ]);
  return { updates, residents, outbox };
}

function post(body: unknown, secret: string | null = TEST_WEBHOOK_SECRET, raw?: string) {
  return app.app.request('/webhook', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(secret === null ? {} : { 'X-Telegram-Bot-Api-Secret-Token': secret }),
    },
    body: raw ?? JSON.stringify(body),
  });
}

/** Sets `value` at `path` in a deep copy of `base` (creating what is missing). */
function mutate(base: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) at[last] = value;
  return copy;
}

const PATHS: readonly (readonly string[])[] = [
  ['update_id'],
  ['message'],
  ['message', 'message_id'],
  ['message', 'text'],
  ['message', 'entities'],
  ['message', 'from'],
  ['message', 'from', 'id'],
  ['message', 'from', 'language_code'],
  ['message', 'from', 'is_bot'],
  ['message', 'chat'],
  ['message', 'chat', 'id'],
  ['message', 'chat', 'type'],
  ['message', 'reply_to_message'],
  ['message', 'caption'],
  ['edited_message', 'text'],
  ['callback_query'],
  ['callback_query', 'data'],
  ['callback_query', 'from', 'id'],
  ['callback_query', 'message', 'message_id'],
  ['inline_query', 'from', 'id'],
  ['my_chat_member', 'chat', 'id'],
];

/** A value of any JSON kind, with the numbers that broke bots before: fractions, huge, negative, NaN-like. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    1.5,
    1e308,
    -1,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    0,
    '',
    '0',
    '1e308',
    [],
    {},
    null,
    true,
  ),
  fc.string({ maxLength: 50 }),
);

const baseUpdate = fc.constantFrom<(id: { id: number; languageCode: string }) => Update>(
  (who) => textUpdate(who, 'hello'),
  (who) => textUpdate(who, '/start'),
  (who) => editedTextUpdate(who, 'I changed my mind'),
  (who) => callbackUpdate(who, 'consent:yes', 1),
);

describe(describeDatabase('the webhook under hostile input'), () => {
  it('answers 400 and changes nothing for the shapes that once broke it', async () => {
    const good = textUpdate(person(), 'hello');
    const cases: Array<[readonly string[], unknown]> = [
      [['message', 'from', 'id'], { id: 1 }],
      [['message', 'from', 'id'], '12345'],
      [['message', 'from', 'id'], 1.5],
      [['message', 'from', 'id'], 1e308],
      [['message', 'entities'], 'bot_command'],
      [['message', 'text'], 0],
      [['message', 'from', 'language_code'], 0],
      [['message', 'chat', 'id'], undefined],
      [['update_id'], -3],
    ];
    const before = await footprint();
    for (const [path, value] of cases) {
      const response = await post(mutate(good, path, value));
      expect(response.status, `${path.join('.')} = ${JSON.stringify(value)}`).toBe(400);
    }
    const callback = callbackUpdate(person(), 'consent:yes', 1);
    expect((await post(mutate(callback, ['callback_query', 'data'], 1.5))).status).toBe(400);
    expect((await post(null, TEST_WEBHOOK_SECRET, '{"update_id": 1, "message": ')).status).toBe(400);
    expect(await footprint()).toEqual(before);
  });

  it('checks the secret before reading the body: a large body with a wrong secret is 401, not 413', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect((await post(null, 'wrong', huge)).status).toBe(401);
    expect((await post(null, null, huge)).status).toBe(401);
    expect((await post(null, TEST_WEBHOOK_SECRET, huge)).status).toBe(413);
  });

  it('a Bot API 4xx about a chat is that chat’s problem: the webhook still answers 200', async () => {
    const who = person();
    app.api.failNext(
      'sendMessage',
      { error_code: 400, description: 'Bad Request: chat not found' },
      { chatId: who.id },
    );
    expect((await post(textUpdate(who, '/start'))).status).toBe(200);
  });

  it('never answers 5xx to generated and mutated updates; a refused one changes nothing', async () => {
    const runs = testDatabaseKind === 'pglite' ? 400 : 150;
    await fc.assert(
      fc.asyncProperty(
        baseUpdate,
        fc.array(fc.tuple(fc.constantFrom(...PATHS), hostileValue), { minLength: 1, maxLength: 3 }),
        async (make, mutations) => {
          let update: unknown = make(person());
          for (const [path, value] of mutations) update = mutate(update, path, value);
          const before = await footprint();
          const response = await post(update);
          expect(response.status).toBeLessThan(500);
          expect([200, 400]).toContain(response.status);
          if (response.status === 400) expect(await footprint()).toEqual(before);
        },
      ),
      { numRuns: runs, seed: 20261205 },
    );
  }, 120_000);

  // Once, on the embedded database: what is measured is this process's memory, not the database's.
  if (testDatabaseKind === 'pglite')
    it('keeps memory flat over 10,000 hostile requests (within 50 MB after a collection)', async () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const samples = fc.sample(fc.tuple(baseUpdate, fc.constantFrom(...PATHS), hostileValue), {
        numRuns: 10_000,
        seed: 7,
      });
      const send = async (from: number, to: number) => {
        for (let index = from; index < to; index += 1) {
          const [make, path, value] = samples[index] ?? [];
          if (!make || !path) continue;
          // A third valid (handled), the rest refused: both paths are exercised.
          const body = index % 3 === 0 ? make(person()) : mutate(make(person()), path, value);
          const response = await post(body);
          expect(response.status).toBeLessThan(500);
        }
      };
      await send(0, 1000);
      gc();
      const before = process.memoryUsage().heapUsed;
      await send(1000, 10_000);
      gc();
      const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
      console.log(`heap after 9,000 more hostile requests: ${grown.toFixed(1)} MB more`);
      expect(grown).toBeLessThan(50);
    }, 300_000);
});
