import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { repeatWithoutOverlap, startBackgroundWork } from '../../src/services/background-work.ts';
import { openOrRaiseCase } from '../../src/services/cases.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { createOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { createScriptRegistry } from '../../src/services/script-registry.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';

const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** What `main.ts` gives the loop, on `db` (the test database, or one that fails on purpose). */
function backgroundDeps(db: PrismaClient, logger: Logger, api: Api) {
  const policy = DEFAULT_ESCALATION_POLICY;
  const dispatcher = createOutboxDispatcher({
    prisma: db,
    protector,
    api,
    logger,
    policy,
    i18n,
    limits: { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
  });
  return {
    prisma: db,
    protector,
    i18n,
    logger,
    policy,
    scripts: createScriptRegistry(prisma),
    retentionMs: RETENTION_MS,
    dispatcher,
  };
}

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();

let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function captureLogs() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return { lines, logger };
}

describe('repeatWithoutOverlap', () => {
  it('runs at once, then again after each run ends, never two at a time; stop waits for the run under way', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    let finished = 0;
    const loop = repeatWithoutOverlap(
      async () => {
        runs += 1;
        running += 1;
        most = Math.max(most, running);
        await sleep(30);
        running -= 1;
        finished += 1;
      },
      { intervalMs: 1 },
    );
    expect(runs).toBe(1);
    await until(() => runs >= 3);
    await loop.stop();
    expect(running).toBe(0);
    expect(finished).toBe(runs);
    expect(most).toBe(1);
    const after = runs;
    await sleep(50);
    expect(runs).toBe(after);
  });
});

describe(describeDatabase('startBackgroundWork'), () => {
  it('pages a new case within a round, and stops cleanly', async () => {
    const fake = createFakeBotApi();
    const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
    const { logger } = captureLogs();
    await prisma.worker.create({
      data: { name: 'On call', role: 'worker', telegramUserId: 81_001n, isOnCall: true },
    });
    const deps = backgroundDeps(prisma, logger, api);
    const work = startBackgroundWork(deps, { intervalMs: 20 });
    await prisma.resident.create({ data: { id: 'background-resident-1' } });
    const { caseId } = await openOrRaiseCase(
      { prisma, protector },
      { residentId: 'background-resident-1', level: 'high', source: 'screening' },
    );
    await until(() => fake.callsOf('sendMessage').length > 0);
    await work.stop();
    await deps.dispatcher.stop();
    expect(fake.callsOf('sendMessage').map((call) => call.payload.chat_id)).toEqual([81_001]);
    expect((await prisma.outboxMessage.findFirstOrThrow({ where: { caseId } })).status).toBe('sent');
    const calls = fake.calls.length;
    await sleep(60);
    expect(fake.calls.length).toBe(calls);
    await prisma.case.update({ where: { id: caseId }, data: { status: 'resolved' } });
  });

  it('logs a failing round without what it was doing, and tries again next round', async () => {
    const fake = createFakeBotApi();
    const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
    const { lines, logger } = captureLogs();
    let failures = 2;
    // The database drops out for the first two transactions.
    const flaky = new Proxy(prisma, {
      get(target, property) {
        if (property === '$transaction' && failures > 0) {
          return async () => {
            failures -= 1;
            throw new Error('Connection terminated unexpectedly');
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await prisma.worker.create({
      data: { name: 'On call 2', role: 'worker', telegramUserId: 81_002n, isOnCall: true },
    });
    await prisma.resident.create({ data: { id: 'background-resident-2' } });
    await openOrRaiseCase(
      { prisma, protector },
      { residentId: 'background-resident-2', level: 'imminent', source: 'screening' },
    );
    const deps = backgroundDeps(flaky, logger, api);
    const work = startBackgroundWork(deps, { intervalMs: 10 });
    await until(() => fake.callsOf('sendMessage').some((call) => call.payload.chat_id === 81_002));
    await work.stop();
    await deps.dispatcher.stop();
    // Each failed transaction is one step's failure (the sweep's, or the audit chain's), logged and retried.
    const failed = lines.filter((line) => line.includes('failed; trying again next round'));
    expect(failed).toHaveLength(2);
    expect(failed[0]).toContain('Connection terminated unexpectedly');
  });
  it('after a key rotation, re-seals older values with the new key in batches while it runs', async () => {
    const { logger, lines } = captureLogs();
    const fake = createFakeBotApi();
    const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
    // Values sealed with the old key, as before the restart.
    for (let index = 0; index < 450; index += 1)
      await prisma.resident.create({
        data: {
          id: `rotation-resident-${index}`,
          chatIdSealed: protector.sealNumber(70_000 + index, 'chat-id'),
        },
      });
    const rotated = parseDataKeys(`k2:${Buffer.alloc(32, 9).toString('base64')},${TEST_DATA_KEY}`);
    const newProtector = createDataProtector(rotated);
    const deps = { ...backgroundDeps(prisma, logger, api), protector: newProtector, keys: rotated };
    const work = startBackgroundWork(deps, { intervalMs: 10 });
    const oldOnes = () =>
      prisma.resident.count({
        where: { id: { startsWith: 'rotation-resident-' }, chatIdSealed: { startsWith: 'v1.test.' } },
      });
    for (let waited = 0; (await oldOnes()) > 0; waited += 20) {
      if (waited > 10_000) throw new Error('not re-sealed in time');
      await sleep(20);
    }
    await work.stop();
    await deps.dispatcher.stop();
    const row = await prisma.resident.findUniqueOrThrow({ where: { id: 'rotation-resident-7' } });
    expect(row.chatIdSealed?.startsWith('v1.k2.')).toBe(true);
    expect(newProtector.openNumber(row.chatIdSealed ?? '', 'chat-id')).toBe(70_007);
    // In batches: more than one round wrote some.
    expect(
      lines.filter((line) => line.includes('values re-sealed with the active key')).length,
    ).toBeGreaterThan(1);
  });
});
