import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitBody } from '../../src/server/body-limit.ts';

const LIMIT = 1000;

let server: ServerType;
let port: number;
/** What each request's handler saw of the body, in order. */
const handled: string[] = [];

beforeAll(async () => {
  const app = new Hono();
  app.post(
    '/json',
    limitBody({ maxSize: LIMIT, onError: (c) => c.json({ error: 'too large' }, 413) }),
    async (c) => {
      const body = await c.req.json<{ text: string }>();
      handled.push(body.text);
      return c.json({ length: body.text.length });
    },
  );
  app.post('/plain', limitBody({ maxSize: LIMIT }), async (c) => c.text(String((await c.req.text()).length)));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Posts over a real socket: with its length declared, or in chunks (`Transfer-Encoding: chunked`). */
function post(
  path: string,
  body: string,
  framing: 'declared' | 'chunked',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (framing === 'declared') headers['content-length'] = String(Buffer.byteLength(body));
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // A refused body may be cut off while it is still being written: the answer already came.
    req.on('error', reject);
    if (framing === 'chunked') {
      for (let at = 0; at < body.length; at += 100) req.write(body.slice(at, at + 100));
    } else {
      req.write(body);
    }
    req.end();
  });
}

const bodyOf = (length: number) => {
  const envelope = JSON.stringify({ text: '' });
  return JSON.stringify({ text: 'x'.repeat(length - envelope.length) });
};

describe('limitBody', () => {
  it.each(['declared', 'chunked'] as const)(
    'lets a body of exactly the limit through to the handler whole (%s length)',
    async (framing) => {
      const body = bodyOf(LIMIT);
      expect(Buffer.byteLength(body)).toBe(LIMIT);
      const response = await post('/json', body, framing);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ length: LIMIT - JSON.stringify({ text: '' }).length });
    },
  );

  it.each(['declared', 'chunked'] as const)(
    'refuses a body one byte over the limit with the route’s own 413, and the handler never runs (%s length)',
    async (framing) => {
      const before = handled.length;
      const response = await post('/json', bodyOf(LIMIT + 1), framing);
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text)).toEqual({ error: 'too large' });
      expect(handled.length).toBe(before);
    },
  );

  it('answers hono’s plain 413 where the route names no answer of its own, on both framings', async () => {
    for (const framing of ['declared', 'chunked'] as const) {
      const response = await post('/plain', 'y'.repeat(LIMIT + 50), framing);
      expect(response.status).toBe(413);
      expect(response.text).toBe('Payload Too Large');
      expect((await post('/plain', 'y'.repeat(LIMIT), framing)).text).toBe(String(LIMIT));
    }
  });

  it('reads a body declared within the limit as sent, multi-byte characters included', async () => {
    const text = '我很难过 — still here';
    const response = await post('/json', JSON.stringify({ text }), 'declared');
    expect(response.status).toBe(200);
    expect(handled.at(-1)).toBe(text);
  });
});
