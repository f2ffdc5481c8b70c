import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a checkout's `npm start` runs the bot: the environment it sets, and Node's options. */
export type TStartCommand = {
  /** The `NAME=value` words in front of `node` (glibc's malloc settings). */
  env: Record<string, string>;
  /** Node's options before `src/main.ts`. */
  nodeOptions: string[];
};

/**
 * Reads a checkout's `npm start` (`GLIBC_TUNABLES=… node --max-semi-space-size=8 … --import tsx src/main.ts`),
 * so that tests and the bench run the bot as it is deployed. An older checkout's `tsx src/main.ts` is
 * `--import tsx` with nothing set.
 *
 * @throws {Error} when the start script does not run `src/main.ts` in one of those two ways.
 * @example
 * const start = startCommand(root);
 * spawn(process.execPath, [...start.nodeOptions, join(root, 'src', 'main.ts')], { env: { ...start.env, … } });
 */
export function startCommand(projectDir: string): TStartCommand {
  const packageJson = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (packageJson.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  let command = 0;
  for (const word of words) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(word);
    if (!assignment) break;
    const [, name = '', value = ''] = assignment;
    env[name] = value;
    command += 1;
  }
  const entryAt = words.indexOf('src/main.ts');
  if (words[command] === 'node' && entryAt > command) {
    return { env, nodeOptions: words.slice(command + 1, entryAt) };
  }
  if (words[command] === 'tsx' && entryAt === command + 1) return { env, nodeOptions: ['--import', 'tsx'] };
  throw new Error(`${projectDir}/package.json: cannot read how "npm start" runs src/main.ts`);
}
