/**
 * The bots the bench compares, and how each is started: Bridgeline as `npm start` would run it, the two
 * reference bots from `reference/`. A session is one bot process with its own fake Bot API and database;
 * sessions run one after another, never two bot processes at once.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCommand } from '../helpers/start-command.ts';
import {
  freePort,
  startBotProcess,
  type TBotProcess,
  type TStopResult,
  ticksPerSecond,
} from './bot-process.ts';
import {
  createDatabase,
  DATABASE_LABEL,
  POSTGRES_ADMIN_URL,
  type TBenchDatabase,
  type TDatabaseKind,
} from './databases.ts';
import { startFakeTelegram, type TFakeTelegram, type TRateLimit } from './fake-telegram.ts';
import { createPostgresCpuSampler, type TPostgresCpuSampler } from './postgres-cpu.ts';
import type { TUpdateFactory } from './telegram-updates.ts';
import { createUpdateDelivery, type TDeliveryMode, type TUpdateDelivery } from './update-delivery.ts';
import { EMERGENCY_MARKER } from './virtual-residents.ts';

export type TBotKind = 'bridgeline' | 'typical' | 'echo';

export type TBotSpec = {
  kind: TBotKind;
  /** The echo bot has none. */
  database?: TDatabaseKind;
  mode: TDeliveryMode;
  /** Telegram's limits emulated by the fake, and Bridgeline's own send limiter set to match. */
  limits?: TRateLimit;
};

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** Where the references run from (their imports resolve in this checkout's node_modules). */
export const REPO_DIR = join(BENCH_DIR, '..', '..');

export const BOT_TOKEN = '4242000:BENCH-token_abcdefghijklmnopqrstu';
export const WEBHOOK_SECRET = 'bench-secret';
/** Bridgeline asks for at least 16 characters. */
export const METRICS_TOKEN = 'bench-metrics-bearer';
const EMERGENCY_NUMBERS = `${EMERGENCY_MARKER} call 999`;
/** 32 fixed bytes: every run seals with the same key, so runs are alike. */
const DATA_ENCRYPTION_KEY = `bench:${Buffer.alloc(32, 0x5a).toString('base64')}`;

const BOT_NAMES: Record<TBotKind, string> = {
  bridgeline: 'Bridgeline',
  typical: 'Typical bot',
  echo: 'Echo bot',
};

/** "Bridgeline (embedded, webhook)". */
export function botLabel(spec: TBotSpec): string {
  const parts = [spec.database ? DATABASE_LABEL[spec.database] : undefined, spec.mode].filter(Boolean);
  return `${BOT_NAMES[spec.kind]} (${parts.join(', ')})`;
}

export type TSession = {
  spec: TBotSpec;
  label: string;
  fake: TFakeTelegram;
  bot: TBotProcess;
  delivery: TUpdateDelivery;
  updates: TUpdateFactory;
  database: TBenchDatabase | undefined;
  /** PostgreSQL only: the CPU its backends spend for this database. */
  databaseCpu: TPostgresCpuSampler | undefined;
  /** Stops the bot (SIGTERM, then SIGKILL after 10 s) and the fake; drops the database unless kept. */
  close(options?: { keepDatabase?: boolean }): Promise<TStopResult>;
};

export type TSessionOptions = {
  rttMs: number;
  updates: TUpdateFactory;
  /** Bridgeline's checkout (its `src/main.ts` runs). */
  botDir: string;
  /** Reuse a database (a restart, a seeded one); otherwise a fresh one is made. */
  database?: TBenchDatabase;
  keepTexts?: boolean;
};

/**
 * Starts a fake Bot API and the bot against it, and waits until the bot is ready.
 *
 * @example
 * const session = await openSession({ kind: 'bridgeline', database: 'pglite', mode: 'webhook' }, options);
 * await session.close();
 */
export async function openSession(spec: TBotSpec, options: TSessionOptions): Promise<TSession> {
  const fake = await startFakeTelegram({
    rttMs: options.rttMs,
    rateLimit: spec.limits,
    keepTexts: options.keepTexts ?? true,
  });
  let database = options.database;
  try {
    if (!database && spec.database) database = await createDatabase(spec.database);
    const port = await freePort();
    const env: Record<string, string> = {
      BOT_TOKEN,
      TELEGRAM_API_ROOT: fake.url,
      BOT_MODE: spec.mode,
      WEBHOOK_URL: 'https://bench.invalid/webhook',
      WEBHOOK_SECRET,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      EMERGENCY_NUMBERS,
      METRICS_TOKEN,
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    // Bridgeline runs as `npm start` runs it (its malloc settings and Node's options); the references as plain bots.
    const start = spec.kind === 'bridgeline' ? startCommand(options.botDir) : undefined;
    if (start) {
      Object.assign(env, {
        ...start.env,
        DATA_ENCRYPTION_KEY,
        TELEGRAM_MAX_PER_SECOND: String(spec.limits?.perSecond ?? 0),
        TELEGRAM_MAX_PER_CHAT_PER_SECOND: String(spec.limits?.perChatPerSecond ?? 0),
      });
    }
    const entry =
      spec.kind === 'bridgeline'
        ? join(options.botDir, 'src', 'main.ts')
        : join(BENCH_DIR, 'reference', spec.kind === 'typical' ? 'typical-bot.ts' : 'echo-bot.ts');
    const bot = await startBotProcess({
      name: botLabel(spec),
      entry,
      nodeArgs: start?.nodeOptions,
      cwd: spec.kind === 'bridgeline' ? options.botDir : REPO_DIR,
      env,
      port,
      mode: spec.mode,
      fake,
      metricsToken: METRICS_TOKEN,
    });
    const delivery = createUpdateDelivery({ mode: spec.mode, fake, port, secret: WEBHOOK_SECRET });
    const session: TSession = {
      spec,
      label: botLabel(spec),
      fake,
      bot,
      delivery,
      updates: options.updates,
      database,
      databaseCpu:
        database?.kind === 'postgres'
          ? createPostgresCpuSampler(
              POSTGRES_ADMIN_URL,
              new URL(database.url).pathname.slice(1),
              ticksPerSecond(),
            )
          : undefined,
      async close(closeOptions = {}) {
        delivery.close();
        const stopped = await bot.stop();
        await fake.close();
        if (!closeOptions.keepDatabase) await database?.drop();
        return stopped;
      },
    };
    return session;
  } catch (error) {
    await fake.close();
    if (!options.database) await database?.drop();
    throw error;
  }
}
