import type { i18n } from 'i18next';
import { settleOutboxRow } from '../db/outbox-queue.ts';
import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import type { TEscalationPolicy } from '../domain/escalation/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordCaseEvent } from './audit.ts';
import type { TDataProtector } from './data-protection.ts';
import { advanceAfterUnreachable, raiseIfLastRungReachedNobody } from './escalation.ts';
import { clearNobodyToPage, type TNobodyToPageDeps } from './nobody-to-page.ts';
import { enqueueOutbox, type TOutboxSender, type TOutgoing } from './outbox.ts';
import { pagesTranslator } from './pages.ts';
import { workerChatId } from './workers.ts';

/**
 * What became of a message of a case means something for the case: a page that reached its worker is on the
 * timeline; a worker who cannot be reached counts as not acknowledging, so the ladder moves on at once; a
 * resident who cannot be reached is noted, and the worker holding their case told. One transaction each.
 */
export type TCaseDeliveryDeps = TNobodyToPageDeps & {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  policy: TEscalationPolicy;
  /** The sender recording the outcome: it holds the rows, and sends what these outcomes say in turn. */
  outboxSender: TOutboxSender;
};

/** Messages to the resident of a case: when one cannot reach them, the case's worker is told. */
const TO_RESIDENT_KINDS: readonly string[] = ['relay-to-resident', 'resident-notice', 'crisis-notice'];

/**
 * A message of a case reached Telegram. Returns false when its row was erased meanwhile (`/delete`).
 *
 * @example
 * await recordCaseDelivery(deps, { message, messageId: 57, now });
 */
export async function recordCaseDelivery(
  deps: TCaseDeliveryDeps,
  input: { message: TOutgoing & { id: number }; messageId: number | null; now: Date },
): Promise<boolean> {
  const { message, now } = input;
  return runUnitOfWork(deps.prisma, async () => {
    const caseId = await settleOutboxRow(currentClient(deps.prisma), {
      id: message.id,
      owner: deps.outboxSender.owner,
      status: 'sent',
      now,
      messageId: input.messageId,
    });
    if (caseId === undefined) return false;
    if (caseId === null) return true;
    if (message.kind === 'page') {
      await recordCaseEvent(deps, {
        caseId,
        type: 'page-sent',
        actor: 'system',
        now,
        detail: { outboxId: message.id, workerId: message.workerId, step: message.escalationStep },
      });
      // Somebody has it now: no longer nobody, and a resident told so hears that somebody is.
      await clearNobodyToPage(deps, { caseId, tellResident: true });
    }
    if (
      TO_RESIDENT_KINDS.includes(message.kind) &&
      (await lastReachability(deps, caseId)) === 'unreachable'
    ) {
      await recordCaseEvent(deps, {
        caseId,
        type: 'resident-reachable',
        actor: 'system',
        now,
        detail: { outboxId: message.id },
      });
    }
    return true;
  });
}

/**
 * A message of a case cannot reach its person (they blocked the bot, left Telegram, or Telegram refuses a
 * page for good). For a page: the case's next escalation step is due at once (see `advanceAfterUnreachable`).
 * For a message to the resident: the timeline says so, and the worker holding the case is told, once until a
 * message reaches the resident again. Returns what it did, for the log.
 */
