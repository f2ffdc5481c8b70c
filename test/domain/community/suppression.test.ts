import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCommunityPicture, SMALL_CELL, type TCell } from '../../../src/domain/community/picture.ts';
import { pinnedCells, protectCells } from '../../../src/domain/community/suppression.ts';
import { RISK_LEVELS } from '../../../src/domain/risk/level.ts';

/**
 * Complementary suppression: no hidden count can be worked out from a total shown beside its parts, in any
 * table of the picture (the page, the CSV and the API all show these cells).
 */
const NOW = new Date('2026-12-05T12:00:00Z');
const WEEKS = ['2026-11-16', '2026-11-23', '2026-11-30'];
const THEMES = ['injustice', 'isolation'];
const BANDS = ['low', 'moderate', 'serious'];
const AREAS = ['harbour', 'riverside', 'old_town'];

type TRow = { week: number; level: string; band: string; themes: string[]; area: string | null };

const ZRow = fc.record({
  week: fc.integer({ min: 0, max: WEEKS.length - 1 }),
  level: fc.constantFrom(...RISK_LEVELS),
  band: fc.constantFrom(...BANDS),
  themes: fc.subarray(THEMES),
  area: fc.constantFrom(null, ...AREAS),
});
// Rows in a few repeated shapes, so that counts land on both sides of 5.
const ZRows = fc
  .array(fc.tuple(ZRow, fc.integer({ min: 1, max: 7 })), { maxLength: 12 })
  .map((groups) => groups.flatMap(([row, times]) => Array.from({ length: times }, () => row)));

const isShown = (cell: TCell | undefined): cell is { count: number } => cell !== undefined && 'count' in cell;

/** `total = parts + remainder` (the remainder known to a reader), with the true counts. */
type TSum = { totals: Array<TCell | undefined>; parts: Array<{ cell: TCell | undefined; value: number }> };

function sumsOf(rows: readonly TRow[]): { picture: ReturnType<typeof buildCommunityPicture>; sums: TSum[] } {
  const picture = buildCommunityPicture(
    rows.map((row) => ({
      day: new Date(`${WEEKS[row.week]}T12:00:00Z`),
      level: row.level,
      bands: { distress: row.band },
      themes: row.themes,
      area: row.area,
    })),
    { now: NOW, weeks: WEEKS.length, themes: THEMES },
  );
  const count = (keep: (row: TRow) => boolean) => rows.filter(keep).length;
  const sums: TSum[] = [];
  WEEKS.forEach((_, week) => {
    const totals = [picture.screenings[week]];
    sums.push({
      totals,
      parts: RISK_LEVELS.map((level) => ({
        cell: picture.levels[level]?.[week],
        value: count((row) => row.week === week && row.level === level),
      })),
    });
    sums.push({
      totals,
      parts: Object.entries(picture.bandsByWeek.distress ?? {}).map(([band, cells]) => ({
        cell: cells[week],
        value: count((row) => row.week === week && row.band === band),
      })),
    });
  });
  for (const [band, cells] of Object.entries(picture.bandsByWeek.distress ?? {}))
    sums.push({
      totals: [picture.bands.distress?.[band]],
      parts: cells.map((cell, week) => ({
        cell,
        value: count((row) => row.week === week && row.band === band),
      })),
    });
  for (const theme of THEMES) {
    sums.push({
      totals: [picture.themeTotals[theme]],
      parts: (picture.themes[theme] ?? []).map((cell, week) => ({
        cell,
        value: count((row) => row.week === week && row.themes.includes(theme)),
      })),
    });
    sums.push({
      totals: [picture.themeTotals[theme]],
      parts: picture.areas.map((area) => ({
        cell: area.themes[theme],
        value: count((row) => row.area === area.area && row.themes.includes(theme)),
      })),
    });
  }
  sums.push({
    totals: picture.screenings,
    parts: picture.areas.map((area) => ({
      cell: area.screenings,
      value: count((row) => row.area === area.area),
    })),
  });
  return { picture, sums };
}

