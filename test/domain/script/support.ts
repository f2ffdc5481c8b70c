import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  loadScript,
  startScript,
  submitAnswer,
  type TDoneStep,
  type TScript,
  type TStep,
} from '../../../src/domain/script/index.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export function readRepoFile(relative: string): string {
  return readFileSync(`${root}${relative}`, 'utf8');
}

export function readFixture(name: string): string {
  return readRepoFile(`test/fixtures/scripts/${name}`);
}

/** A script from YAML text that must load clean; the test fails loudly otherwise. */
export function scriptFrom(text: string): TScript {
  const loaded = loadScript(text);
  if (!loaded.ok) throw new Error(`script does not load: ${JSON.stringify(loaded.findings, null, 2)}`);
  return loaded.script;
}

let defaultScript: TScript | undefined;
export function loadDefaultScript(): TScript {
  defaultScript ??= scriptFrom(readRepoFile('conversation-scripts/default.yaml'));
  return defaultScript;
}

/**
 * Answers every question in order and returns the finished step plus each step seen. Throws when an answer
 * is re-asked or answers are left over, which in a test means the expectation is wrong.
 */
export function runThrough(script: TScript, locale: string, answers: readonly string[]) {
  const started = startScript(script, locale);
  if (!started.ok) throw new Error(`cannot start in ${locale}`);
  const steps: TStep[] = [started.step];
  let step: TStep = started.step;
  for (const [i, answer] of answers.entries()) {
    if (step.type === 'done') throw new Error(`script ended before answer ${i + 1} (${answer})`);
    step = submitAnswer(script, step.state, answer);
    steps.push(step);
    if (step.type === 'reask') throw new Error(`answer ${i + 1} (${answer}) re-asked: ${step.reason}`);
  }
  if (step.type !== 'done') throw new Error(`script still asks '${step.question.id}' after all answers`);
  return { done: step as TDoneStep, steps };
}
