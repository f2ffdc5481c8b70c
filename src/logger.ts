import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger };

/** `pretty`: one readable line per entry, for a person at a terminal; `json`: JSON lines, for collectors. */
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type TLogFormat = (typeof LOG_FORMATS)[number];

/**
 * Keys that could carry what a resident wrote or who they are. Handlers log ids, never these, but a
 * stray `logger.info({ update })` must still not leak them.
 */
const REDACTED_PATHS = [
  'text',
  'caption',
  'first_name',
  'last_name',
  'username',
  'phone_number',
  'update',
  'message',
  'answer',
  'answers',
  '*.text',
  '*.caption',
  '*.first_name',
  '*.last_name',
  '*.username',
  '*.answer',
];

/** Error fields worth a log line: what failed and how, never what it was about. */
const ERROR_FIELDS = ['code', 'method', 'error_code', 'description'] as const;

/**
 * The bot token travels in every Bot API URL (`…/bot<token>/sendMessage`), and a network error's message
 * quotes the URL; a token may also appear bare.
 */
const TOKEN_PATTERNS = [/\/bot[^/\s]+/g, /\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g];

/** Cuts the bot token out of a text that may quote a Bot API URL (an error's message, say). */
export function withoutSecrets(text: string): string {
  return TOKEN_PATTERNS.reduce((scrubbed, pattern) => scrubbed.replace(pattern, '/bot[redacted]'), text);
}

/**
 * Prisma's client errors draw the whole query, arguments and all (sealed text, pseudonyms), above the
 * reason on their last line: keep the reason.
 */
function messageOf(error: Error): string {
  if (!error.constructor.name.startsWith('PrismaClient')) return withoutSecrets(error.message);
  const lines = error.message.split('\n').filter((line) => line.trim() !== '');
  return withoutSecrets(lines.at(-1)?.trim() ?? '');
}

/** The stack's frames only: its first lines repeat the message. */
function framesOf(error: Error): string | undefined {
  return error.stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map(withoutSecrets)
    .join('\n');
}

/**
 * Errors logged as `err` keep their kind, message, stack frames, Bot API method and status, and the error
 * they wrap — and nothing else: a grammY `GrammyError` carries the request (`payload`: chat id and text), a
 * `BotError` the whole context (the update with the resident's words and name, the bot token). Tokens are
 * cut from what is kept, and a Prisma error keeps its reason without the query it draws.
 */
function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as unknown as Record<string, unknown>;
  const safe: Record<string, unknown> = {
    type: error.constructor.name,
    message: messageOf(error),
    stack: framesOf(error),
  };
  for (const key of ERROR_FIELDS) {
    const value = fields[key];
    if (value !== undefined) safe[key] = typeof value === 'string' ? withoutSecrets(value) : value;
  }
  // BotError and HttpError wrap the error that happened as `error`; others use `cause`.
  const inner = fields.error instanceof Error ? fields.error : error.cause;
  if (inner !== undefined && depth < 3) safe.cause = serializeError(inner, depth + 1);
  return safe;
}

/**
 * The format `LOG_FORMAT` asks for, else pretty for a person at a terminal and JSON lines for anything else
 * (a log collector, a file, a pipe).
 *
 * @example
 * logFormatFor(config.logFormat, process.stdout.isTTY === true); // 'pretty' in a terminal
 */
export function logFormatFor(configured: TLogFormat | undefined, isTerminal: boolean): TLogFormat {
  return configured ?? (isTerminal ? 'pretty' : 'json');
}

/**
 * The one logger factory. Child loggers per update (`update_id`) and per request (`request_id`) add
 * context; nothing personal goes in. Redaction and the error serializer apply before either format is
 * written: the pretty form is drawn from the same (already cleaned) JSON line.
 *
 * @example
 * const logger = createLogger({ level: 'info', format: 'pretty', colorize: true });
 * logger.child({ update_id: 1 }).info('handled');
 */
export function createLogger(options: {
  level: string;
  /** Default `json`. */
  format?: TLogFormat;
  /** Pretty format only: colour the level and message (for a terminal). */
  colorize?: boolean;
  /** Default standard output. */
  destination?: DestinationStream;
}): Logger {
  const destination =
    options.format === 'pretty'
      ? createPrettyStream(options.destination ?? pino.destination({ dest: 1, sync: true }), options.colorize)
      : options.destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * pino-pretty's formatter, called in line on each entry: no worker thread and no buffering stream in
 * between, so the line is written before `logger.fatal(…)` returns, even when `process.exit` follows.
 */
function createPrettyStream(out: DestinationStream, colorize = false): DestinationStream {
  const prettify = prettyFactory({ colorize, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l' });
  return { write: (line: string) => out.write(prettify(line)) };
}
