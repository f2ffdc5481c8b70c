import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, defaultScript, ROUTES, scriptText } from '../helpers/journey.ts';

/** Commands in every state, one number rule, an honest /privacy, progress that never goes backwards. */
let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 58_000;
const texts = { en: botTexts('en'), 'zh-hans': botTexts('zh-CN') } as const;

async function screeningResident(languageCode: 'en' | 'zh-hans') {
  const resident = createResident(app, { id: nextId++, languageCode });
  await resident.consent();
  resident.read();
  return resident;
}

const progressOf = (text: string | undefined) => {
  const match = /(\d+) \/ (\d+)$/.exec(text ?? '');
  return match ? { at: Number(match[1]), total: Number(match[2]) } : undefined;
};

for (const languageCode of ['en', 'zh-hans'] as const) {
  const t = texts[languageCode];

  describe(`in '${languageCode}'`, () => {
    it('an unknown command is answered in every state, and a screening under way carries on', async () => {
      const stranger = createResident(app, { id: nextId++, languageCode });
      await stranger.send('/frobnicate');
      expect(stranger.read()).toEqual([t('unsupported.unknown_command')]);

      const resident = await screeningResident(languageCode);
      await resident.answer(['1']);
      const before = resident.read().at(-1);
      await resident.send('/frobnicate');
      await resident.send('/frobnicate again');
      expect(resident.read()).toEqual([t('unsupported.unknown_command'), t('unsupported.unknown_command')]);
      expect(app.logLines.join('\n')).not.toMatch(/already entered|failed for good/);
      // The question on screen still takes its answer.
      await resident.send('1');
      expect(progressOf(resident.read().at(-1))?.at).toBe((progressOf(before)?.at ?? 0) + 1);
    });

    it('/privacy mid-screening shows the notice without asking again, and without buttons', async () => {
      const resident = await screeningResident(languageCode);
      await resident.answer(['1']);
      resident.read();
      await resident.send('/privacy');
      const [notice] = resident.read();
      expect(notice?.endsWith(t('consent.agreed'))).toBe(true);
      expect(notice).not.toContain(t('consent.ask'));
      const last = app.api.callsOf('sendMessage').at(-1);
      expect(last?.payload.reply_markup).toBeUndefined();
    });

    it('every answer button shows the number that answers it when typed, and typing it answers', async () => {
      const script = defaultScript();
      const resident = await screeningResident(languageCode);
      // The first question is a scale: its numbers are its values.
      const first = script.questions[0];
      const scale = app.api.lastKeyboard(resident.person.id)?.buttons.map((button) => button.text);
      expect(scale).toEqual(
        first?.options.map((option) =>
          t('screening.numbered', {
            number: 'value' in option ? option.value : '?',
            label: scriptText(option.label, languageCode === 'en' ? 'en' : 'zh-CN'),
          }),
        ),
      );
      // A yes/no question: its numbers are places in the list; "2" is the second button.
      await resident.answer(ROUTES.none.slice(0, 6));
      const yesNo = app.api.lastKeyboard(resident.person.id);
      expect(yesNo?.buttons.map((button) => button.text.split(' · ')[0])).toEqual(['1', '2']);
      const second = yesNo?.buttons[1];
      await resident.send('2');
      const marked = app.api
        .callsOf('editMessageText')
        .find((call) => call.payload.message_id === yesNo?.messageId);
      expect(String(marked?.payload.text)).toContain(second?.text.split(' · ')[1]);
      // A number no button shows is asked again, pointing at the numbers on the buttons.
      await resident.send('7');
      expect(resident.read().at(-1)).toBe(t('screening.reask.not_an_option'));
    });

    it('progress never goes backwards: the total first shown holds to the end, whichever branch', async () => {
      for (const route of [ROUTES.none, ROUTES.high]) {
        const resident = await screeningResident(languageCode);
        const questionsShown = () => app.api.textsTo(resident.person.id).filter((text) => progressOf(text));
        const shown: Array<{ at: number; total: number }> = [];
        for (const answer of route) {
          const progress = progressOf(questionsShown().at(-1));
          if (progress) shown.push(progress);
          await resident.send(answer);
        }
        expect(shown).toHaveLength(route.length);
        expect(new Set(shown.map((progress) => progress.total)).size).toBe(1);
        expect(shown.map((progress) => progress.at)).toEqual(shown.map((_, index) => index + 1));
      }
    });
  });
}
