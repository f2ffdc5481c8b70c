/**
 * Updates shaped as Telegram delivers them (the same shapes `test/helpers/updates.ts` uses), with
 * increasing `update_id`s: long polling confirms updates by id, so one factory numbers a whole bench run.
 */
import type { Update } from 'grammy/types';

/** A Telegram user writing to the bot in a private chat (the chat id is the user id). */
export type TTelegramUser = { id: number; languageCode: string; firstName: string };

/** The message a pressed button sits on, as the callback query carries it. */
export type TPressedMessage = { messageId: number; date: number; text: string };

/**
 * @example
 * const updates = createUpdateFactory();
 * const start = updates.text(user, '/start');
 */
export function createUpdateFactory(firstUpdateId = 100_000) {
  let nextUpdateId = firstUpdateId;
  let nextMessageId = 1;

  function from(user: TTelegramUser) {
    return { id: user.id, is_bot: false, first_name: user.firstName, language_code: user.languageCode };
  }

  function chat(user: TTelegramUser) {
    return { id: user.id, type: 'private' as const, first_name: user.firstName };
  }

  return {
    /** A private text message; a leading command carries its `bot_command` entity. */
    text(user: TTelegramUser, text: string): Update {
      const updateId = nextUpdateId++;
      const command = /^\/\w+/.exec(text);
      return {
        update_id: updateId,
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: chat(user),
          from: from(user),
          text,
          ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
        },
      } as Update;
    },
    /** A press of the button `data` on the bot's message `pressed`. */
    press(user: TTelegramUser, data: string, pressed: TPressedMessage): Update {
      const updateId = nextUpdateId++;
      return {
        update_id: updateId,
        callback_query: {
          id: `${user.id}-${updateId}`,
          from: from(user),
          chat_instance: `ci-${user.id}`,
          data,
          message: {
            message_id: pressed.messageId,
            date: pressed.date,
            chat: chat(user),
            from: { id: 4_242_000, is_bot: true, first_name: 'Bridgeline' },
            text: pressed.text,
          },
        },
      } as Update;
    },
  };
}

export type TUpdateFactory = ReturnType<typeof createUpdateFactory>;
