/**
 * Every figure the bench measures, by figure and by bot: a number with the remarks that qualify it, or the
 * reason it could not be measured. Nothing is ever filled in that was not measured.
 */
import type { TBotSpec } from './bots.ts';

export const COLUMNS = [
  'bridgeline:pglite',
  'bridgeline:postgres',
  'typical:pglite',
  'typical:postgres',
  'echo',
] as const;
export type TColumn = (typeof COLUMNS)[number];

export const COLUMN_TITLES: Record<TColumn, string> = {
  'bridgeline:pglite': 'Bridgeline embedded',
  'bridgeline:postgres': 'Bridgeline PostgreSQL',
  'typical:pglite': 'Typical bot embedded',
  'typical:postgres': 'Typical bot PostgreSQL',
  echo: 'Echo bot',
};

export type TCell = { value: number; remarks: string[] } | { missing: string };

/** The table column of a bot: `bridgeline:pglite`, …, `echo`. */
export function columnOf(spec: Pick<TBotSpec, 'kind' | 'database'>): TColumn {
  return spec.kind === 'echo' ? 'echo' : `${spec.kind}:${spec.database ?? 'pglite'}`;
}

/**
 * @example
 * const results = createResults();
 * results.record('throughput.webhook', 'echo', 320.1, { missing: 'too few updates' });
 * results.record('statements', 'bridgeline:pglite', undefined, { missing: 'the bot serves no /metrics (404)' });
 */
export function createResults() {
  const cells = new Map<string, Map<TColumn, TCell>>();
  const at = (figure: string) => {
    let row = cells.get(figure);
    if (!row) {
      row = new Map();
      cells.set(figure, row);
    }
    return row;
  };
  return {
    /**
     * A measured value (with a remark that qualifies it, if any), or, when `value` is undefined, the reason
     * it is missing.
     */
    record(
      figure: string,
      column: TColumn,
      value: number | undefined,
      why: { missing: string; remark?: string | undefined },
    ): void {
      if (value === undefined || !Number.isFinite(value)) {
        at(figure).set(column, { missing: why.missing });
        return;
      }
      at(figure).set(column, { value, remarks: why.remark ? [why.remark] : [] });
    },
    /** Adds a remark to a value already recorded. */
    remark(figure: string, column: TColumn, remark: string): void {
      const cell = at(figure).get(column);
      if (cell && 'value' in cell && !cell.remarks.includes(remark)) cell.remarks.push(remark);
    },
    /** Marks every figure of `figures` in `column` missing for `reason`, unless already recorded. */
    missingAll(figures: readonly string[], column: TColumn, reason: string): void {
      for (const figure of figures) if (!at(figure).has(column)) at(figure).set(column, { missing: reason });
    },
    get(figure: string, column: TColumn): TCell | undefined {
      return cells.get(figure)?.get(column);
    },
    value(figure: string, column: TColumn): number | undefined {
      const cell = cells.get(figure)?.get(column);
      return cell && 'value' in cell ? cell.value : undefined;
    },
    toJSON(): Record<string, Record<string, TCell>> {
      return Object.fromEntries([...cells].map(([figure, row]) => [figure, Object.fromEntries(row)]));
    },
  };
}

export type TResults = ReturnType<typeof createResults>;
