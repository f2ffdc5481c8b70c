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
 * Errors logged as `err` keep their kind, message, stack, Bot API method and status, and the error they wrap
 * — and nothing else: a grammY `GrammyError` carries the request (`payload`: chat id and text), a `BotError`
 * the whole context (the update with the resident's words and name, the bot token).
 */
function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as unknown as Record<string, unknown>;
  const safe: Record<string, unknown> = {
    type: error.constructor.name,
    message: error.message,
    stack: error.stack,
  };
  for (const key of ERROR_FIELDS) if (fields[key] !== undefined) safe[key] = fields[key];
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
