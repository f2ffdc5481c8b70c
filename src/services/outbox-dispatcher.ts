import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { type Api, GrammyError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { i18n } from 'i18next';
import {
  claimDueOutbox,
  readHeldRow,
  recordDelivered,
  releaseRows,
  releaseRowsOfInstance,
  renewLeases,
  sentMessageIdOf,
  settleOutboxRow,
  type TDelivered,
} from '../db/outbox-queue.ts';
import type { TEscalationPolicy } from '../domain/escalation/index.ts';
import { forgetOldest } from '../domain/forget-oldest.ts';
import { classifyFailure, type TCallError } from '../domain/outbox/failure.ts';
import { isEphemeral, isOrderedKind, isOutboxKind } from '../domain/outbox/kinds.ts';
import { createSendQueue, type TSendLimits } from '../domain/outbox/send-queue.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { recordCaseDelivery, recordUnreachable } from './case-delivery.ts';
import { DataProtectionError, type TDataProtector } from './data-protection.ts';
import type { TAlertChat } from './nobody-to-page.ts';
import { openOutboxPayload, type TOutboxPayload, type TOutboxSender, type TOutgoing } from './outbox.ts';

export type TOutboxDispatcherDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  api: Api;
  logger: Logger;
  /** Which step to page next when a page cannot reach its worker. */
  policy: TEscalationPolicy;
  /** For the notice a worker gets when their resident cannot be reached. */
  i18n: i18n;
  /** Telegram's limits, kept without being told 429 (Telegram's own: about 30/s, 1/s per chat). */
  limits: TSendLimits;
  /** Where the alarm goes when every page of a case failed to arrive; absent, only the log says so. */
  alertChat?: TAlertChat;
  /** The numbers a resident is given when nobody could be reached for them. */
  emergencyNumbersFor?: (locale: TLocale) => string;
  /** Used for sweeps and settled times. Default: the system clock. Pacing always runs on real time. */
  clock?: () => Date;
  /** Calls in flight at once, across chats. */
  maxInFlight?: number;
  /**
   * How long deliveries gather before they are recorded in one statement (default 50 ms): longer saves
   * statements under load; the cost is a message id known that much later.
   */
  recordDelayMs?: number;
  /** Waits between tries to record what became of a message while the database is away. */
  recordRetryDelaysMs?: readonly number[];
  /**
   * Who this process is across restarts (`INSTANCE_ID`, by default host and port): its leases carry it, so a
   * restarted process takes back at once what its earlier life held instead of waiting out the lease.
   */
  instance?: string;
  /**
   * This process is the only one that sends (the embedded database): a message sealed with a key it lacks can
   * be sent by nobody, so it fails at once instead of being left for another instance.
   */
  isOnlySender?: boolean;
};

export type TOutboxDispatcher = TOutboxSender & {
  /** Leases the due rows nobody holds (left for the sweep, or abandoned by a process that died) and sends them. */
  sweep(now?: Date): Promise<number>;
  /**
   * At start: what an earlier life of this instance held (it crashed mid-send) goes back to the queue at once,
   * to be sent again now: at least once, a duplicate rather than a loss. Returns how many rows.
   */
  reclaimEarlierLife(): Promise<number>;
  /**
   * Resolves once nothing is held, in flight or unrecorded. `retryNow`: what waits for a retry or a limit goes
   * at once (tests, and a last try before stopping).
   */
  idle(options?: { retryNow?: boolean }): Promise<void>;
  /** Resolves once nothing is in flight or unrecorded and nothing may go now: the rest waits for a time. */
  settled(): Promise<void>;
  /** Stops sending: waits for the calls in flight, records them, and hands what is left back to the sweep. */
  stop(): Promise<void>;
  stats(): TDispatcherStats;
};

export type TDispatcherStats = {
  held: number;
  inFlight: number;
  sent: number;
  retried: number;
  unreachable: number;
  dropped: number;
  failed: number;
};

/**
 * How long a lease lasts; renewed while the row waits here. Longer than a call's timeout
 * ({@link SEND_CALL_TIMEOUT_S}); short, since after a crash on PostgreSQL a row another process held waits this
 * long (a restarted process takes back its own at once).
 */
const LEASE_MS = 20_000;

