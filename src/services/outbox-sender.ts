import { type Api, GrammyError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { i18n } from 'i18next';
import { withTransaction } from '../db/unit-of-work.ts';
import type { TEscalationPolicy } from '../domain/escalation/index.ts';
import type { OutboxMessage, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { recordCaseEvent } from './audit.ts';
import type { TDataProtector } from './data-protection.ts';
import { advanceAfterUnreachable, PAGE_UNREACHABLE_EVENT, pagesTranslator } from './escalation.ts';
import { enqueueOutbox, openOutboxPayload, type TOutboxPayload } from './outbox.ts';
import { workerChatId } from './workers.ts';

export type TOutboxSenderDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  api: Api;
  logger: Logger;
  /** Which step to page next when a page cannot reach its worker. */
  policy: TEscalationPolicy;
  /** For the notice a worker gets when their resident cannot be reached. */
  i18n: i18n;
  /** Used when no `now` is given. Default: the system clock. */
  clock?: () => Date;
};

export type TDeliveryResult = {
  sent: number;
  /** Will be tried again later (rate limit, server error, network, timeout, an edit waiting for its page). */
  retried: number;
  unreachable: number;
  /** Nothing left to do: an edit of a message that is gone, a page of a case that stopped waiting. */
  dropped: number;
  failed: number;
};

/**
 * How long a claimed row stays ours. A sender that dies mid-send leaves rows in `sending`; once their lease
 * passes, another sender takes them again. Longer than a call's timeout times the rows one chat may hold.
 */
const LEASE_MS = 120_000;
/** A Bot API call that takes longer is abandoned and retried (grammY's own default is minutes). */
const CALL_TIMEOUT_MS = 15_000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;
/** An edit whose page is still on its way waits this long before it looks again. */
const EDIT_WAIT_MS = 2000;
const DEFAULT_LIMIT = 100;
const CLAIM_BATCH = 25;
/** Chats served at once; rows of one chat always go one after another, in order. */
const PARALLEL_CHATS = 8;
/** Messages to the resident of a case: when one cannot reach them, the case's worker is told. */
const TO_RESIDENT_KINDS: readonly string[] = ['relay-to-resident', 'resident-notice'];

/**
 * Delivers the outbox rows that are due: claims them (`FOR UPDATE SKIP LOCKED`, status `sending` with a
 * lease, so several instances never send one row twice and a crashed sender's rows come back), sends or
 * edits through the Bot API, and records the result. Telegram's `retry_after` is honoured on 429; 5xx,
 * network errors and timeouts back off exponentially (1 s, 2 s, 4 s … 5 min) and keep trying. A `page` to a
 * worker who blocked the bot (403, or 400 chat not found) is `unreachable`: a `page-unreachable` event, and
 * the case's next escalation step becomes due at once. A message to a resident who blocked the bot or left
 * Telegram puts `resident-unreachable` on the case's timeline and tells the worker holding the case, once
 * until a message reaches the resident again. An edit of a message that is gone is dropped; "not
 * modified" counts as done. A row erased while in flight (`/delete`) is left gone. Payload text is never
 * logged.
 *
 * Delivery is at least once: a sender that dies after Telegram accepted a message but before recording it
 * sends it again when the lease passes. That window is one call long.
 *
 * @example
 * const result = await deliverDueOutbox({ prisma, protector, api: bot.api, logger, policy, i18n }, { now: new Date() });
 */
export async function deliverDueOutbox(
  deps: TOutboxSenderDeps,
  input: { now?: Date; limit?: number } = {},
): Promise<TDeliveryResult> {
  const now = input.now ?? deps.clock?.() ?? new Date();
  const limit = input.limit ?? DEFAULT_LIMIT;
  const result: TDeliveryResult = { sent: 0, retried: 0, unreachable: 0, dropped: 0, failed: 0 };
  let handled = 0;
  // Batch after batch: sending one message of a conversation makes its next one due in the same call.
  while (handled < limit) {
    const rows = await claimDue(deps.prisma, now, Math.min(CLAIM_BATCH, limit - handled));
    if (rows.length === 0) break;
    handled += rows.length;
    for (const outcome of await deliverBatch(deps, rows, now)) result[outcome] += 1;
  }
  return result;
}

type TOutcome = keyof TDeliveryResult;

async function claimDue(prisma: PrismaClient, now: Date, limit: number): Promise<OutboxMessage[]> {
  const lease = new Date(now.getTime() + LEASE_MS);
  // One statement: pick the due rows nobody holds, and mark them ours. What a case says to its resident
  // reaches them in the order written, and so does what it relays to a worker: one waits while an earlier
  // one of the same case and direction is undelivered. The two directions never wait on each other — the
  // emergency numbers must not queue behind a worker's slow chat.
  const claimed = await prisma.$queryRaw<Array<{ id: number }>>`
    WITH due AS (
      SELECT o.id FROM "OutboxMessage" o
      WHERE ((o.status = 'pending' AND o."nextAttemptAt" <= ${now})
          OR (o.status = 'sending' AND o."lockedUntil" <= ${now}))
        AND NOT (o.kind IN ('relay-to-resident', 'resident-notice') AND EXISTS (
          SELECT 1 FROM "OutboxMessage" earlier
          WHERE earlier."caseId" = o."caseId"
            AND earlier.kind IN ('relay-to-resident', 'resident-notice')
            AND earlier.id < o.id AND earlier.status IN ('pending', 'sending')))
        AND NOT (o.kind = 'relay-to-worker' AND EXISTS (
          SELECT 1 FROM "OutboxMessage" earlier
          WHERE earlier."caseId" = o."caseId" AND earlier."workerId" = o."workerId"
            AND earlier.kind = 'relay-to-worker'
            AND earlier.id < o.id AND earlier.status IN ('pending', 'sending')))
      -- Edits and notices to staff after everything else: a purge's backlog of blanking edits must not hold
      -- back a new page or the emergency numbers.
      ORDER BY (o.kind IN ('page-update', 'staff-notice')), o."nextAttemptAt", o.id
      LIMIT ${limit}
      FOR UPDATE OF o SKIP LOCKED
    )
    UPDATE "OutboxMessage" AS m
    SET status = 'sending', "lockedUntil" = ${lease}, attempts = m.attempts + 1
    FROM due WHERE m.id = due.id
    RETURNING m.id`;
  if (claimed.length === 0) return [];
  return prisma.outboxMessage.findMany({
    where: { id: { in: claimed.map((row) => row.id) } },
    orderBy: { id: 'asc' },
  });
}

/** Chats in parallel, each chat's rows in id order. */
async function deliverBatch(deps: TOutboxSenderDeps, rows: OutboxMessage[], now: Date): Promise<TOutcome[]> {
  const byChat = new Map<string, Array<{ row: OutboxMessage; payload: TOutboxPayload }>>();
  const outcomes: TOutcome[] = [];
  for (const row of rows) {
    let payload: TOutboxPayload;
    try {
      payload = openOutboxPayload(deps.protector, row.payloadSealed);
    } catch (error) {
      outcomes.push(await markFailed(deps, row, `payload cannot be opened: ${describe(error)}`));
      continue;
    }
    const key = String(payload.chatId);
    byChat.set(key, [...(byChat.get(key) ?? []), { row, payload }]);
  }
  const queues = [...byChat.values()];
  const workers = Array.from({ length: Math.min(PARALLEL_CHATS, queues.length) }, async () => {
    for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
      for (const { row, payload } of queue) outcomes.push(await deliverOne(deps, row, payload, now));
    }
  });
  await Promise.all(workers);
  return outcomes;
}

