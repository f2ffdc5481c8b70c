/**
 * A fake Telegram Bot API on a real loopback socket, for bots in another process (`TELEGRAM_API_ROOT`).
 *
 * Unlike `test/helpers/fake-bot-api.ts`, which answers at once, this one behaves like Telegram seen from a
 * server far away: a call is taken ("accepted": counted against the limits, and seen by the user in the
 * chat) half a round trip after it left the bot, and answered a whole round trip after; long polling holds
 * a getUpdates until an update comes; and (optionally) Telegram's send limits are enforced with 429 and
 * `retry_after`. Every call is recorded with its times, so the bench can time what a resident would see.
 * Answers are Telegram's shapes: a Message with a fresh message_id for sendMessage (and the edited Message
 * for edits), the bot user for getMe, `true` for everything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Update } from 'grammy/types';

/** What the fake enforces when it emulates Telegram's limits. */
export type TRateLimit = {
  /** Messages per second across the bot (Telegram: about 30). */
  perSecond: number;
  /** Sustained messages per second into one chat (Telegram: about 1). */
  perChatPerSecond: number;
  /** How many messages one chat may take at once before the sustained pace applies. */
  perChatBurst: number;
};

export type TFakeTelegramOptions = {
  /** The network round trip between the bot and Telegram, in ms: every answer is delayed by it. */
  rttMs: number;
  rateLimit?: TRateLimit | undefined;
  /** Keep the text of every message sent (needed to find messages sent twice). Default true. */
  keepTexts?: boolean;
};

export type TButton = { text: string; data: string };

/** One Bot API call as the fake saw it. Times are `performance.now()` milliseconds. */
export type TCallRecord = {
  method: string;
  chatId: number | undefined;
  arrivedAt: number;
  /** When Telegram "has" the call (half a round trip after `arrivedAt`): limits and chats see it then. */
  acceptedAt: number;
  /** When the answer was written; undefined while the call waits (a long poll, the round trip). */
  respondedAt: number | undefined;
  isOk: boolean;
  errorCode?: number;
  /** sendMessage: the message id the fake gave it. Edits: the message edited. */
  messageId?: number;
  text?: string;
  /** The callback data and labels of an inline keyboard sent with the message. */
  buttons?: TButton[];
};

/** A message the bot got Telegram to accept into a chat, as a user there would see it arrive. */
export type TChatMessage = {
  method: 'sendMessage' | 'editMessageText' | 'editMessageReplyMarkup';
  chatId: number;
  messageId: number;
  /** Unix seconds, as Telegram stamps messages. */
  date: number;
  text: string;
  buttons: TButton[];
  /** `performance.now()` when the fake accepted it (the call's `acceptedAt`). */
  at: number;
};

/** Methods that count against Telegram's message limits. */
const LIMITED_METHODS = new Set(['sendMessage', 'editMessageText', 'editMessageReplyMarkup']);

