import { createRandom, shuffleInPlace } from '../random.ts';
import type { TCrisisLevel } from './crisis.ts';
import { featuresOf, MODEL_LABELS, softmax, type TCrisisModel, type TModelLabel } from './crisis-model.ts';

/**
 * Trains the crisis model (see `crisis-model.ts`) from labelled messages: multinomial logistic regression by
 * stochastic gradient descent, in an order fixed by a seeded shuffle, so the same corpus always gives the
 * same model, byte for byte. The thresholds come from cross-validation holding out one writer at a time, read
 * together with the rules as the bot reads a message: the settings that bring the most `imminent` and `high`
 * messages to `high` or above while no more than the allowed share of the corpus's `none` messages (mostly
 * hard negatives) is flagged by the rules and the model together, so the model adds recall without spending
 * the rules' precision.
 */

/** `group`: who wrote it (the corpus file): cross-validation holds out a whole writer at a time. */
export type TLabelledMessage = { text: string; label: TModelLabel; group?: string };

export type TTrainingOptions = {
  locale: string;
  version: number;
  corpusSha256: string;
  /** Largest share of `none` messages the model alone may lift to `high` (cross-validated). */
  maxNoneHigh?: number;
  /** Largest share of `none` messages the model alone may lift to any level (cross-validated). */
  maxNoneAny?: number;
  /** Regularisation and passes over the corpus (the defaults are what ships). */
  l2?: number;
  epochs?: number;
  /**
   * What the rules read for a message (every locale's patterns, no context): thresholds are chosen for the
   * rules and the model together. Without it the rules count as reading nothing.
   */
  rulesLevel?: (text: string) => TCrisisLevel;
  /**
   * Whether a message carries a laughter or emoji marker or lawful action (see `modelDamperIn`): the model
   * alone then reads it `concern` at most, as the bot does.
   */
  damped?: (text: string) => boolean;
  /** The versions of the patterns behind `rulesLevel`, recorded in the model. */
  patterns?: Record<string, number>;
};

/** How the model did on messages it was not trained on (one writer held out at a time), at its thresholds. */
export type TCrossValidation = {
  /** Per label: how many messages, how many the model alone read as `high`, and as any level. */
  byLabel: Record<TModelLabel, { messages: number; high: number; any: number }>;
  /** The same with the rules, as the bot reads a first message (rules, model, their agreement). */
  combined: Record<TModelLabel, { messages: number; high: number; any: number }>;
  /** `combined` per writer (corpus file), so a report can leave out the files the rules were tuned on. */
  combinedByGroup: Record<string, Record<TModelLabel, { messages: number; high: number; any: number }>>;
  folds: number;
};

const EPOCHS = 20;
const LEARNING_RATE = 0.8;
const L2 = 2e-2;
/** Fewest folds: with fewer writers than this, a seeded shuffle into this many folds instead. */
const FOLDS = 5;
const SEED = 20_261_204;
/** A feature seen in fewer messages than this is noise; it stays out of the model. */
const MIN_MESSAGES_PER_FEATURE = 2;
/** Weights smaller than this change no decision: left out of the file. */
const MIN_WEIGHT = 0.005;
/** Thresholds never drop below this, whatever the corpus: a message the model barely knows stays `none`. */
const THRESHOLD_FLOOR = 0.35;
/** Candidate thresholds, from the floor up in steps of 0.01. */
const GRID = Array.from(
  { length: 100 - Math.round(THRESHOLD_FLOOR * 100) },
  (_, i) => THRESHOLD_FLOOR + i / 100,
);
const RULE_RANK: Readonly<Record<TCrisisLevel, number>> = { none: 0, concern: 1, high: 2, imminent: 3 };

/**
 * @example
 * const { model, crossValidation } = trainCrisisModel(messages, { locale: 'en', version: 1, corpusSha256 });
 */
