/**
 * Complementary (secondary) suppression for the community picture. Hiding each count under 5 on its own is
 * not enough when totals are shown beside their parts: a theme total of 7 beside Riverside's 6 gives
 * Harbour's 1 by subtraction. So the figures are checked as a system of sums, and further cells are hidden,
 * smallest first, until no hidden value can be worked out.
 *
 * What is checked, for every published sum (`total = part + part + …`):
 * - no hidden cell follows from the sums by any linear combination (a reduced row echelon form of the
 *   sums restricted to the hidden cells has no row with a single entry), which covers "total minus its
 *   shown parts" and its combinations across tables (a week's levels against its bands, a band's weeks
 *   against its total);
 * - within each sum, the hidden cells on one side add up to 5 or more (else their small sum is itself
 *   the disclosure, and 0 would pin every one of them), and none is pinned by the bounds a reader knows
 *   (a cell "fewer than 5" lies in 0–4, a cell "not shown" is 5 or more): two cells "fewer than 5" that
 *   must add up to 8 are both 4.
 * - no hidden cell's range, narrowed from sum to sum until nothing changes, shrinks to one value (see
 *   {@link pinnedCells}): bounds combined across several sums.
 * What is not checked: what only a full linear-programming audit would find (bounds and combinations of sums
 * together); the narrowing above finds what a reader can do by hand.
 * The search is bounded ({@link DEFAULT_MAX_WORK} steps of elimination, a few tens of milliseconds: the picture
 * is made on a request, in the process that also answers residents). When it runs out, or finds no cell whose
 * hiding helps, it fails closed: every cell of every sum that holds a hidden one is hidden, until none is left
 * beside a hidden cell.
 * Every sum may carry a remainder the picture does not publish (screenings without an area, rows of an
 * older script without an indicator); it is treated as known to the reader, which only hides more.
 */

/** How a cell is published. `known`: not published, but assumed known to a reader (never hidden). */
export type TCellState = 'shown' | 'small' | 'hidden' | 'known';

/** A published sum as signed terms that add up to zero: `+1` for the total, `-1` for each part. */
export type TEquation = ReadonlyArray<readonly [cell: number, coefficient: 1 | -1]>;

/**
 * Decides which cells are shown, given their values, the threshold and the sums between them: those under
 * `threshold` are `small`, and `hidden` are the further cells that must go so that no small one can be
 * worked out. `known` cells (remainders) stay as they are.
 *
 * @example
 * // total 7 = Riverside 6 + Harbour 1: Riverside is hidden too.
 * protectCells([7, 6, 1], [[[0, 1], [1, -1], [2, -1]]], { threshold: 5 }) // ['shown', 'hidden', 'small']
 */
export function protectCells(
  values: readonly number[],
  equations: readonly TEquation[],
  options: { threshold: number; known?: ReadonlySet<number>; maxWork?: number },
): TCellState[] {
  const { threshold } = options;
  const budget = { left: options.maxWork ?? DEFAULT_MAX_WORK };
  const states: TCellState[] = values.map((value, cell) =>
    options.known?.has(cell) ? 'known' : value < threshold ? 'small' : 'shown',
  );
  const isHidden = (cell: number) => states[cell] === 'small' || states[cell] === 'hidden';
  const byCell = new Map<number, number[]>();
  equations.forEach((equation, index) => {
    for (const [cell] of equation) byCell.set(cell, [...(byCell.get(cell) ?? []), index]);
  });

  /** The shown cell to hide next for the sums given: a part before a total, smallest first. */
  const nextToHide = (indexes: readonly number[]): number | undefined => {
    let best: { cell: number; rank: number } | undefined;
    for (const index of indexes)
      for (const [cell, coefficient] of equations[index] ?? []) {
        if (states[cell] !== 'shown') continue;
        const rank = (coefficient === 1 ? 1e12 : 0) + (values[cell] ?? 0);
        if (!best || rank < best.rank) best = { cell, rank };
      }
    return best?.cell;
  };

  for (let guard = 0; guard <= values.length; guard += 1) {
    const unsafe = findUnsafe(values, equations, states, isHidden, threshold, budget);
    if (unsafe === undefined) return states;
    if (unsafe === 'out-of-budget') return hideAroundHidden(equations, states, isHidden);
    // Hide a cell of the unsafe sum; failing that, of any sum that touches its hidden cells.
    const near = [
      ...new Set(
        unsafe.flatMap((index) =>
          (equations[index] ?? []).flatMap(([cell]) => (isHidden(cell) ? (byCell.get(cell) ?? []) : [])),
        ),
      ),
    ];
    const cell =
      nextToHide(unsafe) ??
      nextToHide(near) ??
      nextToHide(equations.map((_, index) => index).filter((index) => !unsafe.includes(index)));
    if (cell === undefined) return hideAroundHidden(equations, states, isHidden);
    states[cell] = 'hidden';
  }
  return hideAroundHidden(equations, states, isHidden);
}

