import { z } from 'zod';

/**
 * The parts of a Telegram update the bot relies on, as Telegram sends them. Anything else an update carries
 * passes through unchecked (loose objects); a part the bot reads that has another shape (a sender id that is
 * not a safe integer, entities that are not a list, text that is not a string…) makes the update one Telegram
 * never sends: it is refused before any handler sees it.
 */

/** Telegram's ids fit in 52 bits; chat ids of groups are negative. */
const ZChatId = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const ZUserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const ZMessageId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const ZUser = z.looseObject({
  id: ZUserId,
  is_bot: z.boolean(),
  first_name: z.string().max(1024),
  last_name: z.string().max(1024).optional(),
  username: z.string().max(256).optional(),
  language_code: z.string().max(35).optional(),
});

const ZChat = z.looseObject({
  id: ZChatId,
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
});

const ZEntity = z.looseObject({
  type: z.string().max(64),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

/** Telegram's limits: 4,096 characters of text, 1,024 of caption; room is left for what it counts differently. */
const ZMessageFields = {
  message_id: ZMessageId,
  date: z.number().int().nonnegative(),
  chat: ZChat,
  from: ZUser.optional(),
  text: z.string().max(16_384).optional(),
  caption: z.string().max(16_384).optional(),
  entities: z.array(ZEntity).max(1000).optional(),
  caption_entities: z.array(ZEntity).max(1000).optional(),
};

const ZMessage = z.looseObject({
  ...ZMessageFields,
  reply_to_message: z.looseObject(ZMessageFields).optional(),
});

const ZCallbackQuery = z.looseObject({
  id: z.string().max(256),
  from: ZUser,
  /** Telegram allows 64 bytes of callback data. */
  data: z.string().max(256).optional(),
  message: z.looseObject({ message_id: ZMessageId, chat: ZChat }).optional(),
});

const ZChatMemberUpdated = z.looseObject({ chat: ZChat, from: ZUser, date: z.number().int() });

/** Any other kind of content: grammY still reads its sender and chat, so those must be well formed too. */
const ZOtherContent = z.looseObject({ from: ZUser.optional(), chat: ZChat.optional() });

/** An update as the bot reads it: its id, and the kinds of content it handles, each well formed. */
export const ZTelegramUpdate = z
  .object({
    update_id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    message: ZMessage.optional(),
    edited_message: ZMessage.optional(),
    callback_query: ZCallbackQuery.optional(),
    my_chat_member: ZChatMemberUpdated.optional(),
  })
  .catchall(ZOtherContent);

/**
 * Whether an update has the shape Telegram sends, and if not, where it first differs (for the 400's message:
 * a path, never the values).
 *
 * @example checkUpdateShape({ update_id: 1, message: { text: 0 } }) // { ok: false, where: 'message.message_id' }
 */
export function checkUpdateShape(body: unknown): { ok: true } | { ok: false; where: string } {
  const parsed = ZTelegramUpdate.safeParse(body);
  if (parsed.success) return { ok: true };
  const [issue] = parsed.error.issues;
  return { ok: false, where: issue?.path.join('.') || '(the update)' };
}
