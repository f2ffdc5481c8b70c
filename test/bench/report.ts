/**
 * The markdown report: the machine, one table with every figure beside the references and the ratio it is
 * judged by, and numbered notes saying why a figure is missing or what qualifies it. Long reasons go to the
 * notes so the table stays readable.
 */
import type { TSection } from './figures.ts';
import type { TMachine } from './machine.ts';
import { COLUMN_TITLES, COLUMNS, type TResults } from './results.ts';
import { formatNumber } from './stats.ts';

export type TSessionLog = { label: string; readyMs?: number; note: string };

export type TReportInput = {
  machine: TMachine;
  mode: string;
  rttMs: number;
  durationMs: number;
  sections: TSection[];
  results: TResults;
  sessions: TSessionLog[];
  /** Said once under the table. */
  notes: string[];
};

/**
 * @example
 * process.stdout.write(renderReport({ machine, mode: 'quick', … }));
 */
export function renderReport(input: TReportInput): string {
  const { machine, results } = input;
  const footnotes: string[] = [];
  const footnote = (text: string) => {
    let index = footnotes.indexOf(text);
    if (index === -1) index = footnotes.push(text) - 1;
    return `[${index + 1}]`;
  };

  const lines: string[] = [];
  lines.push(`# Bridgeline benchmark (${input.mode})`);
  lines.push('');
  lines.push(
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.ramGb} GB RAM, Node ${machine.node}, ` +
      `load ${machine.loadAtStart} at start. Bot: ${machine.botDir} (${machine.botCommit}). ` +
      `Bot API round trip ${input.rttMs} ms. Took ${Math.round(input.durationMs / 1000)} s.`,
  );
  lines.push('');
  const header = ['Figure', ...COLUMNS.map((column) => COLUMN_TITLES[column]), 'Judged by', 'Ratio'];
  lines.push(`| ${header.join(' | ')} |`);
  lines.push(`|${header.map((_, i) => (i === 0 || i >= header.length - 2 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const section of input.sections) {
    lines.push(`| **${section.title}** |${' |'.repeat(header.length - 1)}`);
    for (const figure of section.figures) {
      const cells = COLUMNS.map((column) => {
        const cell = results.get(figure.id, column);
        if (!cell) return '—';
        if ('missing' in cell) return `n/a ${footnote(cell.missing)}`;
        const marks = cell.remarks.map(footnote).join('');
        return `${formatNumber(cell.value)}${marks ? ` ${marks}` : ''}`;
      });
      const judged = figure.judge?.label ?? '';
      const ratios = figure.judge?.ratios(results) ?? '';
      lines.push(`| ${[figure.label, ...cells, judged, ratios].map(escapeCell).join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('Ratios: emb = embedded database (PGlite), pg = PostgreSQL. "—": not part of this run.');
  for (const note of input.notes) lines.push(`- ${note}`);
  if (footnotes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    for (const [index, text] of footnotes.entries()) lines.push(`[${index + 1}] ${text}`);
  }
  if (input.sessions.length > 0) {
    lines.push('');
    lines.push('Bot processes, in order (one at a time):');
    for (const session of input.sessions) {
      const ready =
        session.readyMs === undefined ? '' : `ready in ${formatNumber(session.readyMs / 1000)} s; `;
      lines.push(`- ${session.label}: ${ready}${session.note}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
