import type { TTestApp } from './app.ts';

/**
 * Opens a sign-in link from the bot as a browser does: the link's page (which spends nothing), then its
 * Continue form, posted. Returns the POST's response (303 with the session cookie when it worked).
 */
export async function followSignInLink(app: TTestApp, link: string): Promise<Response> {
  const page = await app.app.request(link);
  const token = /name="token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return postSignIn(app, new URL(link).origin, token);
}

/** The Continue form's POST, with a token (as the page's form sends it). */
export async function postSignIn(
  app: TTestApp,
  origin: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await app.app.request(`${origin}/dashboard/sign-in`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
}

/** The session cookie a sign-in answer sets, as a `Cookie` header value. */
export function sessionCookieOf(response: Response): string {
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/** A dashboard's live event stream as the test reads it: the events so far, by name, with when they came. */
export type TEventStream = {
  events: Array<{ name: string; data: string; at: number }>;
  /** Whether the server ended the stream. */
  isEnded(): boolean;
  /** Reads until `done` holds or `withinMs` passes; returns whether `done` held. */
  readUntil(done: () => boolean, withinMs: number): Promise<boolean>;
  close(): Promise<void>;
};

/** Opens `/dashboard/events` with a session cookie. */
export async function openEventStream(app: TTestApp, origin: string, cookie: string): Promise<TEventStream> {
  const response = await app.app.request(`${origin}/dashboard/events`, { headers: { Cookie: cookie } });
  if (!response.headers.get('content-type')?.includes('text/event-stream'))
    throw new Error(`no event stream: ${response.status}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: TEventStream['events'] = [];
  let buffer = '';
  let ended = false;
  let pending: ReturnType<typeof reader.read> | undefined;
  return {
    events,
    isEnded: () => ended,
    async readUntil(done, withinMs) {
      const deadline = Date.now() + withinMs;
      while (!done() && !ended && Date.now() < deadline) {
        // One read in flight at a time: a chunk is never dropped by the timeout.
        pending ??= reader.read();
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 25));
        const chunk = await Promise.race([pending, timeout]);
        if (chunk === 'timeout') continue;
        pending = undefined;
        if (chunk.done) {
          ended = true;
          break;
        }
        buffer += decoder.decode(chunk.value);
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const name = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          events.push({ name, data, at: Date.now() });
        }
      }
      return done();
    },
    async close() {
      await reader.cancel().catch(() => undefined);
    },
  };
}
