import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { crisisReasonText } from '../../src/domain/escalation/index.ts';
import { splitText } from '../../src/domain/outbox/split-text.ts';
import { createI18n, type TFunction } from '../../src/i18n.ts';
import { MAX_RELAY_LENGTH } from '../../src/services/case-work.ts';
import { assessMessage } from '../../src/services/crisis.ts';
import { loadRiskData } from '../../src/services/load-risk-data.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, defaultScript, ROUTES, scriptText } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { editedTextUpdate, messageUpdate, UNSUPPORTED_CONTENT } from '../helpers/updates.ts';
import { joinOnCall, staffPerson, type TStaff } from '../helpers/workers.ts';

const i18n = createI18n();
const w = i18n.getFixedT('en', 'worker');
const p = i18n.getFixedT('en', 'pages');
const wZh = i18n.getFixedT('zh-CN', 'worker');
const en = botTexts('en');
const numbers = { numbers: en('emergency.default') };

/** Classified imminent by the shipped patterns. */
const IMMINENT_EN = 'I want to kill myself tonight';
const { crisisPatterns } = loadRiskData();

/**
 * The alert lines for `text`: the detector's explanations of its imminent reasons in the reader's language,
 * never the words.
 */
function alertReasons(t: TFunction, text: string): string {
  const locale = t === wZh ? 'zh-CN' : 'en';
  const pages = i18n.getFixedT(locale, 'pages');
  const reasons = assessMessage(crisisPatterns, text)?.reasons ?? [];
  const imminent = reasons.filter((reason) => reason.level === 'imminent');
  const explanations = [
    ...new Set(
      imminent.map((reason) => crisisReasonText((key, values) => pages(key, values), locale, reason)),
    ),
  ];
  expect(explanations.length).toBeGreaterThan(0);
  return explanations.map((explanation) => t('alert.reason', { explanation })).join('\n');
}

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

let nextResidentId = 43_000;
function newResident() {
  return createResident(app, { id: nextResidentId++, languageCode: 'en', firstName: 'Res' });
}

/** Pages out whatever is due and forgets what staff have read so far. */
async function pageAndForget(): Promise<void> {
  await sweepAndDeliver(app);
  for (const staff of [ann, ben, cai]) staff.read();
}

/** A resident whose finished screening opened a high case, paged and waiting. */
async function waitingHighCase() {
  const resident = newResident();
  await resident.consent();
  await resident.answer(ROUTES.high);
  resident.read();
  const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
  await pageAndForget();
  return { resident, caseId: row.id };
}

/** `staff` claims the case; its resident is told a worker picked it up (never who), and nothing else. */
async function claim(staff: TStaff, caseId: number, resident: { read(): string[] }): Promise<void> {
  await staff.press(CALLBACK.claim(caseId), staff.claimMessageId(caseId));
  await deliverOutbox(app);
  for (const each of [ann, ben, cai]) each.read();
  expect(resident.read()).toEqual([en('relay.claimed')]);
}

const outboxTo = (workerId: number, kind: string) =>
  app.prisma.outboxMessage.count({ where: { workerId, kind } });
const eventsOf = (caseId: number, type: string) =>
  app.prisma.caseEvent.findMany({ where: { caseId, type }, orderBy: { id: 'asc' } });

describe(describeDatabase('a worker replying to a bot message of no case'), () => {
  it('is refused and sends nothing, instead of reaching the active case', async () => {
    const first = await waitingHighCase();
    await claim(ann, first.caseId, first.resident);
    await first.resident.send('Thanks for taking this.');
    await deliverOutbox(app);
    const relayedFromFirst = ann.lastMessageId();
    ann.read();
    const second = await waitingHighCase();
    await claim(ann, second.caseId, second.resident);
    const claimAnswer = ann.lastMessageId();
    expect((await ann.worker()).activeCaseId).toBe(second.caseId);
    const sentBefore = await app.prisma.caseMessage.count({ where: { direction: 'from-worker' } });

    // Details, and the answer to a claim: the bot's, but of no case.
    await ann.press(CALLBACK.details(second.caseId), 1);
    ann.read();
    await ann.send('Meant for the resident of the Details?', { replyTo: ann.lastMessageId() });
    expect(ann.read()).toEqual([w('relay.reply_not_case', { id: second.caseId })]);
    await ann.send('Replying to my claim', { replyTo: claimAnswer });
    expect(ann.read()).toEqual([w('relay.reply_not_case', { id: second.caseId })]);

    // A message of a case whose resident erased everything: its outbox rows are gone.
    await first.resident.send('/delete');
    await first.resident.press(CALLBACK.deleteYes);
    expect(ann.read()).toEqual([p('notices.erased_claimer', { id: first.caseId })]);
    await ann.send('Are you still there?', { replyTo: relayedFromFirst });
    expect(ann.read()).toEqual([w('relay.reply_not_case', { id: second.caseId })]);

    await deliverOutbox(app);
    expect(second.resident.read()).toEqual([]);
    expect(await app.prisma.caseMessage.count({ where: { direction: 'from-worker' } })).toBe(sentBefore);

    // Without an active case the answer says how to choose one; a plain message still reaches the case.
    await ann.send(`/case ${second.caseId}`);
    await ann.send('/release');
    ann.read();
    await ann.send('Hello?', { replyTo: ann.lastMessageId() });
    expect(ann.read()).toEqual([w('relay.reply_not_case_no_active')]);
  });
});

