import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from 'grammy';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleUpdateOnce } from '../../src/db/unit-of-work.ts';
import {
  DEFAULT_ESCALATION_POLICY,
  type TEscalationPolicy,
  ZEscalationPolicy,
} from '../../src/domain/escalation/index.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { openOrRaiseCase } from '../../src/services/cases.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { recipientsFor, runEscalationSweep } from '../../src/services/escalation.ts';
import { EscalationPolicyError, loadEscalationPolicy } from '../../src/services/escalation-policy-file.ts';
import { createOutboxDispatcher, type TOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import {
  createScriptRegistry,
  readDefaultScript,
  type TScriptRegistry,
} from '../../src/services/script-registry.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN, type TFakeBotApi } from '../helpers/fake-bot-api.ts';

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();
const logger = createLogger({ level: 'silent' });

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/**
 * The fake clock starts here; every call passes its time explicitly. Behind the wall clock on purpose: whatever
 * reads the wall clock instead of the time passed in shows up (a page then seemed not yet due).
 */
const T0 = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE);
const at = (ms: number) => new Date(T0.getTime() + ms);

let database: TTestDatabase;
let prisma: PrismaClient;
let scripts: TScriptRegistry;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
  scripts = createScriptRegistry(prisma);
  await scripts.publish(readDefaultScript());
});
afterAll(() => database.close());

/** Each test starts with no staff and nothing waiting (one database per file keeps the file fast). */
beforeEach(async () => {
  await prisma.worker.updateMany({ data: { isActive: false, isOnCall: false } });
  await prisma.case.updateMany({ where: { status: 'waiting' }, data: { status: 'withdrawn' } });
  await prisma.outboxMessage.updateMany({
    where: { status: { in: ['pending', 'sending'] } },
    data: { status: 'failed' },
  });
});

let nextTelegramId = 70_000;
async function addWorker(
  input: { role?: 'worker' | 'supervisor'; onCall?: boolean; shift?: [number, number]; locale?: string } = {},
) {
  const telegramUserId = nextTelegramId++;
  const worker = await prisma.worker.create({
    data: {
      name: `Staff ${telegramUserId}`,
      role: input.role ?? 'worker',
      telegramUserId: BigInt(telegramUserId),
      isOnCall: input.onCall ?? false,
      locale: input.locale ?? 'en',
      ...(input.shift
        ? { shifts: { create: { startsAt: at(input.shift[0]), endsAt: at(input.shift[1]) } } }
        : {}),
    },
  });
  return { id: worker.id, chatId: telegramUserId };
}

let nextResident = 1;
async function openCase(level: 'low' | 'moderate' | 'high' | 'imminent', now = T0, signals?: unknown) {
  const residentId = `escalation-resident-${nextResident++}`;
  await prisma.resident.create({ data: { id: residentId } });
  const { caseId } = await openOrRaiseCase(
    { prisma, protector },
    { residentId, level, source: 'screening', score: 12, now, signals },
  );
  return caseId;
}

