import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, ROUTES, sentMessageId } from '../helpers/journey.ts';
import { editedTextUpdate, messageUpdate, UNSUPPORTED_CONTENT } from '../helpers/updates.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 22_000;
const en = botTexts('en');
const zh = botTexts('zh-CN');

/** Classified imminent by the shipped patterns (`npm run classify`): intent, and a time soon. */
const IMMINENT_EN = 'I want to kill myself tonight';
const IMMINENT_ZH = '我今晚就从楼上跳下去';
/** Classified concern: distress, no plan or time. */
const CONCERN_EN = "I'm a burden to everyone";

/** What a resident reads at once after writing crisis language: the numbers, then that workers know. */
const crisisReplies = (t = en) => [
  t('crisis.imminent', { numbers: t('emergency.default') }),
  t('crisis.escalated'),
];

async function casesOf(residentId: string) {
  return app.prisma.case.findMany({
    where: { residentId },
    include: { events: { orderBy: { id: 'asc' } } },
    orderBy: { id: 'asc' },
  });
}

function signalsOf(sealed: string | null | undefined): unknown {
  if (!sealed) return undefined;
  return JSON.parse(app.protector.open(sealed, 'case-signals'));
}

describe('crisis language marked imminent', () => {
  it('before consent: the numbers first, an imminent case, and the chat kept so a worker can reach them', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.send('/start');
    resident.read();

    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual(crisisReplies());
    const cases = await casesOf(resident.residentId);
    expect(cases).toEqual([
      expect.objectContaining({ level: 'imminent', status: 'waiting', source: 'crisis-message' }),
    ]);
    expect(signalsOf(cases[0]?.signalsSealed)).toMatchObject({
      crisis: { level: 'imminent', kind: 'self' },
    });
    const row = await app.prisma.resident.findUniqueOrThrow({ where: { id: resident.residentId } });
    expect(row.consentStatus).toBe('unknown');
    expect(app.protector.open(row.chatIdSealed ?? '', 'chat-id')).toBe(String(resident.person.id));
    expect(await app.prisma.screening.count({ where: { residentId: resident.residentId } })).toBe(0);
  });

  it('in Chinese, from someone who has never written before', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'zh-hans' });
    await resident.send(IMMINENT_ZH);
    const [first, ...rest] = resident.read();
    expect(first).toBe(crisisReplies(zh)[0]);
    expect(first).toMatch(/110[\s\S]*120/);
    expect(rest).toEqual([crisisReplies(zh)[1]]);
    expect(await casesOf(resident.residentId)).toEqual([
      expect.objectContaining({ level: 'imminent', status: 'waiting' }),
    ]);
  });

  it('mid-screening: the numbers and a case at once; the question stays open and the next answer continues', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(['1', '1', '1']);
    const fourth = resident.read().at(-1);
    expect(fourth).toMatch(/4 \/ \d+$/);

    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual(crisisReplies());
    expect(await casesOf(resident.residentId)).toEqual([
      expect.objectContaining({ level: 'imminent', status: 'waiting', source: 'crisis-message' }),
    ]);
    const screening = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    expect(screening.status).toBe('active');

    await resident.send('1');
    expect(resident.read()).toEqual([expect.stringMatching(/ordinary, everyday things[\s\S]*5 \/ \d+$/)]);
  });

  it('after the screening: a new imminent case for someone whose outcome was low', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.low);
    expect(await casesOf(resident.residentId)).toEqual([]);
    resident.read();

    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual(crisisReplies());
    expect(await casesOf(resident.residentId)).toEqual([
      expect.objectContaining({ level: 'imminent', status: 'waiting', source: 'crisis-message' }),
    ]);
  });

  it('in an open high case: the same case is raised to imminent, and the raise is on its timeline', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    const [high] = await casesOf(resident.residentId);
    expect(high).toMatchObject({ level: 'high', status: 'waiting' });
    resident.read();

    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual(crisisReplies());
    const cases = await casesOf(resident.residentId);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ id: high?.id, level: 'imminent', status: 'waiting' });
    const changes = cases[0]?.events.filter(
      (event) => !['paged', 'page-skipped', 'page-sent'].includes(event.type),
    );
    expect(changes?.map((event) => event.type)).toEqual(['created', 'raised', 'kept']);
    expect(changes?.[1]).toMatchObject({
      actor: 'system',
      detail: { from: 'high', to: 'imminent', source: 'crisis-message' },
    });
    // The scores of the screening stay on the case beside the new signals.
    expect(cases[0]?.scores).toEqual(high?.scores);
    expect(signalsOf(cases[0]?.signalsSealed)).toMatchObject({ crisis: { level: 'imminent' } });
  });

  it('in the caption of a photo: read all the same, mid-screening, and the question stays open', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    resident.read();
    await app.send(messageUpdate(resident.person, { ...UNSUPPORTED_CONTENT.photo, caption: IMMINENT_EN }));
    expect(resident.read()).toEqual(crisisReplies());
    expect(await casesOf(resident.residentId)).toEqual([expect.objectContaining({ level: 'imminent' })]);
    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/2 \/ \d+$/)]);
  });

  it('in an edit of an earlier message: read all the same', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await app.send(editedTextUpdate(resident.person, IMMINENT_EN));
    expect(resident.read()).toEqual(crisisReplies());
    expect(await casesOf(resident.residentId)).toEqual([expect.objectContaining({ level: 'imminent' })]);
  });
});

