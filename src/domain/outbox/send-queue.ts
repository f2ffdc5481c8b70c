import { PRIORITY, type TPriority } from './kinds.ts';
import { createTokenBucket, createWindowLimit, type TRateLimit } from './rate-limit.ts';

/** One message held for sending, as the queue sees it: no text, only what decides its turn. */
export type TQueuedMessage = {
  /** Unique among held messages. */
  key: string;
  /** The chat it goes to (a pseudonym): its turn and its chat's pace. */
  lane: string;
  /** Order within the lane: the outbox id. */
  seq: number;
  priority: TPriority;
  /**
   * A new message keeps its place in its chat: it waits for every earlier one of the same or higher
   * priority (a more urgent one may go ahead of less urgent ones still waiting), and for any of its chat
   * still on its way. Edits and callback answers change nothing in the chat's order and go whenever they can.
   */
  isOrdered: boolean;
  /** Counts towards Telegram's message limits (messages and edits do; callback answers do not). */
  isLimited: boolean;
  /** The key of the message this one edits: while that one is held, this waits for it. */
  waitsFor?: string;
};

export type TSendLimits = {
  /** Messages a second across all chats (Telegram: about 30); 0 = no limit. */
  perSecond: number;
  /** Messages a second into one chat, sustained (Telegram: about 1); 0 = no limit. */
  perChatPerSecond: number;
  /** How many messages one chat may get at once before its pace applies. */
  chatBurst: number;
};

export type TNext =
  | { type: 'send'; message: TQueuedMessage }
  /** Nothing may go now; something may at `untilMs`. */
  | { type: 'wait'; untilMs: number }
  | { type: 'idle' };

export type TSendQueue = {
  add(message: TQueuedMessage): void;
  /** The message to send now, marked in flight; or when to ask again. */
  next(nowMs: number): TNext;
  /** Sent, or given up: it leaves the queue and what waited behind it may go. */
  done(key: string): void;
  /**
   * It failed and is tried again at `atMs`, keeping its place. `isRateLimited` (Telegram said 429): its chat
   * waits until then; and when several chats are refused at once (the bot's own limit, not a chat's), every
   * less urgent message waits too, so the crisis messages get the capacity there is.
   */
  retry(key: string, input: { atMs: number; isRateLimited: boolean; nowMs: number }): void;
  /** Everything waiting for a retry or a limit may go at once (a last try before stopping; tests). */
  retryNow(): void;
  /** Whether a message with this key is held (queued or in flight). */
  has(key: string): boolean;
  /** Held messages (queued and in flight). */
  size(): number;
  inFlight(): number;
};

type THeld = TQueuedMessage & { notBeforeMs: number; isFlying: boolean };

/**
 * A chat's held messages in their order, with the counts that let `next` pass over a chat that must wait, and
 * what it last found the chat offers. That holds until the chat's messages change (`isStale`) or the time
 * passes its `wakeAtMs` (when a retry, a pause or the chat's pace lets something else go).
 */
type TLane = {
  messages: THeld[];
  flyingOrdered: number;
  unordered: number;
  isStale: boolean;
  /** The chat's most urgent message that may go now, among those Telegram's limits count, if any. */
  offer: THeld | undefined;
  /** The same among those they do not (callback answers). */
  offerUnlimited: THeld | undefined;
  /** When something of the chat may go that cannot now. */
  wakeAtMs: number;
};

/** 429s from this many chats within a second mean the bot as a whole is over Telegram's limit. */
export const BOT_LIMIT_CHATS = 3;
/**
 * The bot's pace is kept over a window a little longer than Telegram's second: what leaves here evenly can
 * reach Telegram bunched up, and a message over the limit is refused, not queued.
 */
export const BOT_WINDOW_MS = 1100;
/**
 * Held back for crisis messages: a tenth of the bot's window, and two of a chat's burst. Routine traffic
 * never uses them, so emergency numbers and pages of an imminent case find room however busy the bot is.
 */
export const BOT_CRISIS_SHARE = 0.1;
export const CHAT_CRISIS_RESERVE = 2;
export const CHAT_PACE_MARGIN = 0.9;

/**
 * The order in which held messages go to Telegram — pure, time passed in. The most urgent first (priority,
 * then age); a chat's new messages in their order, except that a more urgent one never waits behind a less
 * urgent one; within Telegram's limits — at most so many a second for the bot (a sliding window), and a
 * pace with a short burst for each chat (a token bucket), with a share of each held back for crisis
 * messages — so nothing is sent only to be refused; and after a 429, its chat (and, when many chats are
 * refused at once, every less urgent message) waits out the `retry_after`.
 *
 * @example
 * const queue = createSendQueue({ perSecond: 30, perChatPerSecond: 1, chatBurst: 10 });
 * queue.add({ key: 'o:7', lane, seq: 7, priority: 0, isOrdered: true, isLimited: true });
 * const next = queue.next(Date.now()); // { type: 'send', message } — send it, then queue.done('o:7')
 */
