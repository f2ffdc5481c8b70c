/**
 * How fast one sender may write before the bot slows down for them: `limit` messages in any `windowMs`. Pure
 * and in memory (each process counts what reaches it); the crisis guard reads every message regardless.
 */
export type TFloodVerdict =
  /** Within the pace: handle it. */
  | 'ok'
  /** The first message over the pace: say once, kindly, that the bot is slowing down. */
  | 'over-first'
  /** Still over: pass it over quietly (it was read for crisis language). */
  | 'over';

export type TFloodLimiter = { hit(key: string, nowMs: number): TFloodVerdict; size(): number };

/** The default pace: 20 messages in 10 seconds is faster than anyone types. */
export const FLOOD_LIMIT = { limit: 20, windowMs: 10_000 } as const;

/**
 * @example
 * const flood = createFloodLimiter({ limit: 20, windowMs: 10_000 });
 * if (flood.hit(residentId, Date.now()) !== 'ok') { … }
 */
export function createFloodLimiter(
  options: { limit: number; windowMs: number; maxKeys?: number } = FLOOD_LIMIT,
): TFloodLimiter {
  const maxKeys = options.maxKeys ?? 50_000;
  const seen = new Map<string, { times: number[]; isTold: boolean }>();
  return {
    hit(key, nowMs) {
      const entry = seen.get(key) ?? { times: [], isTold: false };
      entry.times = entry.times.filter((time) => nowMs - time < options.windowMs);
      entry.times.push(nowMs);
      if (entry.times.length <= options.limit) entry.isTold = false;
      // Most recently active last: the oldest senders are forgotten first when the map is full.
      seen.delete(key);
      seen.set(key, entry);
      if (seen.size > maxKeys) {
        const oldest = seen.keys().next().value;
        if (oldest !== undefined) seen.delete(oldest);
      }
      if (entry.times.length <= options.limit) return 'ok';
      if (entry.isTold) return 'over';
      entry.isTold = true;
      return 'over-first';
    },
    size: () => seen.size,
  };
}
