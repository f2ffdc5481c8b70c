import { z } from 'zod';
import { DEFAULT_MAX_TEXT_LENGTH, type TOption, type TQuestion } from './schema.ts';
import { normalizeTyped } from './text.ts';

/** A recorded answer: the chosen option, or the text typed to a free-text question. */
export const ZAnswer = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('option'), optionId: z.string() }),
  z.strictObject({ type: z.literal('text'), text: z.string() }),
]);
export type TAnswer = z.infer<typeof ZAnswer>;

/** Answers by question id. */
export type TAnswers = Readonly<Record<string, TAnswer>>;

/**
 * Why an answer was not taken, so the bot can re-ask kindly:
 * - `empty`: nothing was written
 * - `too_long`: free text over the question's limit
 * - `not_an_option`: typed text that is none of the options
 * - `ambiguous`: typed text that fits more than one option
 */
export type TReaskReason = 'empty' | 'too_long' | 'not_an_option' | 'ambiguous';

export type TReadAnswer = { ok: true; answer: TAnswer } | { ok: false; reason: TReaskReason };

export function maxTextLength(question: TQuestion): number {
  return question.kind === 'free_text'
    ? (question.maxLength ?? DEFAULT_MAX_TEXT_LENGTH)
    : DEFAULT_MAX_TEXT_LENGTH;
}

/**
 * Reads what the resident sent for `question`: an option id (a button press), or typed text that names an
 * option by its label, an alias or its number (the one its button shows: see {@link optionNumber}), in
 * `locale` first and then in the script's other locales. Free text is kept trimmed.
 *
 * @example readAnswer(yesNoQuestion, ' YES ', 'en', ['en', 'zh-CN']) // { ok: true, answer: { type: 'option', optionId: 'yes' } }
 */
export function readAnswer(
  question: TQuestion,
  input: string,
  locale: string,
  locales: readonly string[],
): TReadAnswer {
  const options: readonly TOption[] = question.options;
  const byId = options.find((option) => option.id === input);
  if (byId !== undefined) return { ok: true, answer: { type: 'option', optionId: byId.id } };

  const typed = normalizeTyped(input);
  if (typed === '') return { ok: false, reason: 'empty' };

  const direct = matchTyped(question, options, typed, locale, locales);
  const matches = direct.length > 0 ? direct : matchButtonText(question, typed, locale, locales);
  if (matches.length === 1) return { ok: true, answer: { type: 'option', optionId: matches[0] as string } };
  if (matches.length > 1) return { ok: false, reason: 'ambiguous' };
  if (question.kind !== 'free_text') return { ok: false, reason: 'not_an_option' };

  const text = input.trim();
  if ([...text].length > maxTextLength(question)) return { ok: false, reason: 'too_long' };
  return { ok: true, answer: { type: 'text', text } };
}

/**
 * The number that names an option when typed, and that its button shows: the value on a scale (so "0" is
 * "not at all"), the place in the list otherwise. One rule for reading and for showing.
 *
 * @example optionNumber('scale', { value: 0 }, 0) // 0
 * @example optionNumber('yes_no', {}, 1) // 2
 */
export function optionNumber(
  kind: TQuestion['kind'],
  option: Pick<TOption, 'value'>,
  index: number,
): number | undefined {
  if (kind === 'free_text') return undefined;
  return kind === 'scale' ? option.value : index + 1;
}

function matchTyped(
  question: TQuestion,
  options: readonly TOption[],
  typed: string,
  locale: string,
  locales: readonly string[],
): string[] {
  if (/^-?\d+$/u.test(typed)) {
    const number = Number(typed);
    const found = options.find((option, index) => optionNumber(question.kind, option, index) === number);
    return found === undefined ? [] : [found.id];
  }
  const byId = options.find((option) => option.id === typed);
  if (byId !== undefined) return [byId.id];

  for (const candidates of [[locale], locales.filter((other) => other !== locale)]) {
    const ids = options
      .filter((option) => candidates.some((l) => wordsFor(option, l).includes(typed)))
      .map((option) => option.id);
    if (ids.length > 0) return ids;
  }
  return [];
}

/**
 * The words on a button typed out, its number and its label ("2 · Part of the time", as `screening.numbered`
 * shows them): the option both name. Tried only when nothing else matched, so a label that starts with a
 * number ("1-2 times") is still read as itself.
 */
function matchButtonText(
  question: TQuestion,
  typed: string,
  locale: string,
  locales: readonly string[],
): string[] {
  const parts = /^(-?\d+)\s*[·.)、:：-]\s*(\S.*)$/u.exec(typed);
  if (!parts) return [];
  const read = (part: string) => matchTyped(question, question.options, part, locale, locales);
  const byNumber = read(parts[1] as string);
  const byLabel = read(parts[2] as string);
  return byNumber.length === 1 && byLabel.length === 1 && byNumber[0] === byLabel[0] ? byNumber : [];
}

/** The normalised words that name `option` in `locale`: its label and aliases. */
export function wordsFor(option: TOption, locale: string): string[] {
  const label = option.label[locale];
  const words = [...(label === undefined ? [] : [label]), ...(option.aliases?.[locale] ?? [])];
  return words.map(normalizeTyped);
}
