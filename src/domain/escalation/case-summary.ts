import { z } from 'zod';
import { ID_LABELS, shorten, type TScriptLabels } from '../script/index.ts';
import { crisisReasonText, ZStoredCrisisReason } from './crisis-reason-text.ts';
import type { TAudience } from './policy.ts';

/**
 * What a worker reads about a waiting case: on a page, in `/queue` and in Details. Built from what the case
 * row holds (level, scores and explanation JSON, the unsealed signals), translated by the caller's `t`, so it
 * stays pure and the same text reaches every place. A page, which goes to many, never holds what the
 * resident wrote: answers show as the script's question and option labels, crisis signals as the pattern's
 * explanation (never the matched words), grievance signals as lexicon terms. Details, opened by one worker
 * and audited, adds the resident's own words ({@link TCaseWords}).
 */

/** A translation function bound to the worker's locale and the `pages` namespace. */
export type TTranslate = (key: string, values?: Record<string, string | number>) => string;

/** A case as the summary reads it; JSON fields are checked here, so a malformed one is left out, not fatal. */
export type TCaseView = {
  id: number;
  level: string;
  score: number;
  source: string;
  createdAt: Date;
  /** `Case.scores`: `{ [indicator]: { total, min, max, band, level, … } }`. */
  scores: unknown;
  /** `Case.explanation`: the bands and critical rules behind the level. */
  explanation: unknown;
  /** `Case.signalsSealed`, opened and parsed: `{ crisis?, grievance? }`. */
  signals: unknown;
  /** What the resident wrote, opened: Details only. */
  words?: TCaseWords;
};

/** The resident's own words on a case, as Details shows them to the worker deciding or holding it. */
export type TCaseWords = {
  /** The messages that opened or raised the case, oldest first. */
  messages: readonly string[];
  /** The screening's free-text answers, in the order asked. */
  answers: ReadonlyArray<{ questionId: string; text: string }>;
};

export type TSummaryOptions = {
  now: Date;
  /** The reader's language: the detector's reasons are shown in its words. */
  locale: string;
  /** On a page: the step and audiences it was sent to, so the worker knows why it reached them. */
  paged?: { step: number; audiences: readonly TAudience[] };
  /** The names of the case's script version in the reader's language; ids without it. */
  labels?: TScriptLabels;
};

/** Telegram allows 4,096 characters; leave room for the footer. */
const MAX_SUMMARY_CHARS = 3500;
const MAX_EXPLANATION_ITEMS = 4;
const MAX_ANSWERS_PER_ITEM = 5;
const MAX_CRISIS_REASONS = 4;
const MAX_REASON_CHARS = 160;
const MAX_GRIEVANCE_CATEGORIES = 3;
const MAX_TERMS = 3;
const MAX_WORDS_MESSAGES = 3;
const MAX_MESSAGE_CHARS = 700;
const MAX_ANSWER_CHARS = 400;

const ZScores = z.record(
  z.string(),
  z.object({ total: z.number(), min: z.number(), max: z.number(), band: z.string(), level: z.string() }),
);

const ZContribution = z.object({ questionId: z.string(), optionId: z.string(), points: z.number() });
const ZEvidence = z.union([
  z.object({ kind: z.literal('answer'), questionId: z.string(), optionId: z.string() }),
  z.object({
    kind: z.literal('score'),
    indicator: z.string(),
    total: z.number(),
    gte: z.number().optional(),
    lte: z.number().optional(),
  }),
]);
const ZExplanationItem = z.union([
  z.object({
    kind: z.literal('band'),
    indicator: z.string(),
    total: z.number(),
    band: z.string(),
    level: z.string(),
    answers: z.array(ZContribution),
  }),
  z.object({ kind: z.literal('critical'), rule: z.string(), level: z.string(), because: z.array(ZEvidence) }),
]);
type TExplanationItem = z.infer<typeof ZExplanationItem>;

const ZSignals = z.object({
  crisis: z
    .object({
      level: z.string(),
      kind: z.string().nullish(),
      reasons: z.array(ZStoredCrisisReason),
    })
    .optional()
    .catch(undefined),
  grievance: z
    .object({
      wordCount: z.number(),
      isShortText: z.boolean(),
      categories: z.array(
        z.object({
          category: z.string(),
          matches: z.number(),
          proportion: z.number(),
          topTerms: z.array(z.object({ term: z.string() })),
        }),
      ),
    })
    .optional()
    .catch(undefined),
});

