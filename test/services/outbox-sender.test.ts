import { Writable } from 'node:stream';
import { Api, GrammyError, HttpError } from 'grammy';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { enqueueOutbox, type TOutboxKind, type TOutboxPayload } from '../../src/services/outbox.ts';
import { backoffMs, classifyFailure, deliverDueOutbox } from '../../src/services/outbox-sender.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN, type TFakeBotApi } from '../helpers/fake-bot-api.ts';

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = new Date(Math.ceil(Date.now() / MINUTE) * MINUTE);
const at = (ms: number) => new Date(T0.getTime() + ms);
/** Text that must never reach a log line. */
const SECRET = 'RESIDENT-SECRET-TEXT';

let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

let fake: TFakeBotApi;
let logLines: string[];
let send: (now: Date, limit?: number) => ReturnType<typeof deliverDueOutbox>;
beforeEach(async () => {
  await prisma.outboxMessage.updateMany({
    where: { status: { in: ['pending', 'sending'] } },
    data: { status: 'failed' },
  });
  fake = createFakeBotApi();
  logLines = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
  send = (now, limit) =>
    deliverDueOutbox(
      { prisma, protector, api, logger, policy: DEFAULT_ESCALATION_POLICY, i18n },
      { now, ...(limit === undefined ? {} : { limit }) },
    );
});

let nextChat = 60_000;
function enqueue(
  payload: TOutboxPayload,
  options: { kind?: TOutboxKind; caseId?: number; workerId?: number; step?: number; notBefore?: Date } = {},
) {
  return enqueueOutbox(
    { prisma, protector },
    {
      kind: options.kind ?? 'resident-notice',
      payload,
      caseId: options.caseId,
      workerId: options.workerId,
      escalationStep: options.step,
      notBefore: options.notBefore ?? T0,
    },
  );
}
const message = (text = SECRET, chatId = nextChat++): TOutboxPayload => ({ type: 'send', chatId, text });

/** A waiting case on step 1, paged to one worker, as the sweep leaves it. */
async function pagedCase(now = T0) {
  const worker = await prisma.worker.create({
    data: { name: 'W', role: 'worker', telegramUserId: BigInt(nextChat++) },
  });
  const row = await prisma.case.create({
    data: {
      level: 'high',
      source: 'screening',
      escalationStep: 1,
      nextEscalationAt: new Date(now.getTime() + 5 * MINUTE),
      events: {
        create: {
          type: 'paged',
          actor: 'system',
          detail: { step: 1, audiences: ['on-call'], workerIds: [worker.id] },
        },
      },
    },
  });
  const outboxId = await enqueue(
    {
      type: 'send',
      chatId: Number(worker.telegramUserId),
      text: SECRET,
      buttons: [[{ label: 'Claim', data: `claim:${row.id}` }]],
    },
    { kind: 'page', caseId: row.id, workerId: worker.id, step: 1, notBefore: now },
  );
  return { caseId: row.id, workerId: worker.id, chatId: Number(worker.telegramUserId), outboxId };
}

const row = (id: number) => prisma.outboxMessage.findUniqueOrThrow({ where: { id } });

