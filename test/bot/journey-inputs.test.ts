import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, sentMessageId } from '../helpers/journey.ts';
import {
  channelPostUpdate,
  editedTextUpdate,
  groupTextUpdate,
  messageUpdate,
  textUpdate,
  UNSUPPORTED_CONTENT,
} from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 24_000;
const en = botTexts('en');
const zh = botTexts('zh-CN');

/** A consented resident looking at the first question. */
async function screeningResident(languageCode: 'en' | 'zh-hans' = 'en') {
  const resident = createResident(app, { id: nextId++, languageCode });
  await resident.consent();
  expect(resident.read().at(-1)).toMatch(/1 \/ \d+$/);
  return resident;
}

async function activeScreening(residentId: string) {
  return app.prisma.screening.findFirst({ where: { residentId, status: 'active' } });
}

/** Nothing the resident was sent is the apology for a failure. */
function expectNoErrorText(chatId: number) {
  const apologies = [en('errors.generic', { numbers: '' }), zh('errors.generic', { numbers: '' })].map(
    (text) => text.split('\n')[0] ?? text,
  );
  for (const text of app.api.textsTo(chatId)) {
    for (const apology of apologies) expect(text).not.toContain(apology);
  }
}

describe('what the bot cannot read, mid-screening', () => {
  it.each(Object.keys(UNSUPPORTED_CONTENT) as Array<keyof typeof UNSUPPORTED_CONTENT>)(
    'a %s gets a short, kind answer and the screening carries on',
    async (kind) => {
      const resident = await screeningResident();
      const response = await app.send(messageUpdate(resident.person, UNSUPPORTED_CONTENT[kind]));
      expect(response.status).toBe(200);
      expect(resident.read()).toEqual([en('unsupported.media')]);

      await resident.send('0');
      expect(resident.read()).toEqual([
        expect.stringMatching(/things were not going to get better[\s\S]*2 \/ \d+$/),
      ]);
      expectNoErrorText(resident.person.id);
    },
  );

  it('answers in the resident’s language (Chinese), and a caption is not taken as an answer', async () => {
    const resident = await screeningResident('zh-hans');
    for (const content of [
      UNSUPPORTED_CONTENT.sticker,
      UNSUPPORTED_CONTENT.voice,
      { ...UNSUPPORTED_CONTENT.photo, caption: '0' },
    ]) {
      await app.send(messageUpdate(resident.person, content));
      expect(resident.read()).toEqual([zh('unsupported.media')]);
    }
    await app.send(editedTextUpdate(resident.person, '1'));
    expect(resident.read()).toEqual([zh('unsupported.edited')]);
    const screening = await activeScreening(resident.residentId);
    expect(screening?.stateSealed).toBeDefined();

    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/不会好起来[\s\S]*2 \/ \d+$/)]);
    expectNoErrorText(resident.person.id);
  });

  it('an edited message is not re-read as an answer; the screening carries on', async () => {
    const resident = await screeningResident();
    await app.send(editedTextUpdate(resident.person, '3'));
    expect(resident.read()).toEqual([en('unsupported.edited')]);
    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/2 \/ \d+$/)]);
    expectNoErrorText(resident.person.id);
  });

  it('emoji only is asked again kindly, not treated as an error', async () => {
    const resident = await screeningResident();
    await resident.send('😢😢😢');
    expect(resident.read()).toEqual([en('screening.reask.not_an_option')]);
    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/2 \/ \d+$/)]);
    expectNoErrorText(resident.person.id);
  });

  it('a very long text is asked again kindly, at a choice question and at the free-text question', async () => {
    const resident = await screeningResident();
    const long = 'word '.repeat(1000);
    await resident.send(long);
    expect(resident.read()).toEqual([en('screening.reask.not_an_option')]);

    await resident.answer(['0', '0', '0', '0', '0', '0', 'no', 'no', 'no', 'no', '0', '0', '0']);
    // The optional topic and area questions are choice questions too.
    expect(resident.read().at(-1)).toMatch(/What is weighing on you most right now/);
    await resident.send(long);
    expect(resident.read()).toEqual([en('screening.reask.not_an_option')]);
    await resident.send('rather_not_say');
    expect(resident.read().at(-1)).toMatch(/which part of the city do you live in/);
    await resident.send("I'd rather not say");
    expect(resident.read().at(-1)).toMatch(/anything else you would like the social worker to know/);
    await resident.send(long);
    expect(resident.read()).toEqual([en('screening.reask.too_long', { max: 2000 })]);
    expect(await activeScreening(resident.residentId)).not.toBeNull();

    await resident.send('A shorter note.');
    expect(resident.read()[0]).toMatch(/^Thank you/);
    expect(await activeScreening(resident.residentId)).toBeNull();
    expectNoErrorText(resident.person.id);
  });
});

