import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildCommunityPicture,
  cellOf,
  communityCsv,
  weekOf,
} from '../../../src/domain/community/picture.ts';
import {
  communityTallyOf,
  parseScriptText,
  scoreAnswers,
  type TScript,
} from '../../../src/domain/script/index.ts';

const NOW = new Date('2026-12-05T12:00:00Z'); // a Saturday
const row = (day: string, level: string, area: string | null, themes: string[] = []) => ({
  day: new Date(`${day}T00:00:00Z`),
  level,
  bands: { distress: level === 'high' ? 'serious' : 'low' },
  themes,
  area,
});

describe('community picture', () => {
  it('suppresses every count under 5, zero included, and keeps larger ones', () => {
    expect([0, 1, 4, 5, 12].map(cellOf)).toEqual([
      { fewerThan: 5 },
      { fewerThan: 5 },
      { fewerThan: 5 },
      { count: 5 },
      { count: 12 },
    ]);
  });

  it('counts by week (Mondays, UTC), level, band, theme and area, over the weeks asked', () => {
    expect(weekOf(NOW)).toBe('2026-11-30');
    expect(weekOf(new Date('2026-11-30T00:00:00Z'))).toBe('2026-11-30');
    const rows = [
      ...Array.from({ length: 6 }, () => row('2026-12-01', 'high', 'riverside', ['revenge'])),
      ...Array.from({ length: 2 }, () => row('2026-11-24', 'none', 'harbour')),
      row('2026-06-01', 'high', 'riverside', ['revenge']), // long ago: not counted
    ];
    const picture = buildCommunityPicture(rows, { now: NOW, weeks: 2, themes: ['revenge', 'isolation'] });
    expect(picture.weeks).toEqual(['2026-11-23', '2026-11-30']);
    expect(picture.screenings).toEqual([{ fewerThan: 5 }, { count: 6 }]);
    // 6 high beside a week's 6 screenings would show the other levels' zeros: hidden too (not "fewer than 5").
    expect(picture.levels.high).toEqual([{ fewerThan: 5 }, { hidden: true }]);
    expect(picture.themes.revenge).toEqual([{ fewerThan: 5 }, { hidden: true }]);
    expect(picture.themeTotals).toEqual({ revenge: { count: 6 }, isolation: { fewerThan: 5 } });
    expect(picture.bands.distress).toEqual({ serious: { count: 6 }, low: { fewerThan: 5 } });
    expect(picture.areas).toEqual([
      {
        area: 'harbour',
        screenings: { fewerThan: 5 },
        highOrAbove: { fewerThan: 5 },
        themes: { revenge: { fewerThan: 5 }, isolation: { fewerThan: 5 } },
      },
      {
        area: 'riverside',
        screenings: { count: 6 },
        highOrAbove: { count: 6 },
        themes: { revenge: { hidden: true }, isolation: { fewerThan: 5 } },
      },
    ]);
  });

  it('writes the same suppressed counts as CSV, never a count under 5', () => {
    const rows = Array.from({ length: 7 }, () => row('2026-12-02', 'low', 'old_town', ['injustice']));
    const csv = communityCsv(buildCommunityPicture(rows, { now: NOW, weeks: 1, themes: ['injustice'] }));
    expect(csv.split('\n')[0]).toBe('section,key,period,count');
    expect(csv).toContain('screenings,all,2026-11-30,7');
    expect(csv).toContain('level,high,2026-11-30,fewer than 5');
    expect(csv).toContain('area-theme,old_town:injustice,all,7');
    expect(csv).not.toMatch(/,[0-4]\n/);
  });

  it('counts "rather not say" at the area question as no area, never as an area row', () => {
    const parsed = parseScriptText(
      readFileSync(new URL('../../../conversation-scripts/default.yaml', import.meta.url), 'utf8'),
    );
    if (!parsed.ok) throw new Error('the default script does not parse');
    const script: TScript = parsed.script;
    const answers = (area: string) => ({ area: { type: 'option' as const, optionId: area } });
    const tally = (area: string) =>
      communityTallyOf(script, answers(area), scoreAnswers(script, answers(area)));
    expect(tally('riverside').area).toBe('riverside');
    expect(tally('rather_not_say').area).toBeUndefined();
    // Tallies stored before this was so still say it: not an area either.
    const rows = Array.from({ length: 6 }, () => row('2026-12-02', 'low', 'rather_not_say'));
    expect(buildCommunityPicture(rows, { now: NOW, weeks: 1, themes: [] }).areas).toEqual([]);
  });
});
