import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationStorageKey } from '../../src/bot/deps.ts';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { dumpText, readEveryTable, schemaModelNames } from '../helpers/tables.ts';
import { callbackUpdate, messageUpdate, type TPerson, UNSUPPORTED_CONTENT } from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

const en = botTexts('en');
/** Telegram ids long enough that their digits cannot turn up by chance in an update id or a timestamp. */
let nextId = 731_904_265;
const person = (firstName: string, languageCode = 'en'): TPerson => ({
  id: nextId++,
  languageCode,
  firstName,
});

const IMMINENT = 'I want to kill myself tonight';

/** Everything stored that names the resident (by pseudonym) or their conversation. */
async function rowsOf(residentId: string) {
  const cases = await app.prisma.case.findMany({ where: { residentId }, orderBy: { id: 'asc' } });
  const caseIds = cases.map((c) => c.id);
  return {
    resident: await app.prisma.resident.findUnique({ where: { id: residentId } }),
    screenings: await app.prisma.screening.findMany({ where: { residentId }, orderBy: { startedAt: 'asc' } }),
    cases,
    events: await app.prisma.caseEvent.findMany({
      where: { caseId: { in: caseIds } },
      orderBy: { id: 'asc' },
    }),
    session: await app.prisma.botSession.findUnique({ where: { key: conversationStorageKey(residentId) } }),
  };
}

describe('/delete', () => {
  it('erases everything linked to the resident, table by table, after a confirmation', async () => {
    const resident = createResident(app, person('Wilhelmina'));
    const chatId = String(resident.person.id);
    const freeText = 'My landlord Pemberton evicted me from Quixburg lane';
    await resident.consent();
    await resident.answer([...ROUTES.high.slice(0, -1), freeText]);
    await resident.send(IMMINENT);
    // A second screening under way, so a conversation is held too.
    await resident.send('/start');
    await resident.answer(['2', '2']);

    const before = await rowsOf(resident.residentId);
    expect(before.resident).not.toBeNull();
    expect(before.screenings.map((s) => s.status)).toEqual(['completed', 'active']);
    expect(before.cases).toEqual([expect.objectContaining({ level: 'imminent', status: 'waiting' })]);
    expect(before.cases[0]?.signalsSealed).not.toBeNull();
    expect(before.session).not.toBeNull();
    const caseId = before.cases[0]?.id ?? -1;
    resident.read();

    await resident.send('/delete');
    // An imminent case is open: the numbers come with the question.
    expect(resident.read()).toEqual([en('delete.confirm_in_crisis', { numbers: en('emergency.default') })]);
    expect(app.api.lastKeyboard(resident.person.id)?.buttons.map((b) => b.data)).toEqual([
      CALLBACK.deleteYes,
      CALLBACK.deleteNo,
    ]);
    await resident.press(CALLBACK.deleteYes);
    expect(resident.read()).toEqual([en('delete.done')]);

    const after = await rowsOf(resident.residentId);
    expect(after.resident).toBeNull();
    expect(after.screenings).toEqual([]);
    expect(after.cases).toEqual([]);
    expect(after.session).toBeNull();
    expect(await app.prisma.botSession.count({ where: { key: { contains: resident.residentId } } })).toBe(0);

    // The case stays only as an anonymous row: withdrawn, no scores, no signals, nothing to link it.
    const anonymous = await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(anonymous).toMatchObject({
      residentId: null,
      screeningId: null,
      scores: null,
      explanation: null,
      signalsSealed: null,
      status: 'withdrawn',
      level: 'imminent',
      nextEscalationAt: null,
    });
    expect(anonymous.closedAt).not.toBeNull();
    const events = await app.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    // Its timeline stays as written: ids and codes, never what the resident wrote.
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('created');
    expect(types.at(-1)).toBe('erased');
    expect(types).toContain('raised');
    for (const event of events)
      expect(JSON.stringify(event.detail ?? {})).not.toMatch(/[A-Za-z]{3,} [A-Za-z]{3,}/);
    expect(await app.prisma.caseMessage.count({ where: { caseId } })).toBe(0);
    expect(await app.prisma.caseNote.count({ where: { caseId } })).toBe(0);
    expect(await app.prisma.outboxMessage.count({ where: { caseId } })).toBe(0);

    // Every table, as text: not the pseudonym, not the chat id, not a word they wrote, not their name — but
    // the erasure list, which keeps the pseudonym alone, so a restored backup can be erased again.
    const { Erasure: erasures, ...tables } = await readEveryTable(app.prisma);
    expect(erasures).toEqual([{ pseudonym: resident.residentId, erasedAt: expect.any(Date) }]);
    expect([...Object.keys(tables), 'Erasure'].sort()).toEqual(schemaModelNames().sort());
    const dump = dumpText(tables);
    for (const trace of [resident.residentId, chatId, 'Pemberton', 'Quixburg', 'kill myself', 'Wilhelmina']) {
      expect(dump).not.toContain(trace);
    }
  });

  it('"No, keep it" keeps everything, and the screening carries on', async () => {
    const resident = createResident(app, person('Oswin'));
    await resident.consent();
    await resident.answer(['1', '1']);
    await resident.send(IMMINENT);
    const before = await rowsOf(resident.residentId);
    expect(before.cases).toHaveLength(1);
    resident.read();

    await resident.send('/delete');
    await resident.press(CALLBACK.deleteNo);
    expect(resident.read()).toEqual([
      en('delete.confirm_in_crisis', { numbers: en('emergency.default') }),
      en('delete.kept'),
    ]);
    const after = await rowsOf(resident.residentId);
    expect(after.resident).toEqual(before.resident);
    expect(after.screenings).toEqual(before.screenings);
    expect(after.cases).toEqual(before.cases);
    expect(after.events).toEqual(before.events);
    expect(after.session?.key).toBe(before.session?.key);

    await resident.send('1');
    expect(resident.read()).toEqual([expect.stringMatching(/4 \/ \d+$/)]);
  });

  it('afterwards, /start begins afresh with the consent notice', async () => {
    const resident = createResident(app, person('Thaddeus'));
    await resident.consent();
    await resident.answer(['1', '1']);
    await resident.send('/delete');
    await resident.press(CALLBACK.deleteYes);
    resident.read();

    await resident.send('/start');
    expect(resident.read()).toEqual([
      expect.stringMatching(/^Hello/),
      expect.stringMatching(/Do you agree\?$/),
    ]);
    expect(app.api.lastKeyboard(resident.person.id)?.buttons.map((b) => b.data)).toEqual([
      CALLBACK.consentYes,
      CALLBACK.consentNo,
    ]);
    await resident.press(CALLBACK.consentYes);
    expect(resident.read()).toEqual([en('consent.given'), expect.stringMatching(/^First, [\s\S]*1 \/ \d+$/)]);
    expect((await rowsOf(resident.residentId)).screenings).toEqual([
      expect.objectContaining({ status: 'active' }),
    ]);
  });
});

