import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { scoreAnswers, type TScriptState } from '../../src/domain/script/index.ts';
import type { TLocale } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident, defaultScript, ROUTES, scriptText } from '../helpers/journey.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

let nextId = 21_000;
const LANGUAGES = [
  { languageCode: 'en', locale: 'en' },
  { languageCode: 'zh-hans', locale: 'zh-CN' },
] as const satisfies ReadonlyArray<{ languageCode: string; locale: TLocale }>;

type TLevel = 'low' | 'moderate' | 'high' | 'imminent';

/** What the script says at `level` in `locale`: its title and message, and one line per resource. */
function scriptOutcome(level: TLevel, locale: TLocale) {
  const outcome = defaultScript().outcomes[level];
  return {
    message: [scriptText(outcome.title, locale), scriptText(outcome.message, locale)].join('\n\n'),
    resources: [
      botTexts(locale)('outcome.resources'),
      ...outcome.resources.map(
        (resource) => `• ${scriptText(resource.title, locale)} — ${scriptText(resource.detail, locale)}`,
      ),
    ].join('\n'),
  };
}

/** Takes a new resident through consent and every answer of `route` but the last; returns what the last said. */
async function screenTo(level: TLevel, languageCode: string) {
  const resident = createResident(app, { id: nextId++, languageCode });
  await resident.consent();
  const route = ROUTES[level];
  await resident.answer(route.slice(0, -1));
  resident.read();
  await resident.send(route.at(-1) ?? '');
  return { resident, outcome: resident.read() };
}

async function casesOf(residentId: string) {
  return app.prisma.case.findMany({ where: { residentId }, orderBy: { id: 'asc' } });
}

async function screeningOf(residentId: string) {
  return app.prisma.screening.findFirstOrThrow({ where: { residentId }, orderBy: { startedAt: 'desc' } });
}

/** The case carries what a worker needs to see why: scores, the rules that fired, and the script version. */
function expectScreeningCase(level: TLevel, screeningId: string, more: Record<string, unknown> = {}) {
  return expect.objectContaining({
    ...more,
    level,
    status: 'waiting',
    screeningId,
    scriptId: 'default',
    scriptVersion: 5,
    scores: expect.objectContaining({
      distress: expect.objectContaining({ total: expect.any(Number) }),
      grievance: expect.objectContaining({ total: expect.any(Number) }),
    }),
    explanation: expect.arrayContaining([expect.objectContaining({ kind: expect.any(String) })]),
  });
}

