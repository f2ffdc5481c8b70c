import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinOnCall, staffPerson, type TStaff } from '../helpers/workers.ts';

/**
 * A worker reads everything about a case in their own language, whatever language the resident wrote in:
 * the detector's reasons on pages, in Details and in alerts, and the outcome codes `/resolve` takes.
 */
const i18n = createI18n();
const p = i18n.getFixedT('en', 'pages');
const pZh = i18n.getFixedT('zh-CN', 'pages');
const wZh = i18n.getFixedT('zh-CN', 'worker');

/** Matches `self.intent` and `self.act-mention` (a pattern only the English file has), with a time. */
const IMMINENT_EN = 'I am going to end my life tonight';
const ENGLISH_EXPLANATIONS = ['States an intention', 'Names a time soon', 'Names a way of ending'];

let app: TTestApp;
let ann: TStaff;
let cai: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  ann = await joinOnCall(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  cai = await joinOnCall(app, staffPerson('Caiwen', 'zh-hans'), { name: 'Caiwen Xu' });
});
afterAll(async () => {
  await app.close();
});

let nextPersonId = 48_000;
function newResident(languageCode = 'en') {
  return createResident(app, { id: nextPersonId++, languageCode, firstName: 'Res' });
}

async function openCaseOf(residentId: string) {
  return app.prisma.case.findFirstOrThrow({ where: { residentId, status: { in: ['waiting', 'claimed'] } } });
}

/** A resident's imminent case (opened by `IMMINENT_EN`), paged and claimed by `staff`, their chat read. */
async function imminentCaseClaimedBy(staff: TStaff) {
  const resident = newResident();
  await resident.send(IMMINENT_EN);
  const { id: caseId } = await openCaseOf(resident.residentId);
  await sweepAndDeliver(app);
  staff.read();
  await staff.press(CALLBACK.claim(caseId), staff.claimMessageId(caseId));
  await deliverOutbox(app);
  staff.read();
  return { resident, caseId };
}

function pageOf(texts: readonly string[]): string {
  return texts.find((text) => text.startsWith('🔔')) ?? '';
}

describe(describeDatabase('detector reasons'), () => {
  it('reach a Chinese-speaking worker in Chinese, an English-speaking one in English', async () => {
    const resident = newResident();
    await resident.send(IMMINENT_EN);
    const { id: caseId } = await openCaseOf(resident.residentId);
    await sweepAndDeliver(app);

    const zhPage = pageOf(cai.read());
    expect(zhPage).toContain(`个案 #${caseId}`);
    expect(zhPage).toContain(pZh('signals.reason', { explanation: '表示要结束自己的生命（意图）' }));
    expect(zhPage).toContain(
      pZh('crisis_reason.intensifier', {
        what: '说了具体的近期时间',
        type: pZh('crisis_reason.type.time'),
      }),
    );
    // A pattern only the English file has: what kind and how urgent, in Chinese.
    expect(zhPage).toContain(
      pZh('crisis_reason.other_language', {
        kind: pZh('crisis_kind.self'),
        level: pZh('crisis_level.imminent'),
      }),
    );
    for (const english of ENGLISH_EXPLANATIONS) expect(zhPage).not.toContain(english);

    const enPage = pageOf(ann.read());
    expect(enPage).toContain(
      p('signals.reason', { explanation: 'States an intention to end their own life' }),
    );
    expect(enPage).toContain(
      p('crisis_reason.intensifier', { what: 'Names a time soon', type: p('crisis_reason.type.time') }),
    );

    // Details, opened by one worker, reads the same way.
    await cai.press(CALLBACK.details(caseId), cai.claimMessageId(caseId));
    const [details] = cai.read();
    expect(details).toContain('表示要结束自己的生命（意图）');
    for (const english of ENGLISH_EXPLANATIONS) expect(details).not.toContain(english);
  });

  it('in the alert about a claimed case, reach its Chinese-speaking worker in Chinese', async () => {
    const { resident, caseId } = await imminentCaseClaimedBy(cai);

    // Claimed: the ladder pages no more, so the worker holding it is alerted directly.
    await resident.send(IMMINENT_EN);
    await deliverOutbox(app);
    const alert = cai.read().find((text) => text.startsWith('🚨')) ?? '';
    expect(alert).toContain(`#${caseId}`);
    expect(alert).toContain(wZh('alert.reason', { explanation: '表示要结束自己的生命（意图）' }));
    for (const english of ENGLISH_EXPLANATIONS) expect(alert).not.toContain(english);
  });
});

describe(describeDatabase('outcome codes'), () => {
  it('are listed with their meaning in Chinese, and the resolved case says what it means', async () => {
    const { caseId } = await imminentCaseClaimedBy(cai);

    await cai.send('/resolve');
    const [usage] = cai.read();
    expect(usage).toContain('referred（已转介）');
    expect(usage).toContain('emergency-services（已交由紧急服务）');

    await cai.send('/resolve referred');
    expect(cai.read()).toEqual([wZh('resolve.done', { id: caseId, outcome: 'referred（已转介）' })]);

    // An English-speaking worker reads the codes as they type them.
    ann.read();
    await ann.send('/resolve');
    const [english] = ann.read();
    expect(english).toContain('supported, referred, emergency-services, no-contact');
  });
});
