import type { TIndicatorReading } from '../services/case-record.ts';

/**
 * Charts drawn on the server as SVG. Each says its figures in words too (labels beside the bars, an
 * `aria-label`), and series differ by pattern as well as shade, so nothing depends on colour alone.
 */

const WIDTH = 480;

/** Fills for series and bands, each distinguishable in grey: plain, hatched, dotted, cross-hatched. */
const FILLS = ['#cfd8e3', 'url(#hatch)', 'url(#dots)', 'url(#cross)', '#8a96a3'] as const;

function PatternDefs() {
  return (
    <defs>
      <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
        <rect width="6" height="6" fill="#f2d0c4" />
        <line x1="0" y1="0" x2="0" y2="6" stroke="#333" stroke-width="2" />
      </pattern>
      <pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse">
        <rect width="6" height="6" fill="#f5e6b8" />
        <circle cx="3" cy="3" r="1.3" fill="#333" />
      </pattern>
      <pattern id="cross" width="6" height="6" patternUnits="userSpaceOnUse">
        <rect width="6" height="6" fill="#e9b3b3" />
        <path d="M0 0L6 6M6 0L0 6" stroke="#333" stroke-width="1" />
      </pattern>
    </defs>
  );
}

/**
 * An indicator's total on its scale: the bands as segments (named under them), a marker at the total, and
 * the reading in words above.
 */
export function BandChart(props: { reading: TIndicatorReading; caption: string }) {
  const { reading } = props;
  const span = Math.max(1, reading.max - reading.min + 1);
  const x = (value: number) => 10 + ((value - reading.min) / span) * (WIDTH - 20);
  const marker = x(Math.min(reading.max, Math.max(reading.min, reading.total)) + 0.5);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} 70`} role="img" aria-label={props.caption}>
        <PatternDefs />
        {reading.bands.map((band, index) => (
          <g>
            <rect
              x={x(band.min)}
              y="22"
              width={Math.max(1, x(band.max + 1) - x(band.min))}
              height="18"
              fill={FILLS[index % FILLS.length]}
              stroke="#333"
            />
            <text x={(x(band.min) + x(band.max + 1)) / 2} y="56" text-anchor="middle">
              {band.label} {band.min}–{band.max}
            </text>
          </g>
        ))}
        <path d={`M${marker} 20 l-6 -10 h12 z`} fill="#111" />
        <line x1={marker} y1="20" x2={marker} y2="42" stroke="#111" stroke-width="3" />
        <text x={Math.min(WIDTH - 100, Math.max(4, marker - 40))} y="9">
          {reading.total} / {reading.max}
        </text>
      </svg>
      <figcaption>{props.caption}</figcaption>
    </figure>
  );
}

export type TBar = { label: string; value: number; text: string };

/** Horizontal bars, each labelled and with its value written at its end. */
export function BarChart(props: { title: string; bars: readonly TBar[]; max?: number }) {
  const max = Math.max(1, props.max ?? Math.max(0, ...props.bars.map((bar) => bar.value)));
  const row = 26;
  const labelWidth = 170;
  const barWidth = WIDTH - labelWidth - 90;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${Math.max(1, props.bars.length) * row + 6}`}
        role="img"
        aria-label={`${props.title}: ${props.bars.map((bar) => `${bar.label} ${bar.text}`).join('; ')}`}
      >
        <PatternDefs />
        {props.bars.map((bar, index) => (
          <g>
            <text x={labelWidth - 6} y={index * row + 18} text-anchor="end">
              {bar.label}
            </text>
            <rect
              x={labelWidth}
              y={index * row + 5}
              width={Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * barWidth)}
              height="16"
              fill={FILLS[0]}
              stroke="#333"
            />
            <text x={labelWidth + (bar.value / max) * barWidth + 6} y={index * row + 18}>
              {bar.text}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}

export type TSeries = { name: string; values: readonly number[] };

/**
 * Counts over time: a column per period, stacked by series, each series with its own fill and a legend;
 * the figures themselves are in the table the page shows beside it.
 */
export function StackedColumns(props: {
  title: string;
  periods: readonly string[];
  series: readonly TSeries[];
}) {
  const totals = props.periods.map((_, index) =>
    props.series.reduce((sum, series) => sum + (series.values[index] ?? 0), 0),
  );
  const max = Math.max(1, ...totals);
  const height = 160;
  const left = 34;
  const column = Math.max(8, Math.min(40, (WIDTH - left - 10) / Math.max(1, props.periods.length)));
  const legendY = height + 34;
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${legendY + 18 * Math.ceil(props.series.length / 3)}`}
        role="img"
        aria-label={props.title}
      >
        <PatternDefs />
        <text x="2" y="12">
          {max}
        </text>
        <text x="2" y={height + 4}>
          0
        </text>
        <line x1={left - 2} y1={height} x2={WIDTH} y2={height} stroke="#333" />
        {props.periods.map((period, index) => {
          let top = height;
          return (
            <g>
              {props.series.map((series, seriesIndex) => {
                const value = series.values[index] ?? 0;
                const h = (value / max) * (height - 10);
                top -= h;
                return value > 0 ? (
                  <rect
                    x={left + index * column + 1}
                    y={top}
                    width={column - 2}
                    height={h}
                    fill={FILLS[seriesIndex % FILLS.length]}
                    stroke="#333"
                  />
                ) : null;
              })}
              {index % Math.ceil(props.periods.length / 8) === 0 ? (
                <text x={left + index * column} y={height + 16}>
                  {period}
                </text>
              ) : null}
            </g>
          );
        })}
        {props.series.map((series, index) => (
          <g>
            <rect
              x={left + (index % 3) * 150}
              y={legendY + Math.floor(index / 3) * 18 - 10}
              width="14"
              height="12"
              fill={FILLS[index % FILLS.length]}
              stroke="#333"
            />
            <text x={left + (index % 3) * 150 + 20} y={legendY + Math.floor(index / 3) * 18}>
              {series.name}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}
