import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { scriptLabels } from '../../src/domain/script/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, defaultScript, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinOnCall, staffPerson, type TStaff } from '../helpers/workers.ts';

/**
 * What a resident writes reaches the person who holds their case: the message that opened or raised it
 * (first in Details, first at claim), their free-text answers (as answers, in Details), and what they type
 * while a question waits and does not answer it (kept for the claimer, and they are told so).
 */
const i18n = createI18n();
const w = i18n.getFixedT('en', 'worker');
const p = i18n.getFixedT('en', 'pages');
const pZh = i18n.getFixedT('zh-CN', 'pages');
const en = botTexts('en');
const zh = botTexts('zh-CN');

const IMMINENT_EN = 'I want to kill myself tonight';
const IMMINENT_ZH = '我今晚就从楼上跳下去';
const CLOSING_WORDS = 'My landlord changed the locks. I sleep in the stairwell. Please call after 6pm.';

let app: TTestApp;
let ann: TStaff;
let cai: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  ann = await joinOnCall(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  cai = await joinOnCall(app, staffPerson('Caiwen', 'zh-hans'), { role: 'supervisor', name: 'Caiwen Xu' });
});
afterAll(async () => {
  await app.close();
});

let nextPersonId = 47_000;
function newResident(languageCode = 'en') {
  return createResident(app, { id: nextPersonId++, languageCode, firstName: 'Res' });
}

async function openCaseOf(residentId: string) {
  return app.prisma.case.findFirstOrThrow({ where: { residentId, status: { in: ['waiting', 'claimed'] } } });
}

/** Pages what is due, then what `staff` reads on pressing Details of `caseId`. */
async function detailsFor(staff: TStaff, caseId: number): Promise<string> {
  await sweepAndDeliver(app);
  staff.read();
  await staff.press(CALLBACK.details(caseId), staff.claimMessageId(caseId));
  const [details] = staff.read();
  return details ?? '';
}

async function claimAndRead(staff: TStaff, caseId: number): Promise<string[]> {
  await sweepAndDeliver(app);
  staff.read();
  await staff.press(CALLBACK.claim(caseId), staff.claimMessageId(caseId));
  await deliverOutbox(app);
  return staff.read();
}

describe(describeDatabase('the message that opened or raised a case'), () => {
  it('is the first thing Details shows, in each worker’s language, and the first thing the claimer reads', async () => {
    const resident = newResident();
    await resident.send(IMMINENT_EN);
    const { id: caseId } = await openCaseOf(resident.residentId);

    const details = await detailsFor(ann, caseId);
    expect(details).toContain(`${p('words.heading')}\n${p('words.message', { text: IMMINENT_EN })}`);
    // Before the detector's signals, which explain it without quoting it.
    expect(details.indexOf(IMMINENT_EN)).toBeLessThan(details.indexOf(p('signals.heading')));
    const zhDetails = await detailsFor(cai, caseId);
    expect(zhDetails).toContain(`${pZh('words.heading')}\n${pZh('words.message', { text: IMMINENT_EN })}`);

    expect(await claimAndRead(ann, caseId)).toEqual([
      expect.stringContaining(w('claim.kept', { count: 1 })),
      w('relay.from_resident_crisis', { id: caseId, text: IMMINENT_EN }),
    ]);
    // Never on the page itself, which goes to many.
    const pages = app.api.calls.filter(
      (call) =>
        call.method === 'sendMessage' &&
        String(call.payload.text).startsWith(`🔔 Case #${caseId}`) &&
        String(call.payload.text).endsWith(p('page.footer')),
    );
    expect(pages.length).toBeGreaterThan(0);
    for (const page of pages) expect(String(page.payload.text)).not.toContain(IMMINENT_EN);
  });

  it('written mid-screening, while the case waits, is kept rather than lost', async () => {
    const resident = newResident('zh-hans');
    await resident.consent();
    await resident.answer(ROUTES.high.slice(0, 3));
    await resident.send(IMMINENT_ZH);
    expect(resident.read().slice(-2)).toEqual([
      zh('crisis.imminent', { numbers: zh('emergency.default') }),
      zh('crisis.escalated'),
    ]);
    const row = await openCaseOf(resident.residentId);
    expect(row).toMatchObject({ level: 'imminent', status: 'waiting' });
    const kept = await app.prisma.caseMessage.findMany({ where: { caseId: row.id } });
    expect(kept.map((message) => [message.purpose, message.workerId])).toEqual([['crisis', null]]);
    expect(app.protector.open(kept[0]?.textSealed ?? '', `case-message:${row.id}`)).toBe(IMMINENT_ZH);

    expect(await detailsFor(cai, row.id)).toContain(pZh('words.message', { text: IMMINENT_ZH }));
    expect(await claimAndRead(ann, row.id)).toContain(
      w('relay.from_resident_crisis', { id: row.id, text: IMMINENT_ZH }),
    );
    // Told in their language that a worker has it, never who.
    expect(resident.read().at(-1)).toBe(zh('relay.claimed'));
  });
});

describe(describeDatabase('free-text answers'), () => {
  it('show in Details under their question, as the resident wrote them', async () => {
    const resident = newResident();
    await resident.consent();
    await resident.answer([...ROUTES.high.slice(0, -1), CLOSING_WORDS]);
    const { id: caseId } = await openCaseOf(resident.residentId);
    const closing = defaultScript().questions.at(-1);
    const details = await detailsFor(ann, caseId);
    expect(details).toContain(
      `${p('words.answers_heading')}\n${p('words.answer', {
        question: scriptLabels(defaultScript(), 'en').question(closing?.id ?? ''),
        text: CLOSING_WORDS,
      })}`,
    );
    // Not the crisis heading: nothing opened the case but the answers.
    expect(details).not.toContain(p('words.heading'));
  });
});

describe(describeDatabase('text that does not answer the question while a case is open'), () => {
  for (const [locale, t] of [
    ['en', en],
    ['zh-hans', zh],
  ] as const) {
    it(`is kept for the claimer and the resident is told so, not asked again (${locale})`, async () => {
      const resident = newResident(locale);
      await resident.consent();
      // The first "yes" to a suicide item opens a high case; the screening carries on.
      await resident.answer([...ROUTES.high.slice(0, 6), 'yes']);
      const { id: caseId } = await openCaseOf(resident.residentId);
      resident.read();

      await resident.send('my husband left and now the bank wants the flat back');
      await resident.send('please answer me');
      expect(resident.read()).toEqual([t('relay.kept_for_worker'), t('relay.kept_for_worker')]);
      // An answer is still an answer: the next question, nothing kept.
      await resident.send('no');
      expect(resident.read().at(-1)).toMatch(/\d+ \/ \d+$/);

      expect(await claimAndRead(ann, caseId)).toEqual([
        expect.stringContaining(w('claim.kept', { count: 2 })),
        w('relay.from_resident_kept', {
          id: caseId,
          text: 'my husband left and now the bank wants the flat back',
        }),
        w('relay.from_resident_kept', { id: caseId, text: 'please answer me' }),
      ]);
    });
  }
});
