import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { messageUpdate, UNSUPPORTED_CONTENT } from '../helpers/updates.ts';
import { joinOnCall, staffPerson, type TStaff } from '../helpers/workers.ts';

const i18n = createI18n();
const w = i18n.getFixedT('en', 'worker');
const wZh = i18n.getFixedT('zh-CN', 'worker');
const en = botTexts('en');

/** Classified imminent by the shipped patterns. */
const IMMINENT_EN = 'I want to kill myself tonight';

let app: TTestApp;
let ann: TStaff;
let ben: TStaff;
let cai: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  ann = await joinOnCall(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
  ben = await joinOnCall(app, staffPerson('Benedict'), { name: 'Benedict Ho' });
  cai = await joinOnCall(app, staffPerson('Caiwen', 'zh-hans'), { role: 'supervisor', name: 'Caiwen Xu' });
});
afterAll(async () => {
  await app.close();
});

let nextResidentId = 41_000;
/** A resident whose screening reached high, and the pages that went out for their case. */
async function pagedHighCase() {
  const resident = createResident(app, { id: nextResidentId++, languageCode: 'en', firstName: 'Res' });
  await resident.consent();
  await resident.answer(ROUTES.high);
  resident.read();
  const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
  await sweepAndDeliver(app);
  for (const staff of [ann, ben, cai]) staff.read();
  return { resident, caseId: row.id };
}

const caseOf = (id: number) => app.prisma.case.findUniqueOrThrow({ where: { id } });
const eventsOf = (caseId: number, type: string) =>
  app.prisma.caseEvent.findMany({ where: { caseId, type }, orderBy: { id: 'asc' } });

/** Every Bot API call addressed to a resident's chat, as JSON: what they could ever have seen. */
function everythingSentTo(chatId: number): string {
  return JSON.stringify(
    app.api.calls.filter((call) => call.payload.chat_id === chatId).map((c) => c.payload),
  );
}

/** The message id of the last text the bot sent a chat. */
function lastMessageIdTo(chatId: number): number {
  const call = app.api.calls.findLast((c) => c.method === 'sendMessage' && c.payload.chat_id === chatId);
  if (!call) throw new Error(`nothing was sent to ${chatId}`);
  return (call.result as { message_id: number }).message_id;
}

describe(describeDatabase('claiming a case'), () => {
  it('two workers pressing Claim together: one wins, the other is told who, every other page says "claimed"', async () => {
    const { caseId } = await pagedHighCase();
    const pages = {
      ann: ann.claimMessageId(caseId),
      ben: ben.claimMessageId(caseId),
      cai: cai.claimMessageId(caseId),
    };

    await Promise.all([
      ann.press(CALLBACK.claim(caseId), pages.ann),
      ben.press(CALLBACK.claim(caseId), pages.ben),
    ]);

    const row = await caseOf(caseId);
    const annWorker = await ann.worker();
    const benWorker = await ben.worker();
    const [winner, loser, winnerRow, loserPage, winnerPage] =
      row.claimedById === annWorker.id
        ? [ann, ben, annWorker, pages.ben, pages.ann]
        : [ben, ann, benWorker, pages.ann, pages.ben];
    expect(row).toMatchObject({ status: 'claimed', claimedById: winnerRow.id, nextEscalationAt: null });
    expect(await eventsOf(caseId, 'claimed')).toEqual([
      expect.objectContaining({ actor: `worker:${winnerRow.id}` }),
    ]);
    expect(winner.read()).toEqual([w('claim.won', { id: caseId, level: w('levels.high') })]);
    expect(loser.read()).toEqual([w('claim.taken', { id: caseId, name: winnerRow.name })]);
    expect((await winner.worker()).activeCaseId).toBe(caseId);

    await deliverOutbox(app);
    const edits = app.api.callsOf('editMessageText');
    const editOf = (chatId: number, messageId: number) =>
      edits.find((c) => c.payload.chat_id === chatId && c.payload.message_id === messageId)?.payload;
    expect(editOf(cai.person.id, pages.cai)).toMatchObject({
      text: wZh('page.claimed', { id: caseId, level: wZh('levels.high') }),
    });
    expect(editOf(cai.person.id, pages.cai)?.reply_markup).toBeUndefined();
    expect(editOf(loser.person.id, loserPage)).toMatchObject({
      text: w('page.claimed', { id: caseId, level: w('levels.high') }),
    });
    expect(String(editOf(winner.person.id, winnerPage)?.text)).toMatch(/You claimed this case\.$/);

    // A late press on an old page: told, nothing changes.
    await loser.press(CALLBACK.claim(caseId), loserPage);
    expect(loser.read()).toEqual([w('claim.taken', { id: caseId, name: winnerRow.name })]);
    expect(await eventsOf(caseId, 'claimed')).toHaveLength(1);
  });
});

