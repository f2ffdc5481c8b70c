import { describe, expect, it } from 'vitest';
import { BandChart, BarChart, StackedColumns } from '../../src/server/dashboard-charts.tsx';

/** The dashboard's SVG charts: readable without colour — patterns and markers, a legend, figures in words. */
const html = (element: { toString(): string | Promise<string> }) => String(element.toString());

/** The fills of the chart's own `<rect>`s (not the patterns' insides), in order. */
const fillsOf = (svg: string) =>
  [...svg.replace(/<defs>.*?<\/defs>/gs, '').matchAll(/<rect[^>]*fill="([^"]+)"/g)].map((match) => match[1]);

describe('dashboard charts', () => {
  it('stacks series that differ by pattern, not shade alone, each named in a legend beside its swatch', () => {
    const svg = html(
      StackedColumns({
        title: 'Cases per day',
        periods: ['12-01', '12-02'],
        series: [
          { name: 'LOW risk', values: [2, 1] },
          { name: 'HIGH risk', values: [1, 3] },
          { name: 'IMMINENT risk', values: [1, 0] },
        ],
      }),
    );
    for (const id of ['hatch', 'dots', 'cross']) expect(svg).toContain(`<pattern id="${id}"`);
    // Every legend swatch has the fill of its series, and no two series share one.
    const legend = [
      ...svg.matchAll(/<rect[^>]*width="14"[^>]*fill="([^"]+)"[^>]*\/?>(?:<\/rect>)?<text[^>]*>([^<]+)</g),
    ].map((match) => [match[1], match[2]]);
    expect(legend.map(([, name]) => name)).toEqual(['LOW risk', 'HIGH risk', 'IMMINENT risk']);
    const swatches = legend.map(([fill]) => fill);
    expect(new Set(swatches).size).toBe(3);
    expect(swatches.filter((fill) => fill?.startsWith('url(#'))).toHaveLength(2);
    expect(fillsOf(svg)).toEqual(expect.arrayContaining(swatches));
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-label="Cases per day"');
  });

  it('writes each bar’s figure in words, beside it and in the chart’s label', () => {
    const svg = html(
      BarChart({
        title: 'Screenings',
        bars: [
          { label: 'Riverside', value: 6, text: '6' },
          { label: 'Harbour', value: 0, text: 'fewer than 5' },
        ],
      }),
    );
    expect(svg).toContain('aria-label="Screenings: Riverside 6; Harbour fewer than 5"');
    expect(svg).toMatch(/>Riverside<\/text>/);
    expect(svg).toMatch(/>fewer than 5<\/text>/);
    expect(svg).toContain('<figcaption>Screenings</figcaption>');
  });

  it('marks an indicator’s total on its bands with a marker and the reading in words, bands named and patterned', () => {
    const svg = html(
      BandChart({
        caption: 'Distress: 15 of 24, band serious',
        reading: {
          id: 'distress',
          label: 'Distress',
          total: 15,
          min: 0,
          max: 24,
          band: 'serious',
          bands: [
            { name: 'low', label: 'low', min: 0, max: 7, level: 'none' },
            { name: 'moderate', label: 'moderate', min: 8, max: 12, level: 'low' },
            { name: 'serious', label: 'serious', min: 13, max: 24, level: 'moderate' },
          ],
        },
      }),
    );
    expect(svg).toContain('aria-label="Distress: 15 of 24, band serious"');
    expect(svg).toMatch(/>15 \/ 24<\/text>/);
    // The marker: a triangle over a line at the total, in black whatever the band's fill.
    expect(svg).toMatch(/<path d="M[\d.]+ 20 l-6 -10 h12 z" fill="#111"/);
    for (const band of ['low 0–7', 'moderate 8–12', 'serious 13–24'])
      expect(svg).toContain(`>${band}</text>`);
    expect(new Set(fillsOf(svg)).size).toBe(3);
    expect(fillsOf(svg).some((fill) => fill?.startsWith('url(#'))).toBe(true);
  });
});
