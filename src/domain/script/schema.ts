import { z } from 'zod';
import { RISK_LEVELS } from '../risk/level.ts';

/**
 * The shape of a screening script as admins write it in YAML. The schema checks each part on its own
 * (types, required fields, no unknown keys, sane sizes); whatever needs the whole script to judge
 * (references between parts, reachability, band coverage, translations) is the linter's job, so that a
 * schema error and a lint finding never report the same mistake twice.
 */

/** The reserved jump target that finishes the script. No question may be called this. */
export const END = 'end';

/** Longest free-text answer kept, in characters, unless a question says otherwise. */
export const DEFAULT_MAX_TEXT_LENGTH = 2000;

const MAX_QUESTIONS = 200;
const MAX_OPTIONS = 20;

export const ZId = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, {
  error: 'ids use lower-case letters, digits and _, starting with a letter',
});

const ZScriptId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, { error: 'a script id uses lower-case letters, digits, - and _' });

const ZQuestionId = ZId.refine((id) => id !== END, {
  error: `'${END}' is reserved for finishing the script`,
});

export const ZLocale = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'a locale looks like en, zh-CN or pt-BR' });

/** One text in several languages, keyed by locale. Which locales must be present is checked by the linter. */
export const ZLocalizedText = z.record(
  z.string(),
  z.string().trim().min(1, { error: 'text must not be empty' }),
);
export type TLocalizedText = z.infer<typeof ZLocalizedText>;

export const ZRiskLevel = z.enum(RISK_LEVELS);

const ZScores = z.record(z.string(), z.int());

/** A jump target: a question id or `end`. */
const ZTarget = ZId;

/**
 * A declarative test on what has been answered so far; the only logic a script may contain.
 *
 * - `{ answer: q, in: [a, b] }`: question `q` was answered with option `a` or `b`
 * - `{ score: indicator, gte: n, lte: m }`: the indicator's running total lies within the given bounds
 * - `{ all: [...] }`, `{ any: [...] }`, `{ not: ... }`: combinations
 */
export type TCondition =
  | { answer: string; in: string[] }
  | { score: string; gte?: number | undefined; lte?: number | undefined }
  | { all: TCondition[] }
  | { any: TCondition[] }
  | { not: TCondition };

const CONDITION_KEYS = ['answer', 'score', 'all', 'any', 'not'] as const;
type TConditionKey = (typeof CONDITION_KEYS)[number];

function conditionSchemas(): Record<TConditionKey, z.ZodType> {
  return {
    answer: z.strictObject({ answer: ZId, in: z.array(ZId).min(1, { error: 'list at least one option' }) }),
    score: z
      .strictObject({ score: ZId, gte: z.int().optional(), lte: z.int().optional() })
      .refine((c) => c.gte !== undefined || c.lte !== undefined, { error: 'a score test needs gte or lte' }),
    all: z.strictObject({ all: z.array(ZCondition).min(1) }),
    any: z.strictObject({ any: z.array(ZCondition).min(1) }),
    not: z.strictObject({ not: ZCondition }),
  };
}

// The kind of condition is chosen by its key, so a typo reports "unknown field" on that condition instead of
// a union error listing every kind that did not fit.
export const ZCondition: z.ZodType<TCondition, unknown> = z.unknown().transform((value, ctx) => {
  const key =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? CONDITION_KEYS.find((k) => k in value)
      : undefined;
  if (key === undefined) {
    ctx.addIssue({ code: 'custom', message: `a condition needs one of: ${CONDITION_KEYS.join(', ')}` });
    return z.NEVER;
  }
  const parsed = conditionSchemas()[key].safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  }
  return parsed.data as TCondition;
});

const ZBranch = z.strictObject({ when: ZCondition, goto: ZTarget });

const optionFields = {
  id: ZId,
  label: ZLocalizedText,
  /** Points this answer adds to each named indicator. */
  scores: ZScores.optional(),
  /** Extra words a resident may type for this option, per locale (e.g. `y`, `是的`). */
  aliases: z.record(z.string(), z.array(z.string().trim().min(1)).max(10)).optional(),
};
export const ZOption = z.strictObject(optionFields);
export const ZScaleOption = z.strictObject({ ...optionFields, value: z.int() });