export async function recordUnreachable(
  deps: TCaseDeliveryDeps,
  input: { message: TOutgoing & { id: number }; reason: string; errorCode: number | null; now: Date },
): Promise<{ advanced?: boolean; isNobodyReached?: boolean; toldWorkerId?: number | null }> {
  const { message, reason, now } = input;
  return runUnitOfWork(deps.prisma, async () => {
    const caseId = await settleOutboxRow(currentClient(deps.prisma), {
      id: message.id,
      owner: deps.outboxSender.owner,
      status: 'unreachable',
      now,
      lastError: reason,
    });
    if (caseId == null) return {};
    if (TO_RESIDENT_KINDS.includes(message.kind)) {
      const toldWorkerId = await noteResidentUnreachable(deps, {
        caseId,
        outboxId: message.id,
        errorCode: input.errorCode,
        now,
      });
      return { toldWorkerId };
    }
    if (message.kind !== 'page') return {};
    const advanced =
      message.escalationStep === null
        ? false
        : await advanceAfterUnreachable(currentClient(deps.prisma), {
            caseId,
            step: message.escalationStep,
            now,
            policy: deps.policy,
          });
    const isNobodyReached =
      !advanced && message.escalationStep !== null
        ? await raiseIfLastRungReachedNobody(deps, { caseId, step: message.escalationStep, now })
        : false;
    // `advanced`: the next step was brought forward, so the sweep leaves out whoever this step reached.
    await recordCaseEvent(deps, {
      caseId,
      type: 'page-unreachable',
      actor: 'system',
      now,
      detail: {
        outboxId: message.id,
        workerId: message.workerId,
        step: message.escalationStep,
        error: reason,
        advanced,
      },
    });
    return { advanced, isNobodyReached };
  });
}

/**
 * The timeline notes the failure (the row and Telegram's error code, never text), and the worker holding the
 * case is told in their language — once, until a message reaches the resident again. Returns the id of the
 * worker told, or null.
 */
async function noteResidentUnreachable(
  deps: TCaseDeliveryDeps,
  input: { caseId: number; outboxId: number; errorCode: number | null; now: Date },
): Promise<number | null> {
  const db = currentClient(deps.prisma);
  // One sender at a time decides whether the worker has been told.
  await db.$queryRaw`SELECT id FROM "Case" WHERE id = ${input.caseId} FOR UPDATE`;
  const target = await db.case.findUnique({
    where: { id: input.caseId },
    select: { status: true, claimedBy: true },
  });
  const claimer = target?.status === 'claimed' && target.claimedBy?.isActive ? target.claimedBy : null;
  const toTell =
    claimer !== null && !(await wasToldUnreachable(deps, input.caseId, claimer.id)) ? claimer : null;
  await recordCaseEvent(deps, {
    caseId: input.caseId,
    type: 'resident-unreachable',
    actor: 'system',
    now: input.now,
    detail: {
      outboxId: input.outboxId,
      errorCode: input.errorCode,
      ...(toTell ? { toldWorkerId: toTell.id } : {}),
    },
  });
  if (!toTell) return null;
  const t = pagesTranslator(deps.i18n, toTell.locale);
  await enqueueOutbox(deps, {
    kind: 'case-alert',
    caseId: input.caseId,
    workerId: toTell.id,
    payload: {
      type: 'send',
      chatId: workerChatId(toTell),
      text: t('notices.resident_unreachable', { id: input.caseId }),
    },
  });
  return toTell.id;
}

const REACHABILITY_EVENTS = ['resident-unreachable', 'resident-reachable'];

/** Whether the case's last word on reaching its resident is a failure. */
async function lastReachability(
  deps: { prisma: PrismaClient },
  caseId: number,
): Promise<'unreachable' | 'reachable' | null> {
  const last = await currentClient(deps.prisma).caseEvent.findFirst({
    where: { caseId, type: { in: REACHABILITY_EVENTS } },
    orderBy: { id: 'desc' },
    select: { type: true },
  });
  if (!last) return null;
  return last.type === 'resident-unreachable' ? 'unreachable' : 'reachable';
}

/** Whether `workerId` was told of a failure since a message last reached the resident. */
async function wasToldUnreachable(
  deps: { prisma: PrismaClient },
  caseId: number,
  workerId: number,
): Promise<boolean> {
  const events = await currentClient(deps.prisma).caseEvent.findMany({
    where: { caseId, type: { in: REACHABILITY_EVENTS } },
    orderBy: { id: 'desc' },
    select: { type: true, detail: true },
  });
  for (const event of events) {
    if (event.type === 'resident-reachable') return false;
    const detail = event.detail as { toldWorkerId?: unknown } | null;
    if (detail?.toldWorkerId === workerId) return true;
  }
  return false;
}