describe.each(LANGUAGES)('a full screening in $locale', ({ languageCode, locale }) => {
  const t = botTexts(locale);
  const numbers = t('emergency.default');

  it('low: thanks, the script resources, and a call-back offer that opens a low case', async () => {
    const { resident, outcome } = await screenTo('low', languageCode);
    const expected = scriptOutcome('low', locale);
    expect(outcome).toEqual([expected.message, expected.resources, t('outcome.offer_low')]);
    expect(await casesOf(resident.residentId)).toEqual([]);
    const screening = await screeningOf(resident.residentId);
    expect(screening).toMatchObject({ status: 'completed', level: 'low' });

    const offer = app.api.lastKeyboard(resident.person.id);
    expect(offer?.buttons).toEqual([
      { text: t('outcome.offer_callback'), data: CALLBACK.callback(screening.id) },
    ]);
    await resident.press(CALLBACK.callback(screening.id));
    expect(resident.read()).toEqual([t('outcome.offer_accepted')]);
    expect(await casesOf(resident.residentId)).toEqual([
      expectScreeningCase('low', screening.id, { source: 'callback-request' }),
    ]);
  });

  it('moderate: resources and an offer; a case only once the resident accepts it', async () => {
    const { resident, outcome } = await screenTo('moderate', languageCode);
    const expected = scriptOutcome('moderate', locale);
    expect(outcome).toEqual([expected.message, expected.resources, t('outcome.offer_moderate')]);
    const screening = await screeningOf(resident.residentId);
    expect(screening).toMatchObject({ status: 'completed', level: 'moderate' });
    expect(await casesOf(resident.residentId)).toEqual([]);

    const offer = app.api.lastKeyboard(resident.person.id);
    expect(offer?.buttons).toEqual([
      { text: t('outcome.offer_yes'), data: CALLBACK.callback(screening.id) },
      { text: t('outcome.offer_no'), data: CALLBACK.declineOffer },
    ]);
    await resident.press(CALLBACK.callback(screening.id));
    expect(resident.read()).toEqual([t('outcome.offer_accepted')]);
    expect(await casesOf(resident.residentId)).toEqual([
      expectScreeningCase('moderate', screening.id, { source: 'callback-request' }),
    ]);

    // Pressing again does not open a second case.
    await resident.press(CALLBACK.callback(screening.id), offer?.messageId);
    expect(await casesOf(resident.residentId)).toHaveLength(1);
  });

  it('moderate: "No, thanks" is answered kindly, closes the offer, and opens nothing', async () => {
    const { resident } = await screenTo('moderate', languageCode);
    const offer = app.api.lastKeyboard(resident.person.id);
    await resident.press(CALLBACK.declineOffer, offer?.messageId);
    expect(resident.read()).toEqual([t('outcome.offer_declined')]);
    expect(await casesOf(resident.residentId)).toEqual([]);
    const closed = app.api.callsOf('editMessageReplyMarkup').at(-1);
    expect(closed?.payload).toMatchObject({ chat_id: resident.person.id, message_id: offer?.messageId });
  });

  it('high: a waiting case at once, the resident is told a worker will write, then resources', async () => {
    const { resident, outcome } = await screenTo('high', languageCode);
    const expected = scriptOutcome('high', locale);
    expect(outcome).toEqual([
      expected.message,
      t('outcome.escalated_high'),
      expected.resources,
      t('outcome.numbers_reminder', { numbers }),
    ]);
    const screening = await screeningOf(resident.residentId);
    expect(screening).toMatchObject({ status: 'completed', level: 'high' });
    expect(await casesOf(resident.residentId)).toEqual([
      expectScreeningCase('high', screening.id, { source: 'screening' }),
    ]);
  });

  it('imminent: the emergency numbers first, then the outcome, an imminent case, and resources', async () => {
    const { resident, outcome } = await screenTo('imminent', languageCode);
    const expected = scriptOutcome('imminent', locale);
    expect(outcome).toEqual([
      t('outcome.imminent_first', { numbers }),
      expected.message,
      t('outcome.escalated_imminent'),
      expected.resources,
    ]);
    expect(outcome[0]).toMatch(locale === 'en' ? /112/ : /110[\s\S]*120/);
    const screening = await screeningOf(resident.residentId);
    expect(screening).toMatchObject({ status: 'completed', level: 'imminent' });
    const cases = await casesOf(resident.residentId);
    expect(cases).toEqual([expectScreeningCase('imminent', screening.id)]);
    expect(cases[0]?.explanation).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'critical', rule: 'asq_acute' })]),
    );
  });
});

/** What the screening's own answers score to, read back from its sealed state. */
async function finalScoring(screeningId: string) {
  const row = await app.prisma.screening.findUniqueOrThrow({ where: { id: screeningId } });
  const state = JSON.parse(
    app.protector.open(row.stateSealed, `screening-state:${screeningId}`),
  ) as TScriptState;
  return scoreAnswers(defaultScript(), state.answers);
}

