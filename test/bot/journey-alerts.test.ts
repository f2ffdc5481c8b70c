import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TLocale } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { botTexts, createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';

/**
 * An admin-written script, published as a newer version of the default: unlike the shipped one, its imminent
 * item does not end the screening, so the alert is raised with questions still to come.
 */
const ALERT_SCRIPT = `
id: default
version: 900
title: { en: Alerts, zh-CN: 警报 }
locales: [en, zh-CN]
indicators:
  distress:
    min: 0
    max: 9
    bands:
      - { name: calm, min: 0, max: 2, level: low }
      - { name: strained, min: 3, max: 5, level: moderate }
      - { name: heavy, min: 6, max: 9, level: high }
questions:
  - id: mood
    kind: scale
    text: { en: How have you been?, zh-CN: 你最近怎么样？ }
    options:
      - { id: fine, value: 0, label: { en: Fine, zh-CN: 好 }, scores: { distress: 0 } }
      - { id: bad, value: 3, label: { en: Bad, zh-CN: 不好 }, scores: { distress: 3 } }
  - id: hurt
    kind: yes_no
    text: { en: Have you thought of hurting yourself?, zh-CN: 你想过伤害自己吗？ }
    options:
      - { id: 'yes', label: { en: 'Yes', zh-CN: 是 }, scores: { distress: 3 } }
      - { id: 'no', label: { en: 'No', zh-CN: 否 } }
  - id: now
    kind: yes_no
    text: { en: Are you about to act on it?, zh-CN: 你现在就打算这样做吗？ }
    options:
      - { id: 'yes', label: { en: 'Yes', zh-CN: 是 }, scores: { distress: 3 } }
      - { id: 'no', label: { en: 'No', zh-CN: 否 } }
  - id: more
    kind: free_text
    text: { en: Anything else?, zh-CN: 还有吗？ }
    options:
      - { id: nothing, label: { en: Nothing to add, zh-CN: 没有要补充的 } }
critical:
  - id: thoughts_of_harm
    level: high
    when: { answer: hurt, in: ['yes'] }
  - id: acting_now
    level: imminent
    when: { answer: now, in: ['yes'] }
outcomes:
  none: { message: { en: Fine., zh-CN: 好。 } }
  low: { message: { en: Low., zh-CN: 低。 } }
  moderate: { message: { en: Moderate., zh-CN: 中。 } }
  high: { message: { en: High., zh-CN: 高。 } }
  imminent: { message: { en: Call now., zh-CN: 请立即求助。 } }
`;

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
  await app.scripts.publish(ALERT_SCRIPT);
});
afterAll(async () => {
  await app.close();
});

let nextId = 23_000;
const LANGUAGES = [
  { languageCode: 'en', locale: 'en', last: /Anything else\?[\s\S]*4 \/ 4$/ },
  { languageCode: 'zh-hans', locale: 'zh-CN', last: /还有吗？[\s\S]*4 \/ 4$/ },
] as const satisfies ReadonlyArray<{ languageCode: string; locale: TLocale; last: RegExp }>;

async function casesOf(residentId: string) {
  return app.prisma.case.findMany({
    where: { residentId },
    include: { events: { orderBy: { id: 'asc' } } },
    orderBy: { id: 'asc' },
  });
}

