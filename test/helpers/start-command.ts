import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Node's options in a checkout's `npm start` (`node --max-semi-space-size=8 … --import tsx src/main.ts`), so
 * that tests and the bench run the bot as it is deployed. An older checkout's `tsx src/main.ts` is
 * `--import tsx`.
 *
 * @throws {Error} when the start script does not run `src/main.ts` in one of those two ways.
 * @example
 * spawn(process.execPath, [...startNodeOptions(root), join(root, 'src', 'main.ts')]);
 */
export function startNodeOptions(projectDir: string): string[] {
  const packageJson = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const words = (packageJson.scripts?.start ?? '').split(/\s+/).filter(Boolean);
  const entryAt = words.indexOf('src/main.ts');
  if (words[0] === 'node' && entryAt > 0) return words.slice(1, entryAt);
  if (words[0] === 'tsx' && entryAt === 1) return ['--import', 'tsx'];
  throw new Error(`${projectDir}/package.json: cannot read how "npm start" runs src/main.ts`);
}
