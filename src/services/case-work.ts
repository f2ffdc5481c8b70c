import type { i18n, TFunction } from 'i18next';
import { currentClient, type TDbClient } from '../db/unit-of-work.ts';
import { crisisReasonText } from '../domain/escalation/index.ts';
import { splitText } from '../domain/outbox/split-text.ts';
import type { TCrisisReason } from '../domain/risk/crisis.ts';
import type { PrismaClient, Resident, Worker } from '../generated/prisma/client.ts';
import { isLocale, type TLocale } from '../i18n.ts';
import { recordCaseEvent } from './audit.ts';
import { findOpenCase, OPEN_CASE_STATUSES } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { scheduleEscalation } from './escalation.ts';
import { enqueueOutbox, type TOutboxSender } from './outbox.ts';
import { pagesTranslator } from './pages.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';
import { workerActor, workerChatId } from './workers.ts';

/** What the services of case work need: the database, sealing, and texts in each reader's language. */
export type TCaseWorkDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  emergencyNumbersFor: (locale: TLocale) => string;
  /** Sends what the unit of work committed; absent, the sweep of a running bot sends it. */
  outboxSender?: TOutboxSender;
};

/** The outcome codes `/resolve` takes when config names none. */
export const DEFAULT_RESOLVE_OUTCOMES = [
  'supported',
  'referred',
  'emergency-services',
  'no-contact',
] as const;

/**
 * Longest relayed text in one message. Telegram takes 4,096 characters per message and the label ("Social
 * worker: …", "Case #12 · resident: …", a part number) needs room. A worker is asked to split a longer text;
 * a resident's is split for them.
 */
export const MAX_RELAY_LENGTH = 3_900;

/** Texts of the worker namespace in `locale` (English when unknown). */
export function workerTexts(deps: { i18n: i18n }, locale: string | null | undefined): TFunction {
  return deps.i18n.getFixedT(isLocale(locale) ? locale : 'en', 'worker');
}

/** What a case's messages and notes are sealed with: one case's ciphertext cannot pass for another's. */
export const messageContext = (caseId: number) => `case-message:${caseId}`;
export const noteContext = (caseId: number) => `case-note:${caseId}`;

/** Why a worker's action on "their" case did not happen. */
export type TCaseRefusal =
  | { type: 'no-case' }
  | { type: 'not-found'; caseId: number }
  | { type: 'not-yours'; caseId: number; status: string; claimedByName: string | null }
  | { type: 'closed'; caseId: number; status: string };

type TOwnCase = {
  type: 'own';
  caseId: number;
  level: string;
  resident: Pick<Resident, 'locale' | 'chatIdSealed'> | null;
};

/**
 * The case a worker acts on, checked to be open and claimed by them. Claims can change between the worker's
 * last `/case` and now (released, withdrawn by a `/delete`), so every action checks again.
 */
async function ownCase(
  db: TDbClient,
  worker: Worker,
  caseId: number | null,
): Promise<TOwnCase | TCaseRefusal> {
  if (caseId === null) return { type: 'no-case' };
  const row = await db.case.findUnique({
    where: { id: caseId },
    include: {
      resident: { select: { locale: true, chatIdSealed: true } },
      claimedBy: { select: { name: true } },
    },
  });
  if (!row) return { type: 'not-found', caseId };
  if (row.status !== 'claimed' && row.status !== 'waiting')
    return { type: 'closed', caseId, status: row.status };
  if (row.status !== 'claimed' || row.claimedById !== worker.id) {
    return { type: 'not-yours', caseId, status: row.status, claimedByName: row.claimedBy?.name ?? null };
  }
  return { type: 'own', caseId, level: row.level, resident: row.resident };
}

/**
 * Tells the resident of a case where it stands — picked up, or back in the queue — in their language,
 * through the outbox, never naming the worker. Nothing when they can no longer be reached. Returns whether
 * a notice was written.
 *
 * @example
 * await tellResidentOfCase(deps, { caseId, key: 'relay.claimed' });
 */
