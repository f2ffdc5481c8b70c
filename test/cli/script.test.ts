import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScriptCommand, splitAnswers, type TScriptCommandIo } from '../../src/cli/script-command.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the real command in a child process, as `npm run script -- ...` does. */
function script(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/script.ts', ...args],
      { cwd: root, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const DEFAULT = 'conversation-scripts/default.yaml';

describe.concurrent('script command', () => {
  it('lint: exit 0 and one clean line for the default script', async () => {
    const run = await script('lint', DEFAULT);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`${DEFAULT}: clean (22 questions, locales en, zh-CN)\n`);
  });

  it('lint: exit 1 with file:line:col  code  message for each finding', async () => {
    const file = 'test/fixtures/scripts/score-out-of-range.yaml';
    const run = await script('lint', file);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([
      `${file}:10:5  total_out_of_range  answers can add up to 12 for 'distress', above its max 6`,
      `${file}:32:11  score_out_of_range  9 points for 'distress' is outside its range 0-6`,
    ]);
  });

  it('lint: a problem in an option list two questions share is reported once, naming both', async () => {
    const file = 'test/fixtures/scripts/shared-options.yaml';
    const run = await script('lint', file);
    expect(run).toMatchObject({ code: 1, stderr: '1 finding\n' });
    expect(run.stdout).toBe(
      `${file}:21:30  missing_translation  questions[0].options[1].label is missing the zh-CN translation (shared by 'q1', 'q1_again')\n`,
    );
  });

  it('lint: exit 2 for a file that does not exist', async () => {
    const run = await script('lint', 'conversation-scripts/nope.yaml');
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('cannot read conversation-scripts/nope.yaml: no such file');
  });

  it('simulate: exit 2 for invalid YAML, with its position', async () => {
    const run = await script('simulate', 'test/fixtures/scripts/yaml-syntax.yaml', '--answers', '0');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('test/fixtures/scripts/yaml-syntax.yaml:34:1  yaml_syntax  invalid YAML');
  });

  it('simulate: exit 2 for an unknown locale', async () => {
    const run = await script('simulate', DEFAULT, '--locale', 'fr', '--answers', '0');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown locale 'fr'; this script has en, zh-CN");
  });

  it('simulate: runs the answers and prints the path, scores, level and why', async () => {
    const run = await script(
      'simulate',
      DEFAULT,
      '--locale',
      'zh-CN',
      '--answers',
      '4,4,3,3,2,2,是,否,否,否,是的，现在就有',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'path: k6_on_edge > k6_no_hope > k6_unsettled > k6_low > k6_effort > k6_worth > asq_wish_dead > asq_burden > asq_thoughts > asq_attempt > asq_now',
    );
    expect(run.stdout).toContain('distress: 18 of 0-24, band serious -> high');
    expect(run.stdout).toContain('level: imminent');
    expect(run.stdout).toContain('imminent: critical rule asq_acute (asq_now=yes_now)');
    expect(run.stdout).toContain('您的安全最重要');
  });
});

/** The same command in-process, with typed lines for the interactive mode. */
async function inProcess(
  args: string[],
  typed: string[] = [],
  readText: (file: string) => Promise<string> = (file) => readFile(`${root}${file}`, 'utf8'),
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: TScriptCommandIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readText,
    input: () =>
      (async function* lines() {
        yield* typed;
      })(),
  };
  const code = await runScriptCommand(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('script command, in process', () => {
  it('asks in the terminal, re-asking what does not fit', async () => {
    const typed = [
      '0',
      '0',
      '0',
      '0',
      '0',
      'sometimes?',
      '0',
      'n',
      'n',
      'n',
      'n',
      '0',
      '0',
      '0',
      'Money and debt',
      'Riverside',
      'All good, thanks',
    ];
    const run = await inProcess(['simulate', DEFAULT, '--locale', 'en'], typed);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('(not taken: it is not one of the options, please try again)');
    expect(run.out).toContain('    4. Nearly all the time  (nearly_always)');
    expect(run.out).toContain('level: none');
  });

  it('stops with exit 2 when typed input ends early', async () => {
    const run = await inProcess(['simulate', DEFAULT], ['0']);
    expect(run).toMatchObject({ code: 2, err: 'error: input ended before the script did' });
  });

  it.each([
    [
      ['simulate', DEFAULT, '--answers', '0,0,maybe'],
      "answer 3 ('maybe') for 'k6_unsettled' was not accepted: it is not one of the options",
    ],
    [['simulate', DEFAULT, '--fast'], "Unknown option '--fast'"],
    [['simulate', DEFAULT, '--answers', '0,0'], "ran out of answers after 2; 'k6_unsettled' still needs one"],
    [['simulate', DEFAULT, '--answers', '0,0,0,0,0,0,no,no,no,yes,yes_now,extra'], '1 answer(s) left over'],
    [
      ['simulate', DEFAULT, '--answers', '0,0,0,0,0,0,no,no,no,no,0,0,0,8,8,'],
      "answer 16 ('') for 'closing' was not accepted",
    ],
    [['lint', DEFAULT, '--locale', 'en'], 'lint takes no --locale or --answers'],
    [['publish', DEFAULT], "unknown command 'publish'"],
    [[], 'no command given'],
    [['lint'], 'no script file given'],
    [['lint', DEFAULT, 'other.yaml'], "unexpected argument 'other.yaml'"],
  ])('%j: exit 2, %s', async (args, message) => {
    const run = await inProcess(args);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
  });

  it('lint: a schema problem in a shared option list is reported once too', async () => {
    const file = 'test/fixtures/scripts/shared-options.yaml';
    const withColour = async () =>
      (await readFile(`${root}${file}`, 'utf8')).replace(
        'label: { en: Bad }, scores',
        'label: { en: Bad, zh-CN: 不好 }, colour: red, scores',
      );
    expect(await inProcess(['lint', file], [], withColour)).toEqual({
      code: 1,
      out: `${file}:21:61  unknown_field  questions[0].options[1]: unknown field 'colour' (shared by 'q1', 'q1_again')`,
      err: '1 finding',
    });
  });

  it('splits answers on commas, keeping escaped ones', () => {
    expect(splitAnswers('a,b\\,c,,d')).toEqual(['a', 'b,c', '', 'd']);
  });
});
