import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** Staff may do about themselves what residents may: /language, /privacy and /delete work for them too. */
const i18n = createI18n();
const w = i18n.getFixedT('en', 'worker');
const wZh = i18n.getFixedT('zh-CN', 'worker');
const en = botTexts('en');

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

/** The id of the last message sent to `staff` with a button carrying `data`. */
function messageWithButton(staff: TStaff, data: string): number {
  const call = app.api.calls.findLast(
    (c) =>
      c.method === 'sendMessage' &&
      c.payload.chat_id === staff.person.id &&
      JSON.stringify(c.payload.reply_markup ?? '').includes(`"${data}"`),
  );
  return (call?.result as { message_id: number } | undefined)?.message_id ?? 0;
}

describe(describeDatabase('/language for staff'), () => {
  it('switches their replies, and the pages they get, to the language they choose', async () => {
    const mei = await joinStaff(app, staffPerson('Mei', 'zh-hans'));
    mei.read();
    await mei.send('/language');
    expect(mei.read()).toEqual([wZh('language.choose')]);
    await mei.press(CALLBACK.language('en'), messageWithButton(mei, CALLBACK.language('en')));
    expect(mei.read()).toEqual([w('language.set')]);
    expect((await mei.worker()).locale).toBe('en');

    await mei.send('/oncall on');
    expect(mei.read()).toEqual([w('oncall.on')]);
    const resident = createResident(app, { id: 61_000, languageCode: 'zh-hans', firstName: 'Res' });
    await resident.send('我今晚就从楼上跳下去');
    await sweepAndDeliver(app);
    expect(mei.read().find((text) => text.startsWith('🔔'))).toMatch(/^🔔 Case #\d+: IMMINENT risk/);
  });
});

describe(describeDatabase('/privacy for staff'), () => {
  it('says what is kept about them, in their language, and asks nothing', async () => {
    const lin = await joinStaff(app, staffPerson('Lin', 'zh-hans'));
    lin.read();
    await lin.send('/privacy');
    expect(lin.read()).toEqual([wZh('privacy.text')]);
    expect(app.api.lastKeyboard(lin.person.id)).toBeUndefined();
  });
});

describe(describeDatabase('/delete for staff'), () => {
  it('asks first, and "No" changes nothing', async () => {
    const ola = await joinStaff(app, staffPerson('Ola'));
    ola.read();
    await ola.send('/delete');
    const worker = await ola.worker();
    expect(ola.read()).toEqual([w('delete.confirm', { count: 0, id: worker.id })]);
    await ola.press(CALLBACK.staffDeleteNo, messageWithButton(ola, CALLBACK.staffDeleteNo));
    expect(ola.read()).toEqual([w('delete.kept')]);
    expect(await ola.worker()).toMatchObject({ isActive: true, name: worker.name });
  });

  it('ends their access, removes their name and account, and puts the case they hold back in the queue', async () => {
    const kai = await joinStaff(app, staffPerson('Kai'), { name: 'Kai Olsen' });
    const ivo = await joinStaff(app, staffPerson('Ivo'));
    await kai.send('/oncall on');
    const resident = createResident(app, { id: 61_001, languageCode: 'en', firstName: 'Res' });
    await resident.send('I am going to end my life tonight');
    const { id: caseId } = await app.prisma.case.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    await sweepAndDeliver(app);
    await kai.press(CALLBACK.claim(caseId), kai.claimMessageId(caseId));
    await deliverOutbox(app);
    kai.read();
    resident.read();
    const { id: kaiId } = await kai.worker();

    await kai.send('/delete');
    expect(kai.read()).toEqual([w('delete.confirm', { count: 1, id: kaiId })]);
    await ivo.send('/oncall on');
    ivo.read();
    const confirmId = messageWithButton(kai, CALLBACK.staffDeleteYes);
    await kai.press(CALLBACK.staffDeleteYes, confirmId);
    await sweepAndDeliver(app);
    expect(kai.read()).toEqual([w('delete.done')]);
    // A second tap, now that the account is anyone's: nothing is erased, nothing claimed.
    const residentsBefore = await app.prisma.resident.count();
    await kai.press(CALLBACK.staffDeleteYes, confirmId);
    expect(app.api.callsOf('answerCallbackQuery').at(-1)?.payload.text).toBe(w('delete.stale'));
    expect(await app.prisma.resident.count()).toBe(residentsBefore);
    expect(kai.read()).toEqual([]);

    const row = await app.prisma.worker.findUniqueOrThrow({ where: { id: kaiId } });
    expect(row).toMatchObject({ isActive: false, isOnCall: false, name: `#${kaiId}` });
    expect(row.telegramUserId).toBeLessThan(0n);
    const invitations = await app.prisma.invitation.findMany({ where: { workerId: kaiId } });
    expect(invitations.map((invitation) => invitation.name)).toEqual([`#${kaiId}`]);
    expect(await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      status: 'waiting',
      claimedById: null,
    });
    const released = await app.prisma.caseEvent.findFirstOrThrow({ where: { caseId, type: 'released' } });
    expect(released.actor).toBe(`worker:${kaiId}`);
    // Paged again to whoever is on call, and the resident told it went back to the queue.
    expect(ivo.read().some((text) => text.startsWith(`🔔 Case #${caseId}`))).toBe(true);
    expect(resident.read()).toEqual([en('relay.released', { numbers: en('emergency.default') })]);

    // The account is anyone's now: talked to as a resident, not as staff.
    await kai.send('/queue');
    expect(kai.read()).toEqual([w('gate.not_worker')]);
  });
});