export function trainCrisisModel(
  messages: readonly TLabelledMessage[],
  options: TTrainingOptions,
): { model: TCrisisModel; crossValidation: TCrossValidation } {
  const featured = messages.map((message) => ({
    features: featuresOf(message.text, options.locale),
    label: MODEL_LABELS.indexOf(message.label),
  }));
  const vocabulary = vocabularyOf(featured.map((message) => message.features));
  const encoded = featured.map((message) => ({
    indices: message.features.flatMap((feature) => {
      const index = vocabulary.get(feature);
      return index === undefined ? [] : [index];
    }),
    label: message.label,
  }));

  const folds = foldsOf(messages);
  const foldCount = Math.max(...folds) + 1;
  const outOfFold: number[][] = new Array(encoded.length);
  for (let fold = 0; fold < foldCount; fold += 1) {
    const trained = fitWeights(
      encoded.filter((_, i) => folds[i] !== fold),
      vocabulary.size,
      options,
    );
    encoded.forEach((message, i) => {
      if (folds[i] === fold) outOfFold[i] = predict(trained, message.indices);
    });
  }
  const rules = messages.map((message) => RULE_RANK[options.rulesLevel?.(message.text) ?? 'none']);
  const scored: TScored[] = encoded.map((message, i) => {
    const p = probabilitiesAt(outOfFold, i);
    const damped = (rules[i] ?? 0) < 2 && (options.damped?.(messages[i]?.text ?? '') ?? false);
    return {
      label: message.label,
      rules: rules[i] ?? 0,
      high: p[2] + p[3],
      any: 1 - p[0],
      damped,
      group: messages[i]?.group ?? '',
    };
  });
  const thresholds = chooseThresholds(scored, options.maxNoneHigh ?? 0.02, options.maxNoneAny ?? 0.03);

  const final = fitWeights(encoded, vocabulary.size, options);
  const weights: Record<string, number[]> = {};
  for (const [feature, index] of [...vocabulary.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const row = [0, 1, 2, 3].map((k) => final.weights[index * 4 + k] ?? 0);
    if (row.some((weight) => Math.abs(weight) >= MIN_WEIGHT)) weights[feature] = row.map(round);
  }
  const shipped = {
    concern: round(thresholds.concern),
    high: round(thresholds.high),
    agree: round(thresholds.agree),
  };
  const model: TCrisisModel = {
    locale: options.locale,
    version: options.version,
    labels: ['none', 'concern', 'high', 'imminent'],
    bias: final.bias.map(round),
    weights,
    thresholds: shipped,
    trainedOn: {
      messages: messages.length,
      corpusSha256: options.corpusSha256,
      ...(options.patterns ? { patterns: options.patterns } : {}),
    },
  };
  return { model, crossValidation: crossValidate(scored, shipped, foldCount) };
}

/** One corpus message held out: its label, what the rules read (rank), and the model's P(high+) and P(any). */
type TScored = {
  label: number;
  rules: number;
  high: number;
  any: number;
  damped?: boolean;
  group?: string;
};
type TThresholds = { concern: number; high: number; agree: number };

/** The level (rank) the bot reads: the rules, raised by the model, and by their agreement (see crisis-combine). */
function combinedRank(message: TScored, t: TThresholds): number {
  let rank = message.rules;
  if (message.high >= t.high) rank = Math.max(rank, message.damped ? 1 : 2);
  else if (message.any >= t.concern) rank = Math.max(rank, 1);
  if (rank === 1 && message.rules === 1 && !message.damped && message.high >= t.agree) rank = 2;
  return rank;
}

/**
 * The thresholds that bring the most held-out `imminent` and `high` messages to `high` or above (rules and
 * model together) while the model raises at most `maxHigh` of the `none` messages the rules left below `high`
 * to `high` (alone or by agreeing with the rules); then the lowest `concern` threshold at which it raises at
 * most `maxAny` of the `none` messages the rules left alone to any level. The budget is what the model adds:
 * the corpus's `none` messages are mostly hard negatives written to trip the rules, which flag some of them
 * whatever the model does. Scanned from the top, so a tie keeps the higher (safer) threshold; a fixed grid, so
 * deterministic.
 */
function chooseThresholds(scored: readonly TScored[], maxHigh: number, maxAny: number): TThresholds {
  const none = scored.filter((message) => message.label === 0);
  const belowHigh = none.filter((message) => message.rules < 2);
  const unread = none.filter((message) => message.rules === 0);
  const risk = scored.filter((message) => message.label >= 2 && message.rules < 2);
  const allowedHigh = Math.floor(none.length * maxHigh);
  const allowedAny = Math.floor(none.length * maxAny);
  const top = GRID.at(-1) ?? 0.99;
  let best: TThresholds = { concern: top, high: top, agree: top };
  let bestCaught = -1;
  for (const high of [...GRID].reverse()) {
    for (const agree of [...GRID].reverse()) {
      if (agree > high) continue;
      const t = { concern: top, high, agree };
      if (count(belowHigh, (message) => combinedRank(message, t) >= 2) > allowedHigh) continue;
      const caught = count(risk, (message) => combinedRank(message, t) >= 2);
      if (caught > bestCaught) {
        bestCaught = caught;
        best = t;
      }
    }
  }
  for (const concern of [...GRID].reverse()) {
    const t = { ...best, concern };
    if (count(unread, (message) => combinedRank(message, t) >= 1) > allowedAny) break;
    best = t;
  }
  return best;
}

function count<T>(items: readonly T[], test: (item: T) => boolean): number {
  let n = 0;
  for (const item of items) if (test(item)) n += 1;
  return n;
}

type TEncoded = { indices: number[]; label: number };
type TFitted = { weights: Float64Array; bias: number[] };

function vocabularyOf(featureLists: readonly string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const features of featureLists)
    for (const feature of features) counts.set(feature, (counts.get(feature) ?? 0) + 1);
  const kept = [...counts.entries()]
    .filter(([, count]) => count >= MIN_MESSAGES_PER_FEATURE)
    .map(([feature]) => feature)
    .sort();
  return new Map(kept.map((feature, index) => [feature, index]));
}

