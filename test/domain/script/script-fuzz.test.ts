import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { lintScriptText } from '../../../src/domain/script/check.ts';
import { FINDING_CODES } from '../../../src/domain/script/findings.ts';
import { readDefaultScript } from '../../../src/services/script-registry.ts';
import { YAML_CHARACTERS } from '../../helpers/yaml-characters.ts';
import { readFixture } from './support.ts';

/**
 * Script YAML is admin input: mutated text and mutated structures through the parser and linter never throw,
 * and every refusal names a finding code people and tools can key on.
 */
/**
 * The shipped script (27 KB: about 40 ms a parse, so few runs) and a small valid one (most runs, cheaply).
 */
const BASES = [
  { name: 'the default script', text: readDefaultScript(), runs: 30 },
  { name: 'a small script', text: readFixture('valid-small.yaml'), runs: 250 },
] as const;

/** A change to the default script's text, as a hurried edit would make it. */
const textMutation = fc.oneof(
  fc.nat().map((at) => (lines: string[]) => lines.toSpliced(at % lines.length, 1)),
  fc
    .nat()
    .map((at) => (lines: string[]) => lines.toSpliced(at % lines.length, 0, lines[at % lines.length] ?? '')),
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (lines: string[]) => {
    const copy = [...lines];
    const [i, j] = [a % copy.length, b % copy.length];
    [copy[i], copy[j]] = [copy[j] ?? '', copy[i] ?? ''];
    return copy;
  }),
  fc
    .tuple(fc.nat(), fc.nat(), fc.constantFrom(...YAML_CHARACTERS))
    .map(([line, col, character]) => (lines: string[]) => {
      const at = line % lines.length;
      const text = lines[at] ?? '';
      const where = col % (text.length + 1);
      return lines.toSpliced(at, 1, text.slice(0, where) + character + text.slice(where));
    }),
  fc.tuple(fc.nat(), fc.string({ maxLength: 40 })).map(
    ([line, inserted]) =>
      (lines: string[]) =>
        lines.toSpliced(line % lines.length, 0, inserted),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: -4, max: 4 })).map(([line, shift]) => (lines: string[]) => {
    const at = line % lines.length;
    const text = lines[at] ?? '';
    return lines.toSpliced(at, 1, shift >= 0 ? ' '.repeat(shift) + text : text.slice(-shift));
  }),
  fc.nat().map((cut) => (lines: string[]) => lines.slice(0, cut % lines.length)),
);

/** Values of every kind, for a field of the parsed script. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', 0, -1, 1.5, 1e308, [], {}, true, 'imminent', 'q1'),
);

/** Sets `value` at a path chosen by `steps` (each picks a key or index of what is there). */
function mutateStructure(root: unknown, steps: readonly number[], value: unknown): unknown {
  const copy = structuredClone(root);
  let at: unknown = copy;
  for (const [index, step] of steps.entries()) {
    if (typeof at !== 'object' || at === null) break;
    const keys = Object.keys(at);
    if (keys.length === 0) break;
    const key = keys[step % keys.length] as string;
    if (index === steps.length - 1) {
      (at as Record<string, unknown>)[key] = value;
      break;
    }
    at = (at as Record<string, unknown>)[key];
  }
  return copy;
}

/** Checks what the linter says of `text`; true when it found something. */
function expectFindings(text: string): boolean {
  const result = lintScriptText(text);
  for (const finding of result.findings) {
    expect(FINDING_CODES).toContain(finding.code);
    expect(finding.line).toBeGreaterThanOrEqual(1);
  }
  // Refused means said why: no script comes back without a finding.
  if (result.script === null) expect(result.findings.length).toBeGreaterThan(0);
  return result.findings.length > 0;
}

describe.each(BASES)('script YAML under mutation: $name', ({ text: base, runs }) => {
  it('is clean as it is, so the mutations below are what is judged', () => {
    expect(lintScriptText(base).findings).toEqual([]);
  });

  it('mutated text never throws; a refusal always names a finding code', () => {
    const lines = base.split('\n');
    let found = 0;
    fc.assert(
      fc.property(fc.array(textMutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        if (expectFindings(mutations.reduce((text, mutation) => mutation(text), lines).join('\n')))
          found += 1;
      }),
      { numRuns: runs, seed: 20261206 },
    );
    // The mutations do break scripts: what is checked above is the linter's answer to broken text.
    expect(found).toBeGreaterThan(runs / 4);
  });

  it('mutated structures never throw; a refusal always names a finding code', () => {
    const parsed = parse(base) as unknown;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), anyValue), {
          minLength: 1,
          maxLength: 3,
        }),
        (mutations) => {
          const changed = mutations.reduce(
            (script, [steps, value]) => mutateStructure(script, steps, value),
            parsed,
          );
          expectFindings(stringify(changed));
        },
      ),
      { numRuns: Math.ceil(runs * 0.6), seed: 20261207 },
    );
  });
});