async function deliverOne(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  payload: TOutboxPayload,
  now: Date,
): Promise<TOutcome> {
  const log = deps.logger.child({ outbox_id: row.id, kind: row.kind, case_id: row.caseId ?? undefined });
  try {
    if (row.kind === 'page' && row.caseId !== null) {
      const target = await deps.prisma.case.findUnique({
        where: { id: row.caseId },
        select: { status: true },
      });
      if (target?.status !== 'waiting') return await markDropped(deps, row, log, 'case no longer waiting');
    }
    if (payload.type === 'send') {
      const message = await deps.api.sendMessage(
        payload.chatId,
        payload.text,
        {
          reply_markup: keyboardOf(payload.buttons),
          ...(payload.replyToMessageId === undefined
            ? {}
            : {
                reply_parameters: { message_id: payload.replyToMessageId, allow_sending_without_reply: true },
              }),
        },
        callTimeout(),
      );
      return await markSent(deps, row, message.message_id, now, log);
    }
    const target = await editTarget(deps.prisma, payload);
    if (target === 'wait') {
      await release(deps, row, { nextAttemptAt: new Date(now.getTime() + EDIT_WAIT_MS), lastError: null });
      return 'retried';
    }
    if (target === null) return await markDropped(deps, row, log, 'no sent message to edit');
    // Without `reply_markup` Telegram removes the message's buttons.
    await deps.api.editMessageText(
      payload.chatId,
      target,
      payload.text,
      { reply_markup: keyboardOf(payload.buttons) },
      callTimeout(),
    );
    return await markSent(deps, row, target, now, log);
  } catch (error) {
    return handleFailure(deps, row, payload, error, now, log);
  }
}

