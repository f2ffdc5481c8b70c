import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  lintScriptText,
  startScript,
  submitAnswer,
  type TAnswer,
  type TDoneStep,
  type TExplanation,
  type TFinding,
  type TQuestionStep,
  type TReaskReason,
  type TReaskStep,
  type TScript,
  type TScriptResult,
} from '../domain/script/index.ts';

/** Where the command reads and writes, so tests can run it without a terminal. */
export type TScriptCommandIo = {
  out: (line: string) => void;
  err: (line: string) => void;
  readText: (file: string) => Promise<string>;
  /** Lines typed by the admin, for interactive simulation. */
  input: () => AsyncIterator<string>;
};

export const USAGE = [
  'usage:',
  '  script lint <file>',
  '  script simulate <file> [--locale <locale>] [--answers a,b,c]',
  '',
  'simulate without --answers asks each question in the terminal. Each answer is an option id, its label,',
  'its number, or free text; write \\, for a comma inside an answer.',
].join('\n');

/** Exit codes: 0 clean / finished, 1 lint findings, 2 the command could not do its job. */
const EXIT = { ok: 0, findings: 1, error: 2 } as const;

/**
 * The `script` admin command: lint a script file, or walk through it as a resident would.
 *
 * @example await runScriptCommand(['lint', 'conversation-scripts/default.yaml'], processIo()) // 0
 */
export async function runScriptCommand(args: string[], io: TScriptCommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(args);
  } catch (error) {
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    io.err(USAGE);
    return EXIT.error;
  }
  const { values, positionals } = parsed;
  const [command, file, ...extra] = positionals;
  if (values.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (command !== 'lint' && command !== 'simulate') {
    io.err(command === undefined ? 'error: no command given' : `error: unknown command '${command}'`);
    io.err(USAGE);
    return EXIT.error;
  }
  if (file === undefined || extra.length > 0) {
    io.err(file === undefined ? 'error: no script file given' : `error: unexpected argument '${extra[0]}'`);
    io.err(USAGE);
    return EXIT.error;
  }
  if (command === 'lint' && (values.locale !== undefined || values.answers !== undefined)) {
    io.err('error: lint takes no --locale or --answers');
    return EXIT.error;
  }

  let text: string;
  try {
    text = await io.readText(file);
  } catch (error) {
    io.err(`error: cannot read ${file}: ${describeReadError(error)}`);
    return EXIT.error;
  }

  const checked = lintScriptText(text);
  if (command === 'lint') {
    if (checked.findings.length === 0) {
      const questions = checked.script?.questions.length ?? 0;
      io.out(`${file}: clean (${questions} questions, locales ${checked.script?.locales.join(', ')})`);
      return EXIT.ok;
    }
    for (const finding of checked.findings) io.out(formatFinding(file, finding));
    io.err(`${checked.findings.length} finding${checked.findings.length === 1 ? '' : 's'}`);
    return EXIT.findings;
  }

  if (checked.script === null) {
    io.err(`error: ${file} is not a valid script:`);
    for (const finding of checked.findings) io.err(formatFinding(file, finding));
    return EXIT.error;
  }
  if (checked.findings.length > 0) {
    io.err(`warning: ${file} has ${checked.findings.length} lint finding(s); run 'script lint ${file}'`);
  }
  const locale = values.locale ?? checked.script.locales[0] ?? '';
  const answers = values.answers === undefined ? undefined : splitAnswers(values.answers);
  return simulate(checked.script, locale, answers, io);
}