/**
 * Which fold each message is held out in: one writer (corpus file) at a time when every message names its
 * writer and there are enough of them (how well it reads someone it never saw write), else a seeded shuffle.
 */
function foldsOf(messages: readonly TLabelledMessage[]): number[] {
  const groups = [...new Set(messages.map((message) => message.group))].sort();
  if (groups.length >= FOLDS && !groups.includes(undefined)) {
    return messages.map((message) => groups.indexOf(message.group));
  }
  const folds = messages.map((_, i) => i % FOLDS);
  shuffleInPlace(folds, createRandom(SEED));
  return folds;
}

function fitWeights(
  messages: readonly TEncoded[],
  features: number,
  options: Pick<TTrainingOptions, 'l2' | 'epochs'>,
): TFitted {
  const l2 = options.l2 ?? L2;
  const weights = new Float64Array(features * 4);
  const bias = [0, 0, 0, 0];
  const order = messages.map((_, i) => i);
  const random = createRandom(SEED);
  for (let epoch = 0; epoch < (options.epochs ?? EPOCHS); epoch += 1) {
    shuffleInPlace(order, random);
    const rate = LEARNING_RATE / (1 + epoch * 0.3);
    const decay = 1 - rate * l2;
    for (const i of order) {
      const message = messages[i];
      if (!message) continue;
      const p = predict({ weights, bias }, message.indices);
      const scale = message.indices.length > 0 ? 1 / Math.sqrt(message.indices.length) : 0;
      const gradients = [0, 0, 0, 0];
      for (let k = 0; k < 4; k += 1) {
        const gradient = (p[k] ?? 0) - (k === message.label ? 1 : 0);
        gradients[k] = gradient;
        bias[k] = (bias[k] ?? 0) - rate * gradient * 0.1;
      }
      // Feature by feature, its four weights side by side (the same sums as class by class, and the test of
      // the shipped model holds it to the last bit): the retrain takes a third less time.
      const [g0 = 0, g1 = 0, g2 = 0, g3 = 0] = gradients;
      for (const index of message.indices) {
        const at = index * 4;
        weights[at] = (weights[at] ?? 0) * decay - rate * g0 * scale;
        weights[at + 1] = (weights[at + 1] ?? 0) * decay - rate * g1 * scale;
        weights[at + 2] = (weights[at + 2] ?? 0) * decay - rate * g2 * scale;
        weights[at + 3] = (weights[at + 3] ?? 0) * decay - rate * g3 * scale;
      }
    }
  }
  return { weights, bias };
}

function predict(fitted: TFitted, indices: readonly number[]): number[] {
  const { weights, bias } = fitted;
  let [s0 = 0, s1 = 0, s2 = 0, s3 = 0] = bias;
  const scale = indices.length > 0 ? 1 / Math.sqrt(indices.length) : 0;
  for (const index of indices) {
    const at = index * 4;
    s0 += (weights[at] ?? 0) * scale;
    s1 += (weights[at + 1] ?? 0) * scale;
    s2 += (weights[at + 2] ?? 0) * scale;
    s3 += (weights[at + 3] ?? 0) * scale;
  }
  return softmax([s0, s1, s2, s3]);
}

function probabilitiesAt(outOfFold: readonly number[][], i: number): [number, number, number, number] {
  const p = outOfFold[i] ?? [1, 0, 0, 0];
  return [p[0] ?? 1, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
}

function crossValidate(scored: readonly TScored[], thresholds: TThresholds, folds: number): TCrossValidation {
  const empty = () =>
    Object.fromEntries(MODEL_LABELS.map((label) => [label, { messages: 0, high: 0, any: 0 }])) as Record<
      TModelLabel,
      { messages: number; high: number; any: number }
    >;
  const byLabel = empty();
  const combined = empty();
  const combinedByGroup: TCrossValidation['combinedByGroup'] = {};
  for (const message of scored) {
    const label = MODEL_LABELS[message.label] ?? 'none';
    const alone = combinedRank({ ...message, rules: 0 }, thresholds);
    const both = combinedRank(message, thresholds);
    combinedByGroup[message.group ?? ''] ??= empty();
    for (const [entry, rank] of [
      [byLabel[label], alone],
      [combined[label], both],
      [combinedByGroup[message.group ?? '']?.[label], both],
    ] as const) {
      if (!entry) continue;
      entry.messages += 1;
      if (rank >= 2) entry.high += 1;
      if (rank >= 1) entry.any += 1;
    }
  }
  return { byLabel, combined, combinedByGroup, folds };
}

function round(value: number): number {
  // `|| 0`: no -0, which JSON cannot keep (a rebuilt model must equal the file it wrote).
  return Math.round(value * 10_000) / 10_000 || 0;
}