describe('messages outside a private chat', () => {
  it('a message in a group and a post in a channel are ignored: no Bot API call at all', async () => {
    const resident = await screeningResident();
    const calls = app.api.calls.length;
    expect((await app.send(groupTextUpdate(resident.person, '/start'))).status).toBe(200);
    expect((await app.send(groupTextUpdate(resident.person, 'I want to kill myself tonight'))).status).toBe(
      200,
    );
    expect((await app.send(channelPostUpdate('Community lunch on Friday'))).status).toBe(200);
    expect(app.api.calls.length).toBe(calls);
    expect(await app.prisma.case.count({ where: { residentId: resident.residentId } })).toBe(0);

    // The private screening is where it was.
    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/2 \/ \d+$/)]);
  });
});

describe('commands mid-screening', () => {
  it('/help, /privacy and /language answer, and the screening carries on (in Chinese after the switch)', async () => {
    const resident = await screeningResident();
    await resident.answer(['0', '0']);
    expect(resident.read().at(-1)).toMatch(/3 \/ \d+$/);

    await resident.send('/help');
    expect(resident.read()).toEqual([
      [en('help.text'), en('help.emergency', { numbers: en('emergency.default') })].join('\n\n'),
    ]);
    await resident.send('/privacy');
    const [notice] = resident.read();
    expect(notice).toMatch(/^How your information is handled/);
    // Already agreed: no consent buttons this time.
    expect(app.api.callsOf('sendMessage').at(-1)?.payload).not.toHaveProperty('reply_markup');

    await resident.send('/language');
    expect(resident.read()).toEqual([en('language.choose')]);
    await resident.press(CALLBACK.language('zh-CN'));
    expect(resident.read()).toEqual([zh('language.set')]);
    expect(await app.prisma.resident.findUnique({ where: { id: resident.residentId } })).toMatchObject({
      locale: 'zh-CN',
    });

    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/情绪低落[\s\S]*4 \/ \d+$/)]);
    expectNoErrorText(resident.person.id);
  });

  it('/cancel leaves (answers kept, cancelled); "forget my answers" deletes them; /start begins afresh', async () => {
    const resident = await screeningResident();
    await resident.answer(['2', '2']);
    resident.read();

    await resident.send('/cancel');
    expect(resident.read()).toEqual([en('screening.cancelled')]);
    const cancelled = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.completedAt).not.toBeNull();

    // No questions under way: typing is not taken as an answer.
    await resident.send('0');
    expect(resident.read()).toEqual([en('unsupported.unknown_text')]);
    await resident.send('/cancel');
    expect(resident.read()).toEqual([en('screening.nothing_to_cancel')]);

    await resident.press(
      CALLBACK.discardAnswers,
      sentMessageId(app, resident.person.id, en('screening.cancelled')),
    );
    expect(resident.read()).toEqual([en('screening.discarded')]);
    expect(await app.prisma.screening.count({ where: { residentId: resident.residentId } })).toBe(0);

    await resident.send('/start');
    expect(resident.read()).toEqual([expect.stringMatching(/1 \/ \d+$/)]);
    expect(await activeScreening(resident.residentId)).not.toBeNull();
    expectNoErrorText(resident.person.id);
  });
});

describe('a plain text message', () => {
  it('with no screening under way points to /start and /help', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await app.send(textUpdate(resident.person, 'hello?'));
    expect(resident.read()).toEqual([en('unsupported.unknown_text')]);
  });
});
