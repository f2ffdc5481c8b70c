import { Composer, InlineKeyboard } from 'grammy';
import { openOrRaiseCase } from '../../services/cases.ts';
import { escalateCrisis } from '../../services/crisis.ts';
import { enqueueOutbox } from '../../services/outbox.ts';
import { keepReachable } from '../../services/residents.ts';
import type { TBotContext } from '../context.ts';
import { crisisReadingOf } from '../crisis-reading.ts';
import type { TBotDeps } from '../deps.ts';
import { CALLBACK } from '../keyboards.ts';

/**
 * Reads every message a resident writes, in every state — before consent, mid-screening, after it, in an
 * open case; text, captions and edits. `imminent`: the emergency numbers first, then an imminent case within
 * this same update, and the message goes no further. `concern`: a gentle offer of a worker; a new text
 * message then carries on (it may be an answer to the question under way), anything else stops here.
 */
export function createCrisisGuard(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.on(
    ['message:text', 'message:caption', 'edited_message:text', 'edited_message:caption'],
    async (ctx, next) => {
      const signals = crisisReadingOf(deps, ctx);
      if (!signals || signals.level === 'none' || !ctx.residentId) return next();

      if (signals.level === 'imminent') {
        const numbers = ctx.t('crisis.imminent', { numbers: ctx.emergencyNumbers });
        const isNumbersSent = await tryReply(ctx, numbers);
        const escalation = await escalateCrisis(deps, {
          residentId: ctx.residentId,
          chatId: ctx.chat.id,
          signals,
        });
        ctx.logger.warn(
          { case_id: escalation.caseId, change: escalation.change },
          'crisis language: imminent case',
        );
        const escalated = ctx.t('crisis.escalated');
        const unsent = isNumbersSent ? [] : [numbers];
        if (!isNumbersSent || !(await tryReply(ctx, escalated))) unsent.push(escalated);
        // Telegram failed us: the case must not roll back with the update, so what the resident has not
        // read yet goes out through the outbox, with its retries, once Telegram answers again.
        for (const notice of unsent) {
          await enqueueOutbox(deps, {
            kind: 'resident-notice',
            caseId: escalation.caseId,
            payload: { type: 'send', chatId: ctx.chat.id, text: notice },
          });
        }
        return;
      }
      await ctx.reply(ctx.t('crisis.concern'), {
        reply_markup: new InlineKeyboard().text(ctx.t('crisis.talk'), CALLBACK.talkToWorker),
      });
      ctx.isOfferedWorker = true;
      if (ctx.message?.text !== undefined) return next();
    },
  );

  feature.callbackQuery(CALLBACK.talkToWorker, async (ctx) => {
    await ctx.answerCallbackQuery();
    await ctx.editMessageReplyMarkup().catch(() => undefined);
    if (!ctx.residentId || !ctx.chatId) return;
    // Asking to be contacted is consent to keep the chat for that.
    await keepReachable(deps, ctx.residentId, ctx.chatId);
    const opened = await openOrRaiseCase(deps, {
      residentId: ctx.residentId,
      level: 'moderate',
      source: 'worker-offer',
    });
    await ctx.reply(ctx.t(opened.change === 'created' ? 'outcome.offer_accepted' : 'outcome.offer_already'));
  });

  return feature;
}

/** Replies, and says whether Telegram took it; the failure is logged (without the text). */
async function tryReply(ctx: TBotContext, text: string): Promise<boolean> {
  try {
    await ctx.reply(text);
    return true;
  } catch (error) {
    ctx.logger.error({ err: error }, 'crisis reply failed: queued for the outbox');
    return false;
  }
}
