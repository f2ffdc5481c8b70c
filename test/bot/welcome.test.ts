import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { RESIDENT_EN, RESIDENT_ZH, textUpdate } from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});
beforeEach(() => app.api.reset());

describe('/start and /help', () => {
  it('greets in English, says it is not an emergency service, and shows the numbers', async () => {
    const response = await app.send(textUpdate(RESIDENT_EN, '/start'));
    expect(response.status).toBe(200);
    const [text, notice, ...more] = app.api.textsTo(RESIDENT_EN.id);
    expect(more).toEqual([]);
    expect(notice).toMatch(/Do you agree\?/);
    expect(text).toMatch(/^Hello/);
    expect(text).toMatch(/not an emergency service/);
    expect(text).toMatch(/112/);
  });

  it('greets in Simplified Chinese when Telegram says the resident reads Chinese', async () => {
    await app.send(textUpdate(RESIDENT_ZH, '/start'));
    const [text] = app.api.textsTo(RESIDENT_ZH.id);
    expect(text).toMatch(/^您好/);
    expect(text).toMatch(/不是紧急服务/);
    expect(text).toMatch(/110/);
  });

  it('falls back to English for a language we do not ship', async () => {
    await app.send(textUpdate({ id: 5003, languageCode: 'fr' }, '/help'));
    expect(app.api.textsTo(5003)[0]).toMatch(/^What I do/);
  });

  it('answers /help in both languages with the emergency numbers', async () => {
    await app.send(textUpdate(RESIDENT_EN, '/help'));
    await app.send(textUpdate(RESIDENT_ZH, '/help'));
    expect(app.api.textsTo(RESIDENT_EN.id)[0]).toMatch(/In an emergency[\s\S]*112/);
    expect(app.api.textsTo(RESIDENT_ZH.id)[0]).toMatch(/紧急情况[\s\S]*120/);
  });
});

describe('emergency numbers from configuration', () => {
  it('replace the locale default', async () => {
    const configured = await createTestApp({ emergencyNumbers: { en: 'Call 999 now.', '*': 'Ring 000.' } });
    try {
      await configured.send(textUpdate(RESIDENT_EN, '/help'));
      await configured.send(textUpdate(RESIDENT_ZH, '/help'));
      expect(configured.api.textsTo(RESIDENT_EN.id)[0]).toMatch(/Call 999 now\./);
      expect(configured.api.textsTo(RESIDENT_ZH.id)[0]).toMatch(/Ring 000\./);
    } finally {
      await configured.close();
    }
  });
});
