/**
 * Overall risk levels, lowest first. The order is the meaning: every comparison between levels goes
 * through {@link compareLevels} or {@link maxLevel}, never through string comparison.
 */
export const RISK_LEVELS = ['none', 'low', 'moderate', 'high', 'imminent'] as const;

export type TRiskLevel = (typeof RISK_LEVELS)[number];

/** Negative when `a` is lower than `b`, zero when equal, positive when higher. */
export function compareLevels(a: TRiskLevel, b: TRiskLevel): number {
  return RISK_LEVELS.indexOf(a) - RISK_LEVELS.indexOf(b);
}

/**
 * The higher of the given levels (`none` for none given).
 *
 * @example maxLevel('low', 'high', 'moderate') // 'high'
 */
export function maxLevel(...levels: TRiskLevel[]): TRiskLevel {
  return levels.reduce<TRiskLevel>((top, level) => (compareLevels(level, top) > 0 ? level : top), 'none');
}

export function isRiskLevel(value: unknown): value is TRiskLevel {
  return typeof value === 'string' && (RISK_LEVELS as readonly string[]).includes(value);
}