describe('crisis language marked high (wanting to die, without plan or time)', () => {
  for (const [locale, text, t] of [
    ['en', 'I just want to die', en],
    ['zh-hans', '活着没意思，我想死', zh],
    ['zh-hans', '我不想活了', zh],
  ] as const) {
    it(`"${text}": the numbers first and a high case, paged at once, not only an offer`, async () => {
      const resident = createResident(app, { id: nextId++, languageCode: locale });
      await resident.send(text);
      expect(resident.read()).toEqual([
        t('crisis.high', { numbers: t('emergency.default') }),
        t('crisis.escalated'),
      ]);
      const [row] = await casesOf(resident.residentId);
      expect(row).toMatchObject({ level: 'high', status: 'waiting', source: 'crisis-message' });
      expect(row?.events.map((event) => event.type)).toContain('paged');
      expect(signalsOf(row?.signalsSealed)).toMatchObject({ crisis: { level: 'high', kind: 'self' } });
    });
  }

  it('"they will pay for this in blood": intent to hurt others reads high too', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.send('they will pay for this in blood');
    const [row] = await casesOf(resident.residentId);
    expect(row).toMatchObject({ level: 'high' });
    expect(signalsOf(row?.signalsSealed)).toMatchObject({ crisis: { level: 'high', kind: 'others' } });
  });
});

describe('what the service knows of the writer', () => {
  it('reads the same words one level higher once a case is open: concern becomes high, with the numbers', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.send(CONCERN_EN);
    expect(resident.read()).toEqual([en('crisis.concern')]);
    await resident.press(CALLBACK.talkToWorker, sentMessageId(app, resident.person.id, en('crisis.concern')));
    expect(await casesOf(resident.residentId)).toEqual([expect.objectContaining({ level: 'moderate' })]);
    resident.read();

    await resident.send(CONCERN_EN);
    expect(resident.read()).toEqual([
      en('crisis.high', { numbers: en('emergency.default') }),
      en('crisis.escalated'),
    ]);
    const [row] = await casesOf(resident.residentId);
    expect(row).toMatchObject({ level: 'high', status: 'waiting' });
    expect(signalsOf(row?.signalsSealed)).toMatchObject({
      crisis: {
        level: 'high',
        reasons: expect.arrayContaining([
          expect.objectContaining({ source: 'context', context: { reason: 'open-case', level: 'moderate' } }),
        ]),
      },
    });
  });
});

