import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

const i18n = createI18n();
const notices = { en: i18n.getFixedT('en', 'pages'), zh: i18n.getFixedT('zh-CN', 'pages') };
/** What workers write: it must reach no event, no notice and no log line. */
const SAID = 'Kestrelwood appointment at nine';

let app: TTestApp;
let ann: TStaff;
let cai: TStaff;

beforeAll(async () => {
  app = await createTestApp();
  ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  cai = await joinStaff(app, staffPerson('Caiwen', 'zh-hans'), { role: 'supervisor', name: 'Caiwen Xu' });
  await ann.send('/oncall on');
  await cai.send('/oncall on');
});
afterAll(async () => {
  await app.close();
});

let nextResidentId = 44_100;
/** A high case, paged and claimed by `staff`. */
async function claimedCase(staff: TStaff) {
  const resident = createResident(app, { id: nextResidentId++, languageCode: 'en', firstName: 'Res' });
  await resident.consent();
  await resident.answer(ROUTES.high);
  const { id: caseId } = await app.prisma.case.findFirstOrThrow({
    where: { residentId: resident.residentId },
  });
  await sweepAndDeliver(app);
  await staff.press(CALLBACK.claim(caseId), staff.claimMessageId(caseId));
  await deliverOutbox(app);
  for (const each of [ann, cai]) each.read();
  resident.read();
  return { resident, caseId };
}

const unreachableEvents = (caseId: number) =>
  app.prisma.caseEvent.findMany({
    where: { caseId, type: { in: ['resident-unreachable', 'resident-reachable'] } },
    orderBy: { id: 'asc' },
  });
const relayRows = (caseId: number) =>
  app.prisma.outboxMessage.findMany({ where: { caseId, kind: 'relay-to-resident' }, orderBy: { id: 'asc' } });

describe(describeDatabase('a resident who blocked the bot while a worker writes to them'), () => {
  it('is on the timeline, and the claimer is told once, until a message reaches the resident again', async () => {
    const { resident, caseId } = await claimedCase(ann);
    const annId = (await ann.worker()).id;
    const told = notices.en('notices.resident_unreachable', { id: caseId });
    app.api.setBlocked(resident.person.id, true);

    await ann.send(`${SAID} (1)`);
    await ann.send(`${SAID} (2)`);
    await deliverOutbox(app);
    expect(ann.read()).toEqual([told]);
    const [first, second] = await relayRows(caseId);
    expect([first?.status, second?.status]).toEqual(['unreachable', 'unreachable']);
    expect((await unreachableEvents(caseId)).map((e) => [e.type, e.actor, e.detail])).toEqual([
      ['resident-unreachable', 'system', { outboxId: first?.id, errorCode: 403, toldWorkerId: annId }],
      ['resident-unreachable', 'system', { outboxId: second?.id, errorCode: 403 }],
    ]);
    expect(
      await app.prisma.outboxMessage.count({ where: { caseId, workerId: annId, kind: 'case-alert' } }),
    ).toBe(1);

    // Still blocked: a third failure is recorded, and nobody is told again.
    await ann.send(`${SAID} (3)`);
    await deliverOutbox(app);
    expect((await relayRows(caseId)).at(-1)?.status).toBe('unreachable');
    expect(ann.read()).toEqual([]);

    // Unblocked: a message arrives, and a later failure is news again.
    app.api.setBlocked(resident.person.id, false);
    resident.read();
    await ann.send(`${SAID} (4)`);
    await deliverOutbox(app);
    expect((await relayRows(caseId)).at(-1)?.status).toBe('sent');
    expect(resident.read()).toEqual([expect.stringContaining(`${SAID} (4)`)]);
    app.api.setBlocked(resident.person.id, true);
    await ann.send(`${SAID} (5)`);
    await deliverOutbox(app);
    expect((await relayRows(caseId)).at(-1)?.status).toBe('unreachable');
    expect(ann.read()).toEqual([told]);
    expect((await unreachableEvents(caseId)).map((e) => e.type)).toEqual([
      'resident-unreachable',
      'resident-unreachable',
      'resident-unreachable',
      'resident-reachable',
      'resident-unreachable',
    ]);

    // Codes and ids only: never what the worker wrote, nor where the resident is.
    const events = JSON.stringify(await app.prisma.caseEvent.findMany({ where: { caseId } }));
    for (const text of [events, told, app.logLines.join('\n')]) {
      expect(text).not.toContain('Kestrelwood');
      expect(text).not.toContain(String(resident.person.id));
    }
    app.api.setBlocked(resident.person.id, false);
  });

  it('tells the claimer in their language; a notice after the case closed goes on the timeline only', async () => {
    const { resident, caseId } = await claimedCase(cai);
    const caiId = (await cai.worker()).id;
    app.api.setBlocked(resident.person.id, true);
    await cai.send(SAID);
    await deliverOutbox(app);
    expect(cai.read()).toEqual([notices.zh('notices.resident_unreachable', { id: caseId })]);

    await cai.send('/resolve supported');
    cai.read();
    await deliverOutbox(app);
    expect(cai.read()).toEqual([]);
    // The last word to the resident on their case: that it is closed.
    const notice = await app.prisma.outboxMessage.findFirstOrThrow({
      where: { caseId, kind: 'resident-notice' },
      orderBy: { id: 'desc' },
    });
    expect((await unreachableEvents(caseId)).map((e) => e.detail)).toEqual([
      expect.objectContaining({ toldWorkerId: caiId }),
      { outboxId: notice.id, errorCode: 403 },
    ]);
    app.api.setBlocked(resident.person.id, false);
  });
});
