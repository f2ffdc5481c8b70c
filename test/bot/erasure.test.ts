import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { sealAuditLog, verifyAuditLog } from '../../src/services/audit-chain.ts';
import { runEscalationSweep } from '../../src/services/escalation.ts';
import { openOutboxPayload } from '../../src/services/outbox.ts';
import { createOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { dumpText, readEveryTable } from '../helpers/tables.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

const i18n = createI18n();
const notice = {
  en: i18n.getFixedT('en', 'pages'),
  zh: i18n.getFixedT('zh-CN', 'pages'),
};
const logger = createLogger({ level: 'silent' });
const policy = DEFAULT_ESCALATION_POLICY;
const IMMINENT = 'I want to kill myself tonight';
const WORDS = 'My landlord Pemberton locked me out of Quixburg lane';

let app: TTestApp;
let ann: TStaff;
let cai: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  cai = await joinStaff(app, staffPerson('Caiwen', 'zh-hans'), { role: 'supervisor', name: 'Caiwen Xu' });
  await ann.send('/oncall on');
  ann.read();
});
afterAll(async () => {
  await app.close();
});

let nextResidentId = 731_960_001;
/** A resident whose finished screening opened a high case, paged to Annabel. */
async function pagedHighCase() {
  const resident = createResident(app, { id: nextResidentId++, languageCode: 'en', firstName: 'Philippa' });
  await resident.consent();
  await resident.answer(ROUTES.high);
  resident.read();
  const { id: caseId } = await app.prisma.case.findFirstOrThrow({
    where: { residentId: resident.residentId },
  });
  return { resident, caseId };
}

async function erase(resident: ReturnType<typeof createResident>): Promise<void> {
  await resident.send('/delete');
  await resident.press(CALLBACK.deleteYes);
}

/** The ids of the messages sent to `staff` since call number `from`. */
function sentTo(staff: TStaff, from: number): number[] {
  return app.api.calls
    .slice(from)
    .filter((call) => call.method === 'sendMessage' && call.payload.chat_id === staff.person.id)
    .map((call) => (call.result as { message_id: number }).message_id);
}

/** Every outbox row, its payload opened: nothing the resident said or where they are may be in one. */
async function openedOutbox(): Promise<string> {
  const rows = await app.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
  return JSON.stringify(
    rows.map((row) => ({ ...row, payload: openOutboxPayload(app.protector, row.payloadSealed) })),
  );
}