/**
 * The message an edit changes: its own `messageId`, or the one its outbox row was sent as — `'wait'` while
 * that row is still on its way, null when it never went out.
 */
async function editTarget(
  prisma: PrismaClient,
  payload: Extract<TOutboxPayload, { type: 'edit' }>,
): Promise<number | 'wait' | null> {
  if (payload.messageId !== undefined) return payload.messageId;
  const original = await prisma.outboxMessage.findUnique({
    where: { id: payload.outboxId },
    select: { status: true, sentMessageId: true },
  });
  if (original?.status === 'pending' || original?.status === 'sending') return 'wait';
  return original?.sentMessageId ?? null;
}

/** What a failed call means for the row. */
type TFailure =
  | { type: 'retry'; delayMs: number; reason: string }
  | { type: 'unreachable'; reason: string }
  | { type: 'gone'; reason: string }
  | { type: 'done'; reason: string }
  | { type: 'failed'; reason: string };

const UNREACHABLE_400 =
  /chat not found|user not found|peer_id_invalid|user is deactivated|bot was blocked|bot was kicked|not enough rights|have no rights/i;
const EDIT_GONE_400 =
  /message to edit not found|message can't be edited|message_id_invalid|message not found/i;

/**
 * Sorts an error into what to do next. Exported for its table test.
 *
 * @example classifyFailure(new GrammyError(…429, retry_after: 7…), 'send', 1) // { type: 'retry', delayMs: 7000, … }
 */
export function classifyFailure(error: unknown, action: 'send' | 'edit', attempts: number): TFailure {
  if (!(error instanceof GrammyError)) {
    return { type: 'retry', delayMs: backoffMs(attempts), reason: `network: ${describe(error)}` };
  }
  const reason = `${error.error_code}: ${error.description}`;
  const code = error.error_code;
  if (code === 429) {
    const retryAfter = error.parameters.retry_after;
    return { type: 'retry', delayMs: retryAfter ? retryAfter * 1000 : backoffMs(attempts), reason };
  }
  if (code >= 500 || code === 401 || code === 404 || code === 409) {
    // Telegram's side, or this bot's token or API root is wrong: nothing to give up on, keep trying.
    return { type: 'retry', delayMs: backoffMs(attempts), reason };
  }
  if (action === 'edit') {
    if (/message is not modified/i.test(error.description)) return { type: 'done', reason };
    if (code === 403 || EDIT_GONE_400.test(error.description) || UNREACHABLE_400.test(error.description))
      return { type: 'gone', reason };
    return { type: 'failed', reason };
  }
  if (code === 403 || (code === 400 && UNREACHABLE_400.test(error.description)))
    return { type: 'unreachable', reason };
  return { type: 'failed', reason };
}

