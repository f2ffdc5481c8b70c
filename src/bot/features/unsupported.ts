import { Composer } from 'grammy';
import { currentScreeningStep } from '../../services/screenings.ts';
import type { TBotContext } from '../context.ts';
import { SCREENING_CONVERSATION } from '../conversations/screening.ts';
import type { TBotDeps } from '../deps.ts';
import { ANSWER_PREFIX } from '../keyboards.ts';

/**
 * Whatever a resident may send that the bot cannot use — stickers, photos, voice, video, files, places,
 * contacts, polls, edits — gets a short, kind answer and leaves the conversation where it was.
 */
export function createUnsupportedFeature(): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.on('edited_message', async (ctx) => {
    await ctx.outbox.reply(ctx.t('unsupported.edited'));
  });
  feature.on('message', async (ctx, next) => {
    if (ctx.message.text !== undefined) return next();
    await ctx.outbox.reply(ctx.t('unsupported.media'));
  });
  return feature;
}

/**
 * After the conversation had its chance: a button from a closed question, or text when no screening is
 * under way, gets a pointer to what the bot can do.
 */
export function createFallbackFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.callbackQuery(/^.*/, async (ctx) => {
    await ctx.outbox.answerCallback({ text: ctx.t('screening.stale') });
    if (ctx.callbackQuery.data?.startsWith(ANSWER_PREFIX)) await ctx.outbox.closeKeyboard();
  });
  feature.on('message:text', async (ctx) => {
    // A command none of the features knows, in any state: said so, and the questions (if any) stay open.
    if (ctx.message.entities?.some((entity) => entity.type === 'bot_command' && entity.offset === 0)) {
      await ctx.outbox.reply(ctx.t('unsupported.unknown_command'));
      return;
    }
    // A screening under way but no conversation holding it (its state was lost): ask its question again.
    const isHeld = ctx.conversation.active(SCREENING_CONVERSATION) > 0;
    if (!isHeld && ctx.residentId && (await currentScreeningStep(deps, ctx.residentId, ctx.locale))) {
      await ctx.conversation.enter(SCREENING_CONVERSATION);
      return;
    }
    if (ctx.isOfferedWorker) return;
    await ctx.outbox.reply(ctx.t('unsupported.unknown_text'));
  });
  return feature;
}
