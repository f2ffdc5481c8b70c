import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBotApi, FAKE_BOT_TOKEN } from './helpers/fake-bot-api.ts';
import { ROUTES } from './helpers/journey.ts';
import { startCommand } from './helpers/start-command.ts';
import { callbackUpdate, RESIDENT_EN, textUpdate } from './helpers/updates.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** Resolved here: the child runs in a temporary folder, where `tsx` is not installed. */
const TSX = import.meta.resolve('tsx');
/** `npm start`'s own environment and options for Node, with tsx as resolved here. */
const START = startCommand(fileURLToPath(new URL('..', import.meta.url)));
const START_OPTIONS = START.nodeOptions.map((option) => (option === 'tsx' ? TSX : option));
const execFileAsync = promisify(execFile);
const ADMIN = fileURLToPath(new URL('../src/cli/admin.ts', import.meta.url));

type TRun = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/** Starts `src/main.ts` as `npm start` would, in its own folder so no developer `.env` leaks in. */
function startBot(env: Record<string, string>, cwd: string): TRun {
  const child = spawn(process.execPath, [...START_OPTIONS, MAIN], {
    cwd,
    env: {
      ...START.env,
      PATH: process.env.PATH ?? '',
      NODE_PATH: process.env.NODE_PATH ?? '',
      LOG_LEVEL: 'info',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A Bot API front that fails `getMe` as a broken network would — in turn, by not answering at all (a host
 * that drops packets) or by cutting the connection — then passes every call on to `target`.
 */
async function listenFlakyFront(target: string, getMeFailures: ReadonlyArray<'no-answer' | 'cut'>) {
  const unanswered: ServerResponse[] = [];
  const getMeAt: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url?.endsWith('/getMe')) {
        const failure = getMeFailures[getMeAt.length];
        getMeAt.push(Date.now());
        if (failure === 'no-answer') return void unanswered.push(res);
        if (failure === 'cut') return void req.socket.destroy();
      }
      void fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(await answer.text());
        })
        // The fake closed at the end of the test, a long poll still open.
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    getMeAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (one the system just handed out and took back). */
async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The port the process listens on, from its `listening` log line (it is started with PORT=0). */
function listeningPort(output: string): number | undefined {
  const line = output.split('\n').find((l) => l.includes('"msg":"listening"'));
  return line ? (JSON.parse(line) as { port: number }).port : undefined;
}

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'bridgeline-main-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

// Concurrent: each test waits mostly on its own child process (start-up, Telegram's retries), not on the CPU.
describe.concurrent('npm start', () => {
  it('refuses to start without BOT_TOKEN: a clear message and exit code 2', async () => {
    const run = startBot({}, workDir);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/BOT_TOKEN is required/);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses a DATABASE_URL it cannot use: a clear message and exit code 2', async () => {
    const run = startBot(
      { BOT_TOKEN: FAKE_BOT_TOKEN, DATABASE_URL: 'mysql://localhost/bridgeline' },
      workDir,
    );
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/DATABASE_URL uses the unsupported scheme mysql:.*Use pglite:<folder>/);
  });

  it('refuses a PostgreSQL that does not answer: a clear message and exit code 2', async () => {
    const run = startBot(
      { BOT_TOKEN: FAKE_BOT_TOKEN, DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' },
      workDir,
    );
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/database/i);
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  // Alone: it times what the process says, which a machine busy starting the others would slow.
  it.sequential('says within 10 s that Telegram cannot be reached, keeps trying, and starts once it answers', async () => {
    const api = createFakeBotApi();
    const server = await api.listen();
    const front = await listenFlakyFront(server.url, ['no-answer', 'cut']);
    const host = front.url.replace('http://', '');
    const run = startBot(
      {
        BOT_TOKEN: FAKE_BOT_TOKEN,
        TELEGRAM_API_ROOT: front.url,
        DATABASE_URL: `pglite:${join(workDir, 'data-unreachable')}`,
      },
      workDir,
    );
    try {
      await waitFor(() => front.getMeAt.length > 0, 'the first getMe', 60_000);
      const cannotReach = `cannot reach Telegram at ${host}: `;
      await waitFor(() => run.output().includes(cannotReach), 'the line saying Telegram cannot be reached');
      const saidAfterMs = Date.now() - (front.getMeAt[0] ?? 0);
      expect(saidAfterMs).toBeLessThan(10_000);
      expect(run.output()).toContain(`${cannotReach}no answer within 5 s; retrying in 1 s`);

      // Meanwhile the health check says why the bot is not working.
      const port = listeningPort(run.output());
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'degraded',
        problems: [{ reason: 'telegram-unreachable', detail: { host, error: 'no answer within 5 s' } }],
      });

      await waitFor(() => run.output().includes('long polling started'), 'long polling to start');
      expect(run.output()).toMatch(new RegExp(`${cannotReach}[^"]+; retrying in 2 s`));
      expect(run.output()).toContain(`reached Telegram at ${host}`);
      expect(front.getMeAt).toHaveLength(3);
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({
        status: 'ok',
        database: 'up',
      });
      api.queueUpdate(textUpdate(RESIDENT_EN, '/start'));
      await waitFor(() => api.textsTo(RESIDENT_EN.id).length > 0, 'the answer to /start');
      expect(run.output()).not.toContain(FAKE_BOT_TOKEN);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      await front.close();
      await server.close();
    }
  }, 120_000);

  it('stops cleanly on SIGTERM while still waiting for Telegram', async () => {
    const closedPort = await findClosedPort();
    const run = startBot(
      {
        BOT_TOKEN: FAKE_BOT_TOKEN,
        // Nothing listens there: every try is refused at once.
        TELEGRAM_API_ROOT: `http://127.0.0.1:${closedPort}`,
        DATABASE_URL: `pglite:${join(workDir, 'data-stopped')}`,
      },
      workDir,
    );
    try {
      await waitFor(
        () => run.output().includes(`cannot reach Telegram at 127.0.0.1:${closedPort}: connect ECONNREFUSED`),
        'the line saying Telegram cannot be reached',
        60_000,
      );
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('"msg":"stopped"');
    } finally {
      run.child.kill('SIGKILL');
    }
  }, 120_000);

  it('still exits with the clear message when Telegram rejects BOT_TOKEN; LOG_FORMAT=pretty logs for people', async () => {
    const api = createFakeBotApi();
    api.failNext('getMe', { error_code: 401, description: 'Unauthorized' });
    const server = await api.listen();
    const run = startBot(
      {
        BOT_TOKEN: FAKE_BOT_TOKEN,
        TELEGRAM_API_ROOT: server.url,
        DATABASE_URL: `pglite:${join(workDir, 'data-wrong-token')}`,
        LOG_FORMAT: 'pretty',
        EMERGENCY_NUMBERS: 'Call 999 now.',
        ALERT_CHAT_ID: '-100123',
      },
      workDir,
    );
    try {
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain('Telegram rejected BOT_TOKEN (401 Unauthorized)');
      expect(run.output()).not.toContain('cannot reach Telegram');
      expect(api.callsOf('getMe')).toHaveLength(1);
      expect(run.output()).toMatch(/^\[[\d: .-]+\] INFO: database ready\n\s+database: "pglite"$/m);
      expect(run.output()).not.toContain('{"level"');
      // Both set: no warning about going live without them.
      expect(run.output()).not.toMatch(/EMERGENCY_NUMBERS is not set|ALERT_CHAT_ID is not set/);
    } finally {
      run.child.kill('SIGKILL');
      await server.close();
    }
  }, 120_000);

  it('takes an http:// webhook with a self-hosted Bot API server, and exits 2 naming what Telegram refused', async () => {
    const api = createFakeBotApi();
    api.failNext('setWebhook', {
      error_code: 400,
      description: 'Bad Request: bad webhook: Failed to resolve host',
    });
    const server = await api.listen();
    const run = startBot(
      {
        BOT_TOKEN: FAKE_BOT_TOKEN,
        TELEGRAM_API_ROOT: server.url,
        BOT_MODE: 'webhook',
        WEBHOOK_URL: 'http://bot.internal:8080/webhook',
        WEBHOOK_SECRET: 'webhook-secret',
        DATABASE_URL: `pglite:${join(workDir, 'data-webhook')}`,
      },
      workDir,
    );
    try {
      expect(await run.exited).toBe(2);
      expect(api.callsOf('setWebhook')[0]?.payload).toMatchObject({
        url: 'http://bot.internal:8080/webhook',
      });
      expect(run.output()).toContain(
        'Bridgeline cannot start: Telegram refused WEBHOOK_URL (Bad Request: bad webhook: Failed to resolve host).',
      );
    } finally {
      run.child.kill('SIGKILL');
      await server.close();
    }
  }, 120_000);

  it('answers /start by long polling on the embedded database, refuses a second instance, and stops on SIGTERM', async () => {
    const api = createFakeBotApi();
    const server = await api.listen();
    const env = {
      BOT_TOKEN: FAKE_BOT_TOKEN,
      TELEGRAM_API_ROOT: server.url,
      DATABASE_URL: `pglite:${join(workDir, 'data')}`,
    };
    const run = startBot(env, workDir);
    try {
      await waitFor(() => run.output().includes('long polling started'), 'long polling to start', 60_000);
      // Only BOT_TOKEN set: the start says loudly what must be set before going live.
      expect(run.output()).toMatch(/"level":40,.*EMERGENCY_NUMBERS is not set/);
      expect(run.output()).toMatch(/"level":40,.*ALERT_CHAT_ID is not set/);
      api.queueUpdate(textUpdate(RESIDENT_EN, '/start'));
      await waitFor(() => api.textsTo(RESIDENT_EN.id).length > 0, 'the answer to /start');
      expect(api.textsTo(RESIDENT_EN.id)[0]).toMatch(/not an emergency service/);

      // As a resident would: agree, answer, and reach the imminent outcome; the admin sees the case while
      // the bot holds the embedded database.
      await waitFor(() => api.lastKeyboard(RESIDENT_EN.id) !== undefined, 'the consent buttons');
      api.queueUpdate(
        callbackUpdate(RESIDENT_EN, 'consent:yes', api.lastKeyboard(RESIDENT_EN.id)?.messageId ?? 0),
      );
      await waitFor(() => api.textsTo(RESIDENT_EN.id).some((t) => /1 \/ \d+$/.test(t)), 'the first question');
      for (const answer of ROUTES.imminent) {
        const before = api.textsTo(RESIDENT_EN.id).length;
        api.queueUpdate(textUpdate(RESIDENT_EN, answer));
        await waitFor(() => api.textsTo(RESIDENT_EN.id).length > before, `the reply to "${answer}"`);
      }
      // No staff has joined: the outcome says, honestly, that nobody can be reached (the update is then
      // handled and committed).
      await waitFor(
        () => api.textsTo(RESIDENT_EN.id).some((t) => /no social worker can be reached right now/.test(t)),
        'the outcome',
      );
      expect(api.textsTo(RESIDENT_EN.id).join('\n')).not.toMatch(/I have alerted/);
      // Asynchronously: the fake Bot API lives in this process and must keep answering the bot meanwhile.
      const admin = await execFileAsync(process.execPath, ['--import', TSX, ADMIN, 'cases', '--json'], {
        cwd: workDir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: env.DATABASE_URL },
      });
      expect(JSON.parse(admin.stdout)).toMatchObject([
        { level: 'imminent', status: 'waiting', scriptVersion: 5 },
      ]);

      const second = startBot(env, workDir);
      expect(await second.exited).toBe(2);
      expect(second.output()).toMatch(/another Bridgeline process/i);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).not.toContain('Alex');
    } finally {
      run.child.kill('SIGKILL');
      await server.close();
    }
  }, 120_000);
});