export const FAKE_BOT_USER = {
  id: 4_242_000,
  is_bot: true,
  first_name: 'Bridgeline Bench',
  username: 'bridgeline_bench_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as const;

type TPoll = { offset: number; limit: number; respond: (updates: Update[]) => void; timer: NodeJS.Timeout };

/**
 * Starts the fake on 127.0.0.1 (a free port). URLs are `/bot<token>/<method>`; any token is accepted.
 *
 * @example
 * const fake = await startFakeTelegram({ rttMs: 100 });
 * // child env: TELEGRAM_API_ROOT=fake.url
 * fake.onChatMessage(700000001, (message) => console.log(message.text));
 * await fake.close();
 */
export async function startFakeTelegram(options: TFakeTelegramOptions) {
  const rttMs = options.rttMs;
  const keepTexts = options.keepTexts ?? true;
  const limiter = options.rateLimit ? createLimiter(options.rateLimit) : undefined;
  const calls: TCallRecord[] = [];
  const listeners = new Set<(call: TCallRecord) => void>();
  const chatListeners = new Map<number, (message: TChatMessage) => void>();
  const pendingUpdates: Update[] = [];
  let waitingPoll: TPoll | undefined;
  let nextMessageId = 1;
  let webhook: Record<string, unknown> | undefined;
  let rateLimited = 0;
  const openResponses = new Set<ServerResponse>();

  function answerLater(
    res: ServerResponse,
    record: TCallRecord,
    status: number,
    body: unknown,
    delayMs: number,
  ) {
    const send = () => {
      openResponses.delete(res);
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      record.respondedAt = performance.now();
    };
    openResponses.add(res);
    later(delayMs, send);
  }

  /** The call reached the socket: Telegram sees it half a round trip later, and answers after the other half. */
  function handle(method: string, payload: Record<string, unknown>, res: ServerResponse, arrivedAt: number) {
    const chatId = payload.chat_id === undefined ? undefined : Number(payload.chat_id);
    const record: TCallRecord = {
      method,
      chatId,
      arrivedAt,
      acceptedAt: arrivedAt,
      respondedAt: undefined,
      isOk: true,
    };
    calls.push(record);
    openResponses.add(res);
    later(rttMs / 2, () => accept(method, payload, res, record));
  }

  function accept(
    method: string,
    payload: Record<string, unknown>,
    res: ServerResponse,
    record: TCallRecord,
  ) {
    record.acceptedAt = performance.now();
    if (limiter && LIMITED_METHODS.has(method)) {
      const retryAfter = limiter.take(record.chatId, record.acceptedAt);
      if (retryAfter !== undefined) {
        rateLimited++;
        record.isOk = false;
        record.errorCode = 429;
        for (const listener of listeners) listener(record);
        answerLater(
          res,
          record,
          429,
          {
            ok: false,
            error_code: 429,
            description: `Too Many Requests: retry after ${retryAfter}`,
            parameters: { retry_after: retryAfter },
          },
          rttMs / 2,
        );
        return;
      }
    }

    if (method === 'getUpdates') {
      for (const listener of listeners) listener(record);
      takeUpdates(payload, (updates) =>
        answerLater(res, record, 200, { ok: true, result: updates }, rttMs / 2),
      );
      return;
    }

    const result = resultOf(method, payload, record);
    for (const listener of listeners) listener(record);
    answerLater(res, record, 200, { ok: true, result }, rttMs / 2);
  }

  function resultOf(method: string, payload: Record<string, unknown>, record: TCallRecord): unknown {
    switch (method) {
      case 'getMe':
        return FAKE_BOT_USER;
      case 'setWebhook':
        webhook = payload;
        return true;
      case 'sendMessage': {
        const messageId = nextMessageId++;
        const message = messageOf(payload, messageId);
        record.messageId = messageId;
        noteMessage('sendMessage', record, message, payload);
        return message;
      }
      case 'editMessageText':
      case 'editMessageReplyMarkup': {
        const messageId = Number(payload.message_id);
        record.messageId = messageId;
        const message = { ...messageOf(payload, messageId), edit_date: Math.floor(Date.now() / 1000) };
        noteMessage(method, record, message, payload);
        return message;
      }
      default:
        // answerCallbackQuery, setMyCommands, deleteWebhook, setMessageReaction, sendChatAction, …
        return true;
    }
  }

  function messageOf(payload: Record<string, unknown>, messageId: number) {
    const chatId = Number(payload.chat_id);
    return {
      message_id: messageId,
      from: { id: FAKE_BOT_USER.id, is_bot: true, first_name: FAKE_BOT_USER.first_name },
      chat: { id: chatId, type: 'private', first_name: 'Resident' },
      date: Math.floor(Date.now() / 1000),
      ...(typeof payload.text === 'string' ? { text: payload.text } : {}),
      ...(payload.reply_markup ? { reply_markup: payload.reply_markup } : {}),
    };
  }

  function noteMessage(
    method: TChatMessage['method'],
    record: TCallRecord,
    message: { message_id: number; date: number },
    payload: Record<string, unknown>,
  ) {
    const text = typeof payload.text === 'string' ? payload.text : '';
    const buttons = buttonsOf(payload.reply_markup);
    if (keepTexts) record.text = text;
    if (buttons.length > 0) record.buttons = buttons;
    const chatId = record.chatId;
    if (chatId === undefined) return;
    chatListeners.get(chatId)?.({
      method,
      chatId,
      messageId: message.message_id,
      date: message.date,
      text,
      buttons,
      at: record.acceptedAt,
    });
  }

  /** Telegram has the poll now: answer with what is queued, or hold it until an update comes or it times out. */
  function takeUpdates(payload: Record<string, unknown>, respond: (updates: Update[]) => void) {
    const offset = Number(payload.offset ?? 0);
    const limit = Math.min(Math.max(Number(payload.limit ?? 100), 1), 100);
    const timeoutSeconds = Number(payload.timeout ?? 0);
    dropConfirmed(offset);
    // A newer poll replaces an older one (Telegram answers the older with a conflict; empty is enough here).
    if (waitingPoll) {
      clearTimeout(waitingPoll.timer);
      waitingPoll.respond([]);
      waitingPoll = undefined;
    }
    if (pendingUpdates.length > 0 || timeoutSeconds <= 0) {
      respond(pendingUpdates.slice(0, limit));
      return;
    }
    const poll: TPoll = {
      offset,
      limit,
      respond,
      timer: setTimeout(() => {
        if (waitingPoll === poll) waitingPoll = undefined;
        respond([]);
      }, timeoutSeconds * 1000),
    };
    waitingPoll = poll;
  }

  function dropConfirmed(offset: number) {
    let confirmed = 0;
    while (confirmed < pendingUpdates.length && (pendingUpdates[confirmed]?.update_id ?? 0) < offset) {
      confirmed++;
    }
    if (confirmed > 0) pendingUpdates.splice(0, confirmed);
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const match = /^\/bot[^/]+\/([A-Za-z]+)$/.exec(path);
      if (!match?.[1]) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let payload: Record<string, unknown> = {};
      try {
        payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: body is not JSON' }));
        return;
      }
      handle(match[1], payload, res, arrivedAt);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    rttMs,
    calls,
    /** The last `setWebhook` payload (url, secret_token, max_connections, …), if any. */
    webhook: () => webhook,
    /** How many limited calls were answered 429. */
    rateLimitedCount: () => rateLimited,
    /** Called for every call the fake answers (429s included) as it arrives. */
    onCall(listener: (call: TCallRecord) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Called when a message is accepted into `chatId` (sent or edited). One listener per chat. */
    onChatMessage(chatId: number, listener: (message: TChatMessage) => void): void {
      chatListeners.set(chatId, listener);
    },
    offChatMessage(chatId: number): void {
      chatListeners.delete(chatId);
    },
    /** Offers an update to a long-polling bot: a waiting poll gets it half a round trip later. */
    queueUpdate(update: Update): void {
      pendingUpdates.push(update);
      const poll = waitingPoll;
      if (!poll) return;
      waitingPoll = undefined;
      clearTimeout(poll.timer);
      // The poll was waiting at Telegram: it answers at once, and the answer takes half a round trip.
      dropConfirmed(poll.offset);
      poll.respond(pendingUpdates.slice(0, poll.limit));
    },
    /** Updates queued and not yet confirmed by a later `offset`. */
    pendingUpdateCount: () => pendingUpdates.length,
    async close(): Promise<void> {
      if (waitingPoll) clearTimeout(waitingPoll.timer);
      waitingPoll = undefined;
      for (const res of openResponses) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TFakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;

/** Runs `task` after `delayMs`, or at once for no delay (a zero round trip adds no timer hop). */
function later(delayMs: number, task: () => void): void {
  if (delayMs <= 0) task();
  else setTimeout(task, delayMs);
}

function buttonsOf(markup: unknown): TButton[] {
  const rows = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  if (!Array.isArray(rows)) return [];
  const buttons: TButton[] = [];
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (const button of row as Array<{ text?: unknown; callback_data?: unknown }>) {
      if (typeof button.callback_data === 'string') {
        buttons.push({ text: String(button.text ?? ''), data: button.callback_data });
      }
    }
  }
  return buttons;
}

/**
 * Telegram's limits as the fake enforces them: a one-second sliding window across the bot, and a token
 * bucket per chat (a burst, then the sustained pace). Returns undefined when the message may pass (and
 * counts it), else the whole seconds until it could (at least 1), as `retry_after` says.
 */
function createLimiter(limit: TRateLimit) {
  const window: number[] = [];
  const buckets = new Map<number, { tokens: number; at: number }>();
  return {
    take(chatId: number | undefined, now: number): number | undefined {
      while (window.length > 0 && (window[0] as number) <= now - 1000) window.shift();
      let waitMs = 0;
      if (window.length >= limit.perSecond) waitMs = (window[0] as number) + 1000 - now;
      let bucket: { tokens: number; at: number } | undefined;
      if (chatId !== undefined) {
        bucket = buckets.get(chatId) ?? { tokens: limit.perChatBurst, at: now };
        bucket.tokens = Math.min(
          limit.perChatBurst,
          bucket.tokens + ((now - bucket.at) / 1000) * limit.perChatPerSecond,
        );
        bucket.at = now;
        buckets.set(chatId, bucket);
        if (bucket.tokens < 1) {
          waitMs = Math.max(waitMs, ((1 - bucket.tokens) / limit.perChatPerSecond) * 1000);
        }
      }
      if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
      window.push(now);
      if (bucket) bucket.tokens -= 1;
      return undefined;
    },
  };
}
