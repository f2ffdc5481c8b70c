import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { editedTextUpdate, messageUpdate } from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 23_000;
const en = botTexts('en');
const IMMINENT_EN = 'I want to kill myself tonight';
const CONCERN_EN = "I'm a burden to everyone";
const numbersText = en('crisis.imminent', { numbers: en('emergency.default') });

/** What Telegram accepted for this chat (a failed call reached the fake but delivered nothing). */
function delivered(chatId: number): string[] {
  return app.api
    .callsOf('sendMessage')
    .filter((call) => call.payload.chat_id === chatId && call.result !== undefined)
    .map((call) => String(call.payload.text));
}

async function imminentCases(residentId: string) {
  return app.prisma.case.findMany({ where: { residentId, level: 'imminent', status: 'waiting' } });
}

describe('crisis language when Telegram fails the reply', () => {
  it('keeps the imminent case, and the numbers reach the resident through the outbox', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    app.api.failNext(
      'sendMessage',
      { error_code: 502, description: 'Bad Gateway' },
      { chatId: resident.person.id },
    );

    await resident.send(IMMINENT_EN);
    expect(delivered(resident.person.id)).toEqual([]);
    const [opened] = await imminentCases(resident.residentId);
    expect(opened).toBeDefined();

    await deliverOutbox(app);
    expect(delivered(resident.person.id)).toEqual([numbersText, en('crisis.escalated')]);
    const notices = await app.prisma.outboxMessage.findMany({
      where: { caseId: opened?.id, kind: 'crisis-notice' },
    });
    expect(notices.map((row) => row.status)).toEqual(['sent', 'sent']);
  });

  it('when only the second reply fails, queues just that one', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    app.api.failNext(
      'sendMessage',
      { error_code: 500, description: 'Internal Server Error' },
      { after: 1, chatId: resident.person.id },
    );

    await resident.send(IMMINENT_EN);
    expect(delivered(resident.person.id)).toEqual([numbersText]);
    await deliverOutbox(app);
    expect(delivered(resident.person.id)).toEqual([numbersText, en('crisis.escalated')]);
    expect(await imminentCases(resident.residentId)).toHaveLength(1);
  });
});

describe('crisis language in edits and captions', () => {
  it('an edited photo caption reading as imminent gets the numbers and an imminent case', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    const update = editedTextUpdate(resident.person, 'placeholder') as unknown as {
      edited_message: Record<string, unknown>;
    };
    delete update.edited_message.text;
    update.edited_message.caption = IMMINENT_EN;
    update.edited_message.photo = [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }];
    expect((await app.send(update)).status).toBe(200);

    expect(resident.read()).toEqual([numbersText, en('crisis.escalated')]);
    expect(await imminentCases(resident.residentId)).toHaveLength(1);
  });
});

describe('crisis language marked concern', () => {
  it('outside a screening: the offer of a worker, and nothing that contradicts it', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.send(CONCERN_EN);
    expect(resident.read()).toEqual([en('crisis.concern')]);
  });

  it('in an edit or a caption: the offer alone, not "I did not see your edit" or "I can only read text"', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    expect((await app.send(editedTextUpdate(resident.person, CONCERN_EN))).status).toBe(200);
    expect(resident.read()).toEqual([en('crisis.concern')]);

    const photo = messageUpdate(resident.person, {
      caption: CONCERN_EN,
      photo: [{ file_id: 'p', file_unique_id: 'p', width: 1, height: 1 }],
    });
    expect((await app.send(photo)).status).toBe(200);
    expect(resident.read()).toEqual([en('crisis.concern')]);
  });
});

describe('an imminent screening outcome when Telegram fails the reply', () => {
  it('keeps the imminent case, and the outcome reaches the resident through the outbox', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    const answers = [...ROUTES.imminent];
    const last = answers.pop() ?? '';
    await resident.answer(answers);
    resident.read();

    app.api.failNext(
      'sendMessage',
      { error_code: 502, description: 'Bad Gateway' },
      { chatId: resident.person.id },
    );
    await resident.send(last);
    expect(delivered(resident.person.id).at(-1)).not.toBe(
      en('outcome.imminent_first', { numbers: en('emergency.default') }),
    );
    const [opened] = await imminentCases(resident.residentId);
    expect(opened).toBeDefined();

    await deliverOutbox(app);
    const outcome = delivered(resident.person.id);
    expect(outcome).toContain(en('outcome.imminent_first', { numbers: en('emergency.default') }));
    expect(outcome).toContain(en('outcome.escalated_imminent'));
    const screening = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    expect(screening.status).toBe('completed');
  });
});
