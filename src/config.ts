import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { DatabaseUrlError, parseDatabaseUrl } from './db/database-url.ts';
import { LOCALES, type TLocale } from './i18n.ts';
import { LOG_FORMATS, type TLogFormat } from './logger.ts';

/** Telegram lets a chat receive a short burst before its per-chat pace applies. */
const CHAT_BURST = 10;

/** Telegram's own Bot API, which delivers webhooks over HTTPS only (a self-hosted server may use HTTP). */
const TELEGRAM_HOST = 'api.telegram.org';

/** Pino's levels plus `silent`, so tests and tools can turn logging off. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ZEmergencyNumbers = z
  .string()
  .trim()
  .min(1)
  .transform((text, ctx): Record<string, string> => {
    if (!text.startsWith('{')) return { '*': text };
    // A JSON object gives one text per locale, e.g. {"en":"Call 911","zh-CN":"请拨打 110"}.
    const parsed = z.record(z.string(), z.string().trim().min(1)).safeParse(safeJson(text));
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: 'must be plain text, or a JSON object of locale -> text' });
    return z.NEVER;
  });

/** Telegram's own rule for `secret_token`: 1-256 characters, letters, digits, `_` and `-`. */
const ZWebhookSecret = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters of A-Z, a-z, 0-9, _ and -');

export const ZEnv = z
  .object({
    BOT_TOKEN: z
      .string()
      .trim()
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must look like 123456:ABC-DEF… (from @BotFather)')
      .optional(),
    BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
    TELEGRAM_API_ROOT: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org'),
    // http:// only with a self-hosted Bot API server: checked below, where TELEGRAM_API_ROOT is known.
    WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an https:// URL' }).optional(),
    WEBHOOK_SECRET: ZWebhookSecret.optional(),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    DATABASE_URL: z
      .string()
      .trim()
      .superRefine((url, ctx) => {
        try {
          parseDatabaseUrl(url);
        } catch (error) {
          if (!(error instanceof DatabaseUrlError)) throw error;
          ctx.addIssue({ code: 'custom', message: error.message.replace(/^DATABASE_URL /, '') });
        }
      })
      .default('pglite:./data/pglite'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /** Unset: pretty in a terminal, JSON lines otherwise (decided in main.ts, which sees the terminal). */
    LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
    EMERGENCY_NUMBERS: ZEmergencyNumbers.optional(),
    /** YAML file overriding the escalation policy's defaults (timeouts, repeats); see escalation-policy. */
    ESCALATION_POLICY_FILE: z.string().trim().min(1).optional(),
    /** The outcome codes a worker may close a case with (`/resolve <code>`). */
    RESOLVE_OUTCOMES: z
      .string()
      .trim()
      .regex(
        /^[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*$/,
        'must be comma-separated lower-case codes, e.g. supported,referred',
      )
      .default('supported,referred,emergency-services,no-contact'),
    /** How long what a resident said is kept after their case closes (or their last screening). */
    RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    /** Checked in full by `parseDataKeys` at start; here only its presence matters. */
    DATA_ENCRYPTION_KEY: z.string().trim().min(1).optional(),
    /** Messages a second the bot sends across all chats (Telegram's limit: about 30); 0 = no limit. */
    TELEGRAM_MAX_PER_SECOND: z.coerce.number().min(0).max(10_000).default(30),
    /** Messages a second into one chat, sustained, after a burst of 10 (Telegram: about 1); 0 = no limit. */
    TELEGRAM_MAX_PER_CHAT_PER_SECOND: z.coerce.number().min(0).max(1000).default(1),
    /** Bearer token for `GET /metrics` (counts only, no personal data); unset, there is no /metrics. */
    METRICS_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    INSTANCE_ID: z
      .string()
      .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "-" and "_" only (up to 100)')
      .optional(),
    // The team's Telegram chat for alarms about the service (a group's id is negative, e.g. -1001234567890).
    ALERT_CHAT_ID: z
      .string()
      .trim()
      .regex(/^-?\d{1,16}$/, 'must be a Telegram chat id: digits, with a leading - for a group')
      .transform(Number)
      .optional(),
    ALERT_LOCALE: z.enum(LOCALES).default('en'),
    /**
     * Reverse proxies in front of this server that append to `X-Forwarded-For` (0: none, the socket's address
     * is the client's). Set only when every request passes through them: a client could otherwise name any
     * address and slip past the per-address limits.
     */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  })
  .superRefine((env, ctx) => {
    if (env.WEBHOOK_URL?.startsWith('http:') && isTelegramsOwnApi(env.TELEGRAM_API_ROOT)) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_URL'],
        message:
          `must be an https:// URL: ${TELEGRAM_HOST} delivers webhooks over HTTPS only ` +
          '(http:// works only with a self-hosted Bot API server set in TELEGRAM_API_ROOT)',
      });
    }
    if (env.BOT_MODE !== 'webhook') return;
    if (!env.WEBHOOK_URL) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_URL'], message: 'is required when BOT_MODE=webhook' });
    }
    if (!env.WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_SECRET'],
        message: 'is required when BOT_MODE=webhook',
      });
    }
  });

