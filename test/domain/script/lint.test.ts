import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FINDING_CODES, lintScript, lintScriptText, loadScript } from '../../../src/domain/script/index.ts';
import { loadDefaultScript, readFixture, readRepoFile } from './support.ts';

const fixtureDir = fileURLToPath(new URL('../../fixtures/scripts/', import.meta.url));
const broken = readdirSync(fixtureDir).filter(
  (name) => name.endsWith('.yaml') && name !== 'valid-small.yaml',
);

/** `code@line` for each `# expect: code` comment in a fixture. */
function expectedIn(text: string): string[] {
  return text.split('\n').flatMap((line, i) => {
    const match = /# expect: ([a-z_]+)/u.exec(line);
    return match === null ? [] : [`${match[1]}@${i + 1}`];
  });
}

describe('lint', () => {
  it('finds nothing in the default script', () => {
    expect(lintScriptText(readRepoFile('conversation-scripts/default.yaml')).findings).toEqual([]);
    expect(lintScript(loadDefaultScript())).toEqual([]);
  });

  it('finds nothing in the small valid fixture', () => {
    expect(loadScript(readFixture('valid-small.yaml'))).toMatchObject({ ok: true });
  });

  it.each(broken)('%s: reports exactly the marked findings, on the marked lines', (name) => {
    const text = readFixture(name);
    const { findings } = lintScriptText(text);
    expect(findings.map((f) => `${f.code}@${f.line}`).sort()).toEqual(expectedIn(text).sort());
    for (const finding of findings) {
      expect(finding.col).toBeGreaterThan(0);
      expect(finding.message.length).toBeGreaterThan(10);
    }
    expect(loadScript(text).ok).toBe(false);
  });

  it('has a broken fixture for every finding code but too_large', () => {
    const covered = new Set(
      broken.flatMap((name) => expectedIn(readFixture(name)).map((e) => e.split('@')[0])),
    );
    expect(FINDING_CODES.filter((code) => !covered.has(code))).toEqual(['too_large']);
  });

  it('places findings at the exact column of the offending key or item', () => {
    const at = (name: string) =>
      lintScriptText(readFixture(name)).findings.map((f) => `${f.line}:${f.col} ${f.code}`);
    expect(at('score-out-of-range.yaml')).toContain('32:11 score_out_of_range');
    expect(at('unknown-field.yaml')).toEqual(['33:5 unknown_field']);
    expect(at('dead-end.yaml')).toEqual(['24:9 dead_end']);
    expect(at('unknown-option.yaml')).toEqual(['23:40 unknown_option']);
    expect(at('yaml-duplicate-key.yaml')).toEqual(['5:1 yaml_syntax']);
  });

  it('names the loop in a cycle and the locale in a missing translation', () => {
    const cycle = lintScriptText(readFixture('cycle.yaml')).findings[0];
    expect(cycle?.message).toContain('q1 -> q3 -> q1');
    const missing = lintScriptText(readFixture('missing-translation.yaml')).findings[0];
    expect(missing?.message).toContain('zh-CN');
    expect(missing?.path).toEqual(['questions', 1, 'text']);
  });

  it('checks a question label for every locale, like its text', () => {
    const text = readFixture('valid-small.yaml').replace(
      '  - id: q1\n',
      '  - id: q1\n    label: { en: Mood }\n',
    );
    expect(lintScriptText(text).findings).toMatchObject([
      { code: 'missing_translation', path: ['questions', 0, 'label'] },
    ]);
  });

  it('refuses oversized text before parsing it', () => {
    const { findings } = lintScriptText(`# ${'x'.repeat(600 * 1024)}`);
    expect(findings).toMatchObject([{ code: 'too_large', line: 1, col: 1 }]);
  });

  it('reports a document that is not a mapping, and one that is empty', () => {
    expect(lintScriptText('just words').findings).toMatchObject([{ code: 'invalid_value', line: 1, col: 1 }]);
    expect(lintScriptText('').findings).toMatchObject([{ code: 'invalid_value', line: 1, col: 1 }]);
  });

  it('reports an alias that names no anchor with its position', () => {
    const text = readFixture('valid-small.yaml').replace(
      "    when: { answer: q2, in: ['yes'] }",
      '    when: *nowhere',
    );
    const { findings } = lintScriptText(text);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'yaml_syntax', col: 11 });
    expect(findings[0]?.message).toContain('*nowhere');
  });

  it('reports an alias that comes before its anchor, and takes one that comes after it', () => {
    const text = readFixture('valid-small.yaml');
    const early = `early: *late\n${text}\nlater: &late { x: 1 }\n`;
    const earlyFindings = lintScriptText(early).findings.filter((finding) => finding.code === 'yaml_syntax');
    expect(earlyFindings).toHaveLength(1);
    expect(earlyFindings[0]).toMatchObject({ line: 1, col: 8 });
    const after = `${text}\nlater: &late { x: 1 }\nagain: *late\n`;
    expect(lintScriptText(after).findings.filter((finding) => finding.code === 'yaml_syntax')).toEqual([]);
  });

  it('follows aliases to the anchor, where the fix goes', () => {
    const text = readRepoFile('conversation-scripts/default.yaml');
    const broken = text.replace('label: { en: Never, zh-CN: 从不 }', 'label: { en: Never }');
    const anchorLine =
      text.split('\n').findIndex((line) => line.includes('label: { en: Never, zh-CN: 从不 }')) + 1;
    const { findings } = lintScriptText(broken);
    // The six K6 items share one anchored list of options: one place, one finding, naming all six.
    expect(findings.map((f) => `${f.code}@${f.line}`)).toEqual([`missing_translation@${anchorLine}`]);
    expect(findings[0]?.message).toMatch(
      /\(shared by 'k6_on_edge', 'k6_no_hope', 'k6_unsettled', 'k6_low', 'k6_effort', 'k6_worth'\)$/,
    );
  });

  it('reports a label shared through its own anchor once, naming every question that shows it', () => {
    const text = readRepoFile('conversation-scripts/default.yaml');
    const broken = text.replace(
      'label: &yes_label { en: "Yes", zh-CN: 是 }',
      'label: &yes_label { en: "Yes" }',
    );
    expect(broken).not.toBe(text);
    const { findings } = lintScriptText(broken);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'missing_translation' });
    expect(findings[0]?.message.match(/'[a-z0-9_]+'/g)?.length).toBeGreaterThan(2);
  });

  it('reports schema problems inside conditions by their own key', () => {
    const text = readFixture('valid-small.yaml').replace(
      '      - when: { answer: q1, in: [fine] }',
      '      - when: { answer: q1, inn: [fine] }',
    );
    expect(lintScriptText(text).findings.map((f) => `${f.line}:${f.col} ${f.code} ${f.message}`)).toEqual([
      "23:9 missing_field questions[0].branch[0].when: 'in' is required",
      "23:29 unknown_field questions[0].branch[0].when: unknown field 'inn'",
    ]);
  });
});
