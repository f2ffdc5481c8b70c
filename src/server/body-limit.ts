import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a body larger than `maxSize` before it is read, with hono's `bodyLimit` answer (`onError`). A body
 * that declares its length within the limit (Telegram's always do) passes on that header alone: Node's HTTP
 * parser never reads past it, and the body is left for the handler to read straight from the socket. hono's
 * `bodyLimit` first turns every request into a web stream to count it, about 3% of a webhook update's CPU; it
 * still judges the rest (a body sent in chunks, one declared too large), as it reads.
 *
 * @example
 * app.use('/api/*', limitBody({ maxSize: 512 * 1024, onError: (c) => c.json({ error: 'too large' }, 413) }));
 */
export function limitBody(options: Parameters<typeof bodyLimit>[0]): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const declared = c.req.header('content-length');
    const isDeclared = declared !== undefined && c.req.header('transfer-encoding') === undefined;
    if (isDeclared && Number(declared) <= options.maxSize) return next();
    return counted(c, next);
  };
}