describe(describeDatabase('working a case'), () => {
  let resident: Awaited<ReturnType<typeof pagedHighCase>>['resident'];
  let caseId: number;
  beforeAll(async () => {
    ({ resident, caseId } = await pagedHighCase());
    await ann.press(CALLBACK.claim(caseId), ann.claimMessageId(caseId));
    await deliverOutbox(app);
    for (const staff of [ann, ben, cai]) staff.read();
    // Told a worker has it, never who.
    expect(resident.read()).toEqual([en('relay.claimed')]);
  });

  it('Details shows the summary to the claimer and to supervisors, audited; not to another worker', async () => {
    await ann.press(CALLBACK.details(caseId), 1);
    const [details] = ann.read();
    expect(details).toMatch(new RegExp(`^🔔 Case #${caseId}: HIGH risk`));
    expect(details).toMatch(/Scores\n• Distress: \d+/);
    // The script's own words for the questions and answers behind the level, never its ids.
    expect(details).toContain('Why this level');
    expect(details).not.toMatch(/\b(k6|asq|g)_[a-z_]+/);
    expect(details).toMatch(/Status: claimed by Annabel Lee$/);

    await ben.press(CALLBACK.details(caseId), 1);
    expect(ben.read()).toEqual([]);
    const refused = app.api.callsOf('answerCallbackQuery').at(-1)?.payload;
    expect(refused).toMatchObject({ text: w('details.not_allowed', { id: caseId }), show_alert: true });

    await cai.press(CALLBACK.details(caseId), 1);
    expect(cai.read()).toEqual([
      expect.stringMatching(new RegExp(`^🔔 个案 #${caseId}[\\s\\S]*状态：由 Annabel Lee 负责$`)),
    ]);

    const viewed = await eventsOf(caseId, 'viewed');
    expect(viewed.map((e) => e.actor)).toEqual([
      `worker:${(await ann.worker()).id}`,
      `worker:${(await cai.worker()).id}`,
    ]);
  });

  it('relays both ways through the bot, sealed in the transcript, with no trace of the worker', async () => {
    await ann.send('Hello, I am here to listen.');
    await deliverOutbox(app);
    expect(resident.read()).toEqual([en('relay.from_worker', { text: 'Hello, I am here to listen.' })]);
    expect(resident.read()).toEqual([]);

    await resident.send('Thank you, it has been hard.');
    expect(resident.read()).toEqual([]);
    await deliverOutbox(app);
    expect(ann.read()).toEqual([
      w('relay.from_resident', { id: caseId, text: 'Thank you, it has been hard.' }),
    ]);

    // A reply to the relayed message goes to its case.
    await ann.send('Can you tell me more?', { replyTo: lastMessageIdTo(ann.person.id) });
    await deliverOutbox(app);
    expect(resident.read()).toEqual([en('relay.from_worker', { text: 'Can you tell me more?' })]);

    const messages = await app.prisma.caseMessage.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(messages.map((m) => m.direction)).toEqual(['from-worker', 'from-resident', 'from-worker']);
    expect(messages.map((m) => app.protector.open(m.textSealed, `case-message:${caseId}`))).toEqual([
      'Hello, I am here to listen.',
      'Thank you, it has been hard.',
      'Can you tell me more?',
    ]);
    expect(messages.some((m) => m.textSealed.includes('listen'))).toBe(false);
    const relayed = await eventsOf(caseId, 'relayed');
    const annId = (await ann.worker()).id;
    expect(relayed.map((e) => [e.actor, e.detail])).toEqual([
      [`worker:${annId}`, { direction: 'to-resident' }],
      ['resident', { direction: 'to-worker' }],
      [`worker:${annId}`, { direction: 'to-resident' }],
    ]);
  });

  it('other kinds of message are not relayed, and each side is told so', async () => {
    const before = await app.prisma.outboxMessage.count({ where: { kind: { startsWith: 'relay' } } });
    await ann.send(UNSUPPORTED_CONTENT.photo);
    expect(ann.read()).toEqual([w('relay.not_relayed')]);
    await app.send(messageUpdate(resident.person, UNSUPPORTED_CONTENT.sticker));
    expect(resident.read()).toEqual([en('relay.not_relayed')]);
    // Each was told so, and nothing was relayed.
    expect(await app.prisma.outboxMessage.count({ where: { kind: { startsWith: 'relay' } } })).toBe(before);
  });

  it('crisis words from the resident reach the worker flagged, and the resident gets the numbers', async () => {
    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual([
      en('crisis.imminent', { numbers: en('emergency.default') }),
      en('crisis.escalated'),
    ]);
    await deliverOutbox(app);
    // First an alert of its own (the ladder pages nobody for a claimed case), then the message, flagged.
    expect(ann.read()).toEqual([
      expect.stringMatching(new RegExp(`^🚨 Your case #${caseId}: .*imminent crisis`)),
      `${w('relay.crisis_flag', { id: caseId })}\n${w('relay.from_resident', { id: caseId, text: IMMINENT_EN })}`,
    ]);
    expect(cai.read()).toEqual([
      expect.stringMatching(new RegExp(`^🚨 个案 #${caseId}（由 Annabel Lee 负责）`)),
    ]);
    expect(ben.read()).toEqual([]);
    expect(await caseOf(caseId)).toMatchObject({ level: 'imminent', status: 'claimed' });
  });

  it("/case switches the active case; a reply to a page goes to that page's case", async () => {
    const second = await pagedHighCase();
    await ann.press(CALLBACK.claim(second.caseId), ann.claimMessageId(second.caseId));
    ann.read();
    await ann.send('This goes to the second resident.');
    await ann.send('This goes to the first.', { replyTo: ann.claimMessageId(caseId) });
    await deliverOutbox(app);
    expect(second.resident.read()).toEqual([
      en('relay.claimed'),
      en('relay.from_worker', { text: 'This goes to the second resident.' }),
    ]);
    expect(resident.read()).toEqual([en('relay.from_worker', { text: 'This goes to the first.' })]);

    await ann.send('/case');
    expect(ann.read()[0]).toMatch(new RegExp(`#${second.caseId}.*#${caseId}|#${caseId}.*#${second.caseId}`));
    await ann.send(`/case ${caseId}`);
    expect(ann.read()).toEqual([w('case.switched', { id: caseId, level: w('levels.imminent') })]);
    expect((await ann.worker()).activeCaseId).toBe(caseId);
    await ann.send('/case 999999');
    expect(ann.read()).toEqual([w('case.not_found', { id: 999_999 })]);
    await ben.send(`/case ${caseId}`);
    expect(ben.read()).toEqual([w('case.taken', { id: caseId, name: 'Annabel Lee' })]);
    // Someone else's case: nothing reaches the resident.
    await ben.send('Hi from Ben', { replyTo: ben.claimMessageId(caseId) });
    expect(ben.read()).toEqual([
      `${w('case.taken', { id: caseId, name: 'Annabel Lee' })}\n${w('relay.not_sent')}`,
    ]);
    await deliverOutbox(app);
    expect(resident.read()).toEqual([]);
  });

  it('/note keeps a sealed note the resident never sees', async () => {
    await ann.send('/note');
    await ann.send('/note Lives alone; sister nearby.');
    expect(ann.read()).toEqual([w('note.usage'), w('note.saved', { id: caseId })]);
    const notes = await app.prisma.caseNote.findMany({ where: { caseId } });
    expect(notes).toHaveLength(1);
    expect(app.protector.open(notes[0]?.textSealed ?? '', `case-note:${caseId}`)).toBe(
      'Lives alone; sister nearby.',
    );
    expect(await eventsOf(caseId, 'noted')).toHaveLength(1);
    await deliverOutbox(app);
    expect(resident.read()).toEqual([]);
  });

  it('/release puts the case back in the queue and pages again at once', async () => {
    const releasedAt = Date.now();
    const oldPage = ben.claimMessageId(caseId);
    await ann.send('/release');
    // The ladder starts again in the same update: its first step (on call and supervisors, for an
    // imminent case) is paged with the confirmation, the page first as the more urgent.
    const toAnn = ann.read();
    expect(toAnn).toHaveLength(2);
    expect(toAnn[0]).toMatch(new RegExp(`^🔔 Case #${caseId}: IMMINENT`));
    expect(toAnn[1]).toBe(w('release.done', { id: caseId }));
    const row = await caseOf(caseId);
    expect(row).toMatchObject({ status: 'waiting', claimedById: null, escalationStep: 1 });
    expect(row.nextEscalationAt?.getTime()).toBeGreaterThan(releasedAt);
    expect((await ann.worker()).activeCaseId).toBeNull();
    expect(await eventsOf(caseId, 'released')).toHaveLength(1);
    expect(ben.claimMessageId(caseId)).toBeGreaterThan(oldPage);

    // Nobody has it now: the worker's messages go nowhere; the resident was told it went back, and that a
    // worker is coming.
    await ann.send('Still there?');
    expect(ann.read().at(-1)).toBe(`${w('case.none')}\n${w('relay.not_sent')}`);
    await resident.send('Hello?');
    expect(resident.read()).toEqual([
      en('relay.released', { numbers: en('emergency.default') }),
      en('relay.waiting', { numbers: en('emergency.default') }),
    ]);
  });

  it('what raised the case, then what the resident wrote while waiting, reach whoever claims it next', async () => {
    ben.read();
    await ben.press(CALLBACK.claim(caseId), ben.claimMessageId(caseId));
    // The message that raised the case comes first, though Annabel had it: Ben must read it too.
    expect(ben.read()).toEqual([
      `${w('claim.won', { id: caseId, level: w('levels.imminent') })}\n\n${w('claim.kept', { count: 2 })}`,
      w('relay.from_resident_crisis', { id: caseId, text: IMMINENT_EN }),
      w('relay.from_resident_kept', { id: caseId, text: 'Hello?' }),
    ]);
  });

  it('/resolve closes the case with a configured outcome and tells the resident', async () => {
    await ben.send('/resolve');
    await ben.send('/resolve fixed');
    const outcomes = 'supported, referred, emergency-services, no-contact';
    expect(ben.read()).toEqual([
      w('resolve.usage', { outcomes }),
      w('resolve.unknown', { outcome: 'fixed', outcomes }),
    ]);
    await ben.send('/resolve referred');
    expect(ben.read()).toEqual([w('resolve.done', { id: caseId, outcome: 'referred' })]);
    expect(await caseOf(caseId)).toMatchObject({
      status: 'resolved',
      outcome: 'referred',
      closedAt: expect.any(Date),
      nextEscalationAt: null,
    });
    expect((await eventsOf(caseId, 'resolved')).map((e) => e.detail)).toEqual([{ outcome: 'referred' }]);

    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      en('relay.claimed'),
      en('relay.case_closed', { numbers: en('emergency.default') }),
    ]);
    await resident.send('ok');
    expect(resident.read()).toEqual([en('unsupported.unknown_text')]);
    await ben.send('/note after the end');
    expect(ben.read()).toEqual([w('case.none')]);
  });

  it('the resident never learns who the worker is: no name, username or Telegram id in anything sent to them', async () => {
    const sent = everythingSentTo(resident.person.id);
    expect(sent).toContain('Social worker:');
    for (const staff of [ann, ben, cai]) {
      const worker = await staff.worker();
      for (const trace of [
        staff.person.firstName,
        staff.person.lastName,
        staff.person.username,
        worker.name,
        String(staff.person.id),
      ]) {
        expect(sent).not.toContain(trace);
      }
    }
  });

  it('admin audit lists every claim, view, relay, note, release and resolve, with who and when, and no text', async () => {
    const out: string[] = [];
    const code = await runAdminCommand(
      ['audit', '--case', String(caseId)],
      { prisma: app.prisma },
      { out: (line) => out.push(line), err: () => undefined },
    );
    expect(code).toBe(0);
    const [annId, benId] = [(await ann.worker()).id, (await ben.worker()).id];
    const lines = out.join('\n');
    for (const [type, actor] of [
      ['claimed', `worker:${annId}`],
      ['viewed', `worker:${annId}`],
      ['relayed', `worker:${annId}`],
      ['relayed', 'resident'],
      ['noted', `worker:${annId}`],
      ['released', `worker:${annId}`],
      ['claimed', `worker:${benId}`],
      ['resolved', `worker:${benId}`],
    ]) {
      expect(lines).toMatch(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[^\\t]+\\t#${caseId}\\t${type}\\t${actor}`, 'm'),
      );
    }
    expect(lines).not.toMatch(/listen|hard|sister|kill/);
  });
});
