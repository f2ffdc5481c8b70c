import { Api } from 'grammy';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type TDatabase } from '../../src/db/client.ts';
import { withDatabase } from '../../src/db/postgres-admin.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { openOrRaiseCase } from '../../src/services/cases.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { runEscalationSweep } from '../../src/services/escalation.ts';
import { createOutboxDispatcher, type TOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { createScriptRegistry } from '../../src/services/script-registry.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';

/**
 * Two instances of the service on one database, sweeping and sending at the same moments. On PostgreSQL each
 * has its own connection pool, so only the row locks (FOR UPDATE SKIP LOCKED) keep them apart; on the
 * embedded database they share the one session the socket serialises. Either way: each page exactly once.
 */

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();
const logger = createLogger({ level: 'silent' });
const SECOND = 1000;
// Behind the wall clock on purpose, as in escalation.test.ts.
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);

let database: TTestDatabase;
let second: TDatabase | undefined;
let prismaA: PrismaClient;
let prismaB: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prismaA = database.db.prisma;
  if (database.kind === 'postgres') {
    // A second instance opens its own connections to the same database, as another machine would.
    const [{ name } = { name: '' }] = await prismaA.$queryRaw<Array<{ name: string }>>`
      SELECT current_database() AS name`;
    const url = withDatabase({ connectionString: process.env.TEST_POSTGRES_URL }, name).connectionString;
    second = await openDatabase(url ?? '');
    prismaB = second.prisma;
  } else {
    prismaB = prismaA;
  }
});
afterAll(async () => {
  await second?.close();
  await database.close();
});

const instances: TOutboxDispatcher[] = [];
afterEach(async () => {
  for (const dispatcher of instances.splice(0)) await dispatcher.stop();
});

/** One instance: its own sender (holding what it leased), Bot API client and fake Telegram. */
function createInstance(prisma: PrismaClient) {
  const fake = createFakeBotApi();
  const policy = DEFAULT_ESCALATION_POLICY;
  let clock = T0;
  const dispatcher = createOutboxDispatcher({
    prisma,
    protector,
    api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch }),
    logger,
    policy,
    i18n,
    limits: { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
    clock: () => clock,
  });
  instances.push(dispatcher);
  const deps = {
    prisma,
    protector,
    i18n,
    logger,
    policy,
    scripts: createScriptRegistry(prisma),
    outboxSender: dispatcher,
  };
  return {
    fake,
    async round(now: Date) {
      clock = now;
      await runEscalationSweep(deps, { now });
      await dispatcher.sweep(now);
      await dispatcher.idle({ retryNow: true });
    },
  };
}

describe(describeDatabase('two instances sharing the database'), () => {
  it('send each page exactly once, over several rounds of concurrent sweeps and deliveries', async () => {
    let telegramId = 90_000;
    const staff = [
      ...['worker', 'worker', 'worker'].map((role) => ({ role, isOnCall: true })),
      { role: 'supervisor', isOnCall: false },
      { role: 'supervisor', isOnCall: false },
      { role: 'worker', isOnCall: false },
    ];
    for (const [index, person] of staff.entries()) {
      await prismaA.worker.create({
        data: { name: `Staff ${index}`, telegramUserId: BigInt(telegramId++), ...person },
      });
    }
    const levels = ['imminent', 'imminent', 'high', 'high', 'moderate'] as const;
    for (const [index, level] of levels.entries()) {
      const residentId = `concurrent-resident-${index}`;
      await prismaA.resident.create({ data: { id: residentId } });
      await openOrRaiseCase(
        { prisma: prismaA, protector },
        { residentId, level, source: 'screening', score: index, now: T0 },
      );
    }

    const a = createInstance(prismaA);
    const b = createInstance(prismaB);
    // Telegram pushes back on one of them now and then: its rows come back later, maybe to the other.
    a.fake.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests',
      parameters: { retry_after: 1 },
    });
    b.fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    for (let tick = 0; tick <= 12; tick += 1) {
      const now = new Date(T0.getTime() + tick * 30 * SECOND);
      await Promise.all([a.round(now), b.round(now), a.round(now), b.round(now)]);
    }
    // Let the retries due after the last tick go out.
    const end = new Date(T0.getTime() + 6 * 60 * SECOND + 30 * SECOND);
    await Promise.all([a.round(end), b.round(end)]);

    const sends = [...a.fake.callsOf('sendMessage'), ...b.fake.callsOf('sendMessage')].filter(
      (call) => call.result !== undefined,
    );
    const perPage = new Map<string, number>();
    for (const call of sends) {
      const caseId = /claim:(\d+)/.exec(JSON.stringify(call.payload.reply_markup))?.[1];
      const step = /\(step (\d+)\)/.exec(String(call.payload.text))?.[1];
      const key = `case ${caseId} / chat ${call.payload.chat_id} / step ${step}`;
      perPage.set(key, (perPage.get(key) ?? 0) + 1);
    }
    expect([...perPage.entries()].filter(([, count]) => count !== 1)).toEqual([]);

    // imminent: steps at 0…6 min = 2 × (3 on call + 2 supervisors) + 5 × all 6 = 40 a case;
    // high: 3 on call at 0, 2 supervisors at 5 min; moderate: 3 on call at 0.
    expect(perPage.size).toBe(2 * 40 + 2 * 5 + 3);
    const pages = await prismaA.outboxMessage.findMany({ where: { kind: 'page' } });
    expect(pages).toHaveLength(perPage.size);
    expect(pages.filter((page) => page.status !== 'sent')).toEqual([]);

    // Each due step fired once: the paged steps of every case run 1, 2, 3 … without repeats.
    const events = await prismaA.caseEvent.findMany({ where: { type: 'paged' }, orderBy: { id: 'asc' } });
    const stepsByCase = new Map<number, number[]>();
    for (const event of events) {
      const { step } = event.detail as { step: number };
      const caseId = event.caseId ?? 0;
      stepsByCase.set(caseId, [...(stepsByCase.get(caseId) ?? []), step]);
    }
    expect([...stepsByCase.values()].map((steps) => steps.join(',')).sort()).toEqual(
      ['1', '1,2', '1,2', '1,2,3,4,5,6,7', '1,2,3,4,5,6,7'].sort(),
    );
    expect(await prismaA.caseEvent.count({ where: { type: 'page-sent' } })).toBe(perPage.size);
  });
});