describe(describeDatabase('deliverDueOutbox'), () => {
  it('sends a page with its buttons, records the message id, and puts "page-sent" on the timeline', async () => {
    const page = await pagedCase();
    expect(await send(T0)).toEqual({ sent: 1, retried: 0, unreachable: 0, dropped: 0, failed: 0 });
    const [call] = fake.callsOf('sendMessage');
    expect(call?.payload).toMatchObject({
      chat_id: page.chatId,
      text: SECRET,
      reply_markup: { inline_keyboard: [[{ text: 'Claim', callback_data: `claim:${page.caseId}` }]] },
    });
    const sent = await row(page.outboxId);
    expect(sent).toMatchObject({
      status: 'sent',
      sentMessageId: (call?.result as { message_id: number } | undefined)?.message_id,
      sentAt: T0,
      lockedUntil: null,
      attempts: 1,
    });
    const event = await prisma.caseEvent.findFirstOrThrow({
      where: { caseId: page.caseId, type: 'page-sent' },
    });
    expect(event).toMatchObject({
      actor: 'system',
      detail: { outboxId: page.outboxId, workerId: page.workerId, step: 1 },
    });
    // Nothing left: a second run sends nothing.
    expect((await send(at(SECOND))).sent).toBe(0);
  });

  it('waits for rows that are not due yet', async () => {
    const id = await enqueue(message(), { notBefore: at(10 * SECOND) });
    expect((await send(at(9 * SECOND))).sent).toBe(0);
    expect((await send(at(10 * SECOND))).sent).toBe(1);
    expect((await row(id)).status).toBe('sent');
  });

  it('honours 429 retry_after: not retried before it passes, retried once it has', async () => {
    const id = await enqueue(message());
    fake.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 7',
      parameters: { retry_after: 7 },
    });
    expect((await send(T0)).retried).toBe(1);
    expect(await row(id)).toMatchObject({
      status: 'pending',
      nextAttemptAt: at(7 * SECOND),
      lastError: '429: Too Many Requests: retry after 7',
    });
    expect((await send(at(7 * SECOND - 1))).sent).toBe(0);
    expect(fake.callsOf('sendMessage')).toHaveLength(1);
    expect((await send(at(7 * SECOND))).sent).toBe(1);
    expect(fake.callsOf('sendMessage')).toHaveLength(2);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
  });

  it('backs off on 5xx: 1 s, 2 s, 4 s, … and keeps trying', async () => {
    const id = await enqueue(message());
    for (const code of [502, 500, 503, 504])
      fake.failNext('sendMessage', { error_code: code, description: 'Bad Gateway' });
    const tries: number[] = [];
    for (let ms = 0; ms <= 20 * SECOND; ms += SECOND) {
      const before = fake.callsOf('sendMessage').length;
      await send(at(ms));
      if (fake.callsOf('sendMessage').length > before) tries.push(ms);
    }
    // 0 fails → +1 s; 1 s fails → +2 s; 3 s fails → +4 s; 7 s fails → +8 s; 15 s succeeds.
    expect(tries).toEqual([0, 1000, 3000, 7000, 15_000]);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 5 });
  });

  it('backs off on network errors and timeouts too', async () => {
    let failures = 2;
    const flaky: typeof fetch = async (input, init) => {
      if (failures-- > 0) throw new TypeError('fetch failed: ECONNRESET');
      return fake.fetch(input, init);
    };
    const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: flaky });
    const logger = createLogger({ level: 'silent' });
    const id = await enqueue(message());
    const deliver = (now: Date) =>
      deliverDueOutbox({ prisma, protector, api, logger, policy: DEFAULT_ESCALATION_POLICY, i18n }, { now });
    expect((await deliver(T0)).retried).toBe(1);
    expect((await row(id)).nextAttemptAt).toEqual(at(SECOND));
    expect((await deliver(at(SECOND))).retried).toBe(1);
    expect((await row(id)).nextAttemptAt).toEqual(at(3 * SECOND));
    expect((await deliver(at(3 * SECOND))).sent).toBe(1);
  });

  it('gives a row held by a sender that died back once its lease has passed, and only then', async () => {
    const id = await enqueue(message());
    await prisma.outboxMessage.update({
      where: { id },
      data: { status: 'sending', lockedUntil: at(2 * MINUTE), attempts: 1 },
    });
    expect((await send(at(MINUTE))).sent).toBe(0);
    expect((await send(at(2 * MINUTE))).sent).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a page the worker cannot receive (403) is unreachable and makes the next step due now', async () => {
    const page = await pagedCase();
    fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    expect((await send(at(SECOND))).unreachable).toBe(1);
    expect(await row(page.outboxId)).toMatchObject({
      status: 'unreachable',
      lastError: '403: Forbidden: bot was blocked by the user',
    });
    const event = await prisma.caseEvent.findFirstOrThrow({
      where: { caseId: page.caseId, type: 'page-unreachable' },
    });
    expect(event.detail).toMatchObject({ workerId: page.workerId, step: 1 });
    const after = await prisma.case.findUniqueOrThrow({ where: { id: page.caseId } });
    expect(after.nextEscalationAt).toEqual(at(SECOND));
    // Not retried.
    expect((await send(at(MINUTE))).sent + fake.callsOf('sendMessage').length).toBe(1);
  });

  it('an unreachable page of an older step leaves the current step alone', async () => {
    const page = await pagedCase();
    await prisma.case.update({ where: { id: page.caseId }, data: { escalationStep: 2 } });
    fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' });
    expect((await send(T0)).unreachable).toBe(1);
    const after = await prisma.case.findUniqueOrThrow({ where: { id: page.caseId } });
    expect(after.nextEscalationAt).toEqual(at(5 * MINUTE));
  });

  it('a message Telegram refuses for good (400) fails without retrying', async () => {
    const id = await enqueue(message());
    fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: message text is empty' });
    expect((await send(T0)).failed).toBe(1);
    expect(await row(id)).toMatchObject({
      status: 'failed',
      lastError: '400: Bad Request: message text is empty',
    });
  });

  it('edits the message of the page it refers to, once that page is out', async () => {
    const page = await pagedCase();
    const edit = await enqueue(
      { type: 'edit', chatId: page.chatId, outboxId: page.outboxId, text: 'Claimed' },
      { kind: 'page-update', caseId: page.caseId },
    );
    // The page is held back (rate limited): the edit waits for it rather than giving up.
    fake.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests',
      parameters: { retry_after: 5 },
    });
    expect(await send(T0)).toMatchObject({ retried: 2, sent: 0 });
    expect(fake.callsOf('editMessageText')).toEqual([]);
    expect(await send(at(5 * SECOND))).toMatchObject({ sent: 2 });
    const sentId = (await row(page.outboxId)).sentMessageId;
    expect(fake.callsOf('editMessageText').map((call) => call.payload)).toEqual([
      { chat_id: page.chatId, message_id: sentId, text: 'Claimed' },
    ]);
    expect(await row(edit)).toMatchObject({ status: 'sent', sentMessageId: sentId });
  });

  it('an edit that changes nothing is done; one whose message is gone, or never went out, is dropped', async () => {
    const page = await pagedCase();
    await send(T0);
    const notModified = await enqueue(
      { type: 'edit', chatId: page.chatId, outboxId: page.outboxId, text: 'Claimed' },
      { kind: 'page-update' },
    );
    fake.failNext('editMessageText', {
      error_code: 400,
      description:
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
    });
    expect(await send(T0)).toMatchObject({ sent: 1 });
    expect((await row(notModified)).status).toBe('sent');

    const gone = await enqueue(
      { type: 'edit', chatId: page.chatId, outboxId: page.outboxId, text: 'Claimed' },
      { kind: 'page-update' },
    );
    fake.failNext('editMessageText', {
      error_code: 400,
      description: 'Bad Request: message to edit not found',
    });
    expect(await send(T0)).toMatchObject({ dropped: 1 });
    expect((await row(gone)).status).toBe('failed');

    const unsent = await enqueue(
      { type: 'edit', chatId: page.chatId, outboxId: 999_999, text: 'Claimed' },
      { kind: 'page-update' },
    );
    expect(await send(T0)).toMatchObject({ dropped: 1 });
    expect(await row(unsent)).toMatchObject({
      status: 'failed',
      lastError: 'dropped: no sent message to edit',
    });
    expect(fake.callsOf('editMessageText')).toHaveLength(2);
  });

  it('edits a message given by its Telegram id; an edit without buttons removes them', async () => {
    const chatId = nextChat++;
    const edit = await enqueue(
      { type: 'edit', chatId, messageId: 4711, text: 'Case #9: erased at the resident’s request.' },
      { kind: 'page-update' },
    );
    expect(await send(T0)).toMatchObject({ sent: 1 });
    expect(fake.callsOf('editMessageText').map((call) => call.payload)).toEqual([
      { chat_id: chatId, message_id: 4711, text: 'Case #9: erased at the resident’s request.' },
    ]);
    expect(await row(edit)).toMatchObject({ status: 'sent', sentMessageId: 4711 });
  });

  it('a relay the resident cannot receive (403): on the timeline, and its worker told once', async () => {
    const worker = await prisma.worker.create({
      data: { name: 'W', role: 'worker', telegramUserId: BigInt(nextChat++), locale: 'en' },
    });
    const { id: caseId } = await prisma.case.create({
      data: { level: 'high', source: 'screening', status: 'claimed', claimedById: worker.id },
    });
    const resident = nextChat++;
    const blocked = { error_code: 403, description: 'Forbidden: bot was blocked by the user' };
    const first = await enqueue(message(SECRET, resident), { kind: 'relay-to-resident', caseId });
    fake.failNext('sendMessage', blocked);
    expect(await send(T0)).toMatchObject({ unreachable: 1, sent: 1 });
    const second = await enqueue(message(SECRET, resident), { kind: 'relay-to-resident', caseId });
    fake.failNext('sendMessage', blocked);
    expect(await send(at(SECOND))).toMatchObject({ unreachable: 1, sent: 0 });

    const events = await prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.type, e.actor, e.detail])).toEqual([
      ['resident-unreachable', 'system', { outboxId: first, errorCode: 403, toldWorkerId: worker.id }],
      ['resident-unreachable', 'system', { outboxId: second, errorCode: 403 }],
    ]);
    const toWorker = fake.textsTo(Number(worker.telegramUserId));
    expect(toWorker).toEqual([
      createI18n().getFixedT('en', 'pages')('notices.resident_unreachable', { id: caseId }),
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('keeps a conversation in order: a relay waits while an earlier one of its case is held back', async () => {
    const { id: caseId } = await prisma.case.create({
      data: { level: 'high', source: 'screening', status: 'claimed' },
    });
    const chatId = nextChat++;
    const first = await enqueue(message('first', chatId), { kind: 'relay-to-resident', caseId });
    const second = await enqueue(message('second', chatId), { kind: 'resident-notice', caseId });
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect(await send(T0)).toMatchObject({ retried: 1, sent: 0 });
    expect(await row(first)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await row(second)).toMatchObject({ status: 'pending', attempts: 0 });
    // Once the first is out, the second follows in the same run.
    expect(await send(at(SECOND))).toMatchObject({ sent: 2 });
    expect(fake.callsOf('sendMessage').map((call) => call.payload.text)).toEqual([
      'first',
      'first',
      'second',
    ]);
  });

  it("never holds the resident's messages behind a worker's slow chat, nor the other way round", async () => {
    const { id: caseId } = await prisma.case.create({
      data: { level: 'imminent', source: 'crisis-message', status: 'claimed' },
    });
    const workerChat = nextChat++;
    const residentChat = nextChat++;
    const toWorker = await enqueue(message('relayed words', workerChat), { kind: 'relay-to-worker', caseId });
    const numbers = await enqueue(message('the emergency numbers', residentChat), {
      kind: 'resident-notice',
      caseId,
    });
    // The worker's chat answers 502: that relay backs off; the numbers go out in the same run regardless.
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect(await send(T0)).toMatchObject({ retried: 1, sent: 1 });
    expect(await row(toWorker)).toMatchObject({ status: 'pending' });
    expect(await row(numbers)).toMatchObject({ status: 'sent' });
  });

  it('sends pages and messages to residents before a backlog of edits to staff', async () => {
    const staffChat = nextChat++;
    for (let n = 0; n < 5; n++) {
      await enqueue(
        { type: 'edit', chatId: staffChat, messageId: 900 + n, text: `blank ${n}` },
        { kind: 'page-update', notBefore: at(-MINUTE) },
      );
    }
    const page = await enqueue(message('a new page', nextChat++), { kind: 'page' });
    const result = await send(T0, 1);
    expect(result.sent).toBe(1);
    expect(await row(page)).toMatchObject({ status: 'sent' });
  });

  it('sends to many chats in one run, each chat in order', async () => {
    const chats = [nextChat++, nextChat++, nextChat++];
    for (const n of [1, 2, 3]) for (const chatId of chats) await enqueue(message(`m${n}`, chatId));
    expect((await send(T0)).sent).toBe(9);
    for (const chatId of chats) expect(fake.textsTo(chatId)).toEqual(['m1', 'm2', 'm3']);
  });

  it('never logs what it sends', async () => {
    await enqueue(message());
    fake.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    await send(T0);
    fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: something else' });
    await send(at(SECOND));
    await pagedCase(at(SECOND));
    fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    await send(at(SECOND));
    expect(logLines.length).toBeGreaterThan(2);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });
});