/** 1 s, 2 s, 4 s … capped at 5 min; `attempts` counts the one that just failed. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

async function handleFailure(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  payload: TOutboxPayload,
  error: unknown,
  now: Date,
  log: Logger,
): Promise<TOutcome> {
  const failure = classifyFailure(error, payload.type, row.attempts);
  const errorCode = error instanceof GrammyError ? error.error_code : null;
  switch (failure.type) {
    case 'retry':
      log.warn(
        { attempts: row.attempts, retry_in_ms: failure.delayMs, error: failure.reason },
        'delivery will retry',
      );
      await release(deps, row, {
        nextAttemptAt: new Date(now.getTime() + failure.delayMs),
        lastError: failure.reason,
      });
      return 'retried';
    case 'done':
      return markSent(deps, row, null, now, log);
    case 'gone':
      return markDropped(deps, row, log, failure.reason);
    case 'failed':
      log.error({ error: failure.reason }, 'delivery failed for good');
      // A page that can never go out leaves its worker as unaware as a blocked chat: page the next level.
      if (row.kind === 'page')
        return markUnreachable(deps, row, { reason: failure.reason, errorCode }, now, log);
      return markFailed(deps, row, failure.reason);
    case 'unreachable':
      return markUnreachable(deps, row, { reason: failure.reason, errorCode }, now, log);
  }
}

async function markSent(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  messageId: number | null,
  now: Date,
  log: Logger,
): Promise<TOutcome> {
  const isKept = await deps.prisma.$transaction(async (tx) => {
    const caseId = await settle(tx, row.id, {
      status: 'sent',
      sentAt: now,
      lockedUntil: null,
      lastError: null,
      ...(messageId === null ? {} : { sentMessageId: messageId }),
    });
    if (caseId === undefined) return false;
    if (caseId === null) return true;
    if (row.kind === 'page') {
      await tx.caseEvent.create({
        data: {
          caseId,
          type: 'page-sent',
          actor: 'system',
          detail: { outboxId: row.id, workerId: row.workerId, step: row.escalationStep },
          createdAt: now,
        },
      });
    }
    if (TO_RESIDENT_KINDS.includes(row.kind) && (await lastReachability(tx, caseId)) === 'unreachable') {
      await withTransaction(tx, () =>
        recordCaseEvent(deps, {
          caseId,
          type: 'resident-reachable',
          actor: 'system',
          now,
          detail: { outboxId: row.id },
        }),
      );
    }
    return true;
  });
  if (isKept) log.debug('delivered');
  else log.info('delivered; its row was erased meanwhile');
  return 'sent';
}

async function markUnreachable(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  failure: { reason: string; errorCode: number | null },
  now: Date,
  log: Logger,
): Promise<TOutcome> {
  const { reason } = failure;
  const result = await deps.prisma.$transaction(async (tx) => {
    const caseId = await settle(tx, row.id, { status: 'unreachable', lockedUntil: null, lastError: reason });
    if (caseId == null) return {};
    if (TO_RESIDENT_KINDS.includes(row.kind)) {
      const toldWorkerId = await noteResidentUnreachable(deps, tx, {
        caseId,
        outboxId: row.id,
        errorCode: failure.errorCode,
        now,
      });
      return { toldWorkerId };
    }
    if (row.kind !== 'page') return {};
    const advanced =
      row.escalationStep === null
        ? false
        : await advanceAfterUnreachable(tx, {
            caseId,
            step: row.escalationStep,
            now,
            policy: deps.policy,
          });
    // `advanced`: the next step was brought forward, so the sweep leaves out whoever this step reached.
    await tx.caseEvent.create({
      data: {
        caseId,
        type: PAGE_UNREACHABLE_EVENT,
        actor: 'system',
        detail: {
          outboxId: row.id,
          workerId: row.workerId,
          step: row.escalationStep,
          error: reason,
          advanced,
        },
        createdAt: now,
      },
    });
    return { advanced };
  });
  log.warn(
    {
      worker_id: row.workerId ?? undefined,
      error: reason,
      next_step_now: result.advanced,
      told_worker_id: result.toldWorkerId ?? undefined,
    },
    'unreachable',
  );
  return 'unreachable';
}

/**
 * Records what became of a row we hold, and returns its case as it is now (`/delete` unlinks rows in flight
 * from their case, or erases them: `undefined`). A delivery is recorded whatever happened to the row meanwhile
 * (its message id may be needed to blank it later); a failure only while the row is still ours.
 */
