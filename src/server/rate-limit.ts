import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** The address a request came from (its socket's); `local` for an in-process request, as in tests. */
export function addressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/**
 * Counts per key within the current minute; old minutes are forgotten as they pass.
 *
 * @example
 * const perAddress = createWindowCounter();
 * if (perAddress(addressOf(c), new Date()) > 20) return c.text('Too many requests', 429);
 */
export function createWindowCounter(): (key: string, now: Date) => number {
  let minute = -1;
  let counts = new Map<string, number>();
  return (key, now) => {
    const current = Math.floor(now.getTime() / 60_000);
    if (current !== minute) {
      minute = current;
      counts = new Map();
    }
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    return count;
  };
}