describe('classifyFailure', () => {
  const telegram = (error_code: number, description: string, retry_after?: number) =>
    new GrammyError(
      `Call failed (${error_code}: ${description})`,
      { ok: false, error_code, description, ...(retry_after ? { parameters: { retry_after } } : {}) },
      'sendMessage',
      { text: SECRET },
    );

  it.each<[string, unknown, 'send' | 'edit', number, object]>([
    [
      '429 with retry_after',
      telegram(429, 'Too Many Requests', 12),
      'send',
      1,
      { type: 'retry', delayMs: 12_000 },
    ],
    [
      '429 without retry_after',
      telegram(429, 'Too Many Requests'),
      'send',
      3,
      { type: 'retry', delayMs: 4000 },
    ],
    ['502', telegram(502, 'Bad Gateway'), 'send', 1, { type: 'retry', delayMs: 1000 }],
    [
      '500 on the 4th attempt',
      telegram(500, 'Internal Server Error'),
      'edit',
      4,
      { type: 'retry', delayMs: 8000 },
    ],
    [
      'a network error',
      new HttpError('Network request failed', new Error('ECONNRESET')),
      'send',
      2,
      { type: 'retry', delayMs: 2000 },
    ],
    [
      'a timeout',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'send',
      1,
      { type: 'retry' },
    ],
    ['401 (token)', telegram(401, 'Unauthorized'), 'send', 1, { type: 'retry' }],
    [
      '403 blocked',
      telegram(403, 'Forbidden: bot was blocked by the user'),
      'send',
      1,
      { type: 'unreachable' },
    ],
    ['403 deactivated', telegram(403, 'Forbidden: user is deactivated'), 'send', 1, { type: 'unreachable' }],
    ['400 chat not found', telegram(400, 'Bad Request: chat not found'), 'send', 1, { type: 'unreachable' }],
    ['400 other', telegram(400, 'Bad Request: message is too long'), 'send', 1, { type: 'failed' }],
    ['edit not modified', telegram(400, 'Bad Request: message is not modified'), 'edit', 1, { type: 'done' }],
    ['edit gone', telegram(400, "Bad Request: message can't be edited"), 'edit', 1, { type: 'gone' }],
    [
      'edit to a blocked chat',
      telegram(403, 'Forbidden: bot was blocked by the user'),
      'edit',
      1,
      { type: 'gone' },
    ],
  ])('%s', (_name, error, action, attempts, expected) => {
    expect(classifyFailure(error, action, attempts)).toMatchObject(expected);
  });

  it('backs off 1 s, 2 s, 4 s … up to 5 min', () => {
    expect([1, 2, 3, 4, 9, 10, 30, 1000].map(backoffMs)).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000,
    ]);
  });
});
