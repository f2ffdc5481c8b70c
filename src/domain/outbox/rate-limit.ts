/**
 * A limit on sending, asked before each message. Pure: the caller passes the time. `reserve`: how much of
 * the limit must be left over after this message — what less urgent messages may not use, so the crisis
 * messages always find room.
 */
export type TRateLimit = {
  /** Takes a token now if there is one (beyond `reserve`); otherwise the time (ms) at which one comes. */
  take(nowMs: number, reserve?: number): { isTaken: true } | { isTaken: false; readyAtMs: number };
  /** The time at which a token beyond `reserve` is there (now, when one is). */
  readyAt(nowMs: number, reserve?: number): number;
  /** Whether it has refilled completely: forgetting it then loses nothing. */
  isFull(nowMs: number): boolean;
};

/**
 * A token bucket: `perSecond` tokens a second, up to `burst` saved, so a quiet chat may get a short burst.
 * `perSecond` 0 means no limit.
 *
 * @example
 * const perChat = createTokenBucket({ perSecond: 1, burst: 10 });
 * const taken = perChat.take(Date.now());
 * if (!taken.isTaken) setTimeout(retry, taken.readyAtMs - Date.now());
 */
export function createTokenBucket(options: { perSecond: number; burst: number }): TRateLimit {
  const { perSecond } = options;
  const burst = Math.max(1, options.burst);
  let tokens = burst;
  let updatedAtMs = Number.NEGATIVE_INFINITY;

  const refill = (nowMs: number) => {
    if (updatedAtMs !== Number.NEGATIVE_INFINITY)
      tokens = Math.min(burst, tokens + ((nowMs - updatedAtMs) * perSecond) / 1000);
    updatedAtMs = nowMs;
  };
  const readyAt = (nowMs: number, reserve = 0) => {
    if (perSecond <= 0) return nowMs;
    refill(nowMs);
    const needed = 1 + Math.min(reserve, burst - 1);
    return tokens >= needed ? nowMs : nowMs + Math.ceil(((needed - tokens) * 1000) / perSecond);
  };
  return {
    readyAt,
    isFull(nowMs) {
      if (perSecond <= 0) return true;
      refill(nowMs);
      return tokens >= burst;
    },
    take(nowMs, reserve = 0) {
      if (perSecond <= 0) return { isTaken: true };
      const at = readyAt(nowMs, reserve);
      if (at > nowMs) return { isTaken: false, readyAtMs: at };
      tokens -= 1;
      return { isTaken: true };
    },
  };
}

/**
 * At most `perWindow` messages in any `windowMs`: stricter than a bucket, which would allow its burst on top
 * of its rate within one window. `perWindow` 0 means no limit.
 *
 * @example
 * const perBot = createWindowLimit({ perWindow: 30, windowMs: 1000 }); // Telegram's "about 30 a second"
 */
export function createWindowLimit(options: { perWindow: number; windowMs: number }): TRateLimit {
  const { perWindow, windowMs } = options;
  /** When the messages of the current window went, oldest first. */
  const sentAt: number[] = [];
  const forgetOld = (nowMs: number) => {
    while (sentAt.length > 0 && (sentAt[0] ?? 0) <= nowMs - windowMs) sentAt.shift();
  };
  const readyAt = (nowMs: number, reserve = 0) => {
    if (perWindow <= 0) return nowMs;
    forgetOld(nowMs);
    const allowed = perWindow - Math.min(reserve, perWindow - 1);
    if (sentAt.length < allowed) return nowMs;
    return (sentAt[sentAt.length - allowed] ?? nowMs) + windowMs;
  };
  return {
    readyAt,
    isFull(nowMs) {
      forgetOld(nowMs);
      return sentAt.length === 0;
    },
    take(nowMs, reserve = 0) {
      if (perWindow <= 0) return { isTaken: true };
      const at = readyAt(nowMs, reserve);
      if (at > nowMs) return { isTaken: false, readyAtMs: at };
      sentAt.push(nowMs);
      return { isTaken: true };
    },
  };
}
