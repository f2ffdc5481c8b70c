import type { Context, InlineKeyboard } from 'grammy';
import { enqueueOutbox, type TButton, type TOutboxDeps } from '../services/outbox.ts';

/**
 * What a feature says in reply to the update it handles. Nothing is sent while the update's transaction is
 * open: each call stages an outbox message, written with the update's changes and sent once they commit —
 * decide, commit, then speak. (grammY's `ctx.reply` and friends would call Telegram at once; the bot's HTTP
 * client refuses that inside a transaction.)
 */
export type TReplies = {
  /** A new message in this chat. `kind`: how urgent it is (default `reply`, a routine answer). */
  reply(text: string, options?: TReplyOptions): Promise<void>;
  /** Answers the button press being handled (stops its spinner), with a short toast or an alert. */
  answerCallback(options?: { text?: string; isAlert?: boolean }): Promise<void>;
  /** Removes the buttons of the message whose button was pressed (and, with `text`, rewrites it). */
  closeKeyboard(options?: { text?: string }): Promise<void>;
  /** Rewrites a message the bot sent before in this chat, without buttons. */
  editMessage(input: { chatId: number; messageId: number; text: string }): Promise<void>;
  /** Marks the sender's own message as taken (a reaction). */
  acknowledge(): Promise<void>;
};

export type TReplyOptions = {
  keyboard?: InlineKeyboard | TButton[][];
  kind?: 'reply' | 'staff-reply' | 'crisis-notice' | 'resident-notice';
  /**
   * The case the message belongs to: to a resident, it then goes only while the case stands; to a worker,
   * it is blanked when the case's resident is erased.
   */
  caseId?: number;
  /** The worker it goes to, for a message of a case in a worker's chat (the blank is in their language). */
  workerId?: number;
  /** A screening question: the screening records which message carries its keyboard. */
  screeningId?: string;
  /** Sent without a link preview (a one-time link that a preview would open). */
  noLinkPreview?: boolean;
};

/**
 * The replies of one update: every message goes to the update's chat, as `replyKind` unless said otherwise
 * (a worker's replies go before the relays they announce).
 *
 * @example
 * ctx.outbox = createReplies(deps, ctx, 'reply');
 * await ctx.outbox.reply(ctx.t('help.text'));
 */
export function createReplies(deps: TOutboxDeps, ctx: Context, replyKind: 'reply' | 'staff-reply'): TReplies {
  const chatId = () => {
    const id = ctx.chat?.id ?? ctx.from?.id;
    if (id === undefined) throw new Error('This update has no chat to reply in');
    return id;
  };
  return {
    async reply(text, options = {}) {
      const buttons = options.keyboard === undefined ? undefined : buttonsOf(options.keyboard);
      await enqueueOutbox(deps, {
        kind: options.kind ?? replyKind,
        ...(options.caseId === undefined ? {} : { caseId: options.caseId }),
        ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
        payload: {
          type: 'send',
          chatId: chatId(),
          text,
          ...(buttons && buttons.length > 0 ? { buttons } : {}),
          ...(options.screeningId === undefined ? {} : { screeningId: options.screeningId }),
          ...(options.noLinkPreview ? { noLinkPreview: true as const } : {}),
        },
      });
    },
    async answerCallback(options = {}) {
      const query = ctx.callbackQuery;
      if (!query) return;
      await enqueueOutbox(deps, {
        kind: 'callback-answer',
        payload: {
          type: 'answer-callback',
          chatId: chatId(),
          callbackQueryId: query.id,
          ...(options.text === undefined ? {} : { text: options.text }),
          ...(options.isAlert ? { showAlert: true } : {}),
        },
      });
    },
    async closeKeyboard(options = {}) {
      const message = ctx.callbackQuery?.message;
      if (!message) return;
      await enqueueOutbox(deps, {
        kind: 'keyboard-update',
        payload: {
          type: 'edit',
          chatId: message.chat.id,
          messageId: message.message_id,
          ...(options.text === undefined ? {} : { text: options.text }),
        },
      });
    },
    async editMessage(input) {
      await enqueueOutbox(deps, {
        kind: 'keyboard-update',
        payload: { type: 'edit', chatId: input.chatId, messageId: input.messageId, text: input.text },
      });
    },
    async acknowledge() {
      const message = ctx.message;
      if (!message) return;
      await enqueueOutbox(deps, {
        kind: 'reaction',
        payload: { type: 'react', chatId: message.chat.id, messageId: message.message_id, emoji: '👌' },
      });
    },
  };
}

/** An inline keyboard as plain rows of buttons (callback buttons only: the bot shows no other kind). */
export function buttonsOf(keyboard: InlineKeyboard | TButton[][]): TButton[][] {
  if (Array.isArray(keyboard)) return keyboard;
  return keyboard.inline_keyboard
    .map((row) =>
      row.flatMap((button) =>
        'callback_data' in button && typeof button.callback_data === 'string'
          ? [{ label: button.text, data: button.callback_data }]
          : [],
      ),
    )
    .filter((row) => row.length > 0);
}