/**
 * The case as a worker reads it: level, waiting time, indicator scores and bands, the rules and answers
 * that made the level, and crisis / grievance signals with their reasons (signals, never verdicts).
 *
 * @example
 * const text = renderCaseSummary(t, { id, level, score, source, createdAt, scores, explanation, signals }, { now });
 */
export function renderCaseSummary(t: TTranslate, view: TCaseView, options: TSummaryOptions): string {
  const lines = [...summaryHeader(t, view, options)];
  for (const section of caseSummarySections(t, view, options)) lines.push('', ...section);
  return clip(lines.join('\n'));
}

function summaryHeader(t: TTranslate, view: TCaseView, options: TSummaryOptions): string[] {
  const lines = [
    t('page.title', { id: view.id, level: t(`level.${view.level}`) }),
    t('page.waiting', {
      waiting: formatWaiting(t, options.now.getTime() - view.createdAt.getTime()),
      source: t(`source.${view.source.replaceAll('-', '_')}`),
    }),
  ];
  if (options.paged) {
    lines.push(
      t('page.paged_as', {
        audience: options.paged.audiences.map((a) => t(`audience.${a.replace('-', '_')}`)).join(' + '),
        step: options.paged.step,
      }),
    );
  }
  return lines;
}

/**
 * The summary's sections, each a heading and its lines, in the order a worker reads them: what the resident
 * wrote, scores, why the level, signals, free-text answers. Empty sections are left out. The dashboard shows
 * the same sections as the bot's Details, so both say the same thing.
 */
export function caseSummarySections(t: TTranslate, view: TCaseView, options: TSummaryOptions): string[][] {
  const labels = options.labels ?? ID_LABELS;
  return [
    messageLines(t, view.words),
    scoreLines(t, labels, view.scores),
    explanationLines(t, labels, view.explanation),
    signalLines(t, options.locale, view.signals),
    answerLines(t, labels, view.words),
  ].filter((section) => section.length > 0);
}

/** `Case.scores`, checked: each indicator's total, range, band and level (none when malformed). */
export function readScores(json: unknown): z.infer<typeof ZScores> {
  const parsed = ZScores.safeParse(json);
  return parsed.success ? parsed.data : {};
}

export type TGrievanceCategory = { category: string; matches: number; proportion: number; terms: string[] };

/** The grievance signals of a case, checked: each category found, with how often and its leading terms. */
export function readGrievanceSignals(signals: unknown): TGrievanceCategory[] {
  const parsed = ZSignals.safeParse(signals);
  if (!parsed.success) return [];
  return (parsed.data.grievance?.categories ?? [])
    .filter((category) => category.matches > 0)
    .sort((a, b) => b.proportion - a.proportion)
    .map((category) => ({
      category: category.category,
      matches: category.matches,
      proportion: category.proportion,
      terms: category.topTerms.map((term) => term.term),
    }));
}

/**
 * How long a case has waited, in the worker's words: `under a minute`, `12 min`, `3 h 5 min`, `2 d 4 h`.
 *
 * @example formatWaiting(t, 185 * 60_000) // '3 h 5 min'
 */