export async function tellResidentOfCase(
  deps: Pick<TCaseWorkDeps, 'prisma' | 'protector' | 'i18n' | 'outboxSender'> &
    Partial<Pick<TCaseWorkDeps, 'emergencyNumbersFor'>>,
  input: { caseId: number; key: 'relay.claimed' | 'relay.released' },
): Promise<boolean> {
  const row = await currentClient(deps.prisma).case.findUnique({
    where: { id: input.caseId },
    select: { resident: { select: { locale: true, chatIdSealed: true } } },
  });
  const chatId = residentChatId(deps, row?.resident ?? null);
  if (chatId === undefined) return false;
  const locale = residentLocaleOf(row?.resident ?? null);
  const t = deps.i18n.getFixedT(locale, 'bot');
  const numbers = deps.emergencyNumbersFor?.(locale) ?? t('emergency.default');
  await enqueueOutbox(deps, {
    kind: 'resident-notice',
    caseId: input.caseId,
    payload: { type: 'send', chatId, text: t(input.key, { numbers }) },
  });
  return true;
}

function residentChatId(
  deps: Pick<TCaseWorkDeps, 'protector'>,
  resident: TOwnCase['resident'],
): number | undefined {
  return residentChatIdOf(deps.protector, resident);
}

export type TWorkerRelayOutcome =
  | { type: 'relayed'; caseId: number }
  | { type: 'unreachable'; caseId: number }
  | { type: 'too-long'; max: number }
  /**
   * A reply to a bot message of no case (Details, a claim answer, a message of an erased resident): which
   * resident was meant is unknown, so nothing goes to anyone — least of all the active case's resident.
   */
  | { type: 'not-a-case-message'; activeCaseId: number | null }
  | TCaseRefusal;

/**
 * A worker's text to the resident of their case: the one they reply to (a page or a relayed message of that
 * case), else their active case — but a reply to a bot message that belongs to no case is refused, never
 * taken as meant for the active case. The resident reads it from the bot, labelled "Social worker" in their own
 * language — the worker's name and account never travel. Stored sealed in the transcript, audited, and
 * delivered through the outbox with the rest of the update.
 *
 * @example
 * await relayFromWorker(deps, { worker, text: 'I am here.', replyToMessageId: 57, now });
 * await relayFromWorker(deps, { worker, text: 'I am here.', caseId: 12, now }); // from the dashboard
 */
export async function relayFromWorker(
  deps: TCaseWorkDeps,
  input: { worker: Worker; text: string; replyToMessageId?: number; caseId?: number; now: Date },
): Promise<TWorkerRelayOutcome> {
  if (input.text.length > MAX_RELAY_LENGTH) return { type: 'too-long', max: MAX_RELAY_LENGTH };
  const db = currentClient(deps.prisma);
  const caseId = input.caseId ?? (await caseRepliedTo(db, input.worker, input.replyToMessageId));
  if (input.replyToMessageId !== undefined && caseId === undefined)
    return { type: 'not-a-case-message', activeCaseId: input.worker.activeCaseId };
  const own = await ownCase(db, input.worker, caseId ?? input.worker.activeCaseId);
  if (own.type !== 'own') return own;
  const chatId = residentChatId(deps, own.resident);
  if (chatId === undefined) return { type: 'unreachable', caseId: own.caseId };

  await db.caseMessage.create({
    data: {
      caseId: own.caseId,
      direction: 'from-worker',
      workerId: input.worker.id,
      textSealed: deps.protector.seal(input.text, messageContext(own.caseId)),
      createdAt: input.now,
    },
  });
  await recordCaseEvent(deps, {
    caseId: own.caseId,
    type: 'relayed',
    actor: workerActor(input.worker.id),
    now: input.now,
    detail: { direction: 'to-resident' },
  });
  const t = deps.i18n.getFixedT(residentLocaleOf(own.resident), 'bot');
  await enqueueOutbox(deps, {
    kind: 'relay-to-resident',
    caseId: own.caseId,
    payload: { type: 'send', chatId, text: t('relay.from_worker', { text: input.text }) },
  });
  return { type: 'relayed', caseId: own.caseId };
}