async function settle(
  tx: Prisma.TransactionClient,
  id: number,
  data: Prisma.OutboxMessageUpdateManyMutationInput,
): Promise<number | null | undefined> {
  const where = data.status === 'sent' ? { id } : { id, status: 'sending' };
  const { count } = await tx.outboxMessage.updateMany({ where, data });
  if (count === 0) return undefined;
  const settled = await tx.outboxMessage.findUnique({ where: { id }, select: { caseId: true } });
  return settled?.caseId ?? null;
}

/**
 * A message could not reach the resident of `caseId`: the timeline says so (the row and Telegram's error
 * code, never text), and the worker holding the case is told in their language — once, until a message
 * reaches the resident again. Returns the id of the worker told, or null. In the sender's transaction.
 */
async function noteResidentUnreachable(
  deps: TOutboxSenderDeps,
  tx: Prisma.TransactionClient,
  input: { caseId: number; outboxId: number; errorCode: number | null; now: Date },
): Promise<number | null> {
  // One sender at a time decides whether the worker has been told.
  await tx.$queryRaw`SELECT id FROM "Case" WHERE id = ${input.caseId} FOR UPDATE`;
  const target = await tx.case.findUnique({
    where: { id: input.caseId },
    select: { status: true, claimedBy: true },
  });
  const claimer = target?.status === 'claimed' && target.claimedBy?.isActive ? target.claimedBy : null;
  const toTell =
    claimer !== null && !(await wasToldUnreachable(tx, input.caseId, claimer.id)) ? claimer : null;
  await withTransaction(tx, async () => {
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
    if (!toTell) return;
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
      notBefore: input.now,
    });
  });
  return toTell?.id ?? null;
}

const REACHABILITY_EVENTS = ['resident-unreachable', 'resident-reachable'];

/** Whether the case's last word on reaching its resident is a failure. */
async function lastReachability(
  tx: Prisma.TransactionClient,
  caseId: number,
): Promise<'unreachable' | 'reachable' | null> {
  const last = await tx.caseEvent.findFirst({
    where: { caseId, type: { in: REACHABILITY_EVENTS } },
    orderBy: { id: 'desc' },
    select: { type: true },
  });
  if (!last) return null;
  return last.type === 'resident-unreachable' ? 'unreachable' : 'reachable';
}

/** Whether `workerId` was told of a failure since a message last reached the resident. */
async function wasToldUnreachable(
  tx: Prisma.TransactionClient,
  caseId: number,
  workerId: number,
): Promise<boolean> {
  const events = await tx.caseEvent.findMany({
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

async function markDropped(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  log: Logger,
  reason: string,
): Promise<TOutcome> {
  await deps.prisma.outboxMessage.updateMany({
    where: { id: row.id },
    data: { status: 'failed', lockedUntil: null, lastError: `dropped: ${reason}` },
  });
  log.info({ reason }, 'dropped');
  return 'dropped';
}

async function markFailed(deps: TOutboxSenderDeps, row: OutboxMessage, reason: string): Promise<TOutcome> {
  await deps.prisma.outboxMessage.updateMany({
    where: { id: row.id },
    data: { status: 'failed', lockedUntil: null, lastError: reason },
  });
  return 'failed';
}

async function release(
  deps: TOutboxSenderDeps,
  row: OutboxMessage,
  data: { nextAttemptAt: Date; lastError: string | null },
): Promise<void> {
  // Only while still ours: a row `/delete` erased, or one dropped meanwhile (its worker deactivated), stays so.
  await deps.prisma.outboxMessage.updateMany({
    where: { id: row.id, status: 'sending' },
    data: { status: 'pending', lockedUntil: null, ...data },
  });
}

/** grammY types its signal with the abort-controller shim; Node's own signal is what it gets at run time. */
type TApiSignal = Parameters<Api['sendMessage']>[3];
function callTimeout(): TApiSignal {
  return AbortSignal.timeout(CALL_TIMEOUT_MS) as unknown as TApiSignal;
}

function keyboardOf(buttons: TOutboxPayload['buttons']): InlineKeyboardMarkup | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  return {
    inline_keyboard: buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: b.data }))),
  };
}

/** An error's kind and message, never a payload: grammY errors carry the request (message text) with them. */
function describe(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code}: ${error.description}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.name}: ${error.cause.message})` : '';
    return `${error.name}: ${error.message}${cause}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}