/** The Bot API client the sender uses gives a call up after this long: well within a lease. */
export const SEND_CALL_TIMEOUT_S = 10;
const RENEW_EVERY_MS = 5_000;
/** A Bot API call that takes longer is abandoned and retried (grammY's own default is minutes). */
const CALL_TIMEOUT_MS = 15_000;
/** An edit whose message is still on its way (sent by another process) looks again this much later. */
const EDIT_WAIT_MS = 2000;
/** Deliveries are recorded in one statement every few milliseconds, or at once past this many. */
const RECORD_BATCH = 200;
const DEFAULT_RECORD_DELAY_MS = 50;
const DEFAULT_MAX_IN_FLIGHT = 64;
/** What the sweep takes at once; not more while this many are held already. */
const SWEEP_BATCH = 100;
const SWEEP_BACKLOG = 2000;
/** Message ids of rows sent recently, so an edit of one needs no query. */
const REMEMBERED_SENT = 10_000;
/** Recording what a delivery means for its case: tried again after these waits (the database may be back). */
const RECORD_RETRY_DELAYS_MS = [500, 1000, 2000, 5000, 10_000];
/** A row sealed with a key this process lacks is due again this much later (up to twice), for another instance. */
const UNKNOWN_KEY_RETRY_MS = 2000;
/**
 * How long such a row is left for others before this process fails it (every instance lacks its key). Short:
 * an instance that has the key takes the row at its next sweep, and until the row is settled it holds back
 * what follows it in its chat, pages included.
 */
const UNKNOWN_KEY_GRACE_MS = 30_000;

type THeld = TOutgoing & { key: string };

/**
 * The one sender of the process. Every message a unit of work commits comes here at once, leased to this
 * process; the sweep brings what was left pending or abandoned. Messages go out most urgent first, a chat's
 * new messages in their order, within Telegram's limits (token buckets, so nothing is sent only to be refused),
 * and after a 429 the less urgent wait out its `retry_after`. A failed call is retried here with back-off
 * (the lease renewed meanwhile) or settled for good; what a failure means for a case is `case-delivery`'s
 * business. Deliveries of messages without a case are recorded in batches, one statement for many.
 *
 * Delivery is at least once: a process that dies after Telegram took a message but before recording it
 * leaves the row leased; when the lease passes another process sends it again.
 *
 * @example
 * const dispatcher = createOutboxDispatcher({ prisma, protector, api: bot.api, logger, policy, i18n, limits });
 * // units of work hand it what they commit; the background loop calls dispatcher.sweep()
 * await dispatcher.stop();
 */