/**
 * The case of the bot's message a worker replied to: a page, its update, a relayed message (those written
 * while the case waited included) or a crisis alert.
 */
async function caseRepliedTo(
  db: TDbClient,
  worker: Worker,
  replyToMessageId: number | undefined,
): Promise<number | undefined> {
  if (replyToMessageId === undefined) return undefined;
  const row = await db.outboxMessage.findFirst({
    where: {
      workerId: worker.id,
      sentMessageId: replyToMessageId,
      kind: { in: ['page', 'page-update', 'relay-to-worker', 'case-alert'] },
      caseId: { not: null },
    },
    orderBy: { id: 'desc' },
    select: { caseId: true },
  });
  return row?.caseId ?? undefined;
}

/**
 * Why a resident's message is kept on their case: `relay`, written to the worker (or for whoever claims the
 * case); `crisis`, the message that opened or raised it — shown first in Details and passed on first at
 * every claim.
 */
export type TCaseMessagePurpose = 'relay' | 'crisis';

export type TResidentRelayOutcome =
  /** `isScreeningWaiting`: a screening question also waits for an answer, which this text may be. */
  | { type: 'relayed'; caseId: number; isScreeningWaiting: boolean }
  /** No open case: the message is not for a worker. */
  | { type: 'no-case' }
  /**
   * A case nobody (active) has claimed yet. `isKept`: the text was kept, sealed, for the worker who claims
   * it; false for anything but text.
   */
  | { type: 'waiting'; caseId: number; isKept: boolean }
  /**
   * A screening question waits for an answer and nobody holds the case: the text goes to the screening
   * first, and what does not answer it is kept for the claimer ({@link keepForClaimer}).
   */
  | { type: 'screening'; caseId: number }
  /** A sticker, photo, voice …: only text is relayed. */
  | { type: 'not-text'; caseId: number };

/**
 * A resident's message to the worker who claimed their open case, labelled with the case id in the worker's
 * language (and flagged when it reads as a crisis); longer than a message can carry, it goes in parts. Text
 * only (`text` undefined: another kind of message). Stored sealed in the transcript, audited, and delivered
 * through the outbox.
 *
 * Once a worker holds the case, typed text is for them even while a screening question waits (a case opened
 * mid-screening); it may also answer that question (`isScreeningWaiting`: the screening is asked next). While
 * the case only waits, text goes to the screening if one is under way; otherwise it is kept sealed in the
 * transcript and passed on to whoever claims the case ({@link passOnKeptMessages}). The message that opened
 * or raised the case (`purpose: 'crisis'`) is never an answer: it is relayed or kept whatever else waits.
 *
 * @example
 * const relayed = await relayFromResident(deps, { residentId, text: 'Are you there?', now });
 * if (relayed.type === 'waiting') await ctx.reply(ctx.t('relay.waiting', { numbers }));
 */
