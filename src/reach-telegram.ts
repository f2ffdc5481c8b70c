import { setTimeout as sleep } from 'node:timers/promises';
import { type Api, GrammyError, HttpError } from 'grammy';
import { type Logger, withoutSecrets } from './logger.ts';

/**
 * How long one Bot API call made while starting may take. A fetch to a host that drops packets waits for
 * minutes; past this the call counts as failed, so the operator hears of it within seconds.
 */
export const START_CALL_TIMEOUT_MS = 5_000;

/** Waits between tries: quick at first (a blip), then every 30 s for as long as it takes. */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** grammY types a call's signal with its abort-controller shim; at run time it takes Node's own. */
type TApiSignal = NonNullable<Parameters<Api['getMe']>[0]>;

export type TReachTelegramOptions = {
  /** `TELEGRAM_API_ROOT`: its host is named in the log. */
  apiRoot: string;
  logger: Logger;
  /** Aborted when the process is asked to stop: the waiting ends and the abort reason is thrown. */
  signal?: AbortSignal;
  /** Told each time a try fails, with the reason (for `/healthz`). */
  onUnreachable?: (reason: string) => void;
  /** Default `START_CALL_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Default 1, 2, 4, 8, 15, then 30 s; the last repeats. */
  retryDelaysMs?: readonly number[];
};

/**
 * Makes a Bot API call that starting cannot do without (`getMe`, `setWebhook`), for as long as it takes:
 * when Telegram cannot be reached (no network, no answer within the timeout, a 5xx or 429) it says so in one
 * error line per try, naming the host and the reason, waits with back-off, and tries again. Any other refusal
 * (401 for a wrong token, a 400) is thrown at once: time will not cure it.
 *
 * @example
 * bot.botInfo = await reachTelegram((signal) => bot.api.getMe(signal), { apiRoot, logger });
 */
export async function reachTelegram<T>(
  call: (signal: TApiSignal) => Promise<T>,
  options: TReachTelegramOptions,
): Promise<T> {
  const { logger } = options;
  const host = new URL(options.apiRoot).host;
  const timeoutMs = options.timeoutMs ?? START_CALL_TIMEOUT_MS;
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  for (let failures = 0; ; failures += 1) {
    options.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      const result = await call(signal as unknown as TApiSignal);
      if (failures > 0) logger.info({ host, failures }, `reached Telegram at ${host}`);
      return result;
    } catch (error) {
      options.signal?.throwIfAborted();
      const reason = timeout.aborted ? `no answer within ${timeoutMs / 1000} s` : unreachableReason(error);
      if (reason === undefined) throw error;
      const waitMs = retryAfterMs(error) ?? delays[Math.min(failures, delays.length - 1)] ?? 1_000;
      const waitS = Math.round(waitMs / 100) / 10;
      logger.error(
        { host, reason, retry_in_s: waitS },
        `cannot reach Telegram at ${host}: ${reason}; retrying in ${waitS} s`,
      );
      options.onUnreachable?.(reason);
      await sleep(waitMs, undefined, options.signal ? { signal: options.signal } : undefined);
    }
  }
}

/** Why Telegram could not be reached, or undefined when it answered and refused (not a reason to wait). */
function unreachableReason(error: unknown): string | undefined {
  if (error instanceof GrammyError) {
    if (error.error_code < 500 && error.error_code !== 429) return undefined;
    return withoutSecrets(`it answered ${error.error_code} ${error.description}`);
  }
  if (!(error instanceof HttpError)) return undefined;
  // grammY's HttpError wraps fetch's "fetch failed", which wraps what happened (ECONNREFUSED, ENOTFOUND…).
  let cause: unknown = error.error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  if (cause instanceof SyntaxError) return 'what answered is not a Bot API server (not JSON)';
  return withoutSecrets(cause instanceof Error ? cause.message : error.message);
}

function retryAfterMs(error: unknown): number | undefined {
  const seconds = error instanceof GrammyError ? error.parameters.retry_after : undefined;
  return seconds === undefined ? undefined : seconds * 1000;
}
