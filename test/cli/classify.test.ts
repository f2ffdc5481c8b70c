import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npx tsx src/cli/classify.ts …` in a child process, feeding `input` on stdin. */
function classify(
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/classify.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe.concurrent('classify command', () => {
  it('prints one JSON line per non-empty input line', async () => {
    const input = [
      "I've got the pills and I'm taking them tonight",
      '',
      'This commute is killing me',
      "I'm going to make him pay, I know where he lives and I have a knife",
      '   ',
      'I just want to die',
    ].join('\n');
    const run = await classify(['--locale', 'en'], `${input}\n`);
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.level, line.kind])).toEqual([
      ['imminent', 'self'],
      ['none', null],
      ['imminent', 'others'],
      ['high', 'self'],
    ]);
    expect(lines[0].reasons).toContain(
      'self.use-means: Intends to use something they have (rope, pills, blade) on themselves ["im taking them"]',
    );
    expect(lines[1].reasons).toEqual([]);
    // The rules' own level, the model's reading and the context, beside the combined level.
    expect(lines[3]).toMatchObject({ rules: 'high', model: { level: expect.any(String) }, context: null });
    expect(Object.keys(lines[3].model.probabilities)).toEqual(['none', 'concern', 'high', 'imminent']);
  });

  it('reads as the bot reads someone with an open case with --context, and the rules alone with --no-model', async () => {
    const run = await classify(
      ['--locale', 'en', '--context', 'open-case'],
      "what's the point of any of it\n",
    );
    const [line] = run.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(line).toMatchObject({ level: 'high', context: { reason: 'open-case' } });
    expect(line.reasons.at(-1)).toMatch(/^context\.open-case: /);
    const bare = await classify(['--locale', 'en', '--no-model'], 'the weather is nice today\n');
    expect(JSON.parse(bare.stdout)).toMatchObject({ level: 'none', model: null });
    const wrong = await classify(['--locale', 'en', '--context', 'maybe'], 'x\n');
    expect(wrong.code).toBe(2);
  });

  it('classifies Chinese with --locale zh-CN', async () => {
    const run = await classify(['--locale', 'zh-CN'], '我今晚就从楼上跳下去\r\n累死了\r\n');
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).level),
    ).toEqual(['imminent', 'none']);
  });

  it('exits 2 with a clear message for an unknown locale', async () => {
    const run = await classify(['--locale', 'fr'], 'hello\n');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('classify: unknown locale "fr" (known: en, zh-CN)');
  });

  it('exits 2 for a missing locale or an unknown option', async () => {
    const missing = await classify([], 'hello\n');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--locale is required');
    const unknown = await classify(['--locale', 'en', '--verbose'], 'hello\n');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--verbose'/);
  });
});