/** One running instance of the service: its own sender and Bot API client (and fake Telegram behind it). */
function createInstance(policy: TEscalationPolicy = DEFAULT_ESCALATION_POLICY, fake = createFakeBotApi()) {
  const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
  // The fake clock: what the sender records (a page unreachable at T0 brings the next step to T0).
  let clock = T0;
  const dispatcher = createOutboxDispatcher({
    prisma,
    protector,
    api,
    logger,
    policy,
    i18n,
    limits: { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
    clock: () => clock,
  });
  instances.push(dispatcher);
  const deps = { prisma, protector, i18n, logger, policy, scripts, outboxSender: dispatcher };
  return {
    fake,
    dispatcher,
    /** One round of the background work at `now`: sweep, then send what is due (a retry too). */
    async round(now: Date) {
      clock = now;
      await runEscalationSweep(deps, { now });
      await dispatcher.sweep(now);
      await dispatcher.idle({ retryNow: true });
    },
  };
}
const instances: TOutboxDispatcher[] = [];
afterEach(async () => {
  for (const dispatcher of instances.splice(0)) await dispatcher.stop();
});

/**
 * Who got a page in the calls since `from`: `<chatId>@<step>`, sorted (different chats are sent to at once,
 * so their order is not the order of the calls).
 */
function pagesSince(fake: TFakeBotApi, from: number): string[] {
  return fake.calls
    .slice(from)
    .filter((call) => call.method === 'sendMessage')
    .map((call) => `${call.payload.chat_id}@${/\(step (\d+)\)/.exec(String(call.payload.text))?.[1]}`)
    .sort();
}

/** Runs a round at each time and returns who was paged in each, e.g. `{ '0': ['70001@1'], … }`. */
async function ladder(instance: ReturnType<typeof createInstance>, times: number[]) {
  const seen: Record<string, string[]> = {};
  for (const time of times) {
    const from = instance.fake.calls.length;
    await instance.round(at(time));
    seen[String(time)] = pagesSince(instance.fake, from);
  }
  return seen;
}

describe(describeDatabase('the escalation ladder'), () => {
  it('high: on call, then supervisors after 5 min, repeated twice, then everyone every 5 min', async () => {
    const onCall = await addWorker({ shift: [-HOUR, 2 * HOUR] });
    const offDuty = await addWorker();
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();

    const seen = await ladder(instance, [
      0,
      5 * MINUTE - SECOND,
      5 * MINUTE,
      10 * MINUTE,
      15 * MINUTE,
      20 * MINUTE - 1,
      20 * MINUTE,
      25 * MINUTE,
    ]);
    expect(seen).toEqual({
      0: [`${onCall.chatId}@1`],
      [5 * MINUTE - SECOND]: [],
      [5 * MINUTE]: [`${supervisor.chatId}@2`],
      [10 * MINUTE]: [`${onCall.chatId}@3`],
      [15 * MINUTE]: [`${supervisor.chatId}@4`],
      [20 * MINUTE - 1]: [],
      [20 * MINUTE]: [`${onCall.chatId}@5`, `${offDuty.chatId}@5`, `${supervisor.chatId}@5`].sort(),
      [25 * MINUTE]: [`${onCall.chatId}@6`, `${offDuty.chatId}@6`, `${supervisor.chatId}@6`].sort(),
    });

    // A claim ends the paging.
    await prisma.case.update({ where: { id: caseId }, data: { status: 'claimed' } });
    expect(await ladder(instance, [30 * MINUTE, 2 * HOUR])).toEqual({ [30 * MINUTE]: [], [2 * HOUR]: [] });

    const events = await prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    const paged = events.filter((event) => event.type === 'paged');
    expect(paged.map((event) => event.detail)).toEqual([
      { step: 1, audiences: ['on-call'], workerIds: [onCall.id] },
      { step: 2, audiences: ['supervisors'], workerIds: [supervisor.id] },
      { step: 3, audiences: ['on-call'], workerIds: [onCall.id] },
      { step: 4, audiences: ['supervisors'], workerIds: [supervisor.id] },
      { step: 5, audiences: ['everyone'], workerIds: [onCall.id, offDuty.id, supervisor.id] },
      { step: 6, audiences: ['everyone'], workerIds: [onCall.id, offDuty.id, supervisor.id] },
    ]);
    expect(paged.map((event) => event.createdAt.getTime() - T0.getTime())).toEqual([
      0,
      5 * MINUTE,
      10 * MINUTE,
      15 * MINUTE,
      20 * MINUTE,
      25 * MINUTE,
    ]);
    expect(events.filter((event) => event.type === 'page-sent')).toHaveLength(10);
    expect(events.every((event) => event.actor === 'system')).toBe(true);
  });

  it('imminent: on call and supervisors together at once, again after 1 min, then everyone each minute', async () => {
    const onCall = await addWorker({ onCall: true });
    const offDuty = await addWorker();
    const supervisor = await addWorker({ role: 'supervisor' });
    await openCase('imminent');
    const instance = createInstance();

    const both = (step: number) => [`${onCall.chatId}@${step}`, `${supervisor.chatId}@${step}`];
    const all = (step: number) => [...both(step), `${offDuty.chatId}@${step}`].sort();
    expect(await ladder(instance, [0, 59 * SECOND, MINUTE, 2 * MINUTE, 3 * MINUTE])).toEqual({
      0: both(1),
      [59 * SECOND]: [],
      [MINUTE]: both(2),
      [2 * MINUTE]: all(3),
      [3 * MINUTE]: all(4),
    });
  });

  it('moderate: the same ladder with 4 h steps', async () => {
    const onCall = await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    await openCase('moderate');
    const instance = createInstance();

    expect(
      await ladder(instance, [
        0,
        4 * HOUR - SECOND,
        4 * HOUR,
        8 * HOUR,
        12 * HOUR,
        16 * HOUR - SECOND,
        16 * HOUR,
      ]),
    ).toEqual({
      0: [`${onCall.chatId}@1`],
      [4 * HOUR - SECOND]: [],
      [4 * HOUR]: [`${supervisor.chatId}@2`],
      [8 * HOUR]: [`${onCall.chatId}@3`],
      [12 * HOUR]: [`${supervisor.chatId}@4`],
      [16 * HOUR - SECOND]: [],
      [16 * HOUR]: [`${onCall.chatId}@5`, `${supervisor.chatId}@5`].sort(),
    });
  });

  it('follows the configured policy (timeouts and repeats)', async () => {
    const onCall = await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    await openCase('high');
    const policy = ZEscalationPolicy.parse({ acknowledgeTimeout: { high: '2m' }, repeats: 1 });
    const instance = createInstance(policy);
    expect(await ladder(instance, [0, 2 * MINUTE, 4 * MINUTE])).toEqual({
      0: [`${onCall.chatId}@1`],
      [2 * MINUTE]: [`${supervisor.chatId}@2`],
      [4 * MINUTE]: [`${onCall.chatId}@3`, `${supervisor.chatId}@3`].sort(),
    });
  });

  it('with nobody on call, says so and pages the supervisors at once instead of waiting out a timeout', async () => {
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();
    expect(await ladder(instance, [0, 5 * MINUTE - SECOND, 5 * MINUTE])).toEqual({
      0: [`${supervisor.chatId}@2`],
      [5 * MINUTE - SECOND]: [],
      // Step 3 (on call) has nobody again: step 4 goes straight to the supervisors.
      [5 * MINUTE]: [`${supervisor.chatId}@4`],
    });
    const skipped = await prisma.caseEvent.findMany({
      where: { caseId, type: 'page-skipped' },
      orderBy: { id: 'asc' },
    });
    expect(skipped.map((event) => event.detail)).toEqual([
      { step: 1, audiences: ['on-call'], reason: 'nobody' },
      { step: 3, audiences: ['on-call'], reason: 'nobody' },
    ]);
  });

  it('with no staff at all, keeps the case due and tries again each timeout', async () => {
    const caseId = await openCase('imminent');
    const instance = createInstance();
    await instance.round(T0);
    const row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.escalationStep).toBe(3);
    expect(row.nextEscalationAt).toEqual(at(MINUTE));
    const late = await addWorker();
    expect(await ladder(instance, [MINUTE])).toEqual({ [MINUTE]: [`${late.chatId}@4`] });
  });

  it('does not page anyone twice for the same step of one run of the ladder', async () => {
    await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();
    await ladder(instance, [0, 5 * MINUTE]);
    // Step 2 comes due again (a stray reschedule); the supervisor already has its page, a newcomer does not.
    await prisma.case.update({
      where: { id: caseId },
      data: { escalationStep: 1, nextEscalationAt: at(6 * MINUTE) },
    });
    const newcomer = await addWorker({ role: 'supervisor' });
    expect(await ladder(instance, [6 * MINUTE])).toEqual({ [6 * MINUTE]: [`${newcomer.chatId}@2`] });
    expect(
      await prisma.outboxMessage.count({ where: { caseId, workerId: supervisor.id, escalationStep: 2 } }),
    ).toBe(1);
  });

  it('a raised case starts the faster ladder from its first step, paging the same people again', async () => {
    const onCall = await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();
    expect(await ladder(instance, [0])).toEqual({ 0: [`${onCall.chatId}@1`] });
    const { residentId } = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    await openOrRaiseCase(
      { prisma, protector },
      { residentId: residentId ?? '', level: 'imminent', source: 'crisis-message', now: at(10 * SECOND) },
    );
    expect(await ladder(instance, [10 * SECOND])).toEqual({
      [10 * SECOND]: [`${onCall.chatId}@1`, `${supervisor.chatId}@1`],
    });
  });
});