describe('without consent', () => {
  it('"Not now" keeps only the refusal and the language; /help still works', async () => {
    const resident = createResident(app, person('Perpetua', 'zh-hans'));
    const zh = botTexts('zh-CN');
    await resident.send('/start');
    await resident.press(CALLBACK.consentNo);
    const [, , refused] = resident.read();
    expect(refused).toBe(zh('consent.refused', { numbers: zh('emergency.default') }));

    const rows = await rowsOf(resident.residentId);
    expect(rows.resident).toMatchObject({
      id: resident.residentId,
      consentStatus: 'refused',
      locale: 'zh-CN',
      chatIdSealed: null,
    });
    expect(rows.screenings).toEqual([]);
    expect(rows.cases).toEqual([]);
    expect(rows.session).toBeNull();

    await resident.send('/help');
    expect(resident.read()).toEqual([expect.stringMatching(/^我能做什么[\s\S]*紧急情况[\s\S]*120/)]);
    await resident.send('我很好');
    expect(resident.read()).toEqual([zh('unsupported.unknown_text')]);
    expect((await rowsOf(resident.residentId)).screenings).toEqual([]);
  });
});

/** The message id of the consent notice just shown to `resident`. */
function lastNotice(resident: ReturnType<typeof createResident>): number {
  const keyboard = app.api.lastKeyboard(resident.person.id);
  expect(keyboard?.buttons.map((b) => b.data)).toEqual([CALLBACK.consentYes, CALLBACK.consentNo]);
  return keyboard?.messageId ?? -1;
}