function parseCommandLine(args: string[]) {
  return parseArgs({
    args,
    options: {
      locale: { type: 'string' },
      answers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

function describeReadError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

export function formatFinding(file: string, finding: TFinding): string {
  return `${file}:${finding.line}:${finding.col}  ${finding.code}  ${finding.message}`;
}

/** Splits `a,b\,c` into `['a', 'b,c']`. */
export function splitAnswers(list: string): string[] {
  return list.split(/(?<!\\),/u).map((answer) => answer.replaceAll('\\,', ','));
}

const REASK_TEXT: Record<TReaskReason, string> = {
  empty: 'the answer is empty',
  too_long: 'the answer is too long',
  not_an_option: 'it is not one of the options',
  ambiguous: 'it fits more than one option',
};

async function simulate(
  script: TScript,
  locale: string,
  answers: string[] | undefined,
  io: TScriptCommandIo,
): Promise<number> {
  const started = startScript(script, locale);
  if (!started.ok) {
    io.err(`error: unknown locale '${locale}'; this script has ${script.locales.join(', ')}`);
    return EXIT.error;
  }
  const lines = answers === undefined ? io.input() : undefined;
  let step: TQuestionStep | TReaskStep | TDoneStep = started.step;
  let given = 0;
  while (step.type !== 'done') {
    if (step.type === 'question') printQuestion(step, io, answers === undefined);
    let answer: string;
    if (answers !== undefined) {
      const next = answers[given];
      if (next === undefined) {
        io.err(`error: ran out of answers after ${given}; '${step.question.id}' still needs one`);
        return EXIT.error;
      }
      answer = next;
    } else {
      const next = await lines?.next();
      if (next === undefined || next.done) {
        io.err('error: input ended before the script did');
        return EXIT.error;
      }
      answer = next.value;
    }
    given += 1;
    step = submitAnswer(script, step.state, answer);
    if (step.type === 'reask') {
      const because = REASK_TEXT[step.reason];
      if (answers !== undefined) {
        io.err(
          `error: answer ${given} ('${answer}') for '${step.question.id}' was not accepted: ${because} (${step.reason})`,
        );
        return EXIT.error;
      }
      io.out(`  (not taken: ${because}, please try again)`);
      continue;
    }
    if (answers !== undefined)
      io.out(`  > ${answer}${describeRecorded(step.state.answers[step.state.path.at(-1) ?? ''])}`);
  }
  if (answers !== undefined && given < answers.length) {
    io.err(`error: the script ended after answer ${given}; ${answers.length - given} answer(s) left over`);
    return EXIT.error;
  }
  printResult(step.result, io);
  return EXIT.ok;
}

function describeRecorded(answer: TAnswer | undefined): string {
  if (answer === undefined) return '';
  return answer.type === 'option' ? `  (${answer.optionId})` : '  (free text)';
}

/** The whole question when someone is at the keyboard; one line per question in a scripted run. */
function printQuestion(step: TQuestionStep, io: TScriptCommandIo, interactive: boolean): void {
  const { question, progress } = step;
  const heading = `[${progress.answered + 1}/${progress.total}] ${question.id}: ${question.text}`;
  if (!interactive) {
    io.out(heading);
    return;
  }
  io.out('');
  if (question.intro !== undefined) io.out(question.intro);
  io.out(heading);
  question.options.forEach((option, i) => {
    io.out(`    ${option.value ?? i + 1}. ${option.label}  (${option.id})`);
  });
  if (question.kind === 'free_text') io.out(`    (free text, up to ${question.maxLength} characters)`);
}

function printResult(result: TScriptResult, io: TScriptCommandIo): void {
  io.out('');
  io.out(`path: ${result.path.join(' > ')}`);
  io.out('scores:');
  for (const [id, score] of Object.entries(result.scores)) {
    io.out(`  ${id}: ${score.total} of ${score.min}-${score.max}, band ${score.band} -> ${score.level}`);
  }
  io.out(`level: ${result.level}`);
  io.out('why:');
  for (const item of result.explanation) io.out(`  ${explain(item)}`);
  io.out(`outcome (${result.outcome.level}):`);
  if (result.outcome.title !== undefined) io.out(`  ${result.outcome.title}`);
  io.out(`  ${result.outcome.message}`);
  for (const resource of result.outcome.resources) {
    io.out(`  - ${resource.title}${resource.detail === undefined ? '' : `: ${resource.detail}`}`);
  }
}

function explain(item: TExplanation): string {
  if (item.kind === 'band') {
    const answers = item.answers.map((a) => `${a.questionId}=${a.optionId} +${a.points}`).join(', ');
    return `${item.level}: ${item.indicator} ${item.total} is band ${item.band}${answers === '' ? '' : ` (${answers})`}`;
  }
  const because = item.because
    .map((e) => (e.kind === 'answer' ? `${e.questionId}=${e.optionId}` : `${e.indicator} ${e.total}`))
    .join(', ');
  return `${item.level}: critical rule ${item.rule} (${because})`;
}

/** The real terminal and file system. */
export function processIo(): TScriptCommandIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readText: (file) => readFile(file, 'utf8'),
    input: () => {
      const lines = createInterface({ input: process.stdin, terminal: false });
      return lines[Symbol.asyncIterator]();
    },
  };
}
