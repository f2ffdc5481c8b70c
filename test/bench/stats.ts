/**
 * The few statistics the bench prints. Percentiles interpolate between ranks (as most load tools do), so
 * a p99 of 50 samples still moves when its slowest sample does; callers say how many samples a figure has.
 */

/**
 * The `p`-th percentile (0-100) of `values`, or undefined when there are none.
 *
 * @example
 * percentile([10, 20, 30, 40], 50); // 25
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (Math.min(Math.max(p, 0), 100) / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

/** The median, or undefined for no values. */
export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

/** The median of the values that were measured; undefined when none was. */
export function medianOf(values: ReadonlyArray<number | undefined>): number | undefined {
  return median(values.filter((value): value is number => value !== undefined && Number.isFinite(value)));
}

/** `a ÷ b`, or undefined when either is missing or `b` is zero. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b)) {
    return undefined;
  }
  return a / b;
}

/**
 * A number for the table: three significant figures at most, so 0.0123, 1.23, 123 and 12,300 all read
 * at a glance.
 *
 * @example
 * formatNumber(1234.5); // '1,235'
 * formatNumber(0.01234); // '0.0123'
 */
export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  const digits = Math.max(0, 2 - Math.floor(Math.log10(magnitude)));
  return value.toFixed(Math.min(digits, 6));
}

/**
 * A ratio as the table shows it: `0.42×`.
 *
 * @example
 * formatRatio(2 / 3); // '0.667×'
 */
export function formatRatio(value: number): string {
  return `${formatNumber(value)}×`;
}
