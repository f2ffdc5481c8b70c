import { Agent, request } from 'undici';

/**
 * The HTTP client the outbox sender gives grammY: undici's `request` on one keep-alive pool, shaped as the
 * part of `fetch` grammY uses (it calls `fetch(url, init)` and then only `res.json()`). Every message the bot
 * sends goes through here, and Node's own `fetch` builds a Request, Headers, an AbortSignal and a web stream
 * per call: measured here at about a quarter of the CPU per call. Bodies other than text (file uploads, which
 * the bot never sends) go through `fetch`.
 *
 * @example
 * const api = new Api(token, { fetch: createTelegramFetch() });
 */
export function createTelegramFetch(): typeof fetch {
  // undici's default idle time (4 s, as fetch's): a socket Telegram may have closed is not reused.
  const dispatcher = new Agent();
  const leanFetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    if (input instanceof Request || (init.body !== undefined && typeof init.body !== 'string')) {
      return fetch(input, init);
    }
    const answer = await request(input, {
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      headers: init.headers as Record<string, string> | undefined,
      body: init.body,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    return { ok: answer.statusCode < 300, status: answer.statusCode, json: () => answer.body.json() };
  };
  return leanFetch as unknown as typeof fetch;
}