describe(describeDatabase('a worker who cannot be reached'), () => {
  it('blocked the bot (403): the next level is paged at once, without waiting out the timeout', async () => {
    const blocked = await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();
    instance.fake.failNext('sendMessage', {
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });

    await instance.round(T0);
    expect(instance.fake.callsOf('sendMessage').map((call) => call.payload.chat_id)).toEqual([
      blocked.chatId,
    ]);
    const page = await prisma.outboxMessage.findFirstOrThrow({ where: { caseId, workerId: blocked.id } });
    expect(page.status).toBe('unreachable');
    const row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.nextEscalationAt).toEqual(T0);

    // The very next round (a second later in production), long before the 5-minute timeout.
    expect(await ladder(instance, [SECOND])).toEqual({ [SECOND]: [`${supervisor.chatId}@2`] });
    const unreachable = await prisma.caseEvent.findFirstOrThrow({
      where: { caseId, type: 'page-unreachable' },
    });
    expect(unreachable.detail).toMatchObject({ workerId: blocked.id, step: 1, outboxId: page.id });
    // The supervisor's own timeout then runs from their page, as usual (and the worker is back).
    expect(await ladder(instance, [5 * MINUTE, 5 * MINUTE + SECOND])).toEqual({
      [5 * MINUTE]: [],
      [5 * MINUTE + SECOND]: [`${blocked.chatId}@3`],
    });
  });

  it('chat not found (400) counts the same', async () => {
    await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    await openCase('moderate');
    const instance = createInstance();
    instance.fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' });
    await instance.round(T0);
    expect(await ladder(instance, [SECOND])).toEqual({ [SECOND]: [`${supervisor.chatId}@2`] });
  });

  it('imminent: pages everyone else at once, without paging again those who hold a page already', async () => {
    const blocked = await addWorker({ onCall: true });
    const onCall = await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    const offDuty = await addWorker();
    await openCase('imminent');
    const instance = createInstance();
    instance.fake.failNext('sendMessage', {
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    });

    const seen = await ladder(instance, [0, SECOND, 2 * SECOND]);
    expect(seen[0]?.sort()).toEqual(
      [`${blocked.chatId}@1`, `${onCall.chatId}@1`, `${supervisor.chatId}@1`].sort(),
    );
    // Step 2 would page the same two levels again: the next new people are "everyone" (step 3).
    expect(seen[SECOND]).toEqual([`${offDuty.chatId}@3`]);
    expect(seen[2 * SECOND]).toEqual([]);
  });

  it('a page Telegram refuses for good (400) counts as not acknowledged: the next level at once', async () => {
    await addWorker({ onCall: true });
    const supervisor = await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    const instance = createInstance();
    instance.fake.failNext('sendMessage', {
      error_code: 400,
      description: "Bad Request: can't parse entities",
    });
    await instance.round(T0);
    expect(await ladder(instance, [SECOND])).toEqual({ [SECOND]: [`${supervisor.chatId}@2`] });
    const events = await prisma.caseEvent.findMany({ where: { caseId, type: 'page-unreachable' } });
    expect(events).toHaveLength(1);
  });

  it('on the "everyone" rung an unreachable worker does not re-page everyone at every round', async () => {
    await addWorker({ onCall: true });
    await addWorker();
    const caseId = await openCase('high');
    const instance = createInstance(ZEscalationPolicy.parse({ repeats: 0 }));
    instance.fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden: user is deactivated' });
    await instance.round(T0);
    expect(await ladder(instance, [SECOND, 2 * SECOND])).toEqual({ [SECOND]: [], [2 * SECOND]: [] });
    const row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row.nextEscalationAt).toEqual(at(5 * MINUTE));
    // At its timeout the rung repeats for everyone: an unreachable colleague does not silence it.
    const [repeat] = Object.values(await ladder(instance, [5 * MINUTE]));
    expect(repeat).toHaveLength(2);
  });
});

