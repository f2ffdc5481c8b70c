import { PRIORITY } from '../../../src/domain/outbox/kinds.ts';
import {
  createTokenBucket,
  createWindowLimit,
  type TRateLimit,
} from '../../../src/domain/outbox/rate-limit.ts';
import {
  BOT_CRISIS_SHARE,
  BOT_LIMIT_CHATS,
  BOT_WINDOW_MS,
  CHAT_CRISIS_RESERVE,
  CHAT_PACE_MARGIN,
  type TQueuedMessage,
  type TSendLimits,
  type TSendQueue,
} from '../../../src/domain/outbox/send-queue.ts';

type THeld = TQueuedMessage & { notBeforeMs: number };

/**
 * The send queue as first written (to commit d5c98b7): every call of `next` looks at every held message the
 * plain way. The quicker queue in `src/domain/outbox/send-queue.ts` must choose exactly as this one does;
 * `send-queue.test.ts` runs both on the same generated histories.
 */
export function createReferenceSendQueue(limits: TSendLimits): TSendQueue {
  const lanes = new Map<string, THeld[]>();
  const byKey = new Map<string, THeld>();
  const flying = new Set<string>();
  const botLimit = createWindowLimit({ perWindow: limits.perSecond, windowMs: BOT_WINDOW_MS });
  const chatBuckets = new Map<string, TRateLimit>();
  let pause: { abovePriority: number; untilMs: number } | undefined;
  /** Chats Telegram refused (429), until when. */
  const chatPauses = new Map<string, number>();
  /** When each chat was last refused: several within a second means the bot's limit, not a chat's. */
  const refusedAt = new Map<string, number>();
  let calls = 0;

  const chatBucket = (lane: string) => {
    let bucket = chatBuckets.get(lane);
    if (!bucket) {
      // The same margin as the bot's window: a little slower than the chat's pace, a little less of a burst.
      bucket = createTokenBucket({
        perSecond: limits.perChatPerSecond * CHAT_PACE_MARGIN,
        burst: Math.max(1, limits.chatBurst - 1),
      });
      chatBuckets.set(lane, bucket);
    }
    return bucket;
  };
  const forgetFullBuckets = (nowMs: number) => {
    for (const [lane, bucket] of chatBuckets)
      if (!lanes.has(lane) && bucket.isFull(nowMs)) chatBuckets.delete(lane);
    for (const [lane, until] of chatPauses) if (until <= nowMs) chatPauses.delete(lane);
  };
  const botReserve = Math.max(1, Math.round(limits.perSecond * BOT_CRISIS_SHARE));
  const botReserveFor = (message: THeld) => (message.priority === PRIORITY.crisis ? 0 : botReserve);
  const chatReserveFor = (message: THeld) => (message.priority === PRIORITY.crisis ? 0 : CHAT_CRISIS_RESERVE);
  const isBefore = (a: THeld, b: THeld) =>
    a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq);

  return {
    add(message) {
      const held: THeld = { ...message, notBeforeMs: 0 };
      byKey.set(held.key, held);
      const lane = lanes.get(held.lane);
      if (!lane) {
        lanes.set(held.lane, [held]);
        return;
      }
      let at = lane.length;
      while (at > 0 && (lane[at - 1]?.seq ?? 0) > held.seq) at -= 1;
      lane.splice(at, 0, held);
    },

    next(nowMs) {
      calls += 1;
      if (calls % 1000 === 0) forgetFullBuckets(nowMs);
      if (pause && pause.untilMs <= nowMs) pause = undefined;
      let best: THeld | undefined;
      let bestUnlimited: THeld | undefined;
      let wakeAt = Number.POSITIVE_INFINITY;
      for (const [laneKey, lane] of lanes) {
        const chatPausedUntil = chatPauses.get(laneKey) ?? 0;
        if (chatPausedUntil > nowMs) {
          wakeAt = Math.min(wakeAt, chatPausedUntil);
          continue;
        }
        // One new message of a chat on its way at a time: two at once may arrive in either order.
        const isChatBusy = lane.some((message) => message.isOrdered && flying.has(message.key));
        let mostUrgentEarlier = Number.POSITIVE_INFINITY;
        for (const message of lane) {
          const isBehind = message.isOrdered && (isChatBusy || message.priority >= mostUrgentEarlier);
          if (message.isOrdered) mostUrgentEarlier = Math.min(mostUrgentEarlier, message.priority);
          if (isBehind || flying.has(message.key)) continue;
          if (message.waitsFor !== undefined && byKey.has(message.waitsFor)) continue;
          if (message.notBeforeMs > nowMs) {
            wakeAt = Math.min(wakeAt, message.notBeforeMs);
            continue;
          }
          if (pause && message.priority > pause.abovePriority) {
            wakeAt = Math.min(wakeAt, pause.untilMs);
            continue;
          }
          if (!message.isLimited) {
            if (!bestUnlimited || isBefore(message, bestUnlimited)) bestUnlimited = message;
            continue;
          }
          const chatReadyAt = chatBucket(laneKey).readyAt(nowMs, chatReserveFor(message));
          if (chatReadyAt > nowMs) {
            wakeAt = Math.min(wakeAt, chatReadyAt);
            continue;
          }
          if (!best || isBefore(message, best)) best = message;
        }
      }
      let chosen = best;
      if (best) {
        const botReadyAt = botLimit.readyAt(nowMs, botReserveFor(best));
        if (botReadyAt > nowMs) {
          wakeAt = Math.min(wakeAt, botReadyAt);
          chosen = undefined;
        }
      }
      // A callback answer goes before a limited message only when it is at least as urgent, or nothing
      // limited may go now.
      if (bestUnlimited && (!chosen || !isBefore(chosen, bestUnlimited))) chosen = bestUnlimited;
      if (!chosen) return Number.isFinite(wakeAt) ? { type: 'wait', untilMs: wakeAt } : { type: 'idle' };
      if (chosen.isLimited) {
        botLimit.take(nowMs, botReserveFor(chosen));
        chatBucket(chosen.lane).take(nowMs, chatReserveFor(chosen));
      }
      flying.add(chosen.key);
      return { type: 'send', message: chosen };
    },

    done(key) {
      const held = byKey.get(key);
      flying.delete(key);
      if (!held) return;
      byKey.delete(key);
      const lane = lanes.get(held.lane);
      if (!lane) return;
      const at = lane.indexOf(held);
      if (at >= 0) lane.splice(at, 1);
      if (lane.length === 0) lanes.delete(held.lane);
    },

    retry(key, input) {
      const held = byKey.get(key);
      flying.delete(key);
      if (!held) return;
      held.notBeforeMs = input.atMs;
      if (!input.isRateLimited) return;
      chatPauses.set(held.lane, Math.max(chatPauses.get(held.lane) ?? 0, input.atMs));
      refusedAt.set(held.lane, input.nowMs);
      for (const [lane, at] of refusedAt) if (at <= input.nowMs - 1000) refusedAt.delete(lane);
      if (refusedAt.size < BOT_LIMIT_CHATS) return;
      pause = pause
        ? {
            abovePriority: Math.min(pause.abovePriority, held.priority),
            untilMs: Math.max(pause.untilMs, input.atMs),
          }
        : { abovePriority: held.priority, untilMs: input.atMs };
    },

    retryNow() {
      for (const held of byKey.values()) held.notBeforeMs = 0;
      pause = undefined;
      chatPauses.clear();
    },

    has: (key) => byKey.has(key),
    size: () => byKey.size,
    inFlight: () => flying.size,
  };
}