export type TEnv = z.infer<typeof ZEnv>;

export type TConfig = Readonly<{
  botToken: string | undefined;
  botMode: 'polling' | 'webhook';
  telegramApiRoot: string;
  webhook: Readonly<{ url: string; secret: string }> | undefined;
  host: string;
  port: number;
  databaseUrl: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** `LOG_FORMAT`; absent: pretty in a terminal, JSON lines otherwise. */
  logFormat: TLogFormat | undefined;
  /** Emergency numbers per locale; `*` applies to every locale. Absent: each locale's default text. */
  emergencyNumbers: Readonly<Record<string, string>> | undefined;
  /** `DATA_ENCRYPTION_KEY` as given; absent: the key lives in `dataKeyFile`, created on first start. */
  dataEncryptionKey: string | undefined;
  dataKeyFile: string;
  escalationPolicyFile: string | undefined;
  resolveOutcomes: readonly string[];
  /** `RETENTION_DAYS` in milliseconds. */
  retentionMs: number;
  /** The bot's own pacing of what it sends, so Telegram need not refuse it. */
  sendLimits: Readonly<{ perSecond: number; perChatPerSecond: number; chatBurst: number }>;
  metricsToken: string | undefined;
  /** Where people reach this server (the dashboard's sign-in links); none: the dashboard is not offered. */
  publicUrl: string | undefined;
  /** Who this process is across restarts (`INSTANCE_ID`; default host name and port). */
  instanceId: string;
  /** `ALERT_CHAT_ID` and `ALERT_LOCALE`: where alarms about the service go, in which language. */
  alertChat: Readonly<{ chatId: number; locale: TLocale }> | undefined;
  /** `TRUST_PROXY_HOPS`: how many proxies' `X-Forwarded-For` entries to trust for the client's address. */
  trustProxyHops: number;
}>;

/** Every problem with the environment at once, worded for the person starting the service. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(
      `Bridgeline cannot start: the configuration has ${problems.length} problem(s).\n${problems
        .map((p) => `  - ${p}`)
        .join('\n')}\nSet these in the environment or in .env (see .env.example).`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a typed, frozen config. `purpose: 'bot'` also demands what running the bot
 * needs (BOT_TOKEN); tools that only reach the database use `purpose: 'tool'`.
 *
 * @example
 * const config = loadConfig(process.env); // throws ConfigError listing every problem
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  purpose: 'bot' | 'tool' = 'bot',
): TConfig {
  // An empty variable (`PORT=` in .env) means "not set", not "set to nothing".
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = ZEnv.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${describeIssue(issue)}`);
  if (parsed.success && purpose === 'bot' && !parsed.data.BOT_TOKEN) {
    problems.push('BOT_TOKEN is required: create a bot with @BotFather and put its token in .env');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  return Object.freeze({
    botToken: e.BOT_TOKEN,
    botMode: e.BOT_MODE,
    telegramApiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
    webhook:
      e.WEBHOOK_URL && e.WEBHOOK_SECRET
        ? Object.freeze({ url: e.WEBHOOK_URL, secret: e.WEBHOOK_SECRET })
        : undefined,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    emergencyNumbers: e.EMERGENCY_NUMBERS ? Object.freeze(e.EMERGENCY_NUMBERS) : undefined,
    dataEncryptionKey: e.DATA_ENCRYPTION_KEY,
    dataKeyFile: dataKeyFileFor(e.DATABASE_URL),
    escalationPolicyFile: e.ESCALATION_POLICY_FILE,
    resolveOutcomes: Object.freeze(e.RESOLVE_OUTCOMES.split(',')),
    retentionMs: e.RETENTION_DAYS * 24 * 60 * 60 * 1000,
    sendLimits: Object.freeze({
      perSecond: e.TELEGRAM_MAX_PER_SECOND,
      perChatPerSecond: e.TELEGRAM_MAX_PER_CHAT_PER_SECOND,
      chatBurst: CHAT_BURST,
    }),
    metricsToken: e.METRICS_TOKEN,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    instanceId: e.INSTANCE_ID ?? `${hostname()}:${e.PORT}`,
    alertChat:
      e.ALERT_CHAT_ID === undefined
        ? undefined
        : Object.freeze({ chatId: e.ALERT_CHAT_ID, locale: e.ALERT_LOCALE }),
    trustProxyHops: e.TRUST_PROXY_HOPS,
  });
}

/** Beside the embedded database's folder (`./data/pglite` -> `./data/data-encryption.key`), else `./data/`. */
function dataKeyFileFor(databaseUrl: string): string {
  const target = parseDatabaseUrl(databaseUrl);
  const dataRoot = target.kind === 'pglite' ? dirname(target.dataDir) : resolve('data');
  return join(dataRoot, 'data-encryption.key');
}

function isTelegramsOwnApi(apiRoot: string): boolean {
  return URL.canParse(apiRoot) && new URL(apiRoot).hostname === TELEGRAM_HOST;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of: ${issue.values.join(', ')}`;
  }
  return issue.message.startsWith('Invalid') ? issue.message.toLowerCase() : issue.message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