describe(describeDatabase('a resident mid-screening whose case a worker claimed'), () => {
  const questionText = (id: string) =>
    scriptText(defaultScript().questions.find((question) => question.id === id)?.text, 'en');

  it('types to the worker; what is no answer leaves the question waiting, what is one answers it too', async () => {
    const resident = newResident();
    await resident.consent();
    // The first "yes" to a suicide item opens a high case; the screening carries on.
    await resident.answer([...ROUTES.high.slice(0, 6), 'yes']);
    const caseRow = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    expect(caseRow.status).toBe('waiting');
    await pageAndForget();

    // Waiting: typed text is still the screening's answer.
    await resident.send('no');
    expect(resident.read().at(-1)).toContain(questionText('asq_thoughts'));

    await claim(ann, caseRow.id, resident);
    const screening = () =>
      app.prisma.screening.findFirstOrThrow({ where: { residentId: resident.residentId, status: 'active' } });
    const before = await screening();

    // Not an answer: it reaches the worker, and the resident is told so (not "I couldn't match that").
    await resident.send('Is someone reading this?');
    expect(resident.read()).toEqual([en('relay.passed_on')]);
    expect(await screening()).toEqual(before);
    expect(ann.read()).toEqual([
      w('relay.from_resident', { id: caseRow.id, text: 'Is someone reading this?' }),
    ]);

    // An answer typed to the question on screen: the worker reads it, and it answers the question.
    await resident.send('no');
    expect(ann.read()).toEqual([w('relay.from_resident', { id: caseRow.id, text: 'no' })]);
    const answered = await screening();
    expect(answered.stateSealed).not.toBe(before.stateSealed);
    expect(resident.read().at(-1)).toContain(questionText('asq_attempt'));

    // Its buttons answer it as well, and those go to nobody but the screening.
    await resident.pressOption('no');
    const after = await screening();
    expect(after.stateSealed).not.toBe(answered.stateSealed);
    expect(after.promptMessageId).not.toBe(answered.promptMessageId);
    expect(resident.read().at(-1)).toContain(questionText('asq_now'));
    await deliverOutbox(app);
    expect(ann.read()).toEqual([]);
  });
});

describe(describeDatabase('imminent crisis language in a claimed case'), () => {
  let resident: ReturnType<typeof newResident>;
  let caseId: number;
  beforeAll(async () => {
    ({ resident, caseId } = await waitingHighCase());
    await claim(ann, caseId, resident);
  });

  it('alerts the claimer and every supervisor in their language, with reasons and without the words', async () => {
    const [annId, benId, caiId] = [(await ann.worker()).id, (await ben.worker()).id, (await cai.worker()).id];
    await resident.send(IMMINENT_EN);
    expect(resident.read()).toEqual([en('crisis.imminent', numbers), en('crisis.escalated')]);
    await deliverOutbox(app);

    const annAlert = w('alert.crisis_yours', { id: caseId, reasons: alertReasons(w, IMMINENT_EN) });
    const caiAlert = wZh('alert.crisis', {
      id: caseId,
      name: 'Annabel Lee',
      reasons: alertReasons(wZh, IMMINENT_EN),
    });
    expect(ann.read()).toEqual([
      annAlert,
      `${w('relay.crisis_flag', { id: caseId })}\n${w('relay.from_resident', { id: caseId, text: IMMINENT_EN })}`,
    ]);
    expect(cai.read()).toEqual([caiAlert]);
    expect(ben.read()).toEqual([]);
    // The detector's own descriptions ("Mentions killing themselves"), never what the resident wrote.
    for (const alert of [annAlert, caiAlert]) expect(alert).not.toMatch(/myself|tonight/i);
    expect(await outboxTo(annId, 'case-alert')).toBe(1);
    expect(await outboxTo(caiId, 'case-alert')).toBe(1);
    expect(await outboxTo(benId, 'case-alert')).toBe(0);
    expect((await eventsOf(caseId, 'crisis-alert')).map((e) => [e.actor, e.detail])).toEqual([
      ['system', expect.objectContaining({ workerIds: [annId, caiId] })],
    ]);
    expect(await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      level: 'imminent',
      status: 'claimed',
    });
  });

  it('alerts for a photo caption, an edit and a text too long for one message, and passes each one on', async () => {
    const long = `${'I have been thinking. '.repeat(180)}${IMMINENT_EN}`;
    const flagged = (text: string) =>
      `${w('relay.crisis_flag', { id: caseId })}\n${w('relay.from_resident', { id: caseId, text })}`;
    const [first, second] = splitText(long, MAX_RELAY_LENGTH);
    for (const [update, annReads] of [
      [
        messageUpdate(resident.person, { ...UNSUPPORTED_CONTENT.photo, caption: IMMINENT_EN }),
        [flagged(IMMINENT_EN)],
      ],
      [editedTextUpdate(resident.person, IMMINENT_EN), [flagged(IMMINENT_EN)]],
      // Longer than a message can carry with its label: in two parts, nothing lost.
      [
        messageUpdate(resident.person, { text: long }),
        [flagged(`(1/2) ${first}`), w('relay.from_resident', { id: caseId, text: `(2/2) ${second}` })],
      ],
    ] as const) {
      await app.send(update);
      // The numbers come first: no note about relaying before them.
      expect(resident.read()).toEqual([en('crisis.imminent', numbers), en('crisis.escalated')]);
      await deliverOutbox(app);
      expect(ann.read()).toEqual([
        w('alert.crisis_yours', { id: caseId, reasons: alertReasons(w, IMMINENT_EN) }),
        ...annReads,
      ]);
      expect(cai.read()).toEqual([
        wZh('alert.crisis', { id: caseId, name: 'Annabel Lee', reasons: alertReasons(wZh, IMMINENT_EN) }),
      ]);
    }
    expect(`${first} ${second}`).toBe(long);
    expect(await eventsOf(caseId, 'crisis-alert')).toHaveLength(4);
  });

  it('a reply to an alert goes to its case', async () => {
    await ann.send('I am here with you. Are you safe right now?', { replyTo: ann.lastMessageId() });
    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      en('relay.from_worker', { text: 'I am here with you. Are you safe right now?' }),
    ]);
  });
});