describe(describeDatabase('a crash after the case commit'), () => {
  it('pages on restart: the case and its schedule committed, no sender ever ran', async () => {
    const onCall = await addWorker({ onCall: true });
    const residentId = `escalation-resident-${nextResident++}`;
    await prisma.resident.create({ data: { id: residentId } });
    // The process that handled the resident's update commits the case, then dies before any sweep or send.
    await handleUpdateOnce(prisma, { updateId: 880_001 }, async () => {
      await openOrRaiseCase(
        { prisma, protector },
        { residentId, level: 'high', source: 'screening', now: T0 },
      );
    });

    const restarted = createInstance(DEFAULT_ESCALATION_POLICY, createFakeBotApi());
    expect(await ladder(restarted, [3 * SECOND])).toEqual({ [3 * SECOND]: [`${onCall.chatId}@1`] });
  });

  it('pages on restart when the sweep committed the page but the sender died holding it', async () => {
    const onCall = await addWorker({ onCall: true });
    const caseId = await openCase('moderate');
    await runEscalationSweep(
      { prisma, protector, i18n, logger, policy: DEFAULT_ESCALATION_POLICY, scripts },
      { now: T0 },
    );
    // What a sender that claimed the row and then crashed leaves behind.
    await prisma.outboxMessage.updateMany({
      where: { caseId },
      data: { status: 'sending', lockedUntil: at(2 * MINUTE), attempts: 1 },
    });
    const restarted = createInstance();
    expect(await ladder(restarted, [MINUTE, 2 * MINUTE])).toEqual({
      [MINUTE]: [],
      [2 * MINUTE]: [`${onCall.chatId}@1`],
    });
  });
});

