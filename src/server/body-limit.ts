import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export type TBodyLimitOptions = {
  maxSize: number;
  /** The answer to a body over the limit (413); by default hono's plain "Payload Too Large". */
  onError?: (c: Context) => Response | Promise<Response>;
};

/**
 * Refuses a body larger than `maxSize` before it is read. A body that declares its length (Telegram's always
 * do) is judged by that header alone: Node's HTTP parser never reads past it, and the body is left for the
 * handler to read straight from the socket. hono's `bodyLimit` first turns every request into a web stream
 * to count it, about 3% of a webhook update's CPU; it still judges a body sent in chunks, as it reads.
 *
 * @example
 * app.use('/api/*', limitBody({ maxSize: 512 * 1024, onError: (c) => c.json({ error: 'too large' }, 413) }));
 */
export function limitBody(options: TBodyLimitOptions): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    if (Number(declared) <= options.maxSize) return next();
    // hono's own answer, so both paths refuse alike.
    return counted(c, next);
  };
}