export function formatWaiting(t: TTranslate, ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return t('waiting.under_minute');
  if (minutes < 60) return t('waiting.minutes', { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t('waiting.hours', { hours, minutes: minutes % 60 });
  return t('waiting.days', { days: Math.floor(hours / 24), hours: hours % 24 });
}

/** First in Details: what the resident wrote that opened or raised the case, newest last. */
function messageLines(t: TTranslate, words: TCaseWords | undefined): string[] {
  if (!words || words.messages.length === 0) return [];
  const shown = words.messages.slice(-MAX_WORDS_MESSAGES);
  const hidden = words.messages.length - shown.length;
  return [
    t('words.heading'),
    ...(hidden > 0 ? [t('words.more', { n: hidden })] : []),
    ...shown.map((text) => t('words.message', { text: shorten(text, MAX_MESSAGE_CHARS) })),
  ];
}

/** The screening's free-text answers, under their questions. */
function answerLines(t: TTranslate, labels: TScriptLabels, words: TCaseWords | undefined): string[] {
  if (!words || words.answers.length === 0) return [];
  return [
    t('words.answers_heading'),
    ...words.answers.map((answer) =>
      t('words.answer', {
        question: labels.question(answer.questionId),
        text: shorten(answer.text, MAX_ANSWER_CHARS),
      }),
    ),
  ];
}

function scoreLines(t: TTranslate, labels: TScriptLabels, json: unknown): string[] {
  const parsed = ZScores.safeParse(json);
  if (!parsed.success || Object.keys(parsed.data).length === 0) return [];
  return [
    t('scores.heading'),
    ...Object.entries(parsed.data).map(([indicator, score]) =>
      t('scores.line', {
        indicator: labels.indicator(indicator),
        total: score.total,
        min: score.min,
        max: score.max,
        band: labels.band(indicator, score.band),
      }),
    ),
  ];
}

function explanationLines(t: TTranslate, labels: TScriptLabels, json: unknown): string[] {
  const items = (Array.isArray(json) ? json : [])
    .flatMap((item): TExplanationItem[] => {
      const parsed = ZExplanationItem.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    })
    // Bands that reach no level explain nothing; the list arrives highest level first.
    .filter((item) => item.level !== 'none');
  if (items.length === 0) return [];
  const shown = items.slice(0, MAX_EXPLANATION_ITEMS).map((item) =>
    item.kind === 'critical'
      ? t('why.rule', {
          rule: labels.rule(item.rule),
          level: t(`level.${item.level}`),
          evidence: listWithMore(
            t,
            item.because.map((evidence) => describeEvidence(t, labels, evidence)),
          ),
        })
      : t('why.band', {
          indicator: labels.indicator(item.indicator),
          band: labels.band(item.indicator, item.band),
          level: t(`level.${item.level}`),
          answers: listWithMore(
            t,
            item.answers.map((a) =>
              t('why.points', {
                question: labels.question(a.questionId),
                option: labels.option(a.questionId, a.optionId),
                points: a.points,
              }),
            ),
          ),
        }),
  );
  const hidden = items.length - shown.length;
  return [t('why.heading'), ...shown, ...(hidden > 0 ? [t('why.more_items', { n: hidden })] : [])];
}

function describeEvidence(t: TTranslate, labels: TScriptLabels, evidence: z.infer<typeof ZEvidence>): string {
  if (evidence.kind === 'answer') {
    return t('why.answer', {
      question: labels.question(evidence.questionId),
      option: labels.option(evidence.questionId, evidence.optionId),
    });
  }
  const indicator = labels.indicator(evidence.indicator);
  if (evidence.gte !== undefined)
    return t('why.score_gte', { indicator, total: evidence.total, bound: evidence.gte });
  if (evidence.lte !== undefined)
    return t('why.score_lte', { indicator, total: evidence.total, bound: evidence.lte });
  return t('why.score', { indicator, total: evidence.total });
}

function listWithMore(t: TTranslate, parts: string[]): string {
  if (parts.length === 0) return t('why.no_answers');
  const shown = parts.slice(0, MAX_ANSWERS_PER_ITEM);
  const hidden = parts.length - shown.length;
  // Labels may hold commas of their own.
  return [...shown, ...(hidden > 0 ? [t('why.more', { n: hidden })] : [])].join('; ');
}

function signalLines(t: TTranslate, locale: string, json: unknown): string[] {
  const parsed = ZSignals.safeParse(json);
  if (!parsed.success) return [];
  const { crisis, grievance } = parsed.data;
  const lines: string[] = [];
  if (crisis && crisis.level !== 'none' && crisis.reasons.length > 0) {
    lines.push(
      t('signals.crisis', {
        level: t(
          `crisis_level.${crisis.level === 'imminent' || crisis.level === 'high' ? crisis.level : 'concern'}`,
        ),
        kind: t(
          `crisis_kind.${crisis.kind === 'self' || crisis.kind === 'others' ? crisis.kind : 'unknown'}`,
        ),
      }),
      ...crisis.reasons.slice(0, MAX_CRISIS_REASONS).map((reason) =>
        t('signals.reason', {
          explanation: shorten(crisisReasonText(t, locale, reason), MAX_REASON_CHARS),
        }),
      ),
    );
  }
  const categories = (grievance?.categories ?? [])
    .filter((category) => category.matches > 0)
    .sort((a, b) => b.proportion - a.proportion)
    .slice(0, MAX_GRIEVANCE_CATEGORIES);
  if (grievance && categories.length > 0) {
    lines.push(
      t(grievance.isShortText ? 'signals.grievance_short' : 'signals.grievance', {
        words: grievance.wordCount,
        categories: categories
          .map((category) =>
            t('signals.category', {
              category: t(`grievance_category.${category.category}`),
              matches: category.matches,
              percent: (category.proportion * 100).toFixed(1),
              terms: category.topTerms
                .slice(0, MAX_TERMS)
                .map((term) => term.term)
                .join(', '),
            }),
          )
          .join('; '),
      }),
    );
  }
  return lines.length > 0 ? [t('signals.heading'), ...lines] : [];
}

function clip(text: string): string {
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 1)}…`;
}