describe(describeDatabase('one sweep'), () => {
  it('pages a case once: a step brought forward meanwhile (its page unreachable) waits for the next sweep', async () => {
    const onCall = await addWorker({ onCall: true });
    await addWorker({ role: 'supervisor' });
    const caseId = await openCase('high');
    // A sender whose page fails at once, and what recording it unreachable does to the case: due again now.
    const broughtForward: Array<Promise<unknown>> = [];
    const outboxSender = {
      owner: 'one-sweep-test',
      leaseMs: MINUTE,
      now: () => T0,
      submit() {
        broughtForward.push(prisma.case.update({ where: { id: caseId }, data: { nextEscalationAt: T0 } }));
      },
    };
    // Telegram as fast as it gets: the sweep's next transaction starts only once that has landed.
    const afterTheSender = new Proxy(prisma, {
      get(target, key) {
        if (key === '$transaction') {
          return async (...args: Parameters<PrismaClient['$transaction']>) => {
            await Promise.all(broughtForward);
            return target.$transaction(...args);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deps = { prisma: afterTheSender, protector, i18n, logger, scripts, outboxSender };
    const result = await runEscalationSweep({ ...deps, policy: DEFAULT_ESCALATION_POLICY }, { now: T0 });
    expect(result).toEqual({ cases: 1, pages: 1 });
    const pages = await prisma.outboxMessage.findMany({ where: { caseId }, select: { workerId: true } });
    expect(pages).toEqual([{ workerId: onCall.id }]);
  });
});

describe(describeDatabase('the page'), () => {
  it('reaches each worker in their language, with Claim and Details buttons, and no resident text', async () => {
    const english = await addWorker({ onCall: true, locale: 'en' });
    const chinese = await addWorker({ role: 'supervisor', locale: 'zh-CN' });
    const caseId = await openCase('imminent', T0, {
      crisis: {
        level: 'imminent',
        kind: 'self',
        reasons: [
          {
            id: 'self.plan',
            explanation: 'States a plan',
            span: { start: 0, end: 5, text: 'RESIDENT-WORDS' },
          },
        ],
      },
    });
    const instance = createInstance();
    await instance.round(at(3 * MINUTE + 5 * SECOND));

    const [toEnglish] = instance.fake
      .callsOf('sendMessage')
      .filter((c) => c.payload.chat_id === english.chatId);
    const [toChinese] = instance.fake
      .callsOf('sendMessage')
      .filter((c) => c.payload.chat_id === chinese.chatId);
    expect(String(toEnglish?.payload.text)).toMatch(/^🔔 Case #\d+: IMMINENT risk\nWaiting 3 min/);
    expect(String(toEnglish?.payload.text)).toContain('  – States a plan');
    expect(String(toChinese?.payload.text)).toMatch(/^🔔 个案 #\d+：紧急风险\n已等待 3 分钟/);
    for (const call of [toEnglish, toChinese]) expect(String(call?.payload.text)).not.toContain('RESIDENT');
    expect(toEnglish?.payload.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: 'Claim', callback_data: `claim:${caseId}` },
          { text: 'Details', callback_data: `details:${caseId}` },
        ],
      ],
    });
    expect(toChinese?.payload.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: '认领', callback_data: `claim:${caseId}` },
          { text: '详情', callback_data: `details:${caseId}` },
        ],
      ],
    });
    const rows = await prisma.outboxMessage.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(rows.map((row) => [row.kind, row.workerId, row.escalationStep, row.status])).toEqual([
      ['page', english.id, 1, 'sent'],
      ['page', chinese.id, 1, 'sent'],
    ]);
    // The page is sealed at rest: it quotes signals.
    expect(rows.every((row) => !row.payloadSealed.includes('Case'))).toBe(true);
  });

  it('names the answers behind the level with the labels of the case script version', async () => {
    const worker = await addWorker({ onCall: true, locale: 'zh-CN' });
    const caseId = await openCase('high');
    const script = await scripts.latest('default');
    await prisma.case.update({
      where: { id: caseId },
      data: {
        scriptId: 'default',
        scriptVersion: script?.version,
        explanation: [
          {
            kind: 'critical',
            rule: 'asq_positive',
            level: 'high',
            because: [{ kind: 'answer', questionId: 'asq_wish_dead', optionId: 'yes' }],
          },
        ],
      },
    });
    // A registry that has not read the version yet reads it inside the sweep's own transaction.
    const coldScripts = createScriptRegistry(prisma);
    const instance = createInstance();
    const { fake, dispatcher } = instance;
    const deps = {
      prisma,
      protector,
      i18n,
      logger,
      policy: DEFAULT_ESCALATION_POLICY,
      scripts: coldScripts,
      outboxSender: dispatcher,
    };
    await runEscalationSweep(deps, { now: T0 });
    await dispatcher.idle();

    const [page] = fake.callsOf('sendMessage').filter((c) => c.payload.chat_id === worker.chatId);
    expect(String(page?.payload.text)).toContain('• 自杀风险筛查阳性 → 高风险，依据：曾希望自己不再活着：是');
  });

  it('a page still waiting to go out when the case is claimed is dropped, not sent', async () => {
    await addWorker({ onCall: true });
    const caseId = await openCase('high');
    await runEscalationSweep(
      { prisma, protector, i18n, logger, policy: DEFAULT_ESCALATION_POLICY, scripts },
      { now: T0 },
    );
    await prisma.case.update({ where: { id: caseId }, data: { status: 'claimed' } });
    const instance = createInstance();
    await instance.round(T0);
    expect(instance.fake.callsOf('sendMessage')).toEqual([]);
    const page = await prisma.outboxMessage.findFirstOrThrow({ where: { caseId } });
    expect([page.status, page.lastError]).toEqual(['failed', 'dropped: case no longer waiting']);
  });
});

