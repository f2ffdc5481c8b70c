import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

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

function withoutSecrets(text: string): string {
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
 * The one logger factory. Child loggers per update (`update_id`) and per request (`request_id`) add
 * context; nothing personal goes in.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.child({ update_id: 1 }).info('handled');
 */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.destination,
  );
}
