import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from './options.ts';
import { planRun } from './plan.ts';

const REPO = new URL('../..', import.meta.url).pathname;

describe('the bench command line', () => {
  it('measures scenario 1 in as many rounds as --rounds asks, quick or not', () => {
    const full = parseOptions(['--rounds', '7'], REPO);
    const quick = parseOptions(['--quick', '--rounds=2'], REPO);
    if (full === 'help' || quick === 'help') throw new Error('not help');
    expect(planRun(full).throughput?.rounds).toBe(7);
    expect(planRun(quick).throughput?.rounds).toBe(2);
  });

  it('keeps its own rounds without --rounds: three, and one in a quick run', () => {
    const full = parseOptions([], REPO);
    const quick = parseOptions(['--quick'], REPO);
    if (full === 'help' || quick === 'help') throw new Error('not help');
    expect(planRun(full).throughput?.rounds).toBe(3);
    expect(planRun(quick).throughput?.rounds).toBe(1);
  });

  it.each([['0'], ['21'], ['2.5'], ['many'], ['-1']])(
    'refuses --rounds %s, saying what it takes',
    (value) => {
      expect(() => parseOptions(['--rounds', value], REPO)).toThrow(UsageError);
      expect(() => parseOptions(['--rounds', value], REPO)).toThrow(
        /--rounds must be a whole number from 1 to 20/,
      );
    },
  );

  it('refuses --rounds without a value and given twice', () => {
    expect(() => parseOptions(['--rounds'], REPO)).toThrow(/--rounds needs a value/);
    expect(() => parseOptions(['--rounds', '2', '--rounds', '3'], REPO)).toThrow(/given twice/);
  });
});
