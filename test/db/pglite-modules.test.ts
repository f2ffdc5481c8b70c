import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeBotApi, FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
import { postgresServerUrl } from '../helpers/prisma-cli.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const RECORDER = import.meta.resolve('./fixtures/register-module-recorder.mjs');
const PGLITE = import.meta.resolve('@electric-sql/pglite');

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'bridgeline-modules-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs `args` under the recorder and returns the PGlite modules the process resolved. */
async function pgliteModulesOf(
  args: string[],
  env: Record<string, string>,
  until?: RegExp,
): Promise<string[]> {
  const record = join(workDir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(record, '');
  const child = spawn(process.execPath, ['--import', TSX, '--import', RECORDER, ...args], {
    cwd: workDir,
    env: { PATH: process.env.PATH ?? '', RECORD_MODULES_TO: record, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (until?.test(output)) child.kill('SIGTERM');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (until && !until.test(output)) throw new Error(`the process ended (${code}) before ${until}: ${output}`);
  return readFileSync(record, 'utf8').split('\n').filter(Boolean);
}

describe('which database modules a deployment holds', () => {
  it('the recorder sees PGlite when a process loads it (so an empty list below means something)', async () => {
    const modules = await pgliteModulesOf(['--input-type=module', '-e', `await import('${PGLITE}')`], {});
    expect(modules.some((url) => url.includes('@electric-sql/pglite/dist'))).toBe(true);
  });

  it('a bot started on PostgreSQL never loads PGlite (its modules are about 37 MB of memory)', async () => {
    const api = createFakeBotApi();
    const server = await api.listen();
    try {
      const modules = await pgliteModulesOf(
        [MAIN],
        {
          BOT_TOKEN: FAKE_BOT_TOKEN,
          TELEGRAM_API_ROOT: server.url,
          DATABASE_URL: postgresServerUrl,
          PORT: '0',
          LOG_LEVEL: 'info',
        },
        /long polling started/,
      );
      expect(modules).toEqual([]);
    } finally {
      await server.close();
    }
  }, 60_000);
});
