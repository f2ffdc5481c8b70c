import { Writable } from 'node:stream';
import { Api } from 'grammy';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { releaseAbandonedRows } from '../../src/db/outbox-queue.ts';
import { runUnitOfWork } from '../../src/db/unit-of-work.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import {
  enqueueOutbox,
  type TOutboxInput,
  type TOutboxPayload,
  type TOutboxSender,
} from '../../src/services/outbox.ts';
import { createOutboxDispatcher, type TOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN, type TFakeBotApi } from '../helpers/fake-bot-api.ts';

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();
const NO_LIMITS = { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 };
/** Text that must never reach a log line. */
const SECRET = 'RESIDENT-SECRET-TEXT';

let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

let logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  }),
});

const dispatchers: TOutboxDispatcher[] = [];
function createDispatcher(
  fake: TFakeBotApi,
  options: { limits?: typeof NO_LIMITS; clock?: () => Date; prisma?: PrismaClient; instance?: string } = {},
) {
  const dispatcher = createOutboxDispatcher({
    prisma: options.prisma ?? prisma,
    recordRetryDelaysMs: [10, 10],
    protector,
    api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch }),
    logger,
    policy: DEFAULT_ESCALATION_POLICY,
    i18n,
    limits: options.limits ?? NO_LIMITS,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.instance ? { instance: options.instance } : {}),
  });
  dispatchers.push(dispatcher);
  return dispatcher;
}
beforeEach(async () => {
  logLines = [];
  // Each test starts with nothing left to send by an earlier one.
  await prisma.outboxMessage.updateMany({
    where: { status: { in: ['pending', 'sending'] } },
    data: { status: 'failed' },
  });
});
afterEach(async () => {
  for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
});

let nextChat = 60_000;
const message = (text = SECRET, chatId = nextChat++): TOutboxPayload => ({ type: 'send', chatId, text });

/** Commits messages the way an update does: staged in a unit of work, handed to `sender` once committed. */
function commit(sender: TOutboxSender, inputs: TOutboxInput[]): Promise<void> {
  return runUnitOfWork(prisma, async () => {
    for (const input of inputs) await enqueueOutbox({ prisma, protector, outboxSender: sender }, input);
  });
}

/** The texts Telegram accepted, in the order it accepted them. */
function accepted(fake: TFakeBotApi): string[] {
  return fake
    .callsOf('sendMessage')
    .filter((call) => call.result !== undefined)
    .map((call) => String(call.payload.text));
}