export async function relayFromResident(
  deps: TCaseWorkDeps,
  input: {
    residentId: string;
    text: string | undefined;
    isCrisis?: boolean;
    purpose?: TCaseMessagePurpose;
    now: Date;
  },
): Promise<TResidentRelayOutcome> {
  const db = currentClient(deps.prisma);
  const candidate = await findOpenCase(deps, input.residentId);
  if (!candidate) return { type: 'no-case' };
  // Locked, then read: a claim committing meanwhile is either seen here or waits for this message to be
  // kept, so a message kept for "whoever claims" is never left behind a claim that did not see it.
  await db.$queryRaw`SELECT id FROM "Case" WHERE id = ${candidate.id} FOR UPDATE`;
  const open = await db.case.findUniqueOrThrow({ where: { id: candidate.id }, include: { claimedBy: true } });
  if (!(OPEN_CASE_STATUSES as readonly string[]).includes(open.status)) return { type: 'no-case' };
  const worker = open.status === 'claimed' && open.claimedBy?.isActive ? open.claimedBy : null;
  const purpose = input.purpose ?? 'relay';
  const isScreeningWaiting =
    purpose === 'relay' &&
    (await db.screening.count({ where: { residentId: input.residentId, status: 'active' } })) > 0;
  if (!worker) {
    if (isScreeningWaiting) return { type: 'screening', caseId: open.id };
    if (input.text === undefined) return { type: 'waiting', caseId: open.id, isKept: false };
    await keepForClaimer(deps, {
      caseId: open.id,
      text: input.text,
      isCrisis: input.isCrisis,
      purpose,
      now: input.now,
    });
    return { type: 'waiting', caseId: open.id, isKept: true };
  }
  if (input.text === undefined) return { type: 'not-text', caseId: open.id };

  await db.caseMessage.create({
    data: {
      caseId: open.id,
      direction: 'from-resident',
      purpose,
      // The worker it went to; null marks a message still kept for whoever claims the case.
      workerId: worker.id,
      textSealed: deps.protector.seal(input.text, messageContext(open.id)),
      createdAt: input.now,
    },
  });
  await recordCaseEvent(deps, {
    caseId: open.id,
    type: 'relayed',
    actor: 'resident',
    now: input.now,
    detail: { direction: 'to-worker', ...(input.isCrisis ? { crisis: true } : {}) },
  });
  const t = workerTexts(deps, worker.locale);
  await enqueueRelayToWorker(deps, {
    caseId: open.id,
    worker,
    texts: relayParts(input.text).map((part, index) => {
      const label = t('relay.from_resident', { id: open.id, text: part });
      return input.isCrisis && index === 0 ? `${t('relay.crisis_flag', { id: open.id })}\n${label}` : label;
    }),
  });
  return { type: 'relayed', caseId: open.id, isScreeningWaiting };
}

/**
 * A resident's text while their case waits, sealed in the transcript with no worker yet (`workerId` null):
 * the claimer gets it ({@link passOnKeptMessages}).
 */
export async function keepForClaimer(
  deps: TCaseWorkDeps,
  input: {
    caseId: number;
    text: string;
    isCrisis?: boolean | undefined;
    purpose?: TCaseMessagePurpose;
    now: Date;
  },
): Promise<void> {
  await currentClient(deps.prisma).caseMessage.create({
    data: {
      caseId: input.caseId,
      direction: 'from-resident',
      purpose: input.purpose ?? 'relay',
      textSealed: deps.protector.seal(input.text, messageContext(input.caseId)),
      createdAt: input.now,
    },
  });
  await recordCaseEvent(deps, {
    caseId: input.caseId,
    type: 'kept',
    actor: 'resident',
    now: input.now,
    detail: { direction: 'to-worker', ...(input.isCrisis ? { crisis: true } : {}) },
  });
}

/**
 * On a claim, what the resident wrote reaches the claimer through the outbox: first the messages that opened
 * or raised the case (again, if an earlier claimer released it: the new one must read them too), then the
 * ones kept while it waited (since it was opened, or since its last release), oldest first — each labelled
 * for what it is. Kept ones are marked as the claimer's so a later claim does not send them again. Returns
 * how many messages.
 *
 * @example
 * const kept = await passOnKeptMessages(deps, { caseId: 12, worker, now });
 */