describe(describeDatabase('recipientsFor'), () => {
  it('on call = active on a shift covering now, or /oncall on; de-duplicated; supervisors; everyone', async () => {
    const shift = await addWorker({ shift: [-HOUR, HOUR] });
    const shiftAndOnCall = await addWorker({ shift: [-HOUR, HOUR], onCall: true });
    const onCall = await addWorker({ onCall: true });
    await addWorker({ shift: [-2 * HOUR, -HOUR] }); // shift over
    await addWorker({ shift: [HOUR, 2 * HOUR] }); // shift not begun
    const gone = await addWorker({ onCall: true });
    await prisma.worker.update({ where: { id: gone.id }, data: { isActive: false } });
    const supervisorOnShift = await addWorker({ role: 'supervisor', shift: [0, HOUR] });
    const supervisor = await addWorker({ role: 'supervisor' });
    const idle = await addWorker();

    const ids = async (audiences: Parameters<typeof recipientsFor>[1]) =>
      (await recipientsFor({ prisma }, audiences, T0)).map((person) => person.id);
    expect(await ids(['on-call'])).toEqual([shift.id, shiftAndOnCall.id, onCall.id, supervisorOnShift.id]);
    expect(await ids(['supervisors'])).toEqual([supervisorOnShift.id, supervisor.id]);
    expect(await ids(['on-call', 'supervisors'])).toEqual([
      shift.id,
      shiftAndOnCall.id,
      onCall.id,
      supervisorOnShift.id,
      supervisor.id,
    ]);
    const everyone = await ids(['everyone']);
    expect(everyone).toContain(idle.id);
    expect(everyone).not.toContain(gone.id);
    expect(everyone).toHaveLength(8);
    expect(await ids([])).toEqual([]);
  });

  it('a shift ends at its end time (exclusive) and starts at its start time (inclusive)', async () => {
    const worker = await addWorker({ shift: [0, HOUR] });
    expect((await recipientsFor({ prisma }, ['on-call'], T0)).map((p) => p.id)).toEqual([worker.id]);
    expect(await recipientsFor({ prisma }, ['on-call'], at(HOUR))).toEqual([]);
  });
});