/** Elimination steps (a row times its columns) the search may spend before it fails closed. */
export const DEFAULT_MAX_WORK = 2_000_000;

/** Fails closed: hides every shown cell of every sum that holds a hidden one, until no sum mixes the two. */
function hideAroundHidden(
  equations: readonly TEquation[],
  states: TCellState[],
  isHidden: (cell: number) => boolean,
): TCellState[] {
  for (let changed = true; changed; ) {
    changed = false;
    for (const equation of equations) {
      if (!equation.some(([cell]) => isHidden(cell))) continue;
      for (const [cell] of equation)
        if (states[cell] === 'shown') {
          states[cell] = 'hidden';
          changed = true;
        }
    }
  }
  return states;
}

/** The sums (by index) through which a hidden value could be worked out, or undefined when there are none. */
function findUnsafe(
  values: readonly number[],
  equations: readonly TEquation[],
  states: readonly TCellState[],
  isHidden: (cell: number) => boolean,
  threshold: number,
  budget: { left: number },
): number[] | 'out-of-budget' | undefined {
  for (const [index, equation] of equations.entries()) {
    const hidden = equation.filter(([cell]) => isHidden(cell));
    if (hidden.length === 0) continue;
    if (hidden.length === 1) return [index];
    const sides = new Set(hidden.map(([, coefficient]) => coefficient));
    if (sides.size === 1 && hidden.reduce((sum, [cell]) => sum + (values[cell] ?? 0), 0) < threshold)
      return [index];
    if (isPinnedByBounds(values, equation, states, isHidden, threshold)) return [index];
  }
  const pinned = pinnedCells(values, equations, states, threshold, budget);
  if (pinned === 'out-of-budget') return pinned;
  const determined = pinned.length > 0 ? pinned : determinedCells(equations, isHidden, budget);
  if (determined === 'out-of-budget') return determined;
  if (determined.length === 0) return undefined;
  return equations.flatMap((equation, index) =>
    equation.some(([cell]) => determined.includes(cell)) ? [index] : [],
  );
}

/**
 * Whether one sum pins a hidden cell to a single value, given what the reader knows of each hidden cell's
 * range: 0 to `threshold - 1` for a small cell, `threshold` or more for a hidden one.
 */
function isPinnedByBounds(
  values: readonly number[],
  equation: TEquation,
  states: readonly TCellState[],
  isHidden: (cell: number) => boolean,
  threshold: number,
): boolean {
  const bounds = (cell: number): [number, number] =>
    states[cell] === 'small' ? [0, threshold - 1] : [threshold, Number.POSITIVE_INFINITY];
  // Signed sum of what the reader can read (shown and known cells).
  const known = equation.reduce(
    (sum, [cell, coefficient]) => (isHidden(cell) ? sum : sum + coefficient * (values[cell] ?? 0)),
    0,
  );
  const hidden = equation.filter(([cell]) => isHidden(cell));
  return hidden.some(([cell, coefficient]) => {
    let low = 0;
    let high = 0;
    for (const [other, otherCoefficient] of hidden) {
      if (other === cell) continue;
      const [min, max] = bounds(other);
      low += otherCoefficient === 1 ? min : -max;
      high += otherCoefficient === 1 ? max : -min;
    }
    // coefficient * x = -(known + others)
    const [from, to] = coefficient === 1 ? [-known - high, -known - low] : [known + low, known + high];
    const [min, max] = bounds(cell);
    return Math.max(from, min) === Math.min(to, max);
  });
}

/**
 * Hidden cells whose range, as a reader can narrow it from every sum in turn, shrinks to one value: each
 * starts as what its label says (0 to `threshold - 1` for "fewer than", `threshold` or more for "not shown"),
 * and each sum narrows each of its hidden cells from the others' ranges, until nothing changes. Two sums
 * together can pin a cell that neither pins alone (a week's total against its bands, a band's total against
 * its weeks).
 *
 * @example
 * pinnedCells([14, 7, 5, 2, 0, 11, 4, 5], sums, states, 5, { left: 1e6 }) // [3]: 2, from both sums at once
 */
