import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBotApi, FAKE_BOT_TOKEN } from './helpers/fake-bot-api.ts';
import { ROUTES } from './helpers/journey.ts';
import { callbackUpdate, RESIDENT_EN, textUpdate } from './helpers/updates.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** Resolved here: the child runs in a temporary folder, where `tsx` is not installed. */
const TSX = import.meta.resolve('tsx');
const execFileAsync = promisify(execFile);
const ADMIN = fileURLToPath(new URL('../src/cli/admin.ts', import.meta.url));

type TRun = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/** Starts `src/main.ts` as `npm start` would, in its own folder so no developer `.env` leaks in. */
function startBot(env: Record<string, string>, cwd: string): TRun {
  const child = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd,
    env: {
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

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'bridgeline-main-'));
});
afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe('npm start', () => {
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
        { level: 'imminent', status: 'waiting', scriptVersion: 3 },
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
