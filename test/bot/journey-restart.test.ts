import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 23_000;
const en = botTexts('en');

async function screeningState(residentId: string) {
  const row = await app.prisma.screening.findFirstOrThrow({
    where: { residentId },
    orderBy: { startedAt: 'desc' },
  });
  return {
    row,
    state: JSON.parse(app.protector.open(row.stateSealed, `screening-state:${row.id}`)) as {
      path: string[];
      answers: Record<string, unknown>;
    },
  };
}

describe('a restart mid-screening', () => {
  it('the button of the question on screen still answers it, and the screening completes', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.pressOption('often');
    await resident.pressOption('often');
    await resident.pressOption('often');
    const beforeRestart = resident.read().at(-1);
    expect(beforeRestart).toMatch(/so low that even good news[\s\S]*4 \/ \d+$/);

    const restarted = await app.restart();
    const again = createResident(restarted, resident.person);
    again.read();
    await again.pressOption('often');
    expect(again.read()).toEqual([expect.stringMatching(/ordinary, everyday things[\s\S]*5 \/ \d+$/)]);

    await again.answer(ROUTES.high.slice(4));
    expect(again.read()).toContain(en('outcome.escalated_high'));
    const { row, state } = await screeningState(resident.residentId);
    expect(row).toMatchObject({ status: 'completed', level: 'high' });
    expect(state.path.slice(0, 4)).toEqual(['k6_on_edge', 'k6_no_hope', 'k6_unsettled', 'k6_low']);
    expect(state.answers.k6_on_edge).toEqual({ type: 'option', optionId: 'often' });
    await restarted.close();
  });

  it('/start after the restart asks question 4 again, and typed answers carry on to the end', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'zh-hans' });
    await resident.consent();
    await resident.answer(['1', '1', '1']);
    resident.read();

    const restarted = await app.restart();
    const again = createResident(restarted, resident.person);
    again.read();
    await again.send('/start');
    expect(again.read()).toEqual([expect.stringMatching(/情绪低落[\s\S]*4 \/ \d+$/)]);
    await again.answer(ROUTES.moderate.slice(3));
    expect(again.read()).toContain(botTexts('zh-CN')('outcome.offer_moderate'));
    const { row, state } = await screeningState(resident.residentId);
    expect(row).toMatchObject({ status: 'completed', level: 'moderate' });
    expect(state.path.filter((id) => id === 'k6_low')).toHaveLength(1);
    expect(await app.prisma.screening.count({ where: { residentId: resident.residentId } })).toBe(1);
    await restarted.close();
  });
});

describe('a press on an earlier question’s keyboard', () => {
  it('changes nothing: the engine state is the same and the press is told the question was answered', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    const first = app.api.lastKeyboard(resident.person.id);
    expect(first?.buttons.map((button) => button.data)).toContain(CALLBACK.answer(0, 'never'));
    await resident.pressOption('never');

    // The answered question was marked and its keyboard dropped: an edit with no reply_markup.
    const edit = app.api
      .callsOf('editMessageText')
      .find(
        (call) => call.payload.chat_id === resident.person.id && call.payload.message_id === first?.messageId,
      );
    expect(edit?.payload).not.toHaveProperty('reply_markup');
    expect(edit?.payload.text).toMatch(/tense, anxious or on edge[\s\S]*✓ Never$/);

    const before = await screeningState(resident.residentId);
    expect(before.state.path).toEqual(['k6_on_edge']);
    expect(before.state.answers).toEqual({ k6_on_edge: { type: 'option', optionId: 'never' } });
    resident.read();
    const answered = app.api.callsOf('answerCallbackQuery').length;

    await resident.pressOption('nearly_always', first?.messageId);
    const after = await screeningState(resident.residentId);
    expect(after.state).toEqual(before.state);
    expect(after.row.promptMessageId).toBe(before.row.promptMessageId);
    expect(app.api.callsOf('answerCallbackQuery').slice(answered)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ text: en('screening.stale') }) }),
    ]);
    expect(resident.read()).toEqual([]);

    // The question on screen still takes its answer.
    await resident.pressOption('never');
    expect(resident.read()).toEqual([expect.stringMatching(/3 \/ \d+$/)]);
  });

  it('after the screening is over: told the question was answered, and nothing changes', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    const first = app.api.lastKeyboard(resident.person.id);
    await resident.answer(ROUTES.moderate);
    const before = await screeningState(resident.residentId);
    resident.read();
    const answered = app.api.callsOf('answerCallbackQuery').length;

    await resident.pressOption('nearly_always', first?.messageId);
    expect(app.api.callsOf('answerCallbackQuery').slice(answered)).toEqual([
      expect.objectContaining({ payload: expect.objectContaining({ text: en('screening.stale') }) }),
    ]);
    expect(resident.read()).toEqual([]);
    const after = await screeningState(resident.residentId);
    expect(after.state).toEqual(before.state);
    expect(after.row.status).toBe('completed');
    expect(await app.prisma.case.count({ where: { residentId: resident.residentId } })).toBe(0);
  });
});
