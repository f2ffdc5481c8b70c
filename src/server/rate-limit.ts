import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Client addresses worked out once per request by {@link createClientAddress}, by the request's context (not
 * its `Request`, which a body limit replaces with one that counts its bytes).
 */
const clientAddresses = new WeakMap<Context, string>();

/**
 * The address a request came from, for per-address limits: what {@link createClientAddress} worked out (the
 * forwarded client's behind trusted proxies), else its socket's; `local` for an in-process request, as in tests.
 */
export function addressOf(c: Context): string {
  return clientAddresses.get(c) ?? socketAddressOf(c);
}

function socketAddressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/**
 * Middleware that records each request's client address for {@link addressOf}. Behind `trustProxyHops`
 * reverse proxies (`TRUST_PROXY_HOPS`), each appending the address it was reached from to `X-Forwarded-For`,
 * the client is that many entries from the right of the chain `X-Forwarded-For…, socket`: the entries a
 * client writes itself lie further left and are never read. With 0 (the default) the header is ignored:
 * without a proxy anyone can send it. Too short a chain (a request that bypassed a proxy) gives its leftmost.
 *
 * @example
 * app.use(createClientAddress({ trustProxyHops: 1 })); // nginx in front: its X-Forwarded-For names the client
 */
export function createClientAddress(options: { trustProxyHops: number }): MiddlewareHandler {
  return async (c, next) => {
    if (options.trustProxyHops > 0) {
      const forwarded = (c.req.header('X-Forwarded-For') ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      const chain = [...forwarded, socketAddressOf(c)];
      const client = chain[Math.max(0, chain.length - 1 - options.trustProxyHops)];
      if (client !== undefined) clientAddresses.set(c, client.slice(0, 100));
    }
    await next();
  };
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
