import { readFileSync } from 'node:fs';
import type { TCrisisPatterns } from '../../../src/domain/risk/crisis-patterns.ts';
import {
  loadCrisisPatterns,
  loadGrievanceLexicons,
  type TGrievanceLexicons,
  type TRiskLocale,
} from '../../../src/services/load-risk-data.ts';

/** The shipped risk data, loaded once per test file (loading compiles every regex). */
function load(locale: TRiskLocale): TCrisisPatterns {
  const result = loadCrisisPatterns(locale);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

export const crisisPatterns: Readonly<Record<TRiskLocale, TCrisisPatterns>> = {
  en: load('en'),
  'zh-CN': load('zh-CN'),
};

export const grievanceLexicons: TGrievanceLexicons = (() => {
  const result = loadGrievanceLexicons();
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
})();

export const LEVELS = ['none', 'concern', 'imminent'] as const;
export type TLabel = (typeof LEVELS)[number];
/** What the detector may answer: the corpus's labels, and `high` (labelled `concern` under the earlier rubric). */
export const PREDICTED = ['none', 'concern', 'high', 'imminent'] as const;

export interface TCorpusLine {
  label: TLabel;
  kind: string;
  text: string;
}

/** Lines of a TSV fixture under test/fixtures/crisis-corpus, without comments and blank lines. */
export function readCorpus(file: string): TCorpusLine[] {
  const text = readFileSync(new URL(`../../fixtures/crisis-corpus/${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const cells = line.split('\t');
      const label = cells[0] as TLabel;
      if (!LEVELS.includes(label)) throw new Error(`${file}: bad label in "${line}"`);
      return { label, kind: cells.length === 3 ? (cells[1] ?? '-') : '-', text: cells.at(-1) ?? '' };
    });
}
