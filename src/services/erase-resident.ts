import type { i18n } from 'i18next';
import { forgetSessions } from '../db/session-storage.ts';
import { currentClient, type TDbClient } from '../db/unit-of-work.ts';
import { type OutboxMessage, Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { recordCaseEvents } from './audit.ts';
import { forgetOpenCases, OPEN_CASE_STATUSES } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { eraseGroupTraces } from './group-leaving.ts';
import {
  enqueueOutbox,
  leaveNoTraceIn,
  openOutboxPayload,
  residentLane,
  sealOutboxPayload,
  type TOutboxPayload,
  type TOutboxSender,
} from './outbox.ts';
import { pagesTranslator } from './pages.ts';
import { forgetScreenings } from './screenings.ts';
import { workerChatId } from './workers.ts';

export type TEraseResidentDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  /** Sends the blanking edits once committed; absent, the sweep of a running bot sends them. */
  outboxSender?: TOutboxSender;
};

export type TErasure = {
  casesAnonymised: number;
  /** Messages in workers' chats (pages, relayed messages, alerts) set to be blanked. */
  messagesBlanked: number;
  /** Workers who held a case of the resident, told that it closed. */
  claimersTold: number;
};

/** Outbox kinds whose messages sit in a worker's chat and may quote the resident. */
const SHOWN_TO_STAFF: readonly string[] = [
  'page',
  'page-update',
  'relay-to-worker',
  'case-alert',
  'staff-reply',
];

/** A worker's message to blank: by its Telegram id, or (still in flight) by its outbox row. */
type TBlank = {
  caseId: number;
  chatId: number;
  workerId: number | null;
  locale: string | null | undefined;
  target: { messageId: number } | { outboxId: number };
};

/**
 * `/delete`: erases everything held about a resident — screenings and their answers, consent, the resident
 * record, their conversation state, and the personal content of their cases. What stays of a case is an
 * anonymous row (level, status, times, script version) for statistics, linked to no one. Open cases are
 * withdrawn. Runs in the current update's transaction: all of it, or none.
 *
 * What the resident said also sits in workers' Telegram chats: every page, relayed message and alert of
 * their cases that went out is edited (through the outbox) into a neutral line without buttons, in the
 * worker's language, and the worker who held a case is told it closed. Those edits name the case number
 * only, and are linked to no case. Messages not sent yet are dropped.
 *
 * @example
 * await eraseResident(deps, { residentId, storageKeys: [`conversation:${residentId}`] });
 */
export async function eraseResident(
  deps: TEraseResidentDeps,
  input: { residentId: string; storageKeys: readonly string[] },
): Promise<TErasure> {
  const db = currentClient(deps.prisma);
  const cases = await db.case.findMany({
    where: { residentId: input.residentId },
    select: { id: true, status: true, claimedBy: true },
  });
  const caseIds = cases.map((c) => c.id);
  const openIds = cases
    .filter((c) => (OPEN_CASE_STATUSES as readonly string[]).includes(c.status))
    .map((c) => c.id);
  // The outbox rows first, then the cases: the order the sender takes them in, so the two never deadlock.
  await lockOutboxOf(db, caseIds);
  const now = new Date();
  await db.case.updateMany({
    where: { id: { in: openIds } },
    data: { status: 'withdrawn', closedAt: now, nextEscalationAt: null },
  });
  const { messagesBlanked } = await anonymiseCases(deps, {
    caseIds,
    reason: 'erased',
    actor: 'resident',
    now,
  });
  // A worker's messages no longer go to a case that is gone.
  await db.worker.updateMany({ where: { activeCaseId: { in: caseIds } }, data: { activeCaseId: null } });
  await db.screening.deleteMany({ where: { residentId: input.residentId } });
  await db.botSession.deleteMany({ where: { key: { in: [...input.storageKeys] } } });
  forgetSessions(input.storageKeys);
  forgetScreenings();
  forgetOpenCases();
  // What the bot said to them: its rows name their chat. One still on its way goes; its row does not stay,
  // nor does one of what this same update answers them.
  await db.outboxMessage.deleteMany({ where: { lane: residentLane(input.residentId) } });
  leaveNoTraceIn(residentLane(input.residentId));
  // Their places go to the waiting list, and their replies to a facilitator go too.
  await eraseGroupTraces(deps, { residentIds: [input.residentId], actor: 'resident', now });
  await db.resident.deleteMany({ where: { id: input.residentId } });
  // The pseudonym alone, so that restoring an older backup does not bring them back (`admin erasures`).
  await db.erasure.createMany({
    data: [{ pseudonym: input.residentId, erasedAt: now }],
    skipDuplicates: true,
  });

  let claimersTold = 0;
  for (const held of cases) {
    const claimer = held.claimedBy;
    if (held.status !== 'claimed' || !claimer?.isActive) continue;
    await enqueueOutbox(deps, {
      kind: 'staff-notice',
      workerId: claimer.id,
      payload: {
        type: 'send',
        chatId: workerChatId(claimer),
        text: pagesTranslator(deps.i18n, claimer.locale)('notices.erased_claimer', { id: held.id }),
      },
    });
    claimersTold += 1;
  }
  return { casesAnonymised: caseIds.length, messagesBlanked, claimersTold };
}

/**
 * Leaves of each case an anonymous row (level, status, source, times, outcome, script version) for
 * statistics, linked to no one: the resident and screening links, scores, reasons and signals, the event
 * details, what was said (transcript, notes) and its outbox rows go, and an event records why. The messages
 * of these cases that went out to workers (pages, relayed words, alerts) are edited into a neutral line
 * through the outbox, by edits that name the case number only and are linked to no case. Used by `/delete`
 * and by the retention purge; runs in the caller's transaction.
 *
 * @example
 * await anonymiseCases(deps, { caseIds: [12, 15], reason: 'purged', actor: 'system', now });
 */
