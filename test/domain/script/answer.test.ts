import { describe, expect, it } from 'vitest';
import { readAnswer, type TQuestion } from '../../../src/domain/script/index.ts';
import { loadDefaultScript } from './support.ts';

const script = loadDefaultScript();
const question = (id: string): TQuestion => {
  const found = script.questions.find((q) => q.id === id);
  if (found === undefined) throw new Error(`no question ${id}`);
  return found;
};
const read = (id: string, input: string, locale = 'en') =>
  readAnswer(question(id), input, locale, script.locales);

describe('readAnswer', () => {
  it.each([
    // scale: option id, label in any case, value (not position), full-width digits
    ['k6_on_edge', 'often', 'en', 'often'],
    ['k6_on_edge', 'NEARLY ALL THE TIME', 'en', 'nearly_always'],
    ['k6_on_edge', '  part of   the time. ', 'en', 'part_of_the_time'],
    ['k6_on_edge', '0', 'en', 'never'],
    ['k6_on_edge', '2', 'en', 'part_of_the_time'],
    ['k6_on_edge', '４', 'zh-CN', 'nearly_always'],
    ['k6_on_edge', '经常', 'zh-CN', 'often'],
    // another locale's label still counts when it is unambiguous
    ['k6_on_edge', 'Often', 'zh-CN', 'often'],
    // yes/no: label, alias, position
    ['asq_wish_dead', 'Yes', 'en', 'yes'],
    ['asq_wish_dead', 'y', 'en', 'yes'],
    ['asq_wish_dead', '是', 'zh-CN', 'yes'],
    ['asq_wish_dead', '没有', 'zh-CN', 'no'],
    ['asq_wish_dead', '2', 'en', 'no'],
    ['asq_now', 'yes', 'en', 'yes_now'],
    ['asq_now', 'Yes, right now', 'en', 'yes_now'],
    ['asq_now', '是的，现在就有', 'zh-CN', 'yes_now'],
    // single choice: position counts from 1
    ['g_channels', '1', 'en', 'not_tried'],
    ['g_channels', '5', 'en', 'failed_repeatedly'],
    ['g_channels', 'yes, and it went nowhere', 'en', 'failed'],
    // a button's words typed out, its number and label as the button shows them
    ['k6_on_edge', '2 · Part of the time', 'en', 'part_of_the_time'],
    ['k6_on_edge', '0 · Never', 'en', 'never'],
    ['asq_wish_dead', '1 · Yes', 'en', 'yes'],
    ['asq_wish_dead', '2. No', 'en', 'no'],
    ['g_channels', '1 · 没有尝试过', 'zh-CN', 'not_tried'],
    // free text with a quick reply
    ['closing', 'nothing', 'en', 'nothing'],
    ['closing', 'Nothing to add!', 'en', 'nothing'],
    ['closing', '没有要补充的', 'zh-CN', 'nothing'],
  ])('%s reads %j (%s) as option %s', (id, input, locale, optionId) => {
    expect(read(id, input, locale)).toEqual({ ok: true, answer: { type: 'option', optionId } });
  });

  it.each([
    ['k6_on_edge', '', 'empty'],
    ['k6_on_edge', '   ', 'empty'],
    ['k6_on_edge', '5', 'not_an_option'],
    ['k6_on_edge', 'sometimes maybe', 'not_an_option'],
    ['asq_wish_dead', '3', 'not_an_option'],
    ['asq_wish_dead', '0', 'not_an_option'],
    // a number and a label that name different options
    ['asq_wish_dead', '2 · Yes', 'not_an_option'],
    ['g_channels', 'x'.repeat(3000), 'not_an_option'],
    ['closing', '  ', 'empty'],
    ['closing', 'x'.repeat(2001), 'too_long'],
  ])('%s re-asks %j: %s', (id, input, reason) => {
    expect(read(id, input)).toEqual({ ok: false, reason });
  });

  it('keeps free text trimmed, up to the limit counted in characters', () => {
    expect(read('closing', '  my landlord kept the deposit \n')).toEqual({
      ok: true,
      answer: { type: 'text', text: 'my landlord kept the deposit' },
    });
    expect(read('closing', '😀'.repeat(2000))).toMatchObject({ ok: true, answer: { type: 'text' } });
    expect(read('closing', '7')).toEqual({ ok: true, answer: { type: 'text', text: '7' } });
  });

  it('re-asks when typed text names two options', () => {
    const ambiguous: TQuestion = {
      id: 'q',
      kind: 'single_choice',
      text: { en: 'Pick' },
      branch: [],
      options: [
        { id: 'a', label: { en: 'Same' } },
        { id: 'b', label: { en: 'same' } },
      ],
    };
    expect(readAnswer(ambiguous, 'SAME', 'en', ['en'])).toEqual({ ok: false, reason: 'ambiguous' });
    expect(readAnswer(ambiguous, 'b', 'en', ['en'])).toEqual({
      ok: true,
      answer: { type: 'option', optionId: 'b' },
    });
  });
});