describe(describeDatabase('the outbox dispatcher'), () => {
  it('sends what a unit of work committed right after the commit, and records each delivery', async () => {
    const fake = createFakeBotApi();
    const dispatcher = createDispatcher(fake);
    const chatId = nextChat++;
    await commit(dispatcher, [
      { kind: 'reply', payload: message('first', chatId) },
      {
        kind: 'reply',
        payload: { type: 'send', chatId, text: 'second', buttons: [[{ label: 'Yes', data: 'consent:yes' }]] },
      },
    ]);
    await dispatcher.idle();
    expect(accepted(fake)).toEqual(['first', 'second']);
    expect(fake.callsOf('sendMessage')[1]?.payload.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Yes', callback_data: 'consent:yes' }]],
    });
    const rows = await prisma.outboxMessage.findMany({ where: { lane: protector.pseudonymOf(chatId) } });
    expect(rows.map((row) => [row.status, row.sentMessageId !== null, row.leaseOwner])).toEqual([
      ['sent', true, null],
      ['sent', true, null],
    ]);
  });

  it('sends nothing of a unit of work that rolled back', async () => {
    const fake = createFakeBotApi();
    const dispatcher = createDispatcher(fake);
    await expect(
      runUnitOfWork(prisma, async () => {
        await enqueueOutbox(
          { prisma, protector, outboxSender: dispatcher },
          { kind: 'reply', payload: message() },
        );
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    await dispatcher.idle();
    expect(fake.calls).toEqual([]);
  });

  it('a crash after the commit and before the send: the message still goes, once, when its lease passes', async () => {
    const fake = createFakeBotApi();
    let clock = new Date();
    // The process that committed died before sending: it leased the row to itself and never sent it.
    const dead: TOutboxSender = {
      owner: 'dead-process',
      leaseMs: 60_000,
      now: () => clock,
      submit: () => undefined,
    };
    const chatId = nextChat++;
    await commit(dead, [{ kind: 'crisis-notice', payload: message('the numbers', chatId) }]);
    const [row] = await prisma.outboxMessage.findMany({ where: { lane: protector.pseudonymOf(chatId) } });
    expect(row).toMatchObject({ status: 'sending', leaseOwner: 'dead-process' });

    const survivor = createDispatcher(fake, { clock: () => clock });
    // Not while the lease holds: the process may only be slow.
    expect(await survivor.sweep()).toBe(0);
    clock = new Date(clock.getTime() + 61_000);
    expect(await survivor.sweep()).toBe(1);
    await survivor.idle();
    expect(await survivor.sweep()).toBe(0);
    await survivor.idle();
    expect(accepted(fake)).toEqual(['the numbers']);
    expect((await prisma.outboxMessage.findUniqueOrThrow({ where: { id: row?.id ?? -1 } })).status).toBe(
      'sent',
    );
  });

  it('a restarted instance takes back at once what its crashed earlier life held; another instance waits', async () => {
    const fake = createFakeBotApi();
    const clock = new Date();
    // Instance box-1 leased a page to itself and died mid-send.
    const dead: TOutboxSender = {
      owner: 'box-1/earlier-life',
      leaseMs: 20_000,
      now: () => clock,
      submit: () => undefined,
    };
    const chatId = nextChat++;
    await commit(dead, [{ kind: 'crisis-notice', payload: message('the numbers', chatId) }]);

    const neighbour = createDispatcher(fake, { clock: () => clock, instance: 'box-2' });
    expect(await neighbour.reclaimEarlierLife()).toBe(0);
    expect(await neighbour.sweep()).toBe(0);

    const restarted = createDispatcher(fake, { clock: () => clock, instance: 'box-1' });
    // A sweep alone would wait out the lease: the restart must take its rows back before its first sweep.
    expect(await restarted.sweep()).toBe(0);
    expect(await restarted.reclaimEarlierLife()).toBe(1);
    expect(await restarted.sweep()).toBe(1);
    await restarted.idle();
    expect(accepted(fake)).toEqual(['the numbers']);
  });

  it('an embedded database: the next start hands back what the last run left on its way, at once', async () => {
    const fake = createFakeBotApi();
    const dead: TOutboxSender = {
      owner: 'last-run',
      leaseMs: 20_000,
      now: () => new Date(),
      submit: () => undefined,
    };
    const chatId = nextChat++;
    await commit(dead, [{ kind: 'crisis-notice', payload: message('the numbers', chatId) }]);
    expect(await releaseAbandonedRows(prisma, new Date())).toBe(1);
    const next = createDispatcher(fake);
    expect(await next.sweep()).toBe(1);
    await next.idle();
    expect(accepted(fake)).toEqual(['the numbers']);
  });

  it('Telegram failing: tried again after a back-off, with the lease kept, and sent once', async () => {
    const fake = createFakeBotApi();
    const dispatcher = createDispatcher(fake);
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    const chatId = nextChat++;
    await commit(dispatcher, [{ kind: 'reply', payload: message(SECRET, chatId) }]);
    await dispatcher.settled();
    expect(accepted(fake)).toEqual([]);
    const [row] = await prisma.outboxMessage.findMany({ where: { lane: protector.pseudonymOf(chatId) } });
    expect(row).toMatchObject({ status: 'sending', leaseOwner: dispatcher.owner });
    // Another instance's sweep leaves it alone: it is held.
    expect(await createDispatcher(createFakeBotApi()).sweep()).toBe(0);
    await dispatcher.idle();
    expect(accepted(fake)).toEqual([SECRET]);
    expect(logLines.some((line) => line.includes('delivery will retry') && line.includes('502'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it("keeps a chat's order: a message waits while an earlier one of its chat is tried again", async () => {
    const fake = createFakeBotApi();
    const dispatcher = createDispatcher(fake);
    const chatId = nextChat++;
    fake.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    await commit(dispatcher, [
      { kind: 'reply', payload: message('question 1', chatId) },
      { kind: 'reply', payload: message('question 2', chatId) },
    ]);
    await commit(dispatcher, [{ kind: 'reply', payload: message('other chat') }]);
    await dispatcher.settled();
    expect(accepted(fake)).toEqual(['other chat']);
    await dispatcher.idle({ retryNow: true });
    expect(accepted(fake)).toEqual(['other chat', 'question 1', 'question 2']);
  });

  it('edits a message once the message it refers to has gone out', async () => {
    const fake = createFakeBotApi({ latencyMs: 50 });
    const dispatcher = createDispatcher(fake);
    const chatId = nextChat++;
    const pageId = await enqueueOutbox(
      { prisma, protector },
      { kind: 'page', payload: message('page', chatId) },
    );
    await commit(dispatcher, [
      { kind: 'page-update', payload: { type: 'edit', chatId, outboxId: pageId ?? -1, text: 'claimed' } },
    ]);
    expect(await dispatcher.sweep()).toBe(1);
    await dispatcher.idle();
    const page = fake.callsOf('sendMessage')[0];
    expect(fake.callsOf('editMessageText').map((call) => call.payload)).toEqual([
      {
        chat_id: chatId,
        message_id: (page?.result as { message_id?: number } | undefined)?.message_id,
        text: 'claimed',
      },
    ]);
  });

  it('a 429 storm: the crisis messages go first, and nothing is lost or sent twice', async () => {
    // Telegram allows 10 messages a second here; the bot was told nothing of it, so it learns by 429s.
    const fake = createFakeBotApi({ messagesPerSecond: 10 });
    const dispatcher = createDispatcher(fake);
    const routine = Array.from({ length: 25 }, (_, index) => `routine ${index}`);
    await commit(
      dispatcher,
      routine.map((text) => ({ kind: 'reply' as const, payload: message(text) })),
    );
    const crisis = ['numbers for A', 'numbers for B', 'numbers for C'];
    await commit(
      dispatcher,
      crisis.map((text) => ({ kind: 'crisis-notice' as const, payload: message(text) })),
    );
    const committedAt = Date.now();
    await dispatcher.idle();

    const sent = accepted(fake);
    expect([...sent].sort()).toEqual([...routine, ...crisis].sort());
    expect(fake.callsOf('sendMessage').filter((call) => call.result === undefined).length).toBeGreaterThan(0);
    // Every crisis message before the routine backlog that was still waiting when they were committed.
    const lastCrisis = Math.max(...crisis.map((text) => sent.indexOf(text)));
    expect(lastCrisis).toBeLessThan(sent.length - 10);
    const crisisCalls = fake.calls.filter(
      (call) => crisis.includes(String(call.payload.text)) && call.result,
    );
    expect(crisisCalls).toHaveLength(3);
    expect(Date.now() - committedAt).toBeGreaterThan(1000);
  });

  it('keeps to its own limits without a single 429, and still sends a crisis message ahead', async () => {
    const fake = createFakeBotApi({ messagesPerSecond: 10 });
    const dispatcher = createDispatcher(fake, {
      limits: { perSecond: 10, perChatPerSecond: 0, chatBurst: 1 },
    });
    await commit(
      dispatcher,
      Array.from({ length: 15 }, (_, index) => ({
        kind: 'reply' as const,
        payload: message(`routine ${index}`),
      })),
    );
    await commit(dispatcher, [{ kind: 'crisis-notice', payload: message('the numbers') }]);
    await dispatcher.idle();
    expect(fake.callsOf('sendMessage').every((call) => call.result !== undefined)).toBe(true);
    expect(accepted(fake).indexOf('the numbers')).toBeLessThanOrEqual(10);
  });

  it('stopping hands what it still holds back to the sweep, for the next start', async () => {
    const fake = createFakeBotApi();
    const dispatcher = createDispatcher(fake);
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    const chatId = nextChat++;
    await commit(dispatcher, [{ kind: 'reply', payload: message('held', chatId) }]);
    await dispatcher.settled();
    await dispatcher.stop();
    const [row] = await prisma.outboxMessage.findMany({ where: { lane: protector.pseudonymOf(chatId) } });
    expect(row).toMatchObject({ status: 'pending', leaseOwner: null });
    const next = createDispatcher(fake);
    expect(await next.sweep()).toBe(1);
    await next.idle();
    expect(accepted(fake)).toEqual(['held']);
  });

  it('the database away while a failure is recorded: no crash, the chat goes on, and a sweep takes it up again', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    let isDatabaseAway = false;
    // Statements and transactions fail while the database is away.
    const flaky = new Proxy(prisma, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (!['$queryRaw', '$transaction'].includes(String(property)) || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) =>
          isDatabaseAway ? Promise.reject(new Error('database away')) : value.apply(target, args);
      },
    }) as PrismaClient;
    const fake = createFakeBotApi();
    let clock = new Date();
    const dispatcher = createDispatcher(fake, { prisma: flaky, clock: () => clock });
    const chatId = nextChat++;
    fake.setBlocked(chatId, true);
    await commit(dispatcher, [{ kind: 'reply', payload: message('to a blocked chat', chatId) }]);
    isDatabaseAway = true;
    await dispatcher.settled();
    isDatabaseAway = false;
    process.off('unhandledRejection', onRejection);
    expect(rejections).toEqual([]);
    expect(dispatcher.stats()).toMatchObject({ held: 0, inFlight: 0 });
    expect(logLines.some((line) => line.includes('a sweep will take it up again'))).toBe(true);

    // The chat is not wedged: the person unblocks the bot and the next message goes.
    fake.setBlocked(chatId, false);
    await commit(dispatcher, [{ kind: 'reply', payload: message('next', chatId) }]);
    await dispatcher.idle();
    expect(accepted(fake)).toEqual(['next']);
    // The first, unrecorded, is taken up again once its lease passes: at least once, never lost.
    clock = new Date(clock.getTime() + 61_000);
    expect(await dispatcher.sweep()).toBe(1);
    await dispatcher.idle();
    expect(accepted(fake)).toEqual(['next', 'to a blocked chat']);
  });
});
