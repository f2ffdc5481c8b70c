import { RISK_LEVELS } from '../risk/level.ts';
import { DECLINED_AREA_OPTION } from '../script/community.ts';
import { protectCells, type TCellState, type TEquation } from './suppression.ts';

/**
 * The community picture: what the service sees across the community, as counts only. Pure: it takes the
 * anonymous tallies of finished screenings and returns counts by week, band, theme and area, with every cell
 * under {@link SMALL_CELL} suppressed — a small count in a small area could point at a person — and the further
 * cells hidden that a small one could be worked out from by subtraction.
 */

/** Cells below this are shown as "fewer than 5", in the page, the CSV and the API alike. */
export const SMALL_CELL = 5;

/**
 * A count as it may be shown: the count itself; `fewerThan` when it is under {@link SMALL_CELL}; `hidden` when
 * it is not small but would let a small count be worked out from a total beside it (complementary
 * suppression, see `protectCells`).
 */
export type TCell = { count: number } | { fewerThan: typeof SMALL_CELL } | { hidden: true };

export type TTallyRow = {
  day: Date;
  level: string;
  bands: Record<string, string>;
  themes: readonly string[];
  area: string | null;
};

export type TCommunityPicture = {
  /** The Mondays (UTC, `YYYY-MM-DD`) of the weeks counted, oldest first. */
  weeks: string[];
  screenings: TCell[];
  /** Per level, per week. */
  levels: Record<string, TCell[]>;
  /** Per indicator, per band, over the whole period. */
  bands: Record<string, Record<string, TCell>>;
  /** Per indicator, per band, per week. */
  bandsByWeek: Record<string, Record<string, TCell[]>>;
  /** Per theme, per week. */
  themes: Record<string, TCell[]>;
  /** Per theme, over the whole period. */
  themeTotals: Record<string, TCell>;
  /** Per area answered: screenings, those at `high` or above, and each theme, over the whole period. */
  areas: Array<{ area: string; screenings: TCell; highOrAbove: TCell; themes: Record<string, TCell> }>;
};

/** A count as it may be shown. */
export function cellOf(count: number): TCell {
  return count < SMALL_CELL ? { fewerThan: SMALL_CELL } : { count };
}

/** Monday of the (UTC) week a day falls in, as `YYYY-MM-DD`. */
export function weekOf(day: Date): string {
  const monday = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  return monday.toISOString().slice(0, 10);
}

/**
 * Counts the tallies of the `weeks` weeks up to `now` (the current week last).
 *
 * @example
 * buildCommunityPicture(rows, { now, weeks: 12, themes: ['injustice', 'isolation'] })
 */
