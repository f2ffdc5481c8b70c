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
  // the community picture
  'community_area',
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

/**
 * One finding per place in the text. YAML anchors let several questions share one list of options (or a
 * label, an outcome's resource), and checks that walk each question meet the same problem there once per
 * question. Issues with the same code at the same place (`placeOf`) reached through different paths are one
 * problem: the first path's issues are kept, their message naming everyone that shares the place.
 *
 * @example
 * mergeSharedIssues(issues, placeOf, nameOf);
 * // [{ code: 'missing_translation', message: "… (shared by 'k6_on_edge', 'k6_no_hope')", path: […] }]
 */
export function mergeSharedIssues<T extends TIssue>(
  issues: readonly T[],
  placeOf: (path: TPath) => string,
  nameOf: (path: TPath) => string,
): T[] {
  const groups = new Map<string, { firstPath: string; paths: Set<string>; names: string[] }>();
  const kept: Array<{ issue: T; group: { names: string[] } }> = [];
  for (const issue of issues) {
    const key = `${issue.code}\0${placeOf(issue.path)}`;
    const path = JSON.stringify(issue.path);
    const group = groups.get(key);
    if (group === undefined) {
      const created = { firstPath: path, paths: new Set([path]), names: [nameOf(issue.path)] };
      groups.set(key, created);
      kept.push({ issue, group: created });
    } else if (path === group.firstPath) {
      // Several problems on one path (e.g. two missing translations) stay several.
      kept.push({ issue, group });
    } else if (!group.paths.has(path)) {
      group.paths.add(path);
      const name = nameOf(issue.path);
      if (!group.names.includes(name)) group.names.push(name);
    }
  }
  return kept.map(({ issue, group }) =>
    group.names.length < 2
      ? issue
      : { ...issue, message: `${issue.message} (shared by ${group.names.join(', ')})` },
  );
}
