import { Writable } from 'node:stream';
import { Api } from 'grammy';
import type { Update } from 'grammy/types';
import { createBot } from '../../src/bot/index.ts';
import { DEFAULT_ESCALATION_POLICY, type TEscalationPolicy } from '../../src/domain/escalation/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer } from '../../src/server/index.ts';
import { DEFAULT_RESOLVE_OUTCOMES } from '../../src/services/case-work.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { createEmergencyNumbers } from '../../src/services/emergency-numbers.ts';
import { loadRiskData } from '../../src/services/load-risk-data.ts';
import { nobodyToPageProblems } from '../../src/services/nobody-to-page.ts';
import { createOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { createScriptRegistry, readDefaultScript } from '../../src/services/script-registry.ts';
import { createTestDatabase } from './database.ts';

type TTestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

import { createFakeBotApi, FAKE_BOT_TOKEN, type TFakeBotApi } from './fake-bot-api.ts';

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret';
/** The team's alert chat in tests (a group: negative). */
export const TEST_ALERT_CHAT_ID = -100_777;
/** The Telegram id of the test app's duty worker (see `createTestApp`). */
export const DUTY_WORKER_TELEGRAM_ID = 990_000_001;

/** One active worker, not on call: reached only at the last rung of a ladder. Kept across restarts. */
async function ensureDutyWorker(prisma: TTestDatabase['db']['prisma']): Promise<void> {
  await prisma.worker.upsert({
    where: { telegramUserId: BigInt(DUTY_WORKER_TELEGRAM_ID) },
    create: {
      telegramUserId: BigInt(DUTY_WORKER_TELEGRAM_ID),
      name: 'Duty Worker',
      role: 'worker',
      locale: 'en',
    },
    update: {},
  });
}
/** A fixed data key, so tests can unseal what the bot stored and check it. */
export const TEST_DATA_KEY = `test:${Buffer.alloc(32, 7).toString('base64')}`;

let loadedRiskData: ReturnType<typeof loadRiskData> | undefined;
/** The shipped crisis patterns and lexicons, read once per test file. */
function riskData() {
  loadedRiskData ??= loadRiskData();
  return loadedRiskData;
}

/** Collects every log line the app writes, to check what it does (and does not) say. */
function createLogCapture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, lines };
}

/**
 * The real bot and server on a freshly migrated database, talking to a fake Bot API. Updates go through
 * the real `/webhook` route, secret header and all.
 *
 * @example
 * const app = await createTestApp();
 * await app.send(textUpdate(RESIDENT_EN, '/start'));
 * expect(app.api.textsTo(RESIDENT_EN.id)).toHaveLength(1);
 */
