import { Writable } from 'node:stream';
import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { reachTelegram } from '../src/reach-telegram.ts';

const API_ROOT = 'http://127.0.0.1:8081';

function capture() {
  const entries: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      entries.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), entries };
}

function refused(): HttpError {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8081'), { code: 'ECONNREFUSED' });
  return new HttpError("Network request for 'getMe' failed!", new TypeError('fetch failed', { cause }));
}

function answered(code: number, description: string, retryAfter?: number): GrammyError {
  return new GrammyError(
    "Call to 'getMe' failed!",
    { ok: false, error_code: code, description, parameters: { retry_after: retryAfter } },
    'getMe',
    {},
  );
}

/** A call that fails with these errors in turn, then answers. */
function failing(...errors: unknown[]) {
  let calls = 0;
  return {
    calls: () => calls,
    call: async () => {
      const error = errors[calls];
      calls += 1;
      if (error !== undefined) throw error;
      return { id: 1 };
    },
  };
}

describe('reachTelegram', () => {
  it('says why Telegram cannot be reached, one line a try, and goes on once it answers', async () => {
    const { logger, entries } = capture();
    const flaky = failing(
      refused(),
      answered(502, 'Bad Gateway'),
      new HttpError('x', new SyntaxError('<html>')),
    );
    const result = await reachTelegram(flaky.call, { apiRoot: API_ROOT, logger, retryDelaysMs: [1, 5] });
    expect(result).toEqual({ id: 1 });
    expect(flaky.calls()).toBe(4);
    expect(entries.map((entry) => [entry.level, entry.msg])).toEqual([
      [50, 'cannot reach Telegram at 127.0.0.1:8081: connect ECONNREFUSED 127.0.0.1:8081; retrying in 0 s'],
      [50, 'cannot reach Telegram at 127.0.0.1:8081: it answered 502 Bad Gateway; retrying in 0 s'],
      [
        50,
        'cannot reach Telegram at 127.0.0.1:8081: what answered is not a Bot API server (not JSON); retrying in 0 s',
      ],
      [30, 'reached Telegram at 127.0.0.1:8081'],
    ]);
  });

  it('gives up on a call that does not answer within the timeout, and says so', async () => {
    const { logger, entries } = capture();
    let calls = 0;
    const hangsOnce = (signal: AbortSignal) => {
      calls += 1;
      if (calls > 1) return Promise.resolve('ok');
      // As grammY does: an aborted request rejects with an HttpError.
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new HttpError('aborted', new Error('aborted')))),
      );
    };
    const startedAt = Date.now();
    await expect(
      reachTelegram(hangsOnce as never, { apiRoot: API_ROOT, logger, timeoutMs: 100, retryDelaysMs: [1] }),
    ).resolves.toBe('ok');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(entries[0]?.msg).toBe(
      'cannot reach Telegram at 127.0.0.1:8081: no answer within 0.1 s; retrying in 0 s',
    );
  });

  it('waits as long as a 429 asks', async () => {
    const { logger, entries } = capture();
    const limited = failing(answered(429, 'Too Many Requests: retry after 1', 1));
    const startedAt = Date.now();
    await reachTelegram(limited.call, { apiRoot: API_ROOT, logger, retryDelaysMs: [1] });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(990);
    expect(entries[0]).toMatchObject({ retry_in_s: 1 });
  });

  it('throws a refusal time will not cure (a wrong token) at once, without retrying', async () => {
    const { logger, entries } = capture();
    const wrongToken = failing(answered(401, 'Unauthorized'));
    await expect(reachTelegram(wrongToken.call, { apiRoot: API_ROOT, logger })).rejects.toMatchObject({
      error_code: 401,
    });
    expect(wrongToken.calls()).toBe(1);
    expect(entries).toEqual([]);
  });

  it('stops waiting when the process is asked to stop', async () => {
    const { logger } = capture();
    const stopping = new AbortController();
    const down = failing(...Array.from({ length: 100 }, refused));
    const waiting = reachTelegram(down.call, {
      apiRoot: API_ROOT,
      logger,
      signal: stopping.signal,
      retryDelaysMs: [60_000],
    });
    setTimeout(() => stopping.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(down.calls()).toBe(1);
  });
});
