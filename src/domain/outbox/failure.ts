/**
 * What went wrong with one Bot API call, as plain data: the sender translates grammY's errors into this, so
 * the rules below stay free of any library.
 */
export type TCallError =
  | { type: 'telegram'; code: number; description: string; retryAfterSeconds?: number }
  | { type: 'network'; description: string };

/** What a failed call means for its message. */
export type TFailure =
  /** Try again after `delayMs`; `isRateLimited`: Telegram said 429, so less urgent messages wait too. */
  | { type: 'retry'; delayMs: number; reason: string; isRateLimited: boolean }
  /** The person blocked the bot or left Telegram. */
  | { type: 'unreachable'; reason: string }
  /** An edit of a message that is gone: nothing left to do. */
  | { type: 'gone'; reason: string }
  /** Counts as done ("message is not modified"). */
  | { type: 'done'; reason: string }
  /** Fails the same way every time (a bad request): given up. */
  | { type: 'failed'; reason: string };

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;

const UNREACHABLE_400 =
  /chat not found|user not found|peer_id_invalid|user is deactivated|bot was blocked|bot was kicked|not enough rights|have no rights/i;
const EDIT_GONE_400 =
  /message to edit not found|message can't be edited|message_id_invalid|message not found/i;
const CALLBACK_GONE_400 = /query is too old|query id is invalid|response timeout expired/i;

/**
 * Sorts a failed call into what to do next. `action`: what the call did; `attempts`: how many calls of this
 * message failed so far, this one included.
 *
 * @example
 * classifyFailure({ type: 'telegram', code: 429, description: 'Too Many Requests', retryAfterSeconds: 7 }, 'send', 1);
 * // { type: 'retry', delayMs: 7000, isRateLimited: true, … }
 */
export function classifyFailure(
  error: TCallError,
  action: 'send' | 'edit' | 'answer',
  attempts: number,
): TFailure {
  if (error.type === 'network') {
    return {
      type: 'retry',
      delayMs: backoffMs(attempts),
      reason: `network: ${error.description}`,
      isRateLimited: false,
    };
  }
  const { code, description } = error;
  const reason = `${code}: ${description}`;
  if (code === 429) {
    const delayMs = error.retryAfterSeconds ? error.retryAfterSeconds * 1000 : backoffMs(attempts);
    return { type: 'retry', delayMs, reason, isRateLimited: true };
  }
  if (code >= 500 || code === 401 || code === 404 || code === 409) {
    // Telegram's side, or this bot's token or API root is wrong: nothing to give up on, keep trying.
    return { type: 'retry', delayMs: backoffMs(attempts), reason, isRateLimited: false };
  }
  if (action === 'answer') {
    return CALLBACK_GONE_400.test(description) ? { type: 'gone', reason } : { type: 'failed', reason };
  }
  if (action === 'edit') {
    if (/message is not modified/i.test(description)) return { type: 'done', reason };
    if (code === 403 || EDIT_GONE_400.test(description) || UNREACHABLE_400.test(description))
      return { type: 'gone', reason };
    return { type: 'failed', reason };
  }
  if (code === 403 || (code === 400 && UNREACHABLE_400.test(description)))
    return { type: 'unreachable', reason };
  return { type: 'failed', reason };
}

/** 1 s, 2 s, 4 s … capped at 5 min; `attempts` counts the one that just failed. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}