export async function createTestApp(
  options: {
    emergencyNumbers?: Record<string, string>;
    /** Reuse a database (and fake Bot API), as a restarted process would find them. */
    database?: TTestDatabase;
    api?: TFakeBotApi;
    /** Long polling: the waits before trying a failed update again. */
    pollingRetryDelaysMs?: readonly number[];
    policy?: TEscalationPolicy;
    /** The bot's own pacing of what it sends (default: none, as the fake Bot API limits nothing). */
    sendLimits?: { perSecond: number; perChatPerSecond: number; chatBurst: number };
    /**
     * `duty-worker` (default): one active worker, not on call, so every ladder reaches somebody at its last
     * rung, as in a staffed service. `none`: no staff at all.
     */
    staff?: 'duty-worker' | 'none';
    /** Where the dashboard is reached: with it, `/dashboard` gives sign-in links and the server serves it. */
    publicUrl?: string;
    /** How often the dashboard's live updates look for a change (100 ms in tests). */
    liveIntervalMs?: number;
    /** How often the dashboard's live updates send the queue with no change (default 30 s). */
    tickIntervalMs?: number;
    /**
     * The resident's pace before the bot slows down. Tests type a whole screening in milliseconds, so by default
     * far above the service's 20 in 10 s; the flood test sets the real one.
     */
    floodLimit?: { limit: number; windowMs: number };
    /** The captured log's level (default `debug`). */
    logLevel?: 'trace' | 'debug' | 'info';
  } = {},
) {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await createTestDatabase());
  const api = options.api ?? createFakeBotApi();
  const logs = createLogCapture();
  const logger = createLogger({ level: options.logLevel ?? 'debug', destination: logs.destination });
  const i18n = createI18n();
  const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
  const scripts = createScriptRegistry(database.db.prisma);
  const script = await scripts.publish(readDefaultScript());
  const { crisisPatterns, crisisModels, grievanceLexicons } = riskData();
  const policy = options.policy ?? DEFAULT_ESCALATION_POLICY;
  if ((options.staff ?? 'duty-worker') === 'duty-worker') await ensureDutyWorker(database.db.prisma);
  const emergencyNumbersFor = createEmergencyNumbers(options.emergencyNumbers, i18n);
  const alertChat = { chatId: TEST_ALERT_CHAT_ID, locale: 'en' } as const;
  const dispatcher = createOutboxDispatcher({
    prisma: database.db.prisma,
    protector,
    api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: api.fetch }),
    logger,
    policy,
    i18n,
    limits: options.sendLimits ?? { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
    // Tests wait for deliveries to be recorded: no need to gather them.
    recordDelayMs: 1,
    alertChat,
    emergencyNumbersFor,
  });
  const bot = createBot({
    token: FAKE_BOT_TOKEN,
    apiRoot: 'http://bot-api.test',
    prisma: database.db.prisma,
    protector,
    scripts,
    scriptId: script.id,
    crisisPatterns,
    crisisModels,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    grievanceLexicons,
    i18n,
    logger,
    emergencyNumbersFor,
    alertChat,
    botInfo: api.botInfo,
    fetch: api.fetch,
    policy,
    outboxSender: dispatcher,
    floodLimit: options.floodLimit ?? { limit: 10_000, windowMs: 10_000 },
  });
  // What the case services take, as the running bot gives it to them.
  const services = {
    prisma: database.db.prisma,
    protector,
    i18n,
    logger,
    policy,
    scripts,
    alertChat,
    emergencyNumbersFor,
    outboxSender: dispatcher,
  };
  const server = createServer({
    logger,
    pingDatabase: database.db.ping,
    readProblems: () => nobodyToPageProblems(database.db),
    webhook: { bot, secret: TEST_WEBHOOK_SECRET },
    ...(options.publicUrl
      ? {
          dashboard: {
            ...services,
            resolveOutcomes: DEFAULT_RESOLVE_OUTCOMES,
            scriptId: script.id,
            publicUrl: options.publicUrl,
            liveIntervalMs: options.liveIntervalMs ?? 100,
            ...(options.tickIntervalMs === undefined ? {} : { tickIntervalMs: options.tickIntervalMs }),
          },
        }
      : {}),
  });

  return {
    api,
    bot,
    app: server.app,
    server,
    db: database.db,
    protector,
    scripts,
    prisma: database.db.prisma,
    databaseKind: database.kind,
    logLines: logs.lines,
    dispatcher,
    policy,
    logger,
    i18n,
    emergencyNumbersFor,
    alertChat,
    /** The dependencies the case services take (escalation, case work, the dashboard's), as the bot's. */
    services,
    /**
     * POSTs an update to `/webhook` as Telegram would, then waits until the bot has said what it could say
     * right away (what waits for a retry stays waiting; `deliverOutbox` sends it).
     */
    async send(update: Update | unknown, secret: string | null = TEST_WEBHOOK_SECRET): Promise<Response> {
      const response = await server.app.request('/webhook', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret === null ? {} : { 'X-Telegram-Bot-Api-Secret-Token': secret }),
        },
        body: typeof update === 'string' ? update : JSON.stringify(update),
      });
      await dispatcher.settled();
      return response;
    },
    database,
    /** A new process on the same database and Bot API: what a restart looks like to a resident. */
    restart: () => createTestApp({ ...options, database, api }),
    close: async () => {
      await dispatcher.stop();
      if (ownsDatabase) await database.close();
    },
  };
}

export type TTestApp = Awaited<ReturnType<typeof createTestApp>>;
