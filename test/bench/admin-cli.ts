/**
 * Bridgeline's admin command line, run as an operator would while the bot runs (it reaches the embedded
 * database through the bot's socket).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/**
 * Creates a worker invitation and returns its one-time code (the last line the command prints).
 *
 * @example
 * const code = await inviteWorker('/srv/bridgeline', 'pglite:/tmp/x/pglite', 'Bench Worker 1');
 */
export async function inviteWorker(botDir: string, databaseUrl: string, name: string): Promise<string> {
  const stdout = await runAdmin(botDir, databaseUrl, ['invite', '--role', 'worker', '--name', name]);
  const code = stdout.trim().split('\n').at(-1)?.trim();
  if (!code) throw new Error('admin invite printed no code');
  return code;
}

/**
 * How many workers the bot has on call now (`workers --json`), to tell a page that never came from a
 * worker who never got on call.
 */
export async function countWorkersOnCall(botDir: string, databaseUrl: string): Promise<number> {
  const stdout = await runAdmin(botDir, databaseUrl, ['workers', '--json']);
  const workers = JSON.parse(stdout) as Array<{ isOnCallNow?: unknown }>;
  return workers.filter((worker) => worker.isOnCallNow === true).length;
}

function runAdmin(botDir: string, databaseUrl: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(botDir, 'src', 'cli', 'admin.ts'), ...args],
      {
        cwd: botDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          DATABASE_URL: databaseUrl,
          LOG_LEVEL: 'warn',
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`admin ${args[0]} failed: ${error.message} ${stderr.slice(-500)}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}
