import { z } from 'zod';
import { normaliseText } from './normalise.ts';

/**
 * A small learned reader of crisis language, beside the rules: multinomial logistic regression over word,
 * word-pair and character n-gram features, trained in this repository from a labelled corpus
 * (`npm run train:crisis`). The rules are precise but only catch what someone wrote a pattern for; the model
 * generalises from thousands of examples. It only ever proposes `concern` or `high` (see `modelLevel`): a
 * model alone never makes a message `imminent`.
 */

export const MODEL_LABELS = ['none', 'concern', 'high', 'imminent'] as const;
export type TModelLabel = (typeof MODEL_LABELS)[number];

export const ZCrisisModel = z.strictObject({
  locale: z.string(),
  version: z.number().int().positive(),
  labels: z.tuple([z.literal('none'), z.literal('concern'), z.literal('high'), z.literal('imminent')]),
  /** Per label: the score added whatever the message says. */
  bias: z.array(z.number()).length(4),
  /** Per feature: its weight towards each label. */
  weights: z.record(z.string(), z.array(z.number()).length(4)),
  /**
   * Where the model's word counts: P(high or imminent) at or above `high` proposes `high`; P(not none) at or
   * above `concern` proposes `concern`; P(high or imminent) at or above `agree` (lower) raises a message the
   * rules read `concern` to `high`: the two readers agreeing. Chosen by cross-validation on the corpus, read
   * together with the rules (see the trainer).
   */
  thresholds: z.strictObject({
    concern: z.number().min(0).max(1),
    high: z.number().min(0).max(1),
    /** Absent in models before version 4: no agreement reading. */
    agree: z.number().min(0).max(1).optional(),
  }),
  /**
   * What it was trained on, for the record: how many messages, a hash of the corpus, and the versions of the
   * patterns its thresholds were chosen with.
   */
  trainedOn: z.strictObject({
    messages: z.number().int(),
    corpusSha256: z.string(),
    patterns: z.record(z.string(), z.number().int()).optional(),
  }),
});
export type TCrisisModel = z.infer<typeof ZCrisisModel>;

export type TModelReading = {
  locale: string;
  /** P(label | message), in `MODEL_LABELS` order. */
  probabilities: Readonly<Record<TModelLabel, number>>;
  /** What the model proposes on its own: never `imminent`. */
  level: 'none' | 'concern' | 'high';
  /** P(high or imminent) reaches the agreement threshold: raises a rules reading of `concern` to `high`. */
  agrees: boolean;
};

const segmenters = new Map<string, Intl.Segmenter>();

function segmenterFor(locale: string): Intl.Segmenter {
  let segmenter = segmenters.get(locale);
  if (!segmenter) {
    segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
    segmenters.set(locale, segmenter);
  }
  return segmenter;
}

const HAN = /\p{Script=Han}/u;

/**
 * The features of one message: words (segmented with `Intl.Segmenter`, so Chinese is split into words too),
 * neighbouring word pairs, and character n-grams inside words (3-grams for letters, which survive typos and
 * word endings; single characters and pairs for Chinese). On the text as the rules read it (`normaliseText`:
 * lower case, leetspeak undone, stretched letters shrunk). Deduplicated, in a stable order.
 *
 * @example featuresOf('I want to die', 'en') // ['w:i', 'w:want', …, 'b:want_to', …, 'c:wan', …]
 */
export function featuresOf(text: string, locale: string): string[] {
  return featuresOfWords(wordsOf(text, locale));
}

function featuresOfWords(words: readonly string[]): string[] {
  const features = new Set<string>();
  let previous = '^';
  for (const word of words) {
    features.add(`w:${word}`);
    features.add(`b:${previous}_${word}`);
    previous = word;
    if (HAN.test(word)) {
      for (const char of word) features.add(`c:${char}`);
      const chars = [...word];
      for (let i = 0; i + 1 < chars.length; i += 1) features.add(`c:${chars[i]}${chars[i + 1]}`);
    } else if (word.length > 3) {
      const padded = ` ${word} `;
      for (let i = 0; i + 3 <= padded.length; i += 1) features.add(`c:${padded.slice(i, i + 3)}`);
    }
  }
  if (words.length > 0) features.add(`b:${previous}_$`);
  return [...features];
}

/** The words of a message as the model reads them: normalised, segmented (Chinese too). */
function wordsOf(text: string, locale: string): string[] {
  return [...segmenterFor(locale).segment(normaliseText(text))]
    .filter((segment) => segment.isWordLike)
    .map((segment) => segment.segment);
}

/**
 * Fewer words than this and the model stays silent: "no", "nothing" or "不是" answer a question, and one or
 * two words are too little for a learned reading (the rules still read them).
 */
export const MODEL_MIN_WORDS = 3;

/** Which model reads a message: Chinese for text with Chinese characters in it, else English. */
export function modelLocaleFor(text: string): 'zh-CN' | 'en' {
  return HAN.test(text) ? 'zh-CN' : 'en';
}

/**
 * The model's reading of one message. Features it never saw count for nothing, so a message it knows
 * nothing about reads as the corpus's prior, which the thresholds sit well above.
 *
 * @example readWithModel(model, '活着没意思，我想死').level // 'high'
 */
export function readWithModel(model: TCrisisModel, text: string): TModelReading {
  const scores = [...model.bias];
  // Segmented once: the features and the word count come from the same words.
  const words = wordsOf(text, model.locale);
  const features = featuresOfWords(words);
  const scale = features.length > 0 ? 1 / Math.sqrt(features.length) : 0;
  for (const feature of features) {
    const weights = model.weights[feature];
    if (!weights) continue;
    for (let k = 0; k < scores.length; k += 1) scores[k] = (scores[k] ?? 0) + (weights[k] ?? 0) * scale;
  }
  const probabilities = softmax(scores);
  const [none = 1, , high = 0, imminent = 0] = probabilities;
  const isEnough = words.length >= MODEL_MIN_WORDS;
  const reading = Object.fromEntries(
    MODEL_LABELS.map((label, k) => [label, probabilities[k] ?? 0]),
  ) as Record<TModelLabel, number>;
  const level = isEnough ? modelLevel(model, 1 - none, high + imminent) : 'none';
  const agree = model.thresholds.agree;
  const agrees = isEnough && agree !== undefined && high + imminent >= agree;
  return { locale: model.locale, probabilities: reading, level, agrees };
}

function modelLevel(model: TCrisisModel, anyRisk: number, highRisk: number): TModelReading['level'] {
  if (highRisk >= model.thresholds.high) return 'high';
  if (anyRisk >= model.thresholds.concern) return 'concern';
  return 'none';
}

/** Probabilities from scores, shifted by the largest for numerical safety. */
export function softmax(scores: readonly number[]): number[] {
  const top = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}
