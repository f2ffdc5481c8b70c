import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const standInPath = fileURLToPath(
  new URL('../../prisma/schema-engine/schema-engine.mjs', import.meta.url),
);

/** The local PostgreSQL every machine of this project has, unless TEST_POSTGRES_URL names another. */
export const postgresServerUrl = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type TRunResult = { code: number | null; stdout: string; stderr: string; output: string };

/**
 * Runs `npx prisma <args>` as a developer would. Any attempt to download an engine goes to a closed local
 * port and fails the command, so a passing run proves nothing was downloaded.
 */
export function runPrisma(
  args: string[],
  options: { databaseUrl: string; cwd?: string },
): Promise<TRunResult> {
  return run('npx', ['prisma', ...args], {
    cwd: options.cwd ?? projectRoot,
    env: {
      DATABASE_URL: options.databaseUrl,
      PRISMA_SCHEMA_ENGINE_BINARY: standInPath,
      PRISMA_ENGINES_MIRROR: 'http://127.0.0.1:9',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      npm_config_update_notifier: 'false',
    },
  });
}

export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<TRunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, output: stdout + stderr }));
    child.stdin.end(options.input ?? '');
  });
}