describe(describeDatabase('/delete and the messages in workers’ chats'), () => {
  it('blanks every page, relayed message, alert and Details that went out, removes their buttons, and tells the claimer', async () => {
    const { resident, caseId } = await pagedHighCase();
    await sweepAndDeliver(app);
    const page = ann.claimMessageId(caseId);
    await ann.press(CALLBACK.claim(caseId), page);
    await deliverOutbox(app);
    const claimed = app.api.calls.length;
    await resident.send(WORDS);
    await resident.send(IMMINENT);
    await deliverOutbox(app);
    // Details, which quotes the message that raised the case.
    await ann.press(CALLBACK.details(caseId), page);
    await deliverOutbox(app);
    // Annabel's relays, alert and Details, the supervisor's alert: all through the outbox.
    const annMessages = [page, ...sentTo(ann, claimed)];
    const caiMessages = sentTo(cai, claimed);
    expect(annMessages).toHaveLength(5);
    expect(app.api.textsTo(ann.person.id).at(-1)).toContain(IMMINENT);
    expect(caiMessages).toHaveLength(1);
    expect(app.api.textsTo(ann.person.id).some((text) => text.includes('Pemberton'))).toBe(true);
    ann.read();
    cai.read();

    const erased = app.api.calls.length;
    await erase(resident);
    resident.read();
    expect(await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      status: 'withdrawn',
      residentId: null,
    });
    // Nothing waiting holds the resident's words, their chat id, or a link to the case.
    const outbox = await openedOutbox();
    for (const trace of ['Pemberton', 'Quixburg', 'kill myself', String(resident.person.id)]) {
      expect(outbox).not.toContain(trace);
    }
    expect(await app.prisma.outboxMessage.count({ where: { caseId } })).toBe(0);

    await deliverOutbox(app);
    const edits = app.api.calls.slice(erased).filter((call) => call.method === 'editMessageText');
    const byMessage = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      Number(a.message_id) - Number(b.message_id);
    expect(edits.map((call) => call.payload).sort(byMessage)).toEqual(
      [
        ...annMessages.map((id) => ({
          chat_id: ann.person.id,
          message_id: id,
          text: notice.en('notices.erased', { id: caseId }),
        })),
        ...caiMessages.map((id) => ({
          chat_id: cai.person.id,
          message_id: id,
          text: notice.zh('notices.erased', { id: caseId }),
        })),
      ].sort(byMessage),
    );
    expect(edits.every((call) => !('reply_markup' in call.payload))).toBe(true);
    expect(ann.read()).toEqual([notice.en('notices.erased_claimer', { id: caseId })]);
    expect(cai.read()).toEqual([]);
    expect(resident.read()).toEqual([]);

    // Afterwards, still nothing anywhere: not in a payload, not in a table, not in the log — but the erasure
    // list, which keeps the pseudonym alone (so a restored backup can be erased again).
    const after = await openedOutbox();
    const { Erasure: erasures, ...rest } = await readEveryTable(app.prisma);
    expect(erasures).toEqual([{ pseudonym: resident.residentId, erasedAt: expect.any(Date) }]);
    const tables = dumpText(rest);
    for (const trace of ['Pemberton', 'Quixburg', 'kill myself', resident.residentId]) {
      expect(after).not.toContain(trace);
      expect(tables).not.toContain(trace);
      expect(app.logLines.join('\n')).not.toContain(trace);
    }
    expect(tables).not.toContain(String(resident.person.id));
    // A reply to a blanked message belongs to no case: it goes nowhere.
    const relays = { kind: { startsWith: 'relay' } };
    const rowsBefore = await app.prisma.outboxMessage.count({ where: relays });
    await ann.send('Are you still there?', { replyTo: annMessages[1] });
    expect(ann.read()).toHaveLength(1);
    expect(await app.prisma.outboxMessage.count({ where: relays })).toBe(rowsBefore);
    expect(await app.prisma.caseMessage.count({ where: { caseId } })).toBe(0);
  });

  it('leaves the audit log whole: its entries stay, the chain verifies', async () => {
    const { resident, caseId } = await pagedHighCase();
    await sealAuditLog({ prisma: app.prisma });
    const before = await app.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    await erase(resident);
    await sealAuditLog({ prisma: app.prisma });
    const after = await app.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((event) => event.type)).toContain('erased');
    expect((await verifyAuditLog({ prisma: app.prisma })).problem).toBeUndefined();
  });

  it('a case still waiting: pages that went out are blanked, pages not sent yet are dropped, nobody is told', async () => {
    const first = await pagedHighCase();
    const second = await pagedHighCase();
    const pages = [ann.claimMessageId(first.caseId), ann.claimMessageId(second.caseId)];
    // Their next step (the supervisor) written by a process that has not sent it yet.
    const later = new Date(Date.now() + policy.acknowledgeTimeout.high + 60_000);
    const { pages: waiting } = await runEscalationSweep(
      { prisma: app.prisma, protector: app.protector, i18n, logger, policy, scripts: app.scripts },
      { now: later },
    );
    expect(waiting).toBe(2);
    ann.read();
    cai.read();
    const erased = app.api.calls.length;
    await erase(first.resident);
    await erase(second.resident);

    await deliverOutbox(app, later);
    const calls = app.api.calls.slice(erased).filter((call) => call.payload.chat_id === ann.person.id);
    expect(calls.map((call) => [call.method, call.payload])).toEqual(
      [first, second].map(({ caseId }, index) => [
        'editMessageText',
        {
          chat_id: ann.person.id,
          message_id: pages[index],
          text: notice.en('notices.erased', { id: caseId }),
        },
      ]),
    );
    expect(ann.read()).toEqual([]);
    expect(cai.read()).toEqual([]);
    for (const { caseId } of [first, second]) {
      expect(await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
        status: 'withdrawn',
        nextEscalationAt: null,
      });
    }
  });

  it('a page in flight as the resident erases is blanked once it has arrived, and stays unlinked', async () => {
    const { resident, caseId } = await pagedHighCase();
    // A second process, whose sender has sent the next step's page and waits for Telegram's answer while
    // the resident erases.
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const slow: typeof fetch = async (input, init) => {
      const response = await app.api.fetch(input, init);
      reached();
      await answered;
      return response;
    };
    const other = createOutboxDispatcher({
      prisma: app.prisma,
      protector: app.protector,
      api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: slow }),
      logger,
      policy,
      i18n,
      limits: { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
    });
    const later = new Date(Date.now() + policy.acknowledgeTimeout.high + 60_000);
    await runEscalationSweep(
      {
        prisma: app.prisma,
        protector: app.protector,
        i18n,
        logger,
        policy,
        scripts: app.scripts,
        outboxSender: other,
      },
      { now: later },
    );
    await inFlight;
    // The step after the on-call workers': the supervisor.
    const page = cai.claimMessageId(caseId);
    const [row] = await app.prisma.outboxMessage.findMany({
      where: { caseId, kind: 'page' },
      orderBy: { id: 'desc' },
    });
    expect(row?.status).toBe('sending');
    const erased = app.api.calls.length;
    await erase(resident);
    release();
    await other.idle();
    expect(other.stats().sent).toBe(1);
    await other.stop();

    // The page's row survives for its message id only: no case, no words, no buttons.
    const kept = await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row?.id ?? -1 } });
    expect(kept).toMatchObject({ caseId: null, status: 'sent', sentMessageId: page });
    expect(openOutboxPayload(app.protector, kept.payloadSealed)).toEqual({
      type: 'send',
      chatId: cai.person.id,
      text: notice.zh('notices.erased', { id: caseId }),
    });
    const events = await app.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(events.at(-1)?.type).toBe('erased');
    // The audit trail stays as written (ids and codes only), and still verifies.
    expect((await verifyAuditLog({ prisma: app.prisma })).problem).toBeUndefined();

    // Once its message id is known, the edit that blanks it.
    await deliverOutbox(app);
    expect(
      app.api.calls
        .slice(erased)
        .filter((call) => call.payload.chat_id === cai.person.id)
        .map((call) => [call.method, call.payload]),
    ).toEqual([
      [
        'editMessageText',
        { chat_id: cai.person.id, message_id: page, text: notice.zh('notices.erased', { id: caseId }) },
      ],
    ]);
    cai.read();
  });
});

describe(describeDatabase('/delete in a live crisis'), () => {
  for (const [languageCode, locale] of [
    ['en', 'en'],
    ['zh-hans', 'zh-CN'],
  ] as const) {
    it(`shows the emergency numbers before the confirmation, and still erases on yes (${locale})`, async () => {
      const t = botTexts(locale);
      const resident = createResident(app, { id: nextResidentId++, languageCode, firstName: 'Quinn' });
      await resident.send('/delete');
      expect(resident.read()).toEqual([t('delete.confirm')]);

      await resident.send(locale === 'en' ? IMMINENT : '我今晚就从楼上跳下去');
      resident.read();
      await resident.send('/delete');
      expect(resident.read()).toEqual([t('delete.confirm_in_crisis', { numbers: t('emergency.default') })]);
      await resident.press(CALLBACK.deleteYes);
      expect(resident.read()).toEqual([t('delete.done')]);
      expect(await app.prisma.resident.count({ where: { id: resident.residentId } })).toBe(0);
    });
  }
});
