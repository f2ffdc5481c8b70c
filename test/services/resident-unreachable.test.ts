import { Writable } from 'node:stream';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { deliverDueOutbox } from '../../src/services/outbox-sender.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
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
const logLines: string[] = [];
/** Chats that have blocked the bot: Telegram answers 403 to anything sent there. */
const blocked = new Set<number>();

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

const blockingFetch: typeof fetch = async (input, init) => {
  const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { chat_id?: number }) : {};
  if (body.chat_id !== undefined && blocked.has(body.chat_id)) {
    return new Response(
      JSON.stringify({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }),
      { status: 403, headers: { 'content-type': 'application/json' } },
    );
  }
  return app.api.fetch(input, init);
};

/** The background sender, through a Bot API where the chats in `blocked` refuse the bot. */
function deliver() {
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  return deliverDueOutbox(
    {
      prisma: app.prisma,
      protector: app.protector,
      api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: blockingFetch }),
      logger,
      policy: DEFAULT_ESCALATION_POLICY,
      i18n,
    },
    { now: new Date(Date.now() + 60_000) },
  );
}

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
    blocked.add(resident.person.id);

    await ann.send(`${SAID} (1)`);
    await ann.send(`${SAID} (2)`);
    expect(await deliver()).toMatchObject({ unreachable: 2, sent: 1, failed: 0 });
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
    expect(await deliver()).toMatchObject({ unreachable: 1, sent: 0 });
    expect(ann.read()).toEqual([]);

    // Unblocked: a message arrives, and a later failure is news again.
    blocked.delete(resident.person.id);
    await ann.send(`${SAID} (4)`);
    expect(await deliver()).toMatchObject({ sent: 1 });
    expect(resident.read()).toEqual([expect.stringContaining(`${SAID} (4)`)]);
    blocked.add(resident.person.id);
    await ann.send(`${SAID} (5)`);
    expect(await deliver()).toMatchObject({ unreachable: 1, sent: 1 });
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
    for (const text of [events, told, logLines.join('\n')]) {
      expect(text).not.toContain('Kestrelwood');
      expect(text).not.toContain(String(resident.person.id));
    }
    blocked.delete(resident.person.id);
  });

  it('tells the claimer in their language; a notice after the case closed goes on the timeline only', async () => {
    const { resident, caseId } = await claimedCase(cai);
    const caiId = (await cai.worker()).id;
    blocked.add(resident.person.id);
    await cai.send(SAID);
    expect(await deliver()).toMatchObject({ unreachable: 1, sent: 1 });
    expect(cai.read()).toEqual([notices.zh('notices.resident_unreachable', { id: caseId })]);

    await cai.send('/resolve supported');
    cai.read();
    expect(await deliver()).toMatchObject({ unreachable: 1, sent: 0 });
    expect(cai.read()).toEqual([]);
    const notice = await app.prisma.outboxMessage.findFirstOrThrow({
      where: { caseId, kind: 'resident-notice' },
    });
    expect((await unreachableEvents(caseId)).map((e) => e.detail)).toEqual([
      expect.objectContaining({ toldWorkerId: caiId }),
      { outboxId: notice.id, errorCode: 403 },
    ]);
    blocked.delete(resident.person.id);
  });
});
