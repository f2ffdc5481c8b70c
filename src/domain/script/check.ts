import type { TFinding } from './findings.ts';
import { lintScript } from './lint.ts';
import { parseScriptText } from './parse.ts';
import type { TScript } from './schema.ts';

export type TCheckResult = {
  /** The parsed script when the text and the schema are sound, even if the linter found problems. */
  script: TScript | null;
  /** Every problem, in the order of the text. */
  findings: TFinding[];
};

/**
 * Parses, validates and lints a script's YAML text: every finding with its line and column. What the admin
 * command line and the admin API show before a script may be published.
 *
 * @example
 * const { findings } = lintScriptText(text);
 * const lines = findings.map((f) => `default.yaml:${f.line}:${f.col}  ${f.code}  ${f.message}`);
 */
export function lintScriptText(text: string): TCheckResult {
  const parsed = parseScriptText(text);
  if (!parsed.ok) return { script: null, findings: parsed.findings };
  const findings = parsed.toFindings(lintScript(parsed.script));
  findings.sort((a, b) => a.line - b.line || a.col - b.col);
  return { script: parsed.script, findings };
}

/**
 * A script ready to run: parsed, valid and lint-clean, or the findings that stop it.
 *
 * @example
 * const loaded = loadScript(text);
 * if (!loaded.ok) return refuse(loaded.findings);
 * const started = startScript(loaded.script, 'en');
 */
export function loadScript(
  text: string,
): { ok: true; script: TScript } | { ok: false; findings: TFinding[] } {
  const { script, findings } = lintScriptText(text);
  if (script === null || findings.length > 0) return { ok: false, findings };
  return { ok: true, script };
}