export async function passOnKeptMessages(
  deps: TCaseWorkDeps,
  input: { caseId: number; worker: Worker; now: Date },
): Promise<number> {
  const db = currentClient(deps.prisma);
  const messages = await db.caseMessage.findMany({
    where: {
      caseId: input.caseId,
      direction: 'from-resident',
      OR: [{ workerId: null }, { purpose: 'crisis' }],
    },
    orderBy: { id: 'asc' },
    select: { id: true, purpose: true, workerId: true, textSealed: true },
  });
  if (messages.length === 0) return 0;
  const inOrder = [
    ...messages.filter((message) => message.purpose === 'crisis'),
    ...messages.filter((message) => message.purpose !== 'crisis'),
  ];
  const t = workerTexts(deps, input.worker.locale);
  for (const message of inOrder) {
    const text = deps.protector.open(message.textSealed, messageContext(input.caseId));
    const key = message.purpose === 'crisis' ? 'relay.from_resident_crisis' : 'relay.from_resident_kept';
    await enqueueRelayToWorker(deps, {
      caseId: input.caseId,
      worker: input.worker,
      texts: relayParts(text).map((part) => t(key, { id: input.caseId, text: part })),
    });
  }
  const kept = messages.filter((message) => message.workerId === null).map((message) => message.id);
  if (kept.length > 0)
    await db.caseMessage.updateMany({ where: { id: { in: kept } }, data: { workerId: input.worker.id } });
  await recordCaseEvent(deps, {
    caseId: input.caseId,
    type: 'relayed',
    actor: 'system',
    now: input.now,
    detail: { direction: 'to-worker', kept: messages.length, workerId: input.worker.id },
  });
  return messages.length;
}

/** The resident's messages that opened or raised a case, opened, oldest first (those that no longer open left out). */
export async function crisisMessagesOf(
  deps: Pick<TCaseWorkDeps, 'prisma' | 'protector'>,
  caseId: number,
): Promise<string[]> {
  const rows = await currentClient(deps.prisma).caseMessage.findMany({
    where: { caseId, direction: 'from-resident', purpose: 'crisis' },
    orderBy: { id: 'asc' },
    select: { textSealed: true },
  });
  return rows.flatMap((row) => {
    try {
      return [deps.protector.open(row.textSealed, messageContext(caseId))];
    } catch {
      return [];
    }
  });
}

/**
 * A resident's message as it travels to a worker: whole when it fits one Telegram message beside its label,
 * else in numbered parts.
 */
export function relayParts(text: string): string[] {
  const parts = splitText(text, MAX_RELAY_LENGTH);
  return parts.length === 1 ? parts : parts.map((part, index) => `(${index + 1}/${parts.length}) ${part}`);
}

async function enqueueRelayToWorker(
  deps: TCaseWorkDeps,
  input: { caseId: number; worker: Worker; texts: readonly string[] },
): Promise<void> {
  for (const text of input.texts) {
    await enqueueOutbox(deps, {
      kind: 'relay-to-worker',
      caseId: input.caseId,
      workerId: input.worker.id,
      payload: { type: 'send', chatId: workerChatId(input.worker), text },
    });
  }
}

export type TCrisisAlertOutcome =
  | { type: 'alerted'; caseId: number; workerIds: number[] }
  /** No claimed case: the crisis guard's imminent case and the escalation ladder page whoever is needed. */
  | { type: 'not-claimed' };

/**
 * Imminent crisis language from a resident whose case is claimed. The escalation ladder pages only for
 * waiting cases, and the message itself may never reach the worker (a caption, too long, an edit, a worker
 * who blocked the bot), so the claimer and every active supervisor get an alert of their own, in their
 * language: the case, the detector's reasons (its explanations, never the resident's words) and that the
 * resident was given the emergency numbers. Through the outbox, in the update's transaction; audited.
 *
 * @example
 * const signals = assessMessage(deps.crisisPatterns, text);
 * if (signals?.level === 'imminent') await alertClaimedCaseOfCrisis(deps, { residentId, reasons: signals.reasons, now });
 */