export async function anonymiseCases(
  deps: TEraseResidentDeps,
  input: { caseIds: readonly number[]; reason: 'erased' | 'purged'; actor: string; now: Date },
): Promise<{ messagesBlanked: number }> {
  if (input.caseIds.length === 0) return { messagesBlanked: 0 };
  const db = currentClient(deps.prisma);
  const blanks = await blanksOf(deps, db, input.caseIds, input.reason);
  const where = { caseId: { in: [...input.caseIds] } };
  // The audit log stays as it is: its entries hold ids and codes, never what the resident wrote, and are
  // hash-chained (an edit would read as tampering).
  await db.case.updateMany({
    where: { id: { in: [...input.caseIds] } },
    data: {
      residentId: null,
      screeningId: null,
      scores: Prisma.DbNull,
      explanation: Prisma.DbNull,
      signalsSealed: null,
    },
  });
  await db.caseMessage.deleteMany({ where });
  await db.caseNote.deleteMany({ where });
  await db.outboxMessage.deleteMany({ where });
  await recordCaseEvents(
    deps,
    input.caseIds.map((caseId) => ({ caseId, type: input.reason, actor: input.actor, now: input.now })),
  );
  // After the deletion, and linked to no case: nothing above erases them, and they quote no one.
  for (const blank of blanks) {
    const text = pagesTranslator(deps.i18n, blank.locale ?? 'en')(`notices.${input.reason}`, {
      id: blank.caseId,
    });
    await enqueueOutbox(deps, {
      kind: 'page-update',
      ...(blank.workerId === null ? {} : { workerId: blank.workerId }),
      payload: { type: 'edit', chatId: blank.chatId, text, ...blank.target },
    });
  }
  return { messagesBlanked: blanks.length };
}

/**
 * The workers' messages of these cases to blank. Their outbox rows are locked first, so a sender cannot
 * pick one up meanwhile. A row a sender holds right now (`sending`) is in flight: it stays, unlinked from its
 * case and with a neutral payload, so the sender can record its message id and the blanking edit waits for it.
 */
async function blanksOf(
  deps: TEraseResidentDeps,
  db: TDbClient,
  caseIds: readonly number[],
  reason: 'erased' | 'purged',
): Promise<TBlank[]> {
  if (caseIds.length === 0) return [];
  await lockOutboxOf(db, caseIds);
  const rows = await db.outboxMessage.findMany({
    where: { caseId: { in: [...caseIds] }, kind: { in: [...SHOWN_TO_STAFF] } },
    include: { worker: { select: { locale: true, telegramUserId: true } } },
    orderBy: { id: 'asc' },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const seen = new Set<string>();
  const blanks: TBlank[] = [];
  for (const row of rows) {
    const messageId = row.status === 'sent' ? row.sentMessageId : null;
    if (messageId === null && row.status !== 'sending') continue;
    const payload = openPayload(deps, row);
    const chatId = payload?.chatId ?? (row.worker ? workerChatId(row.worker) : undefined);
    if (chatId === undefined || row.caseId === null) continue;
    const base = { caseId: row.caseId, chatId, workerId: row.workerId, locale: row.worker?.locale };
    if (messageId !== null) {
      // A page and the edits that marked it claimed share one message: blank it once.
      const key = `${chatId}:${messageId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      blanks.push({ ...base, target: { messageId } });
      continue;
    }
    const neutral = neutralPayload(deps, { ...base, reason, payload, byId });
    await db.outboxMessage.update({
      where: { id: row.id },
      data: { caseId: null, payloadSealed: sealOutboxPayload(deps.protector, neutral) },
    });
    blanks.push({ ...base, target: { outboxId: row.id } });
  }
  return blanks;
}

/** Holds the cases' outbox rows, so no sender picks one up (or settles one) while they are erased. */
async function lockOutboxOf(db: TDbClient, caseIds: readonly number[]): Promise<void> {
  if (caseIds.length === 0) return;
  await db.$queryRaw`SELECT id FROM "OutboxMessage" WHERE "caseId" IN (${Prisma.join(caseIds)}) FOR UPDATE`;
}

function openPayload(deps: TEraseResidentDeps, row: OutboxMessage): TOutboxPayload | undefined {
  try {
    return openOutboxPayload(deps.protector, row.payloadSealed);
  } catch {
    // Sealed under a key no longer held: the worker's own chat id will do.
    return undefined;
  }
}

/**
 * What a row in flight says if it is ever sent (again): the neutral line, to the same chat; an edit keeps its
 * target, by message id when the row it pointed to is about to go.
 */
function neutralPayload(
  deps: TEraseResidentDeps,
  input: {
    caseId: number;
    chatId: number;
    locale: string | null | undefined;
    reason: 'erased' | 'purged';
    payload: TOutboxPayload | undefined;
    byId: ReadonlyMap<number, OutboxMessage>;
  },
): TOutboxPayload {
  const text = pagesTranslator(deps.i18n, input.locale ?? 'en')(`notices.${input.reason}`, {
    id: input.caseId,
  });
  const sent = input.payload;
  if (sent?.type !== 'edit') return { type: 'send', chatId: input.chatId, text };
  if (sent.messageId !== undefined)
    return { type: 'edit', chatId: input.chatId, text, messageId: sent.messageId };
  const original = input.byId.get(sent.outboxId);
  // Its page went out: edit that message. Still in flight: it stays too. Never sent: the edit drops.
  return original?.status === 'sent' && original.sentMessageId !== null
    ? { type: 'edit', chatId: input.chatId, text, messageId: original.sentMessageId }
    : { type: 'edit', chatId: input.chatId, text, outboxId: sent.outboxId };
}