export function createOutboxDispatcher(deps: TOutboxDispatcherDeps): TOutboxDispatcher {
  const owner = `${deps.instance ?? 'anonymous'}/${randomUUID()}`;
  const log = deps.logger.child({ component: 'outbox' });
  const clock = deps.clock ?? (() => new Date());
  const maxInFlight = deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const queue = createSendQueue(deps.limits);
  const held = new Map<string, THeld>();
  const sentIds = new Map<number, number>();
  /** Rows sealed with a key this process lacks: when it first saw each. */
  const unknownKeyRows = new Map<number, number>();
  const stats: Omit<TDispatcherStats, 'held' | 'inFlight'> = {
    sent: 0,
    retried: 0,
    unreachable: 0,
    dropped: 0,
    failed: 0,
  };
  let unrecorded: TDelivered[] = [];
  let recording: Promise<void> | undefined;
  let recordTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;
  let ephemeralSeq = 0;
  let isStopped = false;
  const working = new Set<Promise<void>>();
  let waiters: Array<{ isIdle: boolean; resolve: () => void }> = [];

  const renewTimer = setInterval(() => void renew(), RENEW_EVERY_MS);
  renewTimer.unref();

  const dispatcher: TOutboxDispatcher = {
    owner,
    leaseMs: LEASE_MS,
    now: clock,
    submit(messages) {
      for (const message of messages) hold(message);
      pump();
    },
    async reclaimEarlierLife() {
      if (deps.instance === undefined) return 0;
      return releaseRowsOfInstance(deps.prisma, { instance: deps.instance, except: owner, now: clock() });
    },
    async sweep(now = clock()) {
      if (isStopped || held.size >= SWEEP_BACKLOG) return 0;
      const rows = await claimDueOutbox(deps.prisma, { owner, now, leaseMs: LEASE_MS, limit: SWEEP_BATCH });
      let taken = 0;
      for (const row of rows) {
        if (held.has(`o:${row.id}`)) continue;
        let payload: TOutboxPayload;
        try {
          payload = openOutboxPayload(deps.protector, row.payloadSealed);
        } catch (error) {
          if (await leaveForAnother(row.id, error, now)) continue;
          await settleOutboxRow(deps.prisma, {
            id: row.id,
            owner,
            status: 'failed',
            now,
            lastError: `payload cannot be opened: ${describe(error)}`,
          });
          stats.failed += 1;
          continue;
        }
        if (!isOutboxKind(row.kind)) continue;
        hold({
          id: row.id,
          kind: row.kind,
          priority: Math.min(4, Math.max(0, row.priority)) as TOutgoing['priority'],
          lane: row.lane ?? `row:${row.id}`,
          payload,
          caseId: row.caseId,
          workerId: row.workerId,
          escalationStep: row.escalationStep,
          attempts: row.attempts,
        });
        taken += 1;
      }
      pump();
      return taken;
    },
    idle(options = {}) {
      if (options.retryNow) queue.retryNow();
      if (isStopped) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.push({ isIdle: true, resolve });
        pump();
      });
    },
    settled() {
      if (isStopped) return Promise.resolve();
      return new Promise((resolve) => {
        waiters.push({ isIdle: false, resolve });
        pump();
      });
    },
    async stop() {
      isStopped = true;
      clearInterval(renewTimer);
      if (wakeTimer) clearTimeout(wakeTimer);
      if (recordTimer) clearTimeout(recordTimer);
      while (working.size > 0) await Promise.all([...working]);
      await flushRecords();
      const left = [...held.values()].flatMap((message) => (message.id === undefined ? [] : [message.id]));
      await releaseRows(deps.prisma, { ids: left, owner, now: clock() }).catch((error: unknown) =>
        log.error(
          { err: error, rows: left.length },
          'could not hand back held messages; their leases will pass',
        ),
      );
      held.clear();
      // Nothing more will happen here: whoever waits for quiet has it.
      for (const waiter of waiters) waiter.resolve();
      waiters = [];
    },
    stats: () => ({ ...stats, held: held.size, inFlight: queue.inFlight() }),
  };
  return dispatcher;

  /**
   * A row sealed with a key this process does not have (a rotation under way: another instance already seals
   * with a key this one has not been restarted with) is handed back for another instance, due again shortly,
   * rather than failed: someone else can send it. Only once it has waited {@link UNKNOWN_KEY_GRACE_MS} here is
   * it failed for good (no instance took it: the key is missing everywhere). True when it was handed back.
   */
  async function leaveForAnother(id: number, error: unknown, now: Date): Promise<boolean> {
    if (!(error instanceof DataProtectionError) || error.code !== 'UNKNOWN_KEY' || deps.isOnlySender)
      return false;
    const firstSeen = unknownKeyRows.get(id) ?? now.getTime();
    if (now.getTime() - firstSeen >= UNKNOWN_KEY_GRACE_MS) {
      unknownKeyRows.delete(id);
      return false;
    }
    unknownKeyRows.set(id, firstSeen);
    forgetOldest(unknownKeyRows, REMEMBERED_SENT);
    // A little later, and not at the same moment by every instance that lacks the key.
    const due = new Date(now.getTime() + UNKNOWN_KEY_RETRY_MS * (1 + Math.random()));
    await releaseRows(deps.prisma, { ids: [id], owner, now: due });
    log.warn({ outbox_id: id }, 'sealed with a data key this instance lacks: left for another instance');
    return true;
  }

  function hold(message: TOutgoing): void {
    const key = message.id === undefined ? `e:${ephemeralSeq++}` : `o:${message.id}`;
    if (held.has(key)) return;
    held.set(key, { ...message, key });
    const target = message.payload.type === 'edit' ? message.payload.outboxId : undefined;
    queue.add({
      key,
      lane: message.lane,
      seq: message.id ?? Number.MAX_SAFE_INTEGER,
      priority: message.priority,
      isOrdered: isOrderedKind(message.kind),
      isLimited: message.payload.type === 'send' || message.payload.type === 'edit',
      ...(target !== undefined && held.has(`o:${target}`) ? { waitsFor: `o:${target}` } : {}),
    });
  }

  function pump(): void {
    if (isStopped) return;
    for (;;) {
      if (queue.inFlight() >= maxInFlight) break;
      const now = Date.now();
      const next = queue.next(now);
      if (next.type === 'idle') break;
      if (next.type === 'wait') {
        wake(next.untilMs);
        break;
      }
      track(deliverOrLetGo(next.message.key));
    }
    wakeWaiters();
  }

  function wake(atMs: number): void {
    if (wakeTimer && wakeAt <= atMs) return;
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeAt = atMs;
    wakeTimer = globalThis.setTimeout(
      () => {
        wakeTimer = undefined;
        wakeAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, atMs - Date.now()),
    );
  }

  function track(work: Promise<void>): void {
    working.add(work);
    void work.finally(() => {
      working.delete(work);
      pump();
    });
  }

  /** After a pump: nothing in flight or unrecorded means nothing may go before some time has passed. */
  function wakeWaiters(): void {
    if (waiters.length === 0) return;
    if (working.size > 0 || unrecorded.length > 0 || recording !== undefined) return;
    const isIdle = held.size === 0;
    const ready = waiters.filter((waiter) => isIdle || !waiter.isIdle);
    waiters = waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve();
  }

  /**
   * Delivers, and never leaves a message stuck: if even recording what became of it fails (the database away
   * through every try), it is let go — its row stays as it was, its lease passes, and a sweep takes it up
   * again: sent twice at worst, never lost, and nothing else of its chat waits behind it meanwhile.
   */
  async function deliverOrLetGo(key: string): Promise<void> {
    try {
      await deliver(key);
    } catch (error) {
      const message = held.get(key);
      log.error(
        { err: error, outbox_id: message?.id, kind: message?.kind },
        'could not record what became of a message: a sweep will take it up again',
      );
      forget(key);
    }
  }

  async function deliver(key: string): Promise<void> {
    const message = held.get(key);
    if (!message) {
      queue.done(key);
      return;
    }
    const messageLog = log.child({
      outbox_id: message.id,
      kind: message.kind,
      case_id: message.caseId ?? undefined,
    });
    let messageId: number | null | 'wait' | 'gone';
    try {
      const current = await currentPayload(message);
      if (current === 'not-ours') return forget(key);
      if (current === 'case-moved-on') return await drop(message, messageLog, 'case no longer waiting');
      messageId = await call(message, current);
    } catch (error) {
      if (error instanceof UnknownPayloadError)
        return await drop(message, messageLog, 'a payload this version cannot send');
      return await failed(message, error, messageLog);
    }
    if (messageId === 'wait') {
      queue.retry(key, { atMs: Date.now() + EDIT_WAIT_MS, isRateLimited: false, nowMs: Date.now() });
      return;
    }
    if (messageId === 'gone') return await drop(message, messageLog, 'no sent message to edit');
    await delivered(message, messageId, messageLog);
  }

  /**
   * What to send: the message as committed, or — for a message of a case, or a relay to a worker without one
   * (a group member's reply) — as its row stands now, since `/delete` may have neutralised it and a claim may
   * have ended the wait a page was for.
   */
  async function currentPayload(message: THeld): Promise<TOutboxPayload | 'not-ours' | 'case-moved-on'> {
    if (message.id === undefined) return message.payload;
    if (message.caseId === null && message.kind !== 'relay-to-worker') return message.payload;
    const row = await readHeldRow(deps.prisma, { id: message.id, owner });
    if (!row) return 'not-ours';
    if (message.kind === 'page' && row.caseStatus !== 'waiting') return 'case-moved-on';
    return openOutboxPayload(deps.protector, row.payloadSealed);
  }

  /** Makes the Bot API call; returns the message id it produced, or why there was nothing to call. */
  async function call(message: THeld, payload: TOutboxPayload): Promise<number | null | 'wait' | 'gone'> {
    const signal = callTimeout();
    switch (payload.type) {
      case 'send': {
        const sent = await deps.api.sendMessage(
          payload.chatId,
          payload.text,
          {
            reply_markup: keyboardOf(payload.buttons),
            ...(payload.noLinkPreview ? { link_preview_options: { is_disabled: true } } : {}),
            ...(payload.replyToMessageId === undefined
              ? {}
              : {
                  reply_parameters: {
                    message_id: payload.replyToMessageId,
                    allow_sending_without_reply: true,
                  },
                }),
          },
          signal,
        );
        return sent.message_id;
      }
      case 'edit': {
        const target = payload.messageId ?? (await editTarget(payload.outboxId));
        if (target === 'wait' || target === null) return target ?? 'gone';
        // Without `reply_markup` Telegram removes the message's buttons.
        const markup = { reply_markup: keyboardOf(payload.buttons) };
        if (payload.text === undefined) {
          await deps.api.editMessageReplyMarkup(payload.chatId, target, markup, signal);
        } else {
          await deps.api.editMessageText(payload.chatId, target, payload.text, markup, signal);
        }
        return target;
      }
      case 'answer-callback':
        await deps.api.answerCallbackQuery(
          payload.callbackQueryId,
          {
            ...(payload.text === undefined ? {} : { text: payload.text }),
            ...(payload.showAlert ? { show_alert: true } : {}),
          },
          signal,
        );
        return null;
      case 'react':
        await deps.api.setMessageReaction(
          payload.chatId,
          payload.messageId,
          [{ type: 'emoji', emoji: payload.emoji }],
          {},
          signal,
        );
        return null;
    }
    return assertNever(message, payload);
  }

  async function editTarget(outboxId: number | undefined): Promise<number | 'wait' | null> {
    if (outboxId === undefined) return null;
    const remembered = sentIds.get(outboxId);
    if (remembered !== undefined) return remembered;
    return sentMessageIdOf(deps.prisma, outboxId);
  }

  /**
   * Telegram took it: what waited behind it may go now, and the delivery is recorded — in a batch for a
   * message without a case, in a transaction of its own with what it means for the case otherwise. Until it
   * is recorded the row stays held, its lease renewed, so nobody sends it again.
   */
  async function delivered(message: THeld, messageId: number | null, messageLog: Logger): Promise<void> {
    stats.sent += 1;
    queue.done(message.key);
    if (message.id === undefined) return forget(message.key);
    if (messageId !== null) remember(message.id, messageId);
    if (message.caseId === null && message.kind !== 'page') {
      unrecorded.push({
        id: message.id,
        messageId,
        sentAt: clock(),
        ...(message.payload.type === 'send' && message.payload.screeningId !== undefined
          ? { screeningId: message.payload.screeningId }
          : {}),
      });
      scheduleRecording();
      return forget(message.key);
    }
    const id = message.id;
    const isKept = await withRetries(messageLog, 'a delivery', () =>
      recordCaseDelivery(
        { ...deps, outboxSender: dispatcher },
        { message: { ...message, id }, messageId, now: clock() },
      ),
    );
    messageLog.debug(isKept ? 'delivered' : 'delivered; its row was erased meanwhile');
    forget(message.key);
  }

  /**
   * A write of what became of a message, tried again while the database is briefly away; the last failure
   * is thrown (see `deliverOrLetGo`).
   */
  async function withRetries<T>(messageLog: Logger, what: string, write: () => Promise<T>): Promise<T> {
    for (const [attempt, delayMs] of (deps.recordRetryDelaysMs ?? RECORD_RETRY_DELAYS_MS).entries()) {
      try {
        return await write();
      } catch (error) {
        messageLog.error({ err: error, attempt: attempt + 1 }, `could not record ${what}; trying again`);
        await setTimeout(delayMs);
      }
    }
    return write();
  }

  async function failed(message: THeld, error: unknown, messageLog: Logger): Promise<void> {
    const action =
      message.payload.type === 'answer-callback'
        ? 'answer'
        : message.payload.type === 'send'
          ? 'send'
          : 'edit';
    const callError = toCallError(error);
    message.attempts += 1;
    const failure = classifyFailure(callError, action, message.attempts);
    const errorCode = callError.type === 'telegram' ? callError.code : null;
    switch (failure.type) {
      case 'retry':
        stats.retried += 1;
        messageLog.warn(
          { attempts: message.attempts, retry_in_ms: failure.delayMs, error: failure.reason },
          'delivery will retry',
        );
        queue.retry(message.key, {
          atMs: Date.now() + failure.delayMs,
          isRateLimited: failure.isRateLimited,
          nowMs: Date.now(),
        });
        return;
      case 'done':
        return delivered(
          message,
          message.payload.type === 'edit' ? (message.payload.messageId ?? null) : null,
          messageLog,
        );
      case 'gone':
        return drop(message, messageLog, failure.reason);
      case 'failed':
        messageLog.error({ error: failure.reason }, 'delivery failed for good');
        // A page that can never go out leaves its worker as unaware as a blocked chat: page the next level.
        if (message.kind === 'page') return unreachable(message, failure.reason, errorCode, messageLog);
        stats.failed += 1;
        await settle(message, messageLog, failure.reason);
        return forget(message.key);
      case 'unreachable':
        return unreachable(message, failure.reason, errorCode, messageLog);
    }
  }

  async function unreachable(
    message: THeld,
    reason: string,
    errorCode: number | null,
    messageLog: Logger,
  ): Promise<void> {
    stats.unreachable += 1;
    if (message.id === undefined) return forget(message.key);
    const id = message.id;
    const result = await withRetries(messageLog, 'an unreachable person', () =>
      recordUnreachable(
        { ...deps, outboxSender: dispatcher },
        { message: { ...message, id }, reason, errorCode, now: clock() },
      ),
    );
    messageLog.warn(
      {
        worker_id: message.workerId ?? undefined,
        error: reason,
        next_step_now: result.advanced,
        nobody_reached: result.isNobodyReached,
        told_worker_id: result.toldWorkerId ?? undefined,
      },
      'unreachable',
    );
    forget(message.key);
  }

  async function drop(message: THeld, messageLog: Logger, reason: string): Promise<void> {
    stats.dropped += 1;
    await settle(message, messageLog, `dropped: ${reason}`);
    messageLog.info({ reason }, 'dropped');
    forget(message.key);
  }

  /** Marks a message that will not go as failed, with why. */
  async function settle(message: THeld, messageLog: Logger, lastError: string): Promise<void> {
    const id = message.id;
    if (id === undefined || isEphemeral(message.kind)) return;
    await withRetries(messageLog, 'a failed message', () =>
      settleOutboxRow(deps.prisma, { id, owner, status: 'failed', now: clock(), lastError }),
    );
  }

  function forget(key: string): void {
    held.delete(key);
    queue.done(key);
  }

  function remember(outboxId: number, messageId: number): void {
    sentIds.set(outboxId, messageId);
    forgetOldest(sentIds, REMEMBERED_SENT);
  }

  function scheduleRecording(): void {
    if (unrecorded.length >= RECORD_BATCH) {
      void flushRecords();
      return;
    }
    recordTimer ??= globalThis.setTimeout(() => {
      recordTimer = undefined;
      void flushRecords();
    }, deps.recordDelayMs ?? DEFAULT_RECORD_DELAY_MS);
  }

  async function flushRecords(): Promise<void> {
    if (recording !== undefined) await recording;
    if (unrecorded.length === 0) return;
    const batch = unrecorded;
    unrecorded = [];
    recording = recordDelivered(deps.prisma, batch)
      .catch((error: unknown) => {
        // Kept for the next try: until recorded, their leases are renewed and nothing sends them again.
        log.error({ err: error, rows: batch.length }, 'could not record deliveries; trying again');
        unrecorded.push(...batch);
        // Stopped: their leases pass and they are sent again, at least once as promised.
        if (isStopped) return;
        recordTimer ??= globalThis.setTimeout(() => {
          recordTimer = undefined;
          void flushRecords();
        }, 1000);
      })
      .finally(() => {
        recording = undefined;
        pump();
      });
    await recording;
  }

  async function renew(): Promise<void> {
    const ids = [
      ...[...held.values()].flatMap((message) => (message.id === undefined ? [] : [message.id])),
      ...unrecorded.map((row) => row.id),
    ];
    await renewLeases(deps.prisma, { ids, owner, until: new Date(clock().getTime() + LEASE_MS) }).catch(
      (error: unknown) => log.error({ err: error }, 'could not renew outbox leases'),
    );
  }
}

/** A payload written by a newer version (a rolling deploy): dropped, never retried, never logged whole. */
class UnknownPayloadError extends Error {}

function assertNever(message: TOutgoing, payload: never): never {
  const type = (payload as { type?: unknown }).type;
  throw new UnknownPayloadError(
    `Outbox message of kind ${message.kind} has an unknown payload type: ${String(type)}`,
  );
}

function toCallError(error: unknown): TCallError {
  if (error instanceof GrammyError) {
    return {
      type: 'telegram',
      code: error.error_code,
      description: error.description,
      ...(error.parameters.retry_after === undefined
        ? {}
        : { retryAfterSeconds: error.parameters.retry_after }),
    };
  }
  return { type: 'network', description: describe(error) };
}

/** grammY types its signal with the abort-controller shim; Node's own signal is what it gets at run time. */
type TApiSignal = Parameters<Api['sendMessage']>[3];
function callTimeout(): TApiSignal {
  return AbortSignal.timeout(CALL_TIMEOUT_MS) as unknown as TApiSignal;
}

function keyboardOf(
  buttons: Array<Array<{ label: string; data: string }>> | undefined,
): InlineKeyboardMarkup | undefined {
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