const questionFields = {
  id: ZQuestionId,
  /** A short name for workers' summaries ("Hopeless"); by default the start of `text`. */
  label: ZLocalizedText.optional(),
  /** Shown once before the question, e.g. to introduce a block of sensitive questions. */
  intro: ZLocalizedText.optional(),
  text: ZLocalizedText,
  /** Where to go when no branch applies; by default the following question, or the end after the last. */
  next: ZTarget.optional(),
  /** Conditional jumps, tried in order after the answer is recorded; the first that holds wins. */
  branch: z.array(ZBranch).max(20).default([]),
};

export const ZQuestion = z.discriminatedUnion('kind', [
  z.strictObject({
    ...questionFields,
    kind: z.literal('single_choice'),
    options: z.array(ZOption).min(2).max(MAX_OPTIONS),
  }),
  z.strictObject({
    ...questionFields,
    kind: z.literal('scale'),
    options: z.array(ZScaleOption).min(2).max(MAX_OPTIONS),
  }),
  z.strictObject({
    ...questionFields,
    kind: z.literal('yes_no'),
    options: z.array(ZOption).length(2, { error: 'a yes/no question has exactly two options' }),
  }),
  z.strictObject({
    ...questionFields,
    kind: z.literal('free_text'),
    maxLength: z.int().min(1).max(4000).optional(),
    /** Quick replies (e.g. "nothing to add"); any other non-empty text is kept as typed. */
    options: z.array(ZOption).max(MAX_OPTIONS).default([]),
  }),
]);

export const ZBand = z
  .strictObject({
    name: ZId,
    label: ZLocalizedText.optional(),
    min: z.int(),
    max: z.int(),
    level: ZRiskLevel,
  })
  .refine((band) => band.min <= band.max, { path: ['max'], error: 'a band ends at or after its start' });

export const ZIndicator = z
  .strictObject({
    label: ZLocalizedText.optional(),
    min: z.int(),
    max: z.int(),
    bands: z.array(ZBand).min(1).max(20),
  })
  .refine((indicator) => indicator.min < indicator.max, { path: ['max'], error: 'max must be above min' });

/** An answer pattern that forces at least `level`, whatever the totals say. */
export const ZCriticalRule = z.strictObject({
  id: ZId,
  label: ZLocalizedText.optional(),
  level: ZRiskLevel.exclude(['none']),
  when: ZCondition,
});

export const ZResource = z.strictObject({
  title: ZLocalizedText,
  detail: ZLocalizedText.optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
});

export const ZOutcome = z.strictObject({
  title: ZLocalizedText.optional(),
  message: ZLocalizedText,
  resources: z.array(ZResource).max(20).default([]),
});

/**
 * What the community picture counts beyond levels and bands: the grievance themes a screening shows (each a
 * condition on the answers), and the optional question that asks where the resident lives.
 */
export const ZCommunity = z.strictObject({
  /** A single-choice question whose options are the areas (a neighbourhood, a district, "rather not say"). */
  area: ZQuestionId.optional(),
  themes: z
    .array(z.strictObject({ id: ZId, label: ZLocalizedText, when: ZCondition }))
    .max(20)
    .default([]),
});

export const ZScript = z.strictObject({
  id: ZScriptId,
  version: z.int().min(1),
  title: ZLocalizedText,
  description: z.string().optional(),
  /** The first is the fallback when a text lacks the resident's locale. */
  locales: z.array(ZLocale).min(1).max(20),
  /** The first question; by default the first in the list. */
  start: ZQuestionId.optional(),
  indicators: z.record(ZId, ZIndicator),
  questions: z.array(ZQuestion).min(1).max(MAX_QUESTIONS),
  critical: z.array(ZCriticalRule).max(100).default([]),
  community: ZCommunity.optional(),
  outcomes: z.strictObject({
    none: ZOutcome,
    low: ZOutcome,
    moderate: ZOutcome,
    high: ZOutcome,
    imminent: ZOutcome,
  }),
});

export type TScript = z.infer<typeof ZScript>;
export type TQuestion = z.infer<typeof ZQuestion>;
export type TQuestionKind = TQuestion['kind'];
export type TOption = z.infer<typeof ZOption> & { value?: number };
export type TIndicator = z.infer<typeof ZIndicator>;
export type TBand = z.infer<typeof ZBand>;
export type TCriticalRule = z.infer<typeof ZCriticalRule>;
export type TOutcome = z.infer<typeof ZOutcome>;
export type TBranch = z.infer<typeof ZBranch>;
export type TCommunity = z.infer<typeof ZCommunity>;