describe.each(LANGUAGES)('an alert mid-script in $locale', ({ languageCode, locale, last }) => {
  const t = botTexts(locale);
  const numbers = t('emergency.default');

  it('imminent: the emergency numbers first, then that workers are alerted, then the next question', async () => {
    const resident = createResident(app, { id: nextId++, languageCode });
    await resident.consent();
    await resident.answer(['3', 'no']);
    resident.read();

    await resident.send('yes');
    const replies = resident.read();
    expect(replies).toEqual([
      t('outcome.imminent_first', { numbers }),
      t('outcome.escalated_imminent'),
      expect.stringMatching(last),
    ]);
    expect(replies[0]).toMatch(locale === 'en' ? /112/ : /110[\s\S]*120/);

    const screening = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    expect(screening).toMatchObject({ status: 'active', scriptVersion: 900 });
    const cases = await casesOf(resident.residentId);
    expect(cases).toEqual([
      expect.objectContaining({
        level: 'imminent',
        status: 'waiting',
        source: 'screening',
        screeningId: screening.id,
        scriptId: 'default',
        scriptVersion: 900,
        score: 6,
        scores: expect.objectContaining({ distress: expect.objectContaining({ total: 6, band: 'heavy' }) }),
      }),
    ]);
    expect(cases[0]?.explanation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'critical',
          rule: 'acting_now',
          level: 'imminent',
          because: [{ kind: 'answer', questionId: 'now', optionId: 'yes' }],
        }),
      ]),
    );
  });

  it('high: today’s text, and a later imminent answer raises the same case with the numbers first', async () => {
    const resident = createResident(app, { id: nextId++, languageCode });
    await resident.consent();
    await resident.answer(['0']);
    resident.read();

    await resident.send('yes');
    const [told, next] = resident.read();
    expect(told).toBe(t('outcome.escalated_high'));
    expect(next).toMatch(/3 \/ 4$/);
    const [opened] = await casesOf(resident.residentId);
    expect(opened).toMatchObject({ level: 'high', score: 3 });
    expect(opened?.explanation).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'critical', rule: 'thoughts_of_harm' })]),
    );

    await resident.send('yes');
    expect(resident.read()).toEqual([
      t('outcome.imminent_first', { numbers }),
      t('outcome.escalated_imminent'),
      expect.stringMatching(last),
    ]);
    const cases = await casesOf(resident.residentId);
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ id: opened?.id, level: 'imminent', score: 6 });
    const changes = cases[0]?.events.filter(
      (event) => !['paged', 'page-skipped', 'page-sent'].includes(event.type),
    );
    expect(changes?.map((event) => event.type)).toEqual(['created', 'raised']);

    // The end: the outcome, without saying again what was said at the answer that raised the case (the
    // numbers once more, last); the case now holds the whole screening.
    await resident.send('nothing');
    expect(resident.read()).toEqual([
      locale === 'en' ? 'Call now.' : '请立即求助。',
      t('outcome.numbers_reminder', { numbers }),
    ]);
    const [done] = await casesOf(resident.residentId);
    expect(done?.explanation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'critical', rule: 'acting_now' }),
        expect.objectContaining({ kind: 'critical', rule: 'thoughts_of_harm' }),
      ]),
    );
  });

  it('a rule that still holds opens a new case if the one it opened was closed meanwhile', async () => {
    const resident = createResident(app, { id: nextId++, languageCode });
    await resident.consent();
    await resident.answer(['0', 'yes']);
    const [opened] = await casesOf(resident.residentId);
    // A worker resolves that case while the resident is still answering.
    await app.prisma.case.update({
      where: { id: opened?.id },
      data: { status: 'resolved', closedAt: new Date(), outcome: 'supported', nextEscalationAt: null },
    });
    resident.read();

    await resident.send('no');
    expect(resident.read()).toEqual([t('outcome.escalated_high'), expect.stringMatching(last)]);
    const cases = await casesOf(resident.residentId);
    expect(cases.map((c) => [c.level, c.status])).toEqual([
      ['high', 'resolved'],
      ['high', 'waiting'],
    ]);
  });

  it('Telegram failing the alert: the case stays, and the alert, then the question, follow once Telegram answers', async () => {
    const resident = createResident(app, { id: nextId++, languageCode });
    await resident.consent();
    await resident.answer(['3', 'no']);
    resident.read();

    app.api.failNext(
      'sendMessage',
      { error_code: 502, description: 'Bad Gateway' },
      { chatId: resident.person.id },
    );
    await resident.send('yes');
    // Only the attempt that failed: what comes after it in the chat waits for it.
    expect(resident.read()).toEqual([t('outcome.imminent_first', { numbers })]);
    expect(await casesOf(resident.residentId)).toEqual([expect.objectContaining({ level: 'imminent' })]);
    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      t('outcome.imminent_first', { numbers }),
      t('outcome.escalated_imminent'),
      expect.stringMatching(last),
    ]);
  });
});