export async function alertClaimedCaseOfCrisis(
  deps: TCaseWorkDeps,
  input: {
    residentId: string;
    reasons: readonly TCrisisReason[];
    now: Date;
  },
): Promise<TCrisisAlertOutcome> {
  const db = currentClient(deps.prisma);
  const open = await findOpenCase(deps, input.residentId);
  if (open?.status !== 'claimed') return { type: 'not-claimed' };
  const claimer = open.claimedBy;
  const supervisors = await db.worker.findMany({
    where: { role: 'supervisor', isActive: true },
    orderBy: { id: 'asc' },
  });
  const recipients = [
    ...(claimer?.isActive ? [claimer] : []),
    ...supervisors.filter((supervisor) => supervisor.id !== claimer?.id),
  ];
  const imminent = input.reasons.filter((reason) => reason.level === 'imminent');
  const shown = imminent.length > 0 ? imminent : input.reasons;

  for (const recipient of recipients) {
    const t = workerTexts(deps, recipient.locale);
    const pagesT = pagesTranslator(deps.i18n, recipient.locale);
    const explanations = new Set(shown.map((reason) => crisisReasonText(pagesT, recipient.locale, reason)));
    const reasons = [...explanations].map((explanation) => t('alert.reason', { explanation })).join('\n');
    const text =
      recipient.id === claimer?.id
        ? t('alert.crisis_yours', { id: open.id, reasons })
        : t('alert.crisis', { id: open.id, name: claimer?.name ?? t('alert.someone'), reasons });
    await enqueueOutbox(deps, {
      kind: 'case-alert',
      caseId: open.id,
      workerId: recipient.id,
      payload: { type: 'send', chatId: workerChatId(recipient), text },
    });
  }
  const workerIds = recipients.map((recipient) => recipient.id);
  await recordCaseEvent(deps, {
    caseId: open.id,
    type: 'crisis-alert',
    actor: 'system',
    now: input.now,
    // Who was alerted; the reasons stay out (their ids paraphrase the resident: the guard seals them on the case).
    detail: { workerIds, level: 'imminent' },
  });
  return { type: 'alerted', caseId: open.id, workerIds };
}

/**
 * `/case <id>`: the case a worker's plain messages (and `/note`, `/release`, `/resolve`) go to from now on.
 * Only a case they claimed.
 */
export async function switchActiveCase(
  deps: { prisma: PrismaClient },
  input: { worker: Worker; caseId: number },
): Promise<{ type: 'switched'; caseId: number; level: string } | TCaseRefusal> {
  const db = currentClient(deps.prisma);
  const own = await ownCase(db, input.worker, input.caseId);
  if (own.type !== 'own') return own;
  await db.worker.update({ where: { id: input.worker.id }, data: { activeCaseId: own.caseId } });
  return { type: 'switched', caseId: own.caseId, level: own.level };
}

/** The open cases a worker has claimed, newest claim first. */
export async function claimedCasesOf(
  deps: { prisma: PrismaClient },
  workerId: number,
): Promise<Array<{ id: number; level: string }>> {
  return currentClient(deps.prisma).case.findMany({
    where: { claimedById: workerId, status: 'claimed' },
    orderBy: { claimedAt: 'desc' },
    select: { id: true, level: true },
  });
}

/**
 * `/note <text>`: a private note on the worker's active case (or the case named, from the dashboard), sealed;
 * the resident never sees it.
 */
export async function addCaseNote(
  deps: TCaseWorkDeps,
  input: { worker: Worker; text: string; caseId?: number; now: Date },
): Promise<{ type: 'noted'; caseId: number } | TCaseRefusal> {
  const db = currentClient(deps.prisma);
  const own = await ownCase(db, input.worker, input.caseId ?? input.worker.activeCaseId);
  if (own.type !== 'own') return own;
  await db.caseNote.create({
    data: {
      caseId: own.caseId,
      workerId: input.worker.id,
      textSealed: deps.protector.seal(input.text, noteContext(own.caseId)),
      createdAt: input.now,
    },
  });
  await recordCaseEvent(deps, {
    caseId: own.caseId,
    type: 'noted',
    actor: workerActor(input.worker.id),
    now: input.now,
  });
  return { type: 'noted', caseId: own.caseId };
}