describe("a button's words typed as the answer", () => {
  it('are an answer, not a message: neither the model nor an open case reads them as a crisis', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    // A "yes" to the first suicide item opens a high case; the other three are answered, then asq_now asks.
    await resident.answer(['1', '1', '1', '1', '1', '0', 'yes', 'no', 'no', 'no']);
    expect(resident.read().at(-1)).toMatch(
      /Right now, at this moment, are you thinking about ending your life\?/,
    );
    expect(await casesOf(resident.residentId)).toEqual([expect.objectContaining({ level: 'high' })]);

    await resident.send('No, not right now');
    const replies = resident.read();
    expect(replies.join('\n')).not.toContain(en('crisis.escalated'));
    expect(replies.join('\n')).not.toContain(en('crisis.concern'));
    expect(replies.at(-1)).toMatch(/\d+ \/ \d+$/);
    const state = await app.prisma.screening.findFirstOrThrow({ where: { residentId: resident.residentId } });
    expect(state.status).toBe('active');
  });
});

describe('a farewell cue', () => {
  it('from someone whose case is open is imminent: the numbers and the case raised; from anyone else, nothing', async () => {
    const known = createResident(app, { id: nextId++, languageCode: 'zh-hans' });
    await known.send('我不想活了');
    expect(await casesOf(known.residentId)).toEqual([expect.objectContaining({ level: 'high' })]);
    known.read();
    await known.send('周四。');
    expect(known.read()).toEqual([crisisReplies(zh)[0], crisisReplies(zh)[1]]);
    const [row] = await casesOf(known.residentId);
    expect(row).toMatchObject({ level: 'imminent', status: 'waiting' });

    const stranger = createResident(app, { id: nextId++, languageCode: 'zh-hans' });
    await stranger.send('周四。');
    expect(await casesOf(stranger.residentId)).toEqual([]);
    expect(stranger.read().join('\n')).not.toContain(crisisReplies(zh)[0]);
  });
});

describe('a critical answer, then /cancel', () => {
  it('leaves the questions but not the case: a worker still reaches someone who said yes', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(['0', '0', '0', '0', '0', '0', 'no', 'no', 'yes']);
    resident.read();
    await resident.send('/cancel');
    expect(resident.read()).toEqual([en('screening.cancelled')]);
    expect(await casesOf(resident.residentId)).toEqual([
      expect.objectContaining({ level: 'high', status: 'waiting', source: 'screening' }),
    ]);
  });
});

describe('crisis language marked concern', () => {
  it('mid-screening: a gentle offer of a worker, and the message still counts as the answer', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.low.slice(0, -1));
    expect(resident.read().at(-1)).toMatch(/anything else you would like the social worker to know/);

    await resident.send(CONCERN_EN);
    const replies = resident.read();
    expect(replies[0]).toBe(en('crisis.concern'));
    // The closing question took the message: the screening is over.
    expect(replies.slice(1)).toEqual([
      expect.stringMatching(/^Thank you for sharing/),
      expect.stringMatching(/^Help that may be useful/),
      en('outcome.offer_low'),
    ]);
    const screening = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    expect(screening).toMatchObject({ status: 'completed', level: 'low' });
    const state = JSON.parse(app.protector.open(screening.stateSealed, `screening-state:${screening.id}`));
    expect(state.answers.closing).toEqual({ type: 'text', text: CONCERN_EN });
    expect(await casesOf(resident.residentId)).toEqual([]);

    // The offer is a button; pressing it opens a (non-urgent) case.
    await resident.press(CALLBACK.talkToWorker, sentMessageId(app, resident.person.id, en('crisis.concern')));
    expect(resident.read()).toEqual([en('outcome.offer_accepted')]);
    expect(await casesOf(resident.residentId)).toEqual([
      expect.objectContaining({ level: 'moderate', status: 'waiting', source: 'worker-offer' }),
    ]);
  });

  it('at a choice question: the offer, then the question asked again kindly', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    resident.read();
    await resident.send(CONCERN_EN);
    expect(resident.read()).toEqual([en('crisis.concern'), en('screening.reask.not_an_option')]);
    expect(await casesOf(resident.residentId)).toEqual([]);
    await resident.send('0');
    expect(resident.read()).toEqual([expect.stringMatching(/2 \/ \d+$/)]);
  });
});
