import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { detectCrisis } from '../../../src/domain/risk/crisis.ts';
import {
  compileCrisisPatterns,
  findRegexHazard,
  parseCrisisPatterns,
  type TCrisisPatternsFile,
  ZCrisisPatterns,
} from '../../../src/domain/risk/crisis-patterns.ts';
import { loadCrisisPatterns } from '../../../src/services/load-risk-data.ts';

function minimal(overrides: Partial<TCrisisPatternsFile> = {}): TCrisisPatternsFile {
  return {
    locale: 'en',
    version: 1,
    boundaries: { sentence: '[.!?\\n]', clause: '[,]' },
    patterns: [
      { id: 'self.test', kind: 'self', level: 'concern', description: 'Test', regex: '\\bwant to die\\b' },
    ],
    negation: { window: 20, cues: [{ id: 'neg.not', regex: '\\bnot\\b' }] },
    reported: { cues: [], firstPerson: [] },
    past: { cues: [] },
    ...overrides,
  };
}

function errorsOf(doc: unknown): string[] {
  const result = compileCrisisPatterns(doc);
  return result.ok ? [] : result.errors;
}

describe('ZCrisisPatterns', () => {
  it('accepts the shipped files', () => {
    for (const locale of ['en', 'zh-CN']) {
      const result = loadCrisisPatterns(locale);
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  it('accepts a minimal file and compiles it into a working detector', () => {
    const result = parseCrisisPatterns(stringify(minimal()));
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(detectCrisis('I WANT TO DIE', result.value).level).toBe('concern');
    expect(detectCrisis('I do not want to die', result.value).level).toBe('none');
  });

  it('rejects an invalid regex, naming where and which pattern', () => {
    const errors = errorsOf(
      minimal({
        patterns: [
          { id: 'self.broken', kind: 'self', level: 'concern', description: 'x', regex: '(unclosed' },
        ],
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^patterns\.0\.regex: invalid regex: .*\(id "self\.broken"\)$/);
  });

  it('rejects an unknown kind or level', () => {
    const errors = errorsOf(
      minimal({
        patterns: [
          // @ts-expect-error: testing bad input
          { id: 'x.kind', kind: 'world', level: 'concern', description: 'x', regex: 'a' },
          // @ts-expect-error: testing bad input
          { id: 'x.level', kind: 'self', level: 'severe', description: 'x', regex: 'a' },
        ],
      }),
    );
    expect(errors.join('\n')).toMatch(/patterns\.0\.kind: .*"self"/);
    expect(errors.join('\n')).toMatch(/patterns\.1\.level: .*"imminent"/);
  });

  it('rejects unknown keys (typos), duplicate ids and unknown macros', () => {
    const errors = errorsOf({
      ...minimal(),
      patern: [],
      macros: { A: 'x{{B}}' },
      patterns: [
        { id: 'self.a', kind: 'self', level: 'concern', description: 'x', regex: 'a{{NOPE}}' },
        { id: 'self.a', kind: 'self', level: 'concern', description: 'x', regex: 'b' },
      ],
    });
    const text = errors.join('\n');
    expect(text).toMatch(/patern/);
    expect(text).toMatch(/duplicate id "self\.a"/);
    expect(text).toMatch(/unknown macro \{\{NOPE\}\}/);
    expect(text).toMatch(/macros\.A: macro \{\{B\}\} is unknown/);
  });

  it('rejects catastrophic-backtracking shapes, empty matches and upper-case letters', () => {
    const bad = (regex: string) =>
      errorsOf(
        minimal({ patterns: [{ id: 'self.x', kind: 'self', level: 'concern', description: 'x', regex }] }),
      );
    expect(bad('(a+)+b').join()).toMatch(/catastrophic/);
    expect(bad('(?:\\w+ )*die').join()).toMatch(/catastrophic/);
    expect(bad('(a)\\1').join()).toMatch(/back-references/);
    expect(bad('x?').join()).toMatch(/empty string/);
    expect(bad('I want').join()).toMatch(/lower case/);
    expect(bad('\\W\\p{Script=Han}(?:\\w+ ){0,3}die')).toEqual([]);
  });

  it('reports YAML syntax errors without throwing', () => {
    const result = parseCrisisPatterns('locale: en\npatterns: [');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors[0]).toMatch(/^YAML: /);
  });

  it('matches lexicon terms literally, longest first, wherever {{NAME}} is used', () => {
    const result = compileCrisisPatterns(
      minimal({
        lexicons: { TOOL: ['bat', 'baseball bat', 'c++ book', 'gas can'] },
        patterns: [
          {
            id: 'others.tool',
            kind: 'others',
            level: 'concern',
            description: 'Brings a tool',
            regex: '\\bbring(?:ing)? (?:a|the) {{TOOL}}\\b',
          },
        ],
      }),
    );
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const span = (text: string) => detectCrisis(text, result.value).reasons[0]?.span.text;
    expect(span('bringing a baseball bat')).toBe('bringing a baseball bat');
    expect(span('bring the c++ book')).toBe('bring the c++ book');
    expect(span('bring the c book')).toBeUndefined();
  });

  it('rejects bad lexicons with the list and term named', () => {
    const clashes = errorsOf(
      minimal({ macros: { TOOL: 'x' }, lexicons: { TOOL: ['hammer', 'rope', 'rope'] } }),
    );
    expect(clashes).toEqual([
      'lexicons.TOOL: "TOOL" is both a lexicon and a macro; rename one',
      'lexicons.TOOL.2: duplicate term "rope"',
    ]);
    const errors = errorsOf(
      minimal({ lexicons: { MEANS: ['Rope', 'rope', ' knife'], lower: ['x'], EMPTY: [] } }),
    ).join('\n');
    expect(errors).toMatch(/lexicons\.MEANS\.0: write lexicon terms in lower case/);
    expect(errors).toMatch(/lexicons\.MEANS\.2: lexicon terms have no leading, trailing or double spaces/);
    expect(errors).toMatch(/lexicons\.lower: lexicon names are UPPER_SNAKE_CASE/);
    expect(errors).toMatch(/lexicons\.EMPTY: a lexicon needs at least one term/);
  });

  it('is usable as a plain zod schema', () => {
    expect(ZCrisisPatterns.safeParse(minimal()).success).toBe(true);
    expect(ZCrisisPatterns.safeParse({ locale: 'en' }).success).toBe(false);
  });
});

describe('findRegexHazard', () => {
  it.each([
    ['(a+)+', true],
    ['(a*)*', true],
    ['(?:a|b+){2,}', true],
    ['(?:\\w+ ){0,3}', false],
    ['(?:ab)+', false],
    ['[(+]+(a)', false],
    ['\\(a+\\)+', false],
  ])('%s → hazard %s', (source, hazard) => {
    expect(findRegexHazard(source) !== undefined).toBe(hazard);
  });
});

describe('loadCrisisPatterns', () => {
  it('names the file when it is missing', () => {
    const result = loadCrisisPatterns('fr');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.errors[0]).toMatch(/fr\.yaml: cannot read \(ENOENT\)/);
  });
});
