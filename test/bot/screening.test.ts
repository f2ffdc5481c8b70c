import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 7000;
const person = (languageCode: string) => ({ id: nextId++, languageCode });

describe('a full screening', () => {
  it('asks for consent, then asks the first question with its buttons and a progress hint', async () => {
    const resident = createResident(app, person('en'));
    await resident.send('/start');
    expect(resident.read()).toEqual([
      expect.stringMatching(/^Hello/),
      expect.stringMatching(/Do you agree\?/),
    ]);
    await resident.press(CALLBACK.consentYes);
    const [thanks, question] = resident.read();
    expect(thanks).toMatch(/^Thank you/);
    expect(question).toMatch(/1 \/ \d+$/);
    expect(app.api.lastKeyboard(resident.person.id)?.buttons.length).toBe(5);
  });

  it.each(['en', 'zh-hans'])('reaches high in %s and opens a waiting case', async (languageCode) => {
    const resident = createResident(app, person(languageCode));
    await resident.consent();
    await resident.answer(ROUTES.high);
    const texts = resident.read();
    expect(texts.join('\n')).toMatch(
      languageCode === 'en' ? /social worker to contact you/ : /请值班社工联系您/,
    );
    const cases = await app.prisma.case.findMany({
      where: { residentId: app.protector.pseudonymOf(resident.person.id) },
    });
    expect(cases).toMatchObject([
      { level: 'high', status: 'waiting', scriptId: 'default', scriptVersion: 5 },
    ]);
  });
});
