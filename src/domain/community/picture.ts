import { RISK_LEVELS } from '../risk/level.ts';

/**
 * The community picture: what the service sees across the community, as counts only. Pure: it takes the
 * anonymous tallies of finished screenings and returns counts by week, band, theme and area, with every cell
 * under {@link SMALL_CELL} suppressed — a small count in a small area could point at a person.
 */

/** Cells below this are shown as "fewer than 5", in the page, the CSV and the API alike. */
export const SMALL_CELL = 5;

export type TCell = { count: number } | { fewerThan: typeof SMALL_CELL };

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
    if (row.area !== null) {
      const area = areas.get(row.area) ?? { screenings: 0, highOrAbove: 0, themes: {} };
      area.screenings += 1;
      if (row.level === 'high' || row.level === 'imminent') area.highOrAbove += 1;
      for (const theme of row.themes) area.themes[theme] = (area.themes[theme] ?? 0) + 1;
      areas.set(row.area, area);
    }
  }

  const cells = (counts: readonly number[]) => counts.map(cellOf);
  return {
    weeks,
    screenings: cells(screenings),
    levels: Object.fromEntries(Object.entries(levels).map(([level, counts]) => [level, cells(counts)])),
    bands: Object.fromEntries(
      Object.entries(bands).map(([indicator, byBand]) => [
        indicator,
        Object.fromEntries(Object.entries(byBand).map(([band, counts]) => [band, cellOf(sum(counts))])),
      ]),
    ),
    bandsByWeek: Object.fromEntries(
      Object.entries(bands).map(([indicator, byBand]) => [
        indicator,
        Object.fromEntries(Object.entries(byBand).map(([band, counts]) => [band, cells(counts)])),
      ]),
    ),
    themes: Object.fromEntries(Object.entries(themes).map(([theme, counts]) => [theme, cells(counts)])),
    themeTotals: Object.fromEntries(
      Object.entries(themes).map(([theme, counts]) => [theme, cellOf(sum(counts))]),
    ),
    areas: [...areas.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([area, counts]) => ({
        area,
        screenings: cellOf(counts.screenings),
        highOrAbove: cellOf(counts.highOrAbove),
        themes: Object.fromEntries(options.themes.map((theme) => [theme, cellOf(counts.themes[theme] ?? 0)])),
      })),
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
 * The picture as CSV rows (`section,key,period,count`), suppressed cells as `fewer than 5`.
 *
 * @example communityCsv(picture) // 'section,key,period,count\nscreenings,all,2026-11-30,fewer than 5\n…'
 */
export function communityCsv(picture: TCommunityPicture, groups: readonly TGroupCounts[] = []): string {
  const rows: string[][] = [['section', 'key', 'period', 'count']];
  const text = (cell: TCell) => ('count' in cell ? String(cell.count) : `fewer than ${SMALL_CELL}`);
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
