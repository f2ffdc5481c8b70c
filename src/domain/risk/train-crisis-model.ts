import { createRandom, shuffleInPlace } from '../random.ts';
import { featuresOf, MODEL_LABELS, softmax, type TCrisisModel, type TModelLabel } from './crisis-model.ts';

/**
 * Trains the crisis model (see `crisis-model.ts`) from labelled messages: multinomial logistic regression by
 * stochastic gradient descent, in an order fixed by a seeded shuffle, so the same corpus always gives the
 * same model, byte for byte. The thresholds come from 5-fold cross-validation: the lowest probabilities at
 * which no more than the allowed share of the corpus's `none` messages (mostly hard negatives) would be
 * flagged, so the model adds recall without spending the rules' precision.
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
};

/** How the model did on messages it was not trained on (5-fold cross-validation), at its thresholds. */
export type TCrossValidation = {
  /** Per label: how many messages, how many the model alone read as `high`, and as any level. */
  byLabel: Record<TModelLabel, { messages: number; high: number; any: number }>;
};

const EPOCHS = 20;
const LEARNING_RATE = 0.8;
const L2 = 1e-2;
const FOLDS = 5;
const SEED = 20_261_204;
/** A feature seen in fewer messages than this is noise; it stays out of the model. */
const MIN_MESSAGES_PER_FEATURE = 2;
/** Weights smaller than this change no decision: left out of the file. */
const MIN_WEIGHT = 0.005;
/** Thresholds never drop below this, whatever the corpus: a message the model barely knows stays `none`. */
const THRESHOLD_FLOOR = 0.5;

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
  const outOfFold: number[][] = new Array(encoded.length);
  for (let fold = 0; fold < FOLDS; fold += 1) {
    const trained = fitWeights(
      encoded.filter((_, i) => folds[i] !== fold),
      vocabulary.size,
      options,
    );
    encoded.forEach((message, i) => {
      if (folds[i] === fold) outOfFold[i] = predict(trained, message.indices);
    });
  }
  const noneScores = encoded.flatMap((message, i) =>
    message.label === 0 ? [probabilitiesAt(outOfFold, i)] : [],
  );
  const thresholds = {
    high: thresholdFor(
      noneScores.map((p) => p[2] + p[3]),
      options.maxNoneHigh ?? 0.02,
    ),
    concern: thresholdFor(
      noneScores.map((p) => 1 - p[0]),
      options.maxNoneAny ?? 0.06,
    ),
  };

  const final = fitWeights(encoded, vocabulary.size, options);
  const weights: Record<string, number[]> = {};
  for (const [feature, index] of [...vocabulary.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const row = [0, 1, 2, 3].map((k) => final.weights[index * 4 + k] ?? 0);
    if (row.some((weight) => Math.abs(weight) >= MIN_WEIGHT)) weights[feature] = row.map(round);
  }
  const model: TCrisisModel = {
    locale: options.locale,
    version: options.version,
    labels: ['none', 'concern', 'high', 'imminent'],
    bias: final.bias.map(round),
    weights,
    thresholds: { concern: round(thresholds.concern), high: round(thresholds.high) },
    trainedOn: { messages: messages.length, corpusSha256: options.corpusSha256 },
  };
  return { model, crossValidation: crossValidate(encoded, outOfFold, model.thresholds) };
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
 * Which fold each message is held out in: a whole writer at a time when every message names its writer
 * (how well it reads someone it never saw write), else a seeded shuffle.
 */
function foldsOf(messages: readonly TLabelledMessage[]): number[] {
  const groups = [...new Set(messages.map((message) => message.group))].sort();
  if (groups.length >= FOLDS && !groups.includes(undefined)) {
    return messages.map((message) => groups.indexOf(message.group) % FOLDS);
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
    for (const i of order) {
      const message = messages[i];
      if (!message) continue;
      const p = predict({ weights, bias }, message.indices);
      const scale = message.indices.length > 0 ? 1 / Math.sqrt(message.indices.length) : 0;
      for (let k = 0; k < 4; k += 1) {
        const gradient = (p[k] ?? 0) - (k === message.label ? 1 : 0);
        bias[k] = (bias[k] ?? 0) - rate * gradient * 0.1;
        for (const index of message.indices) {
          const at = index * 4 + k;
          weights[at] = (weights[at] ?? 0) * (1 - rate * l2) - rate * gradient * scale;
        }
      }
    }
  }
  return { weights, bias };
}

function predict(fitted: TFitted, indices: readonly number[]): number[] {
  const scores = [...fitted.bias];
  const scale = indices.length > 0 ? 1 / Math.sqrt(indices.length) : 0;
  for (const index of indices)
    for (let k = 0; k < 4; k += 1)
      scores[k] = (scores[k] ?? 0) + (fitted.weights[index * 4 + k] ?? 0) * scale;
  return softmax(scores);
}

function probabilitiesAt(outOfFold: readonly number[][], i: number): [number, number, number, number] {
  const p = outOfFold[i] ?? [1, 0, 0, 0];
  return [p[0] ?? 1, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
}

/** The lowest threshold above all but `share` of the scores (never below the floor). */
function thresholdFor(scores: readonly number[], share: number): number {
  const sorted = [...scores].sort((a, b) => b - a);
  const allowed = Math.floor(sorted.length * share);
  const above = sorted[allowed] ?? 0;
  return Math.max(THRESHOLD_FLOOR, Math.min(0.99, above + 1e-4));
}

function crossValidate(
  encoded: readonly TEncoded[],
  outOfFold: readonly number[][],
  thresholds: TCrisisModel['thresholds'],
): TCrossValidation {
  const byLabel = Object.fromEntries(
    MODEL_LABELS.map((label) => [label, { messages: 0, high: 0, any: 0 }]),
  ) as TCrossValidation['byLabel'];
  encoded.forEach((message, i) => {
    const [none, , high, imminent] = probabilitiesAt(outOfFold, i);
    const entry = byLabel[MODEL_LABELS[message.label] ?? 'none'];
    entry.messages += 1;
    if (high + imminent >= thresholds.high) entry.high += 1;
    if (high + imminent >= thresholds.high || 1 - none >= thresholds.concern) entry.any += 1;
  });
  return { byLabel };
}

function round(value: number): number {
  // `|| 0`: no -0, which JSON cannot keep (a rebuilt model must equal the file it wrote).
  return Math.round(value * 10_000) / 10_000 || 0;
}
