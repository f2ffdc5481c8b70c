/**
 * A bot under test, in a child process of its own (`node <its start options> <entry>`: one process, so
 * /proc/<pid> is the bot and its CPU and memory are its own). The bench sees it only through its HTTP port,
 * the fake Bot API and /proc.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TFakeTelegram } from './fake-telegram.ts';
import { processCpuMs } from './postgres-cpu.ts';
import { sleep } from './update-delivery.ts';

export type TBotProcessOptions = {
  /** For messages: "Bridgeline (embedded, webhook)". */
  name: string;
  /** The TypeScript file to run, absolute. */
  entry: string;
  /** Node's options before the entry, as the bot's own start command gives them. Default: `--import tsx`. */
  nodeArgs?: readonly string[];
  cwd: string;
  /** The bot's environment, with only PATH, HOME, TMPDIR and the locale taken from the bench's own. */
  env: Record<string, string>;
  port: number;
  mode: 'webhook' | 'polling';
  fake: TFakeTelegram;
  readyTimeoutMs?: number;
  /** Sent as `Authorization: Bearer …` to `GET /metrics`. */
  metricsToken: string;
};

export type TBotMetrics = { updates: number; statements: number };

export type TStopResult = {
  exitCode: number | null;
  signal: string | null;
  wasKilled: boolean;
  stopMs: number;
};

/** The bot did not start: why, with the end of what it printed. */
export class BotStartError extends Error {
  constructor(
    readonly botName: string,
    reason: string,
    readonly output: string,
  ) {
    super(`${botName} did not start: ${reason}`);
    this.name = 'BotStartError';
  }
}

const OUTPUT_KEPT_CHARS = 8000;
const STOP_GRACE_MS = 10_000;
let clockTicks: number | undefined;

/** Kernel clock ticks per second, for /proc/<pid>/stat times. */
export function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return clockTicks;
}

/**
 * Spawns the bot and resolves once it serves `GET /healthz` with 200 and has reached the fake (setWebhook in
 * webhook mode, the first getUpdates in polling mode).
 *
 * @throws {BotStartError} when it exits first or is not ready in time (default 90 s).
 * @example
 * const bot = await startBotProcess({ name, entry, cwd, env, port, mode: 'webhook', fake, metricsToken });
 * const cpuBefore = bot.cpuMs();
 */
export async function startBotProcess(options: TBotProcessOptions) {
  const startedAt = performance.now();
  let output = '';
  // To look inside a bot under load: BENCH_BOT_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const extraArgs = process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const nodeArgs = options.nodeArgs ?? ['--import', 'tsx'];
  const child: ChildProcess = spawn(process.execPath, [...extraArgs, ...nodeArgs, options.entry], {
    cwd: options.cwd,
    env: { ...inheritedEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const errors = { count: 0, examples: [] as string[] };
  let partialLine = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-OUTPUT_KEPT_CHARS);
    const lines = (partialLine + text).split('\n');
    partialLine = (lines.pop() ?? '').slice(-OUTPUT_KEPT_CHARS);
    for (const line of lines) noteError(line, errors);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
  });
  const pid = child.pid ?? 0;
  const base = `http://127.0.0.1:${options.port}`;

  const deadline = startedAt + (options.readyTimeoutMs ?? 90_000);
  const fail = async (reason: string): Promise<never> => {
    if (!exit) {
      child.kill('SIGKILL');
      await exited;
    }
    throw new BotStartError(options.name, reason, output);
  };
  for (;;) {
    if (exit) await fail(`it exited (code ${exit.code}, signal ${exit.signal}) before it was ready`);
    if (performance.now() > deadline) await fail('not ready in time');
    if (await isHealthy(base)) break;
    await sleep(100);
  }
  for (;;) {
    const isReached =
      options.mode === 'webhook'
        ? options.fake.webhook() !== undefined
        : options.fake.calls.some((call) => call.method === 'getUpdates');
    if (isReached) break;
    if (exit) await fail(`it exited (code ${exit.code}) before it reached the Bot API`);
    if (performance.now() > deadline) {
      await fail(options.mode === 'webhook' ? 'it never called setWebhook' : 'it never called getUpdates');
    }
    await sleep(50);
  }
  const readyMs = performance.now() - startedAt;

  return {
    name: options.name,
    pid,
    port: options.port,
    readyMs,
    /** CPU time (user + system) the process has used so far, in ms. */
    cpuMs(): number | undefined {
      return processCpuMs(pid, ticksPerSecond());
    },
    /** Resident memory now and its peak so far, in MB (VmRSS, VmHWM). */
    memory(): { rssMb: number; peakRssMb: number } | undefined {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
        return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
      } catch {
        return undefined;
      }
    },
    /** `GET /metrics`: undefined when the bot does not serve it (404) or it cannot be read. */
    async metrics(): Promise<TBotMetrics | undefined> {
      try {
        const response = await fetch(`${base}/metrics`, {
          headers: { authorization: `Bearer ${options.metricsToken}` },
          signal: AbortSignal.timeout(5000),
        });
        if (!response.ok) return undefined;
        const body = (await response.json()) as Partial<TBotMetrics>;
        if (typeof body.updates !== 'number' || typeof body.statements !== 'number') return undefined;
        return { updates: body.updates, statements: body.statements };
      } catch {
        return undefined;
      }
    },
    hasExited: () => exit !== undefined,
    /** The end of what it printed (stdout and stderr). */
    output: () => output,
    /** Error and fatal log lines it printed (pino JSON), with the first few distinct messages. */
    loggedErrors: () => ({ count: errors.count, examples: [...errors.examples] }),
    /** SIGTERM, then SIGKILL if it has not exited after 10 s. */
    async stop(): Promise<TStopResult> {
      const stopStarted = performance.now();
      let wasKilled = false;
      if (!exit) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          wasKilled = true;
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      return {
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        wasKilled,
        stopMs: performance.now() - stopStarted,
      };
    },
  };
}

export type TBotProcess = Awaited<ReturnType<typeof startBotProcess>>;

/** Counts a pino line of level error (50) or fatal (60); keeps three distinct "msg: err.message" examples. */
function noteError(line: string, errors: { count: number; examples: string[] }): void {
  if (!/"level":\s*[56]0/.test(line)) return;
  errors.count++;
  if (errors.examples.length >= 3) return;
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    const example = [entry.msg, entry.err?.message?.replace(/\s+/g, ' ').slice(0, 160)]
      .filter(Boolean)
      .join(': ');
    if (example && !errors.examples.includes(example)) errors.examples.push(example);
  } catch {
    // Not JSON after all: counted, not quoted.
  }
}

/** What a process needs from the bench's environment; nothing that would configure the bot under test. */
function inheritedEnv(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}

async function isHealthy(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A TCP port nobody listens on right now (the kernel's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