export function buildCommunityPicture(
  rows: readonly TTallyRow[],
  options: { now: Date; weeks: number; themes: readonly string[] },
): TCommunityPicture {
  const last = new Date(`${weekOf(options.now)}T00:00:00Z`);
  const weeks = Array.from({ length: options.weeks }, (_, index) => {
    const monday = new Date(last);
    monday.setUTCDate(monday.getUTCDate() - 7 * (options.weeks - 1 - index));
    return monday.toISOString().slice(0, 10);
  });
  const position = new Map(weeks.map((week, index) => [week, index]));
  const zeros = () => weeks.map(() => 0);
  const screenings = zeros();
  const levels = Object.fromEntries(RISK_LEVELS.map((level) => [level, zeros()]));
  const themes = Object.fromEntries(options.themes.map((theme) => [theme, zeros()]));
  const bands: Record<string, Record<string, number[]>> = {};
  const areas = new Map<
    string,
    { screenings: number; highOrAbove: number; themes: Record<string, number> }
  >();

  for (const row of rows) {
    const index = position.get(weekOf(row.day));
    if (index === undefined) continue;
    screenings[index] = (screenings[index] ?? 0) + 1;
    const byLevel = levels[row.level];
    if (byLevel) byLevel[index] = (byLevel[index] ?? 0) + 1;
    for (const theme of row.themes) {
      const byTheme = themes[theme];
      if (byTheme) byTheme[index] = (byTheme[index] ?? 0) + 1;
    }
    for (const [indicator, band] of Object.entries(row.bands)) {
      const byBand = bands[indicator] ?? {};
      const counts = byBand[band] ?? zeros();
      counts[index] = (counts[index] ?? 0) + 1;
      byBand[band] = counts;
      bands[indicator] = byBand;
    }
    // Tallies written before "rather not say" was read as no answer still carry it: not an area either.
    if (row.area !== null && row.area !== DECLINED_AREA_OPTION) {
      const area = areas.get(row.area) ?? { screenings: 0, highOrAbove: 0, themes: {} };
      area.screenings += 1;
      if (row.level === 'high' || row.level === 'imminent') area.highOrAbove += 1;
      for (const theme of row.themes) area.themes[theme] = (area.themes[theme] ?? 0) + 1;
      areas.set(row.area, area);
    }
  }

  const areaRows = [...areas.entries()].sort(([a], [b]) => a.localeCompare(b));
  const table = createCellTable();
  const cells = (counts: readonly number[]) => counts.map(table.cell);
  const screeningCells = cells(screenings);
  const levelCells = Object.fromEntries(
    Object.entries(levels).map(([level, counts]) => [level, cells(counts)]),
  );
  const bandWeekCells = Object.fromEntries(
    Object.entries(bands).map(([indicator, byBand]) => [
      indicator,
      Object.fromEntries(Object.entries(byBand).map(([band, counts]) => [band, cells(counts)])),
    ]),
  );
  const bandCells = Object.fromEntries(
    Object.entries(bands).map(([indicator, byBand]) => [
      indicator,
      Object.fromEntries(Object.entries(byBand).map(([band, counts]) => [band, table.cell(sum(counts))])),
    ]),
  );
  const themeCells = Object.fromEntries(
    Object.entries(themes).map(([theme, counts]) => [theme, cells(counts)]),
  );
  const themeTotalCells = Object.fromEntries(
    Object.entries(themes).map(([theme, counts]) => [theme, table.cell(sum(counts))]),
  );
  const areaCells = areaRows.map(([area, counts]) => ({
    area,
    screenings: table.cell(counts.screenings),
    highOrAbove: table.cell(counts.highOrAbove),
    themes: Object.fromEntries(options.themes.map((theme) => [theme, table.cell(counts.themes[theme] ?? 0)])),
  }));

  // The sums a reader can check, each with what it leaves out as a remainder they are assumed to know.
  weeks.forEach((_, index) => {
    const at = (byKey: Record<string, number[]>) => Object.values(byKey).map((ids) => ids[index] ?? -1);
    table.sum([screeningCells[index] ?? -1], at(levelCells));
    for (const byBand of Object.values(bandWeekCells)) table.sum([screeningCells[index] ?? -1], at(byBand));
  });
  for (const [indicator, byBand] of Object.entries(bandWeekCells))
    for (const [band, ids] of Object.entries(byBand)) table.sum([bandCells[indicator]?.[band] ?? -1], ids);
  for (const [theme, ids] of Object.entries(themeCells)) table.sum([themeTotalCells[theme] ?? -1], ids);
  if (areaCells.length > 0) {
    table.sum(
      screeningCells,
      areaCells.map((area) => area.screenings),
    );
    table.sum(
      [...(levelCells.high ?? []), ...(levelCells.imminent ?? [])],
      areaCells.map((area) => area.highOrAbove),
    );
    for (const theme of options.themes)
      table.sum(
        [themeTotalCells[theme] ?? -1],
        areaCells.map((area) => area.themes[theme] ?? -1),
      );
  }

  const shown = table.protect();
  const show = (ids: readonly number[]) => ids.map(shown);
  return {
    weeks,
    screenings: show(screeningCells),
    levels: Object.fromEntries(Object.entries(levelCells).map(([level, ids]) => [level, show(ids)])),
    bands: Object.fromEntries(
      Object.entries(bandCells).map(([indicator, byBand]) => [
        indicator,
        Object.fromEntries(Object.entries(byBand).map(([band, id]) => [band, shown(id)])),
      ]),
    ),
    bandsByWeek: Object.fromEntries(
      Object.entries(bandWeekCells).map(([indicator, byBand]) => [
        indicator,
        Object.fromEntries(Object.entries(byBand).map(([band, ids]) => [band, show(ids)])),
      ]),
    ),
    themes: Object.fromEntries(Object.entries(themeCells).map(([theme, ids]) => [theme, show(ids)])),
    themeTotals: Object.fromEntries(Object.entries(themeTotalCells).map(([theme, id]) => [theme, shown(id)])),
    areas: areaCells.map((area) => ({
      area: area.area,
      screenings: shown(area.screenings),
      highOrAbove: shown(area.highOrAbove),
      themes: Object.fromEntries(Object.entries(area.themes).map(([theme, id]) => [theme, shown(id)])),
    })),
  };
}

/**
 * The picture's counts as numbered cells and the sums between them, then each cell as it may be shown
 * (see `protectCells`). A sum's remainder — what its parts leave out of its totals — is a cell of its own,
 * never published but treated as known.
 */