export function pinnedCells(
  values: readonly number[],
  equations: readonly TEquation[],
  states: readonly TCellState[],
  threshold: number,
  budget: { left: number } = { left: Number.POSITIVE_INFINITY },
): number[] | 'out-of-budget' {
  const isHidden = (cell: number) => states[cell] === 'small' || states[cell] === 'hidden';
  const low = new Map<number, number>();
  const high = new Map<number, number>();
  for (const [cell, state] of states.entries()) {
    if (state === 'small') {
      low.set(cell, 0);
      high.set(cell, threshold - 1);
    } else if (state === 'hidden') {
      low.set(cell, threshold);
      high.set(cell, Number.POSITIVE_INFINITY);
    }
  }
  const touching = equations.filter((equation) => equation.some(([cell]) => isHidden(cell)));
  for (let changed = true, pass = 0; changed && pass < 50; pass += 1) {
    changed = false;
    for (const equation of touching) {
      budget.left -= equation.length * 2;
      if (budget.left < 0) return 'out-of-budget';
      // Σ coefficient × cell = 0, with what the reader can read moved to a constant.
      const constant = equation.reduce(
        (sum, [cell, coefficient]) => (isHidden(cell) ? sum : sum + coefficient * (values[cell] ?? 0)),
        0,
      );
      for (const [cell, coefficient] of equation) {
        if (!isHidden(cell)) continue;
        // coefficient × cell = -(constant + Σ others): the others' ranges give this one's.
        let othersLow = constant;
        let othersHigh = constant;
        for (const [other, otherCoefficient] of equation) {
          if (other === cell || !isHidden(other)) continue;
          const [from, to] = [low.get(other) ?? 0, high.get(other) ?? 0];
          othersLow += otherCoefficient === 1 ? from : -to;
          othersHigh += otherCoefficient === 1 ? to : -from;
        }
        const [from, to] = coefficient === 1 ? [-othersHigh, -othersLow] : [othersLow, othersHigh];
        if (from > (low.get(cell) ?? 0)) {
          low.set(cell, Math.ceil(from));
          changed = true;
        }
        if (to < (high.get(cell) ?? 0)) {
          high.set(cell, Math.floor(to));
          changed = true;
        }
      }
    }
  }
  return [...low.keys()].filter((cell) => (low.get(cell) ?? 0) >= (high.get(cell) ?? 0));
}

/** Hidden cells whose value follows from the sums by a linear combination (Gauss–Jordan over the hidden). */
function determinedCells(
  equations: readonly TEquation[],
  isHidden: (cell: number) => boolean,
  budget: { left: number },
): number[] | 'out-of-budget' {
  const columns = [...new Set(equations.flatMap((equation) => equation.map(([cell]) => cell)))].filter(
    isHidden,
  );
  const column = new Map(columns.map((cell, index) => [cell, index]));
  const rows = equations
    .map((equation) => {
      const row: number[] = columns.map(() => 0);
      for (const [cell, coefficient] of equation) {
        const at = column.get(cell);
        if (at !== undefined) row[at] = (row[at] ?? 0) + coefficient;
      }
      return row;
    })
    .filter((row) => row.some((value) => value !== 0));
  const EPSILON = 1e-9;
  let pivotRow = 0;
  for (let at = 0; at < columns.length && pivotRow < rows.length; at += 1) {
    let best = pivotRow;
    for (let r = pivotRow + 1; r < rows.length; r += 1)
      if (Math.abs(rows[r]?.[at] ?? 0) > Math.abs(rows[best]?.[at] ?? 0)) best = r;
    const pivot = rows[best];
    if (!pivot || Math.abs(pivot[at] ?? 0) < EPSILON) continue;
    budget.left -= rows.length * columns.length;
    if (budget.left < 0) return 'out-of-budget';
    [rows[pivotRow], rows[best]] = [pivot, rows[pivotRow] as number[]];
    const scale = pivot[at] ?? 1;
    for (let c = 0; c < columns.length; c += 1) pivot[c] = (pivot[c] ?? 0) / scale;
    for (const [r, row] of rows.entries()) {
      const factor = row[at] ?? 0;
      if (r === pivotRow || Math.abs(factor) < EPSILON) continue;
      for (let c = 0; c < columns.length; c += 1) row[c] = (row[c] ?? 0) - factor * (pivot[c] ?? 0);
    }
    pivotRow += 1;
  }
  return rows.flatMap((row) => {
    const nonZero = [...row.keys()].filter((c) => Math.abs(row[c] ?? 0) > EPSILON);
    const only = nonZero.length === 1 ? columns[nonZero[0] ?? -1] : undefined;
    return only === undefined ? [] : [only];
  });
}