describe('loadEscalationPolicy', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgeline-policy-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('gives the defaults without a file, or for an empty one', async () => {
    expect(loadEscalationPolicy()).toEqual(DEFAULT_ESCALATION_POLICY);
    expect(loadEscalationPolicy(await file('empty.yaml', ''))).toEqual(DEFAULT_ESCALATION_POLICY);
  });

  it('overrides what the file sets', async () => {
    const policy = loadEscalationPolicy(
      await file('ok.yaml', 'acknowledgeTimeout:\n  high: 3m\n  imminent: 30\nrepeats: 3\n'),
    );
    expect(policy).toEqual({
      acknowledgeTimeout: { imminent: 30 * SECOND, high: 3 * MINUTE, moderate: 4 * HOUR, low: 4 * HOUR },
      repeats: 3,
    });
  });

  it.each([
    [
      'typo.yaml',
      'acknowledgeTimeouts:\n  high: 3m\n',
      /\(top level\): unknown key\(s\) acknowledgeTimeouts/,
    ],
    [
      'bad.yaml',
      'acknowledgeTimeout:\n  high: soon\nrepeats: many\n',
      /2 problem\(s\)[\s\S]*acknowledgeTimeout\.high[\s\S]*repeats/,
    ],
    ['broken.yaml', 'acknowledgeTimeout: [high: 3m\n', /not valid YAML/],
  ])('explains what is wrong with %s', async (name, text, message) => {
    const path = await file(name, text);
    expect(() => loadEscalationPolicy(path)).toThrow(EscalationPolicyError);
    expect(() => loadEscalationPolicy(path)).toThrow(message);
    expect(() => loadEscalationPolicy(path)).toThrow(path);
  });

  it('says when the file cannot be read', () => {
    expect(() => loadEscalationPolicy(join(dir, 'missing.yaml'))).toThrow(
      /Cannot read the escalation policy file/,
    );
  });
});
