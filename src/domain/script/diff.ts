import type { TScript } from './schema.ts';

/**
 * What changed from one version of a script to another, one line per change, in the order a reviewer reads a
 * script: indicators, questions (text and label per locale, options, their labels and scores, where they lead),
 * critical rules, outcomes. Empty when nothing did.
 *
 * @example diffScripts(v1, v2) // ['question k6_on_edge: text (en): "Tense?" → "Nervous?"', 'option …']
 */
export function diffScripts(before: TScript, after: TScript): string[] {
  const lines: string[] = [];
  diffRecord(lines, 'indicator', before.indicators, after.indicators);
  const beforeQuestions = new Map(before.questions.map((question) => [question.id, question]));
  const afterQuestions = new Map(after.questions.map((question) => [question.id, question]));
  for (const id of beforeQuestions.keys()) if (!afterQuestions.has(id)) lines.push(`question ${id}: removed`);
  for (const [id, question] of afterQuestions) {
    const old = beforeQuestions.get(id);
    if (!old) {
      lines.push(`question ${id}: added`);
      continue;
    }
    diffTexts(lines, `question ${id}: text`, old.text, question.text);
    diffTexts(lines, `question ${id}: label`, old.label, question.label);
    if (old.kind !== question.kind) lines.push(`question ${id}: kind ${old.kind} → ${question.kind}`);
    const oldOptions = new Map(old.options.map((option) => [option.id, option]));
    const newOptions = new Map(question.options.map((option) => [option.id, option]));
    for (const optionId of oldOptions.keys())
      if (!newOptions.has(optionId)) lines.push(`question ${id}: option ${optionId} removed`);
    for (const [optionId, option] of newOptions) {
      const was = oldOptions.get(optionId);
      if (!was) {
        lines.push(`question ${id}: option ${optionId} added`);
        continue;
      }
      diffTexts(lines, `question ${id}: option ${optionId} label`, was.label, option.label);
      if (json(was.scores) !== json(option.scores))
        lines.push(`question ${id}: option ${optionId} scores ${json(was.scores)} → ${json(option.scores)}`);
    }
    if (json([old.next, old.branch]) !== json([question.next, question.branch]))
      lines.push(`question ${id}: where it leads changed`);
  }
  const beforeOrder = before.questions.map((question) => question.id).join(',');
  const afterOrder = after.questions.map((question) => question.id).join(',');
  if (beforeOrder !== afterOrder && lines.every((line) => !/: (added|removed)$/.test(line)))
    lines.push('questions: order changed');
  diffRecord(
    lines,
    'rule',
    Object.fromEntries(before.critical.map((rule) => [rule.id, rule])),
    Object.fromEntries(after.critical.map((rule) => [rule.id, rule])),
  );
  diffRecord(lines, 'outcome', before.outcomes, after.outcomes);
  return lines;
}

function diffTexts(
  lines: string[],
  what: string,
  before: Readonly<Record<string, string>> | undefined,
  after: Readonly<Record<string, string>> | undefined,
): void {
  const locales = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const locale of locales) {
    const was = before?.[locale];
    const now = after?.[locale];
    if (was !== now) lines.push(`${what} (${locale}): ${json(was)} → ${json(now)}`);
  }
}

function diffRecord(lines: string[], what: string, before: object, after: object): void {
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  for (const key of Object.keys(a)) if (!(key in b)) lines.push(`${what} ${key}: removed`);
  for (const key of Object.keys(b)) {
    if (!(key in a)) lines.push(`${what} ${key}: added`);
    else if (json(a[key]) !== json(b[key])) lines.push(`${what} ${key}: changed`);
  }
}

function json(value: unknown): string {
  return value === undefined ? '—' : JSON.stringify(value);
}
