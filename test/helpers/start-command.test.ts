import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startCommand } from './start-command.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function checkoutWithStart(start: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridgeline-start-'));
  made.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { start } }));
  return dir;
}

describe('startCommand: how npm start runs the bot, for the tests and the bench', () => {
  it('reads this checkout: glibc told to return freed memory, Node held to its heap options, tsx', () => {
    const start = startCommand(fileURLToPath(new URL('../..', import.meta.url)));
    expect(start.env).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' });
    expect(start.nodeOptions).toContain('--max-old-space-size=1536');
    expect(start.nodeOptions.slice(-2)).toEqual(['--import', 'tsx']);
  });

  it('takes every NAME=value in front of node as environment, and nothing after it', () => {
    const dir = checkoutWithStart('A=1 B_2=x=y node --flag --import tsx src/main.ts');
    expect(startCommand(dir)).toEqual({
      env: { A: '1', B_2: 'x=y' },
      nodeOptions: ['--flag', '--import', 'tsx'],
    });
  });

  it("reads an older checkout's `tsx src/main.ts` as `--import tsx` with nothing set", () => {
    expect(startCommand(checkoutWithStart('tsx src/main.ts'))).toEqual({
      env: {},
      nodeOptions: ['--import', 'tsx'],
    });
  });

  it('refuses a start script that does not run src/main.ts with node or tsx', () => {
    expect(() => startCommand(checkoutWithStart('A=1 bun src/main.ts'))).toThrow(
      /cannot read how "npm start"/,
    );
    expect(() => startCommand(checkoutWithStart('node --import tsx src/other.ts'))).toThrow(/cannot read/);
  });
});
