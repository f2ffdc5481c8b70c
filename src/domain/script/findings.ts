import type { TPath } from './graph.ts';

/**
 * Every kind of problem a script can have. The code is stable (tests, the admin API and the dashboard key on
 * it); the message is for people.
 */
export const FINDING_CODES = [
  // the text itself
  'too_large',
  'yaml_syntax',
  // the schema
  'missing_field',
  'unknown_field',
  'invalid_value',
  // references
  'duplicate_id',
  'unknown_question',
  'unknown_option',
  'unknown_indicator',
  // the flow
  'dead_end',
  'unreachable_question',
  'cycle',
  'condition_not_yet_answered',
  // languages
  'missing_translation',
  'unknown_locale',
  'ambiguous_option',
  // scoring
  'score_out_of_range',
  'total_out_of_range',
  'band_gap',
  'band_overlap',
  'band_outside_range',
  'band_not_monotonic',
  'critical_not_monotonic',
  'no_imminent_path',
] as const;

export type TFindingCode = (typeof FINDING_CODES)[number];

/** A problem found in a parsed script, located by its path in the script. */
export type TIssue = { code: TFindingCode; message: string; path: TPath };

/** A problem located in the YAML text, 1-based. */
export type TFinding = TIssue & { line: number; col: number };

/** Renders a path the way admins read it: `questions[3].options[1].scores.distress`. */
export function formatPath(path: TPath): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`))
    .join('');
}