describe(describeDatabase('messages written while a case waits'), () => {
  it('are kept sealed and passed on, in order, to whoever claims the case, once', async () => {
    const { resident, caseId } = await waitingHighCase();
    await resident.send('Are you there?');
    await resident.send('Please write after six, I am at work.');
    await app.send(messageUpdate(resident.person, UNSUPPORTED_CONTENT.sticker));
    const replies = resident.read();
    expect(replies.slice(0, 2)).toEqual([en('relay.waiting', numbers), en('relay.waiting', numbers)]);
    expect(replies).toHaveLength(3);

    const kept = await app.prisma.caseMessage.findMany({ where: { caseId }, orderBy: { id: 'asc' } });
    expect(kept.map((m) => [m.direction, m.workerId])).toEqual([
      ['from-resident', null],
      ['from-resident', null],
    ]);
    expect(kept.map((m) => app.protector.open(m.textSealed, `case-message:${caseId}`))).toEqual([
      'Are you there?',
      'Please write after six, I am at work.',
    ]);
    expect(kept.some((m) => m.textSealed.includes('there'))).toBe(false);
    expect((await eventsOf(caseId, 'kept')).map((e) => e.actor)).toEqual(['resident', 'resident']);
    // Nothing goes to anyone before a claim.
    await deliverOutbox(app);
    for (const staff of [ann, ben, cai]) expect(staff.read()).toEqual([]);

    // The claim's answer first, then what was kept, oldest first, right after it.
    await ann.press(CALLBACK.claim(caseId), ann.claimMessageId(caseId));
    expect(ann.read()).toEqual([
      `${w('claim.won', { id: caseId, level: w('levels.high') })}\n\n${w('claim.kept', { count: 2 })}`,
      w('relay.from_resident_kept', { id: caseId, text: 'Are you there?' }),
      w('relay.from_resident_kept', { id: caseId, text: 'Please write after six, I am at work.' }),
    ]);
    await deliverOutbox(app);
    expect(ann.read()).toEqual([]);
    const annId = (await ann.worker()).id;
    expect(
      (await app.prisma.caseMessage.findMany({ where: { caseId } })).every((m) => m.workerId === annId),
    ).toBe(true);
    expect((await eventsOf(caseId, 'relayed')).map((e) => [e.actor, e.detail])).toEqual([
      ['system', { direction: 'to-worker', kept: 2, workerId: annId }],
    ]);

    // A reply to a kept message reaches the resident.
    await ann.send('I will write after six.', { replyTo: ann.lastMessageId() });
    await deliverOutbox(app);
    expect(resident.read()).toEqual([
      en('relay.claimed'),
      en('relay.from_worker', { text: 'I will write after six.' }),
    ]);

    // Released and waiting again: the resident is told; only what is written from now on goes to the next
    // claimer.
    await ann.send('/release');
    await pageAndForget();
    await resident.send('Hello again?');
    expect(resident.read()).toEqual([en('relay.released', numbers), en('relay.waiting', numbers)]);
    await ben.press(CALLBACK.claim(caseId), ben.claimMessageId(caseId));
    expect(ben.read()).toEqual([
      `${w('claim.won', { id: caseId, level: w('levels.high') })}\n\n${w('claim.kept', { count: 1 })}`,
      w('relay.from_resident_kept', { id: caseId, text: 'Hello again?' }),
    ]);
    expect(ann.read()).not.toContainEqual(expect.stringContaining('Hello again?'));
  });
});