/** A press on a notice Telegram dates `minutesAgo` (a callback carries the date its message was sent). */
async function pressOnNoticeFrom(
  resident: ReturnType<typeof createResident>,
  data: string,
  messageId: number,
  minutesAgo: number,
): Promise<void> {
  const update = callbackUpdate(resident.person, data, messageId);
  const message = update.callback_query?.message;
  if (message) message.date -= minutesAgo * 60;
  expect((await app.send(update)).status).toBe(200);
}

/** What the bot said in answer to the last button press (the small notice on the resident's screen). */
function lastButtonAnswer(): unknown {
  return app.api.callsOf('answerCallbackQuery').at(-1)?.payload.text;
}

describe('the consent buttons', () => {
  it('"Not now" with an open crisis case keeps the chat id, and says a worker can still write', async () => {
    const resident = createResident(app, person('Ignatius'));
    await resident.send('/start');
    const notice = lastNotice(resident);
    await resident.send(IMMINENT);
    expect((await rowsOf(resident.residentId)).cases).toEqual([
      expect.objectContaining({ level: 'imminent', status: 'waiting' }),
    ]);
    resident.read();

    await resident.press(CALLBACK.consentNo, notice);
    expect(resident.read()).toEqual([en('consent.refused_open_case', { numbers: en('emergency.default') })]);
    const rows = await rowsOf(resident.residentId);
    expect(rows.resident).toMatchObject({ consentStatus: 'refused' });
    expect(app.protector.open(rows.resident?.chatIdSealed ?? '', 'chat-id')).toBe(String(resident.person.id));
    expect(rows.cases).toEqual([expect.objectContaining({ level: 'imminent', status: 'waiting' })]);
  });

  it('"Not now" once the case is closed forgets the chat id again', async () => {
    const resident = createResident(app, person('Leopoldina'));
    await resident.send('/start');
    const notice = lastNotice(resident);
    await resident.send(IMMINENT);
    await app.prisma.case.updateMany({
      where: { residentId: resident.residentId },
      data: { status: 'resolved', closedAt: new Date() },
    });
    resident.read();

    await resident.press(CALLBACK.consentNo, notice);
    expect(resident.read()).toEqual([en('consent.refused', { numbers: en('emergency.default') })]);
    expect((await rowsOf(resident.residentId)).resident).toMatchObject({
      consentStatus: 'refused',
      chatIdSealed: null,
    });
  });

  it('"Not now" while a screening is under way ends it, forgets its answers and leaves the conversation', async () => {
    const resident = createResident(app, person('Bonifacio'));
    await resident.send('/start');
    const notice = lastNotice(resident);
    await resident.press(CALLBACK.consentYes, notice);
    await resident.answer(['1', '1']);
    expect((await rowsOf(resident.residentId)).screenings).toEqual([
      expect.objectContaining({ status: 'active' }),
    ]);
    resident.read();

    // A press Telegram dates to this same second counts as the latest notice: the refusal stands.
    await resident.press(CALLBACK.consentNo, notice);
    expect(resident.read()).toEqual([
      en('consent.screening_ended'),
      en('consent.refused', { numbers: en('emergency.default') }),
    ]);
    const rows = await rowsOf(resident.residentId);
    expect(rows.resident).toMatchObject({ consentStatus: 'refused', chatIdSealed: null });
    expect(rows.screenings).toEqual([]);

    // The questions have stopped: a number is not taken as an answer, and nothing new is stored.
    await resident.send('1');
    expect(resident.read()).toEqual([en('unsupported.unknown_text')]);
    expect((await rowsOf(resident.residentId)).screenings).toEqual([]);
  });

  it('a button on an older notice, once answered, is answered kindly and changes nothing', async () => {
    const resident = createResident(app, person('Genoveva'));
    await resident.send('/start');
    const older = lastNotice(resident);
    await resident.send('/start');
    await resident.press(CALLBACK.consentYes, lastNotice(resident));
    await resident.answer(['1', '1']);
    const before = await rowsOf(resident.residentId);
    resident.read();

    await pressOnNoticeFrom(resident, CALLBACK.consentNo, older, 5);
    expect(lastButtonAnswer()).toBe(en('consent.stale'));
    expect(resident.read()).toEqual([]);
    const after = await rowsOf(resident.residentId);
    expect(after.resident).toEqual(before.resident);
    expect(after.screenings).toEqual(before.screenings);
    // The screening carries on where it was.
    await resident.send('1');
    expect(resident.read()).toEqual([expect.stringMatching(/4 \/ \d+$/)]);
  });

  it('an older "I agree" after "Not now" changes nothing either; a fresh notice still can', async () => {
    const resident = createResident(app, person('Casimiro', 'zh-hans'));
    const zh = botTexts('zh-CN');
    await resident.send('/start');
    const older = lastNotice(resident);
    await resident.send('/start');
    await resident.press(CALLBACK.consentNo, lastNotice(resident));
    resident.read();

    await pressOnNoticeFrom(resident, CALLBACK.consentYes, older, 60);
    expect(lastButtonAnswer()).toBe(zh('consent.stale'));
    expect(resident.read()).toEqual([]);
    const rows = await rowsOf(resident.residentId);
    expect(rows.resident).toMatchObject({ consentStatus: 'refused', chatIdSealed: null });
    expect(rows.screenings).toEqual([]);

    await resident.send('/start');
    await resident.press(CALLBACK.consentYes, lastNotice(resident));
    expect(resident.read().slice(-2)).toEqual([zh('consent.given'), expect.stringMatching(/1 \/ \d+$/)]);
    expect((await rowsOf(resident.residentId)).resident).toMatchObject({ consentStatus: 'given' });
  });
});