/** Whether some change of the hidden cells by -1, 0 or +1 each, moving `cell`, keeps every sum true. */
function canMove(
  cell: number,
  hidden: readonly number[],
  sums: ReadonlyArray<ReadonlyArray<readonly [number, 1 | -1]>>,
): boolean {
  const total = 3 ** hidden.length;
  for (let code = 0; code < total; code += 1) {
    const change = new Map(hidden.map((id, index) => [id, (Math.floor(code / 3 ** index) % 3) - 1]));
    if (change.get(cell) === 0) continue;
    if (sums.every((terms) => terms.reduce((sum, [id, sign]) => sum + sign * (change.get(id) ?? 0), 0) === 0))
      return true;
  }
  return false;
}

describe('complementary suppression', () => {
  it('hides a part beside a total that would give away a small one (the audit’s two cases)', () => {
    const row = (area: string, level: string, themes: string[] = ['injustice']): TRow => ({
      week: 2,
      level,
      band: 'low',
      themes,
      area,
    });
    // Theme total 7, Riverside 6, Harbour 1: Riverside must not be shown.
    const { picture } = sumsOf([
      ...Array.from({ length: 6 }, () => row('riverside', 'low')),
      row('harbour', 'low'),
    ]);
    expect(picture.areas.find((area) => area.area === 'harbour')?.themes.injustice).toEqual({ fewerThan: 5 });
    expect(picture.areas.find((area) => area.area === 'riverside')?.themes.injustice).toEqual({
      hidden: true,
    });
    // A week of 8 screenings, 7 moderate and 1 high: moderate is hidden with high.
    const week = sumsOf([
      ...Array.from({ length: 7 }, () => row('riverside', 'moderate')),
      row('harbour', 'high'),
    ]);
    expect(week.picture.levels.high?.[2]).toEqual({ fewerThan: 5 });
    expect(week.picture.levels.moderate?.[2]).toEqual({ hidden: true });
  });

  it('keeps a value from following from several sums together, not only from one', () => {
    // A table with row and column totals: rows r1 = x11 + x12 + x13, r2 = x21 + x22; columns c1 = x11 + x21,
    // c2 = x12 + x22, c3 = x13 + x33. Hiding two or more per sum is not enough: r1 + r2 - c1 - c2 = x13.
    const [r1, r2, c1, c2, c3, x11, x12, x13, x21, x22, x33] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const values = [7, 6, 6, 6, 7, 1, 5, 1, 5, 1, 6];
    const sum = (total: number, ...parts: number[]) =>
      [[total, 1] as const, ...parts.map((part) => [part, -1] as const)] as const;
    const sums = [
      sum(r1, x11, x12, x13),
      sum(r2, x21, x22),
      sum(c1, x11, x21),
      sum(c2, x12, x22),
      sum(c3, x13, x33),
    ];
    const states = protectCells(values, sums, { threshold: SMALL_CELL });
    const hidden = states.flatMap((state, cell) => (state === 'small' || state === 'hidden' ? [cell] : []));
    expect(hidden).toEqual(expect.arrayContaining([x11, x13, x22]));
    // Each hidden cell can move (by ±1, others moving with it) with every sum still true: none is fixed.
    for (const cell of hidden) expect(canMove(cell, hidden, sums), `cell ${cell}`).toBe(true);
  });

  it('keeps a small count from being pinned by two sums together, through what each label says of its range', () => {
    // A week: 14 screenings = 7 mid + lo ("not shown", so 5 or more) + hi ("fewer than 5") + 0 without a band;
    // the hi band: 11 = that week's hi + another week's hi ("fewer than 5") + 5. Neither sum alone pins the
    // week's hi; together they do (at most 2 from the first, at least 2 from the second: 2).
    const [S, mid, lo, hi1, rest, T, hi2, hi3] = [0, 1, 2, 3, 4, 5, 6, 7];
    const values = [14, 7, 5, 2, 0, 11, 4, 5];
    const sums = [
      [[S, 1] as const, [mid, -1] as const, [lo, -1] as const, [hi1, -1] as const, [rest, -1] as const],
      [[T, 1] as const, [hi1, -1] as const, [hi2, -1] as const, [hi3, -1] as const],
    ];
    const byHand = ['shown', 'shown', 'hidden', 'small', 'known', 'shown', 'small', 'shown'] as const;
    // The week's hi is pinned, and with it what the sums then give: lo (7 - 2) and the other week's hi (6 - 2).
    expect(pinnedCells(values, sums, [...byHand], SMALL_CELL)).toEqual([lo, hi1, hi2]);
    const states = protectCells(values, sums, { threshold: SMALL_CELL, known: new Set([rest]) });
    expect(states[hi1]).toBe('small');
    expect(pinnedCells(values, sums, states, SMALL_CELL)).toEqual([]);
  });

  it('fails closed when its search runs out: every cell of a sum that holds a hidden one is hidden', () => {
    // total 7 = a 6 + b 1, and an unrelated table 20 = 10 + 10; no search allowed at all.
    const values = [7, 6, 1, 20, 10, 10];
    const sums = [
      [[0, 1] as const, [1, -1] as const, [2, -1] as const],
      [[3, 1] as const, [4, -1] as const, [5, -1] as const],
    ];
    const states = protectCells(values, sums, { threshold: SMALL_CELL, maxWork: 0 });
    expect(states).toEqual(['hidden', 'hidden', 'small', 'shown', 'shown', 'shown']);
  });

  it('makes a large picture in well under a second, and still shows no count under 5', () => {
    // A year of a busy service: 8,000 screenings over 60 areas, one band rare (its total under 5).
    let seed = 9;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const themes = Array.from({ length: 20 }, (_, index) => `t${index}`);
    const rows = Array.from({ length: 8000 }, () => ({
      day: new Date(NOW.getTime() - Math.floor(random() * 83) * 86_400_000),
      level: RISK_LEVELS[Math.floor(random() * 4)] as string,
      bands: { distress: random() < 0.0005 ? 'serious' : random() < 0.5 ? 'low' : 'moderate' },
      themes: themes.filter(() => random() < 0.3),
      area: `a${Math.floor(random() * 60)}`,
    }));
    const startedAt = performance.now();
    const picture = buildCommunityPicture(rows, { now: NOW, weeks: 12, themes });
    expect(performance.now() - startedAt).toBeLessThan(1000);
    const cells = JSON.stringify(picture).match(/"count":\d+/g) ?? [];
    expect(cells.length).toBeGreaterThan(100);
    for (const cell of cells) expect(Number(cell.split(':')[1])).toBeGreaterThanOrEqual(SMALL_CELL);
  });

  it('for any counts, no hidden count can be worked out from a shown total minus its shown parts', () => {
    fc.assert(
      fc.property(ZRows, (rows) => {
        const { picture, sums } = sumsOf(rows);
        for (const { totals, parts } of sums) {
          // Never a count under 5 shown.
          for (const cell of [...totals, ...parts.map((part) => part.cell)])
            if (isShown(cell)) expect(cell.count).toBeGreaterThanOrEqual(SMALL_CELL);
          if (!totals.every(isShown)) continue;
          const hidden = parts.filter((part) => !isShown(part.cell));
          if (hidden.length === 0) continue;
          // What subtraction gives is the hidden parts' sum (plus a remainder, taken as known): it must cover
          // two or more of them, and be 5 or more, so that no one of them (nor a small group) follows.
          expect(hidden.length).toBeGreaterThanOrEqual(2);
          expect(hidden.reduce((total, part) => total + part.value, 0)).toBeGreaterThanOrEqual(SMALL_CELL);
          // A hidden part is never a small count labelled as large, nor the reverse.
          for (const part of hidden)
            expect('fewerThan' in (part.cell as TCell)).toBe(part.value < SMALL_CELL);
        }
        expect(picture.weeks).toEqual(WEEKS);
      }),
      { numRuns: 150 },
    );
  });
});