function createCellTable() {
  const values: number[] = [];
  const equations: TEquation[] = [];
  const known = new Set<number>();
  let states: TCellState[] | undefined;
  const add = (count: number) => values.push(count) - 1;
  return {
    cell: add,
    /** `Σ totals = Σ parts + remainder`. */
    sum(totals: readonly number[], parts: readonly number[]) {
      const value = (ids: readonly number[]) => ids.reduce((total, id) => total + (values[id] ?? 0), 0);
      const remainder = add(value(totals) - value(parts));
      known.add(remainder);
      equations.push([
        ...totals.map((id) => [id, 1] as const),
        ...parts.map((id) => [id, -1] as const),
        [remainder, -1] as const,
      ]);
    },
    protect(): (id: number) => TCell {
      states ??= protectCells(values, equations, { threshold: SMALL_CELL, known });
      const decided = states;
      return (id) => {
        const state = decided[id];
        if (state === 'shown') return { count: values[id] ?? 0 };
        return state === 'hidden' ? { hidden: true } : { fewerThan: SMALL_CELL };
      };
    },
  };
}

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

/** A cell as a number for drawing (suppressed: nothing drawn), beside its words in the table. */
export function drawnValue(cell: TCell): number {
  return 'count' in cell ? cell.count : 0;
}

/**
 * The picture as CSV rows (`section,key,period,count`), suppressed cells as `fewer than 5`, cells hidden to
 * protect them as `not shown`.
 *
 * @example communityCsv(picture) // 'section,key,period,count\nscreenings,all,2026-11-30,fewer than 5\n…'
 */
export function communityCsv(picture: TCommunityPicture, groups: readonly TGroupCounts[] = []): string {
  const rows: string[][] = [['section', 'key', 'period', 'count']];
  const text = (cell: TCell) =>
    'count' in cell ? String(cell.count) : 'hidden' in cell ? 'not shown' : `fewer than ${SMALL_CELL}`;
  picture.weeks.forEach((week, index) => {
    rows.push(['screenings', 'all', week, text(picture.screenings[index] ?? cellOf(0))]);
    for (const [level, cells] of Object.entries(picture.levels))
      rows.push(['level', level, week, text(cells[index] ?? cellOf(0))]);
    for (const [theme, cells] of Object.entries(picture.themes))
      rows.push(['theme', theme, week, text(cells[index] ?? cellOf(0))]);
    for (const [indicator, byBand] of Object.entries(picture.bandsByWeek))
      for (const [band, cells] of Object.entries(byBand))
        rows.push(['band', `${indicator}:${band}`, week, text(cells[index] ?? cellOf(0))]);
  });
  for (const [indicator, counts] of Object.entries(picture.bands))
    for (const [band, cell] of Object.entries(counts))
      rows.push(['band', `${indicator}:${band}`, 'all', text(cell)]);
  for (const area of picture.areas) {
    rows.push(['area', area.area, 'all', text(area.screenings)]);
    rows.push(['area-high-or-above', area.area, 'all', text(area.highOrAbove)]);
    for (const [theme, cell] of Object.entries(area.themes))
      rows.push(['area-theme', `${area.area}:${theme}`, 'all', text(cell)]);
  }
  for (const group of groups) {
    rows.push(['group-members', group.slug, 'now', text(group.members)]);
    rows.push(['group-offered', group.slug, 'all', text(group.offered)]);
    rows.push(['group-accepted', group.slug, 'all', text(group.accepted)]);
    picture.weeks.forEach((week, index) => {
      rows.push(['group-joins', group.slug, week, text(group.joins[index] ?? cellOf(0))]);
      rows.push(['group-leaves', group.slug, week, text(group.leaves[index] ?? cellOf(0))]);
    });
  }
  // Ids and dates only, never free text: nothing here needs quoting but a comma would.
  return `${rows.map((row) => row.map((field) => (/[",\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',')).join('\n')}\n`;
}

/** A support group's figures on the community picture: cells like every other, under 5 suppressed. */
export type TGroupCounts = {
  slug: string;
  members: TCell;
  /** Per week of the picture. */
  joins: TCell[];
  leaves: TCell[];
  offered: TCell;
  accepted: TCell;
};

/**
 * Each group's members now, joins and leaves per week, and how many of the residents it was offered to
 * joined it.
 *
 * @example groupCounts(groups, events, weeks)
 */
export function groupCounts(
  groups: ReadonlyArray<{ id: number; slug: string; members: number; offered: number; accepted: number }>,
  events: ReadonlyArray<{ groupId: number; type: 'joined' | 'left'; at: Date }>,
  weeks: readonly string[],
): TGroupCounts[] {
  const position = new Map(weeks.map((week, index) => [week, index]));
  return groups.map((group) => {
    const joins = weeks.map(() => 0);
    const leaves = weeks.map(() => 0);
    for (const event of events) {
      if (event.groupId !== group.id) continue;
      const index = position.get(weekOf(event.at));
      if (index === undefined) continue;
      const counts = event.type === 'joined' ? joins : leaves;
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return {
      slug: group.slug,
      members: cellOf(group.members),
      joins: joins.map(cellOf),
      leaves: leaves.map(cellOf),
      offered: cellOf(group.offered),
      accepted: cellOf(group.accepted),
    };
  });
}