export function createSendQueue(limits: TSendLimits): TSendQueue {
  const lanes = new Map<string, TLane>();
  const byKey = new Map<string, THeld>();
  /** The edits held for each message key they wait for: that message coming or going changes their chats. */
  const waitingFor = new Map<string, Set<THeld>>();
  let flying = 0;
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
  const markStale = (laneKey: string) => {
    const lane = lanes.get(laneKey);
    if (lane) lane.isStale = true;
  };
  const markWaitersStale = (key: string) => {
    for (const waiter of waitingFor.get(key) ?? []) markStale(waiter.lane);
  };
  const markAllStale = () => {
    for (const lane of lanes.values()) lane.isStale = true;
  };
  const setFlying = (held: THeld, isFlying: boolean) => {
    if (held.isFlying === isFlying) return;
    held.isFlying = isFlying;
    flying += isFlying ? 1 : -1;
    const lane = lanes.get(held.lane);
    if (!lane) return;
    lane.isStale = true;
    if (held.isOrdered) lane.flyingOrdered += isFlying ? 1 : -1;
  };
  /** What `lane` offers at `nowMs`: its most urgent message of each kind that may go, and when that may change. */
  const look = (laneKey: string, lane: TLane, nowMs: number) => {
    // One new message of a chat on its way at a time: two at once may arrive in either order.
    const isChatBusy = lane.flyingOrdered > 0;
    let offer: THeld | undefined;
    let offerUnlimited: THeld | undefined;
    let wakeAtMs = Number.POSITIVE_INFINITY;
    let bucket: TRateLimit | undefined;
    let mostUrgentEarlier = Number.POSITIVE_INFINITY;
    for (const message of lane.messages) {
      const isBehind = message.isOrdered && (isChatBusy || message.priority >= mostUrgentEarlier);
      if (message.isOrdered) mostUrgentEarlier = Math.min(mostUrgentEarlier, message.priority);
      if (isBehind || message.isFlying) continue;
      if (message.waitsFor !== undefined && byKey.has(message.waitsFor)) continue;
      if (message.notBeforeMs > nowMs) {
        wakeAtMs = Math.min(wakeAtMs, message.notBeforeMs);
        continue;
      }
      if (pause && message.priority > pause.abovePriority) {
        wakeAtMs = Math.min(wakeAtMs, pause.untilMs);
        continue;
      }
      if (!message.isLimited) {
        if (!offerUnlimited || isBefore(message, offerUnlimited)) offerUnlimited = message;
        continue;
      }
      bucket ??= chatBucket(laneKey);
      const chatReadyAt = bucket.readyAt(nowMs, chatReserveFor(message));
      if (chatReadyAt > nowMs) {
        wakeAtMs = Math.min(wakeAtMs, chatReadyAt);
        continue;
      }
      if (!offer || isBefore(message, offer)) offer = message;
    }
    lane.offer = offer;
    lane.offerUnlimited = offerUnlimited;
    lane.wakeAtMs = wakeAtMs;
    lane.isStale = false;
  };

  return {
    add(message) {
      const held: THeld = { ...message, notBeforeMs: 0, isFlying: false };
      byKey.set(held.key, held);
      markWaitersStale(held.key);
      if (held.waitsFor !== undefined) {
        let waiters = waitingFor.get(held.waitsFor);
        if (!waiters) {
          waiters = new Set();
          waitingFor.set(held.waitsFor, waiters);
        }
        waiters.add(held);
      }
      let lane = lanes.get(held.lane);
      if (!lane) {
        lane = {
          messages: [],
          flyingOrdered: 0,
          unordered: 0,
          isStale: true,
          offer: undefined,
          offerUnlimited: undefined,
          wakeAtMs: Number.POSITIVE_INFINITY,
        };
        lanes.set(held.lane, lane);
      }
      lane.isStale = true;
      if (!held.isOrdered) lane.unordered += 1;
      const { messages } = lane;
      let at = messages.length;
      while (at > 0 && (messages[at - 1]?.seq ?? 0) > held.seq) at -= 1;
      messages.splice(at, 0, held);
    },

    next(nowMs) {
      calls += 1;
      if (calls % 1000 === 0) forgetFullBuckets(nowMs);
      if (pause && pause.untilMs <= nowMs) {
        pause = undefined;
        markAllStale();
      }
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
        const isChatBusy = lane.flyingOrdered > 0;
        // Then only its edits and callback answers may go: with none, the chat has nothing to offer.
        if (isChatBusy && lane.unordered === 0) continue;
        // What the chat offers changes only with its messages, or once the time passes its wake-up: a busy night
        // holds hundreds of messages, and the sender asks after every Bot API call.
        if (lane.isStale || lane.wakeAtMs <= nowMs) look(laneKey, lane, nowMs);
        wakeAt = Math.min(wakeAt, lane.wakeAtMs);
        const { offer, offerUnlimited } = lane;
        if (offerUnlimited && (!bestUnlimited || isBefore(offerUnlimited, bestUnlimited))) {
          bestUnlimited = offerUnlimited;
        }
        if (offer && (!best || isBefore(offer, best))) best = offer;
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
      setFlying(chosen, true);
      return { type: 'send', message: chosen };
    },

    done(key) {
      const held = byKey.get(key);
      if (!held) return;
      setFlying(held, false);
      byKey.delete(key);
      markWaitersStale(key);
      if (held.waitsFor !== undefined) {
        const waiters = waitingFor.get(held.waitsFor);
        waiters?.delete(held);
        if (waiters?.size === 0) waitingFor.delete(held.waitsFor);
      }
      const lane = lanes.get(held.lane);
      if (!lane) return;
      const at = lane.messages.indexOf(held);
      lane.isStale = true;
      if (at >= 0) {
        lane.messages.splice(at, 1);
        if (!held.isOrdered) lane.unordered -= 1;
      }
      if (lane.messages.length === 0) lanes.delete(held.lane);
    },

    retry(key, input) {
      const held = byKey.get(key);
      if (!held) return;
      setFlying(held, false);
      held.notBeforeMs = input.atMs;
      markStale(held.lane);
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
      markAllStale();
    },

    retryNow() {
      for (const held of byKey.values()) held.notBeforeMs = 0;
      pause = undefined;
      chatPauses.clear();
      markAllStale();
    },

    has: (key) => byKey.has(key),
    size: () => byKey.size,
    inFlight: () => flying,
  };
}
