import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TCrisisLevel } from '../../../src/domain/risk/crisis.ts';
import { assessMessage } from '../../../src/services/crisis.ts';
import { loadRiskData } from '../../../src/services/load-risk-data.ts';

/**
 * The blind rounds read as the bot reads a first message (every locale's rules, the learned model, no
 * context), against the issue's targets (see test/fixtures/crisis-corpus/README.md). Each round was written by
 * writers who saw neither the patterns, the model nor any corpus, and measured once per frozen version; the
 * figures below are kept as a ratchet: a change may do better, never worse.
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
 * Round I with models v3 (high or above / any level). Models v2 scored en 45 / 52 and zh-CN 53 / 58 on it;
 * v3 (three more writers' corpus) was frozen before it met round I, and chosen over v2 by it: round J is v3's
 * blind figure.
 */
const ROUND_I_FIRST_RUN = {
  en: { imminentHigh: 48, imminentAny: 53, noneHigh: 2, noneAny: 2 },
  'zh-CN': { imminentHigh: 52, imminentAny: 57, noneHigh: 4, noneAny: 7 },
} as const;

/** Round J, written after patterns v7 and models v3 were frozen; measured once. */
const ROUND_J_FIRST_RUN = {
  en: { imminentHigh: 51, imminentAny: 54, noneHigh: 2, noneAny: 3 },
  'zh-CN': { imminentHigh: 50, imminentAny: 53, noneHigh: 2, noneAny: 4 },
} as const;

describe.each(['en', 'zh-CN'] as const)('blind round J (%s), as the bot reads it', (locale) => {
  it('catches no fewer crisis messages, and flags no more ordinary ones, than when first measured', () => {
    const counts = measure(readRound(`blind-j-${locale}.tsv`));
    console.log(
      `blind round J ${locale}: ${Object.entries(counts)
        .map(([label, c]) => `${label} ${c.high}/${c.any} of ${c.lines}`)
        .join('; ')} (high or above / any level)`,
    );
    const floor = ROUND_J_FIRST_RUN[locale];
    expect(counts.imminent.high).toBeGreaterThanOrEqual(floor.imminentHigh);
    expect(counts.imminent.any).toBeGreaterThanOrEqual(floor.imminentAny);
    expect(counts.none.high).toBeLessThanOrEqual(floor.noneHigh);
    expect(counts.none.any).toBeLessThanOrEqual(floor.noneAny);
  });
});

describe.each(['en', 'zh-CN'] as const)('blind round I (%s), as the bot reads it', (locale) => {
  it('catches no fewer crisis messages, and flags no more ordinary ones, than when first measured', () => {
    const counts = measure(readRound(`blind-i-${locale}.tsv`));
    console.log(
      `blind round I ${locale}: ${Object.entries(counts)
        .map(([label, c]) => `${label} ${c.high}/${c.any} of ${c.lines}`)
        .join('; ')} (high or above / any level)`,
    );
    const floor = ROUND_I_FIRST_RUN[locale];
    expect(counts.imminent.high).toBeGreaterThanOrEqual(floor.imminentHigh);
    expect(counts.imminent.any).toBeGreaterThanOrEqual(floor.imminentAny);
    expect(counts.none.high).toBeLessThanOrEqual(floor.noneHigh);
    expect(counts.none.any).toBeLessThanOrEqual(floor.noneAny);
  });
});