describe('a critical answer mid-script', () => {
  it('opens a high case at once, with its reasons, and the screening carries on to fill it in', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(['1', '1', '0', '0', '0', '0']);
    expect(await casesOf(resident.residentId)).toEqual([]);

    await resident.send('yes'); // "wishing you were no longer alive"
    const active = await screeningOf(resident.residentId);
    expect(active).toMatchObject({ status: 'active' });
    const opened = await casesOf(resident.residentId);
    // The first page already says why: the rule that fired, the answers so far, and the running scores.
    expect(opened).toEqual([expectScreeningCase('high', active.id, { source: 'screening' })]);
    expect(opened[0]?.explanation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'critical',
          rule: 'asq_positive',
          level: 'high',
          because: expect.arrayContaining([expect.objectContaining({ questionId: 'asq_wish_dead' })]),
        }),
      ]),
    );
    expect(opened[0]?.scores).toMatchObject({ distress: { total: 2 } });
    expect(opened[0]?.score).toBe(2);
    // Told at once that a worker will write, then the next question.
    const [told, next] = resident.read().slice(-2);
    expect(told).toBe(botTexts('en')('outcome.escalated_high'));
    expect(next).toMatch(/better off without you[\s\S]*8 \/ \d+$/);

    await resident.answer([
      'no',
      'no',
      'no',
      'no',
      '0',
      '0',
      '1',
      '0',
      '0',
      'no',
      'no',
      '0',
      '8',
      '8',
      'nothing',
    ]);
    // Said once, when it happened: not again at the end.
    const toEnd = resident.read();
    expect(toEnd).not.toContain(botTexts('en')('outcome.escalated_high'));
    expect(toEnd.at(-1)).toBe(
      botTexts('en')('outcome.numbers_reminder', { numbers: botTexts('en')('emergency.default') }),
    );
    const screening = await screeningOf(resident.residentId);
    expect(screening).toMatchObject({ id: active.id, status: 'completed', level: 'high' });
    const cases = await casesOf(resident.residentId);
    expect(cases).toEqual([expectScreeningCase('high', screening.id, { id: opened[0]?.id })]);
    // At the end the worker reads the whole screening, not the moment it was opened.
    const final = await finalScoring(screening.id);
    expect(cases[0]?.scores).toEqual(JSON.parse(JSON.stringify(final.scores)));
    expect(cases[0]?.explanation).toEqual(JSON.parse(JSON.stringify(final.explanation)));
    // One "created" on the timeline: the rule that keeps holding is not escalated again at every answer.
    // (Paging is on the timeline too: the case pages its first step as it opens.)
    const events = await app.prisma.caseEvent.findMany({
      where: { caseId: cases[0]?.id ?? -1, type: { notIn: ['paged', 'page-skipped', 'page-sent'] } },
      orderBy: { id: 'asc' },
    });
    expect(events.map((event) => event.type)).toEqual(['created', 'signal']);
  });
});

/** Classified imminent by the shipped crisis patterns. */
const IMMINENT_EN = 'I want to kill myself tonight';

describe.each(LANGUAGES)(
  'a case already open, then a lower outcome, in $locale',
  ({ languageCode, locale }) => {
    const t = botTexts(locale);

    it('offers no call-back: the resident is told a worker has their case, then the resources', async () => {
      const resident = createResident(app, { id: nextId++, languageCode });
      await resident.consent();
      const route = ROUTES.low;
      await resident.answer(route.slice(0, 3));
      await resident.send(IMMINENT_EN);
      const [crisisCase] = await casesOf(resident.residentId);
      expect(crisisCase).toMatchObject({ level: 'imminent', source: 'crisis-message' });
      await resident.answer(route.slice(3, -1));
      resident.read();

      await resident.send(route.at(-1) ?? '');
      const expected = scriptOutcome('low', locale);
      expect(resident.read()).toEqual([
        expected.message,
        t('outcome.case_open'),
        expected.resources,
        t('outcome.numbers_reminder', { numbers: t('emergency.default') }),
      ]);
      expect(await screeningOf(resident.residentId)).toMatchObject({ status: 'completed', level: 'low' });
      const buttons = app.api.lastKeyboard(resident.person.id)?.buttons ?? [];
      expect(buttons.some((button) => button.data.startsWith('callback:'))).toBe(false);
      expect(await casesOf(resident.residentId)).toEqual([
        expect.objectContaining({ id: crisisCase?.id, level: 'imminent', status: 'waiting' }),
      ]);
    });
  },
);
