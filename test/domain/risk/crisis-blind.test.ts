import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TCrisisLevel } from '../../../src/domain/risk/crisis.ts';
import { assessMessage } from '../../../src/services/crisis.ts';
import { loadRiskData } from '../../../src/services/load-risk-data.ts';

/**
 * The blind rounds read as the bot reads a first message (every locale's rules, the learned model, no
 * context), against the issue's targets (see test/fixtures/crisis-corpus/README.md). Each round was written by
 * writers who saw neither the patterns, the model nor any corpus, and measured once per frozen version; the
 * figures below are kept as a ratchet: a change may do better, never worse. Rounds I and J have since been
 * tuned on (patterns v8, models v4), round K (patterns v9, models v5) and round L (patterns v10, models v6):
 * their floors are in-sample.
 */
const { crisisPatterns, crisisModels } = loadRiskData();
const RANK: Readonly<Record<TCrisisLevel, number>> = { none: 0, concern: 1, high: 2, imminent: 3 };

type TLine = { label: TCrisisLevel; text: string };

function readRound(file: string): TLine[] {
  const text = readFileSync(new URL(`../../fixtures/crisis-corpus/${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [label, ...rest] = line.split('\t');
      if (!(label && label in RANK)) throw new Error(`${file}: bad label in "${line}"`);
      return { label: label as TCrisisLevel, text: rest.at(-1) ?? '' };
    });
}

/** Per label: how many lines, how many read `high` or above, how many read at any level. */
function measure(lines: readonly TLine[]) {
  const counts = Object.fromEntries(
    Object.keys(RANK).map((label) => [label, { lines: 0, high: 0, any: 0 }]),
  ) as Record<TCrisisLevel, { lines: number; high: number; any: number }>;
  for (const line of lines) {
    const level = assessMessage(crisisPatterns, line.text, { models: crisisModels })?.level ?? 'none';
    const entry = counts[line.label];
    entry.lines += 1;
    if (RANK[level] >= RANK.high) entry.high += 1;
    if (RANK[level] >= RANK.concern) entry.any += 1;
  }
  return counts;
}

/**
 * Round I. Blind figures, for the record: models v2 scored en 45 / 52 and zh-CN 53 / 58 on it (high or above /
 * any level); v3 (frozen before it met round I, and chosen over v2 by it) en 48 / 53, zh-CN 52 / 57, with
 * ordinary messages flagged en 2 / 2, zh-CN 4 / 7.
 *
 * IN-SAMPLE: patterns v8 and models v4 were tuned on rounds I and J (their lines are in the model's corpus,
 * `rounds-i-j.tsv`), so the floors below are the figures after that tuning, not estimates of unseen
 * performance. They only keep a later change from losing what was fixed; a new blind round measures.
 */
const ROUND_I_FLOOR = {
  en: { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 0 },
  'zh-CN': { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 1 },
} as const;

/**
 * Round J. Blind figures, for the record (written after patterns v7 and models v3 were frozen; measured once):
 * en 51 / 54 of 60 imminent, ordinary 2 / 3 of 80; zh-CN 50 / 53, ordinary 2 / 4.
 *
 * IN-SAMPLE: the floors are the figures after patterns v8 and models v4 were tuned on rounds I and J.
 */
const ROUND_J_FLOOR = {
  en: { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 0 },
  'zh-CN': { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 0 },
} as const;

/**
 * Round K: written after patterns v8 and models v4 were frozen, by two new writers who saw nothing of the
 * project; measured once, 2026-12-05. Blind figures, for the record (first and only blind run, v8 + v4):
 * en 59 / 59 of 60 imminent, ordinary 3 / 4 of 80; zh-CN 57 / 57, ordinary 3 / 5.
 *
 * IN-SAMPLE: patterns v9 and models v5 were tuned on round K (its lines are in the model's corpus,
 * `round-k.tsv`), so the floors below are the figures after that tuning, not estimates of unseen
 * performance. Only a new blind round measures again.
 */
const ROUND_K_FLOOR = {
  en: { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 1 },
  'zh-CN': { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 1 },
} as const;

/**
 * Round L: written after patterns v9 and models v5 were frozen, by two new writers who saw nothing of the
 * project (mostly short messages, several Englishes, third person, practical questions mixed with a crisis);
 * measured once, 2026-12-05. Blind figures, for the record (first and only blind run, v9 + v5): en 51 / 51 of 60
 * imminent, ordinary 4 / 8 of 80; zh-CN 57 / 57, ordinary 0 / 2.
 *
 * IN-SAMPLE: patterns v10 and models v6 were tuned on round L (its lines are in the model's corpus,
 * `round-l.tsv`), so the floors below are the figures after that tuning.
 */
const ROUND_L_FLOOR = {
  en: { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 1 },
  'zh-CN': { imminentHigh: 60, imminentAny: 60, noneHigh: 0, noneAny: 0 },
} as const;

/**
 * Round M: written by two new writers who saw nothing of the project (briefs: city residents in several Englishes,
 * crisis sentences buried among practical matters, indirect wording; WeChat-style Chinese with slang, dialect and
 * voice-to-text run-ons), and read only after patterns v10 and models v6 were frozen; measured once,
 * 2026-12-05. BLIND: never tuned on. Whoever tunes on it must have round N written.
 */
const ROUND_M_FIRST_RUN = {
  en: { imminentHigh: 59, imminentAny: 60, noneHigh: 2, noneAny: 3 },
  'zh-CN': { imminentHigh: 57, imminentAny: 57, noneHigh: 1, noneAny: 2 },
} as const;

/** Every round with its floor: blind first runs, and in-sample floors for the rounds tuned on since. */
const ROUNDS = [
  { round: 'M', file: 'blind-m', kind: 'blind, first run', floor: ROUND_M_FIRST_RUN },
  { round: 'L', file: 'blind-l', kind: 'in-sample since v10/v6', floor: ROUND_L_FLOOR },
  { round: 'K', file: 'blind-k', kind: 'in-sample since v9/v5', floor: ROUND_K_FLOOR },
  { round: 'J', file: 'blind-j', kind: 'in-sample since v8/v4', floor: ROUND_J_FLOOR },
  { round: 'I', file: 'blind-i', kind: 'in-sample since v8/v4', floor: ROUND_I_FLOOR },
] as const;

describe.each(ROUNDS.flatMap((round) => (['en', 'zh-CN'] as const).map((locale) => ({ ...round, locale }))))(
  'round $round ($locale, $kind), as the bot reads a first message',
  ({ round, file, floor, locale }) => {
    it('catches no fewer crisis messages, and flags no more ordinary ones, than its floor', () => {
      const counts = measure(readRound(`${file}-${locale}.tsv`));
      console.log(
        `round ${round} ${locale}: ${Object.entries(counts)
          .map(([label, c]) => `${label} ${c.high}/${c.any} of ${c.lines}`)
          .join('; ')} (high or above / any level)`,
      );
      expect(counts.imminent.high).toBeGreaterThanOrEqual(floor[locale].imminentHigh);
      expect(counts.imminent.any).toBeGreaterThanOrEqual(floor[locale].imminentAny);
      expect(counts.none.high).toBeLessThanOrEqual(floor[locale].noneHigh);
      expect(counts.none.any).toBeLessThanOrEqual(floor[locale].noneAny);
    });
  },
);