describe('data at rest', () => {
  it('the resident is a pseudonym, the chat id is sealed, and free text is not in the clear', async () => {
    const resident = createResident(app, person('Cornelius'));
    const chatId = String(resident.person.id);
    const freeText = 'Marmaduke from the housing office shouted at me';
    await resident.consent();
    await resident.answer([...ROUTES.low.slice(0, -1), freeText]);

    const rows = await rowsOf(resident.residentId);
    const row = rows.resident;
    expect(row?.id).toBe(app.protector.pseudonymOf(resident.person.id));
    expect(row?.id).not.toContain(chatId);
    expect(row?.chatIdSealed).toBeTruthy();
    expect(row?.chatIdSealed).not.toContain(chatId);
    expect(app.protector.open(row?.chatIdSealed ?? '', 'chat-id')).toBe(chatId);

    const [screening] = rows.screenings;
    expect(screening?.stateSealed).not.toContain('Marmaduke');
    expect(screening?.stateSealed).not.toContain('housing office');
    const state = JSON.parse(
      app.protector.open(screening?.stateSealed ?? '', `screening-state:${screening?.id}`),
    );
    expect(state.answers.closing).toEqual({ type: 'text', text: freeText });

    // A second screening under way: its conversation's replay log (the update, name and all) is sealed too.
    await resident.send('/start');
    await resident.send('Cornelius says 0');
    expect((await rowsOf(resident.residentId)).session).not.toBeNull();
    const dump = dumpText(await readEveryTable(app.prisma));
    for (const trace of [chatId, 'Marmaduke', 'Cornelius']) expect(dump).not.toContain(trace);
  });
});

describe('the log', () => {
  it('holds no message text, no name and no Telegram id', async () => {
    const resident = createResident(app, person('Euphemia'));
    const first = app.logLines.length;
    await resident.consent();
    await resident.answer([...ROUTES.low.slice(0, -1), 'Bartholomew stole my savings in Zanzibar']);
    await resident.send('I will hang myself in the garage tonight');
    await app.send(messageUpdate(resident.person, UNSUPPORTED_CONTENT.contact));
    // A Bot API failure is logged with its error: the error must not carry the chat or the text.
    app.api.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    await app.send(messageUpdate(resident.person, { text: '/help Ebenezer', entities: [] }));
    await deliverOutbox(app);

    const lines = app.logLines.slice(first);
    expect(lines.some((line) => line.includes('crisis language'))).toBe(true);
    expect(lines.some((line) => line.includes('delivery will retry') && line.includes('500'))).toBe(true);
    const log = lines.join('\n');
    for (const trace of [
      'Bartholomew',
      'Zanzibar',
      'savings',
      'hang myself',
      'garage',
      'Ebenezer',
      'Euphemia',
      String(resident.person.id),
      FAKE_BOT_TOKEN,
      UNSUPPORTED_CONTENT.contact.contact.phone_number,
      'Sam',
    ]) {
      expect(log).not.toContain(trace);
    }
  });
});
