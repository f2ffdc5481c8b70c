import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update, UserFromGetMe } from 'grammy/types';

/** A token of the right shape; the fake accepts any. */
export const FAKE_BOT_TOKEN = '4242000:TEST-token_abcdefghijklmnopqrstu';

export const FAKE_BOT_INFO: UserFromGetMe = {
  id: 4_242_000,
  is_bot: true,
  first_name: 'Bridgeline',
  username: 'bridgeline_test_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

export type TApiCall = { method: string; payload: Record<string, unknown>; result?: unknown };

type TApiFailure = { error_code: number; description: string; parameters?: { retry_after?: number } };

/**
 * A stand-in for Telegram's Bot API at the HTTP level. Every call is recorded, including those made inside
 * conversations, and answered the way Telegram would (a `Message` with a fresh `message_id`, …), after
 * `latencyMs` when given (a round trip to Telegram).
 * Use `fetch` for in-process tests, or `listen()` for a real server that `TELEGRAM_API_ROOT` can point at.
 */
export function createFakeBotApi(
  options: {
    botInfo?: UserFromGetMe;
    latencyMs?: number;
    /** Telegram's limit, emulated: past this many messages in a second, 429 with `retry_after`. */
    messagesPerSecond?: number;
  } = {},
) {
  const botInfo = options.botInfo ?? FAKE_BOT_INFO;
  const calls: TApiCall[] = [];
  /** Per method, what its next calls do: fail, or (undefined) succeed. */
  const failures = new Map<string, Array<TApiFailure | undefined>>();
  /** Per method and chat (`method:chatId`), the failures of its next calls to that chat. */
  const chatFailures = new Map<string, Array<TApiFailure | undefined>>();
  const pendingUpdates: Update[] = [];
  /** Updates a `getUpdates` offset has passed: Telegram forgets them, and will not send them again. */
  const confirmedUpdates: Array<{ updateId: number; at: number }> = [];
  /** Chats whose person blocked the bot: Telegram answers 403 to anything sent there. */
  const blockedChats = new Set<number>();
  /** When recent messages were accepted, for the emulated limit. */
  const acceptedAt: number[] = [];

  function isOverLimit(method: string): boolean {
    const limit = options.messagesPerSecond;
    if (limit === undefined || !['sendMessage', 'editMessageText', 'editMessageReplyMarkup'].includes(method))
      return false;
    const now = Date.now();
    while (acceptedAt.length > 0 && (acceptedAt[0] ?? 0) <= now - 1000) acceptedAt.shift();
    if (acceptedAt.length >= limit) return true;
    acceptedAt.push(now);
    return false;
  }
  let nextMessageId = 1;
  let wakePoller: (() => void) | undefined;

  function message(payload: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const chatId = payload.chat_id;
    return {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: typeof chatId === 'number' && chatId < 0 ? 'group' : 'private' },
      from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
      ...extra,
    };
  }

  async function answer(method: string, payload: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return botInfo;
      case 'sendMessage':
        return message(payload, { text: payload.text, reply_markup: payload.reply_markup });
      case 'editMessageText':
        return message(payload, { message_id: payload.message_id, text: payload.text, edit_date: 1 });
      case 'editMessageReplyMarkup':
        return message(payload, { message_id: payload.message_id, reply_markup: payload.reply_markup });
      case 'getUpdates':
        return takeUpdates(
          Number(payload.offset ?? 0),
          Number(payload.timeout ?? 0),
          Number(payload.limit ?? 100),
        );
      default:
        // setWebhook, deleteWebhook, setMyCommands, answerCallbackQuery, sendChatAction, deleteMessage, …
        return true;
    }
  }

  /** As Telegram does: an update is kept, and fetched again, until an offset passes it; at most `limit`. */
  async function takeUpdates(offset: number, timeoutSeconds: number, limit: number): Promise<Update[]> {
    while (pendingUpdates.length > 0 && (pendingUpdates[0]?.update_id ?? 0) < offset) {
      const confirmed = pendingUpdates.shift();
      if (confirmed) confirmedUpdates.push({ updateId: confirmed.update_id, at: Date.now() });
    }
    if (pendingUpdates.length === 0 && timeoutSeconds > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(timeoutSeconds, 1) * 1000);
        wakePoller = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakePoller = undefined;
    }
    return pendingUpdates.slice(0, Math.max(1, Math.min(limit, 100)));
  }

  async function respond(
    method: string,
    payload: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    const call: TApiCall = { method, payload };
    calls.push(call);
    // A real round trip: the call is seen at once, its answer comes later.
    if (options.latencyMs && method !== 'getMe' && method !== 'getUpdates')
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const inChat =
      typeof payload.chat_id === 'number' ? chatFailures.get(`${method}:${payload.chat_id}`) : undefined;
    const failure = inChat && inChat.length > 0 ? inChat.shift() : failures.get(method)?.shift();
    if (failure) return { status: failure.error_code, body: { ok: false, ...failure } };
    if (isOverLimit(method)) {
      const limited = {
        error_code: 429,
        description: 'Too Many Requests: retry after 1',
        parameters: { retry_after: 1 },
      };
      return { status: 429, body: { ok: false, ...limited } };
    }
    if (typeof payload.chat_id === 'number' && blockedChats.has(payload.chat_id)) {
      const blocked = { error_code: 403, description: 'Forbidden: bot was blocked by the user' };
      return { status: 403, body: { ok: false, ...blocked } };
    }
    call.result = await answer(method, payload);
    return { status: 200, body: { ok: true, result: call.result } };
  }

  const fakeFetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = url.pathname.split('/').pop() ?? '';
    const text = typeof init?.body === 'string' ? init.body : '';
    const { status, body } = await respond(method, text ? (JSON.parse(text) as Record<string, unknown>) : {});
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };

  return {
    botInfo,
    calls,
    fetch: fakeFetch,
    /** The calls of one method, in order. */
    callsOf(method: string): TApiCall[] {
      return calls.filter((call) => call.method === method);
    },
    /** The texts the bot sent to one chat, in order. */
    textsTo(chatId: number): string[] {
      return calls
        .filter((call) => call.method === 'sendMessage' && call.payload.chat_id === chatId)
        .map((call) => String(call.payload.text));
    },
    /** The last message sent to a chat that carried an inline keyboard: its id and its buttons' data. */
    lastKeyboard(
      chatId: number,
    ): { messageId: number; buttons: Array<{ text: string; data: string }> } | undefined {
      const call = calls.findLast(
        (c) =>
          c.method === 'sendMessage' && c.payload.chat_id === chatId && c.payload.reply_markup !== undefined,
      );
      if (!call) return undefined;
      const markup = call.payload.reply_markup as {
        inline_keyboard: Array<Array<{ text: string; callback_data: string }>>;
      };
      return {
        messageId: (call.result as { message_id: number }).message_id,
        buttons: markup.inline_keyboard.flat().map((b) => ({ text: b.text, data: b.callback_data })),
      };
    },
    /** The buttons' data of a message the bot sent, by its id (undefined: no such message, or no buttons). */
    keyboardOf(messageId: number): string[] | undefined {
      const call = calls.find(
        (c) =>
          c.method === 'sendMessage' &&
          (c.result as { message_id?: number } | undefined)?.message_id === messageId,
      );
      const markup = call?.payload.reply_markup as
        | { inline_keyboard: Array<Array<{ callback_data: string }>> }
        | undefined;
      return markup?.inline_keyboard.flat().map((button) => button.callback_data);
    },
    /**
     * Make the next call of `method` fail the way Telegram does (e.g. 403 blocked, 429 with retry_after);
     * with `after`, that many calls succeed first.
     */
    failNext(method: string, failure: TApiFailure, options: { after?: number; chatId?: number } = {}): void {
      const succeeding = Array.from({ length: options.after ?? 0 }, () => undefined);
      if (options.chatId !== undefined) {
        const key = `${method}:${options.chatId}`;
        chatFailures.set(key, [...(chatFailures.get(key) ?? []), ...succeeding, failure]);
        return;
      }
      failures.set(method, [...(failures.get(method) ?? []), ...succeeding, failure]);
    },
    /** The person behind `chatId` blocks the bot (true) or unblocks it (false). */
    setBlocked(chatId: number, isBlocked: boolean): void {
      if (isBlocked) blockedChats.add(chatId);
      else blockedChats.delete(chatId);
    },
    confirmedUpdates,
    /** Offer an update to a long-polling bot. */
    queueUpdate(update: Update): void {
      pendingUpdates.push(update);
      wakePoller?.();
    },
    reset(): void {
      calls.length = 0;
      failures.clear();
      chatFailures.clear();
      blockedChats.clear();
    },
    /** Serve the same fake on loopback, for a bot in another process (`TELEGRAM_API_ROOT`). */
    async listen(): Promise<{ url: string; close: () => Promise<void> }> {
      const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const method = (req.url ?? '').split('?')[0]?.split('/').pop() ?? '';
          const text = Buffer.concat(chunks).toString('utf8');
          const payload = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          void respond(method, payload).then(({ status, body }) => {
            res.writeHead(status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(body));
          });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve) => {
            wakePoller?.();
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
  };
}

export type TFakeBotApi = ReturnType<typeof createFakeBotApi>;