/**
 * `/release`: the worker cannot go on with their active case (or the case named, from the dashboard). It goes
 * back to the queue and the escalation ladder starts again from its first step, so somebody else is paged at
 * once.
 */
export async function releaseCase(
  deps: TCaseWorkDeps,
  input: { worker: Worker; caseId?: number; now: Date },
): Promise<{ type: 'released'; caseId: number } | TCaseRefusal> {
  const db = currentClient(deps.prisma);
  const own = await ownCase(db, input.worker, input.caseId ?? input.worker.activeCaseId);
  if (own.type !== 'own') return own;
  const { count } = await db.case.updateMany({
    where: { id: own.caseId, status: 'claimed', claimedById: input.worker.id },
    data: { status: 'waiting', claimedById: null, claimedAt: null },
  });
  if (count === 0) return { type: 'no-case' };
  await forgetActiveCase(db, input.worker.id, own.caseId);
  await recordCaseEvent(deps, {
    caseId: own.caseId,
    type: 'released',
    actor: workerActor(input.worker.id),
    now: input.now,
  });
  await tellResidentOfCase(deps, { caseId: own.caseId, key: 'relay.released' });
  await scheduleEscalation(deps, { caseId: own.caseId, now: input.now });
  return { type: 'released', caseId: own.caseId };
}

/** The case is no longer the worker's to act on: their plain messages stop going to it. */
async function forgetActiveCase(db: TDbClient, workerId: number, caseId: number): Promise<void> {
  await db.worker.updateMany({ where: { id: workerId, activeCaseId: caseId }, data: { activeCaseId: null } });
}

export type TResolveOutcome =
  | { type: 'resolved'; caseId: number; outcome: string; isResidentTold: boolean }
  | { type: 'unknown-outcome'; outcomes: readonly string[] }
  | TCaseRefusal;

/**
 * `/resolve <outcome>`: closes the worker's active case (or the case named, from the dashboard) with one of
 * the configured outcome codes, and tells the resident (in their language, through the outbox) that the
 * conversation is closed and where help is.
 */
export async function resolveCase(
  deps: TCaseWorkDeps,
  input: { worker: Worker; outcome: string; outcomes: readonly string[]; caseId?: number; now: Date },
): Promise<TResolveOutcome> {
  if (!input.outcomes.includes(input.outcome)) return { type: 'unknown-outcome', outcomes: input.outcomes };
  const db = currentClient(deps.prisma);
  const own = await ownCase(db, input.worker, input.caseId ?? input.worker.activeCaseId);
  if (own.type !== 'own') return own;
  const { count } = await db.case.updateMany({
    where: { id: own.caseId, status: 'claimed', claimedById: input.worker.id },
    data: { status: 'resolved', outcome: input.outcome, closedAt: input.now, nextEscalationAt: null },
  });
  if (count === 0) return { type: 'no-case' };
  await forgetActiveCase(db, input.worker.id, own.caseId);
  await recordCaseEvent(deps, {
    caseId: own.caseId,
    type: 'resolved',
    actor: workerActor(input.worker.id),
    now: input.now,
    detail: { outcome: input.outcome },
  });
  const chatId = residentChatId(deps, own.resident);
  if (chatId !== undefined) {
    const locale = residentLocaleOf(own.resident);
    const t = deps.i18n.getFixedT(locale, 'bot');
    await enqueueOutbox(deps, {
      kind: 'resident-notice',
      caseId: own.caseId,
      payload: {
        type: 'send',
        chatId,
        text: t('relay.case_closed', { numbers: deps.emergencyNumbersFor(locale) }),
      },
    });
  }
  return {
    type: 'resolved',
    caseId: own.caseId,
    outcome: input.outcome,
    isResidentTold: chatId !== undefined,
  };
}
