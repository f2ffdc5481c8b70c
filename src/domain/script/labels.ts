import type { TScript } from './schema.ts';
import { localize, shorten } from './text.ts';

/**
 * The names a worker reads for the ids a stored result holds (indicators, bands, critical rules, questions,
 * options), in one locale. An id the script does not know is shown as it is: a summary never fails over a
 * label.
 */
export type TScriptLabels = {
  indicator(id: string): string;
  band(indicator: string, band: string): string;
  rule(id: string): string;
  question(id: string): string;
  option(questionId: string, optionId: string): string;
};

/** A question without a `label` is named by its text, cut to this many characters. */
const MAX_QUESTION_CHARS = 60;

/** Ids as they are: for a result whose script version is no longer known. */
export const ID_LABELS: TScriptLabels = {
  indicator: (id) => id,
  band: (_indicator, band) => band,
  rule: (id) => id,
  question: (id) => id,
  option: (_questionId, optionId) => optionId,
};

/**
 * The labels of one script version in `locale` (falling back to the script's first locale).
 *
 * @example
 * const labels = scriptLabels(script, 'en');
 * labels.option('asq_wish_dead', 'yes') // 'Yes'
 */
export function scriptLabels(script: TScript, locale: string): TScriptLabels {
  const text = (value: Parameters<typeof localize>[0]) => localize(value, locale, script.locales);
  const questions = new Map(script.questions.map((question) => [question.id, question]));
  return {
    indicator: (id) => {
      const label = script.indicators[id]?.label;
      return label ? text(label) : id;
    },
    band: (indicator, band) => {
      const label = script.indicators[indicator]?.bands.find((b) => b.name === band)?.label;
      return label ? text(label) : band;
    },
    rule: (id) => {
      const label = script.critical.find((rule) => rule.id === id)?.label;
      return label ? text(label) : id;
    },
    question: (id) => {
      const question = questions.get(id);
      if (!question) return id;
      return question.label ? text(question.label) : shorten(text(question.text), MAX_QUESTION_CHARS);
    },
    option: (questionId, optionId) => {
      const label = questions.get(questionId)?.options.find((option) => option.id === optionId)?.label;
      return label ? text(label) : optionId;
    },
  };
}
