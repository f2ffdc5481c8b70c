import { Composer, InlineKeyboard } from 'grammy';
import { isEscalatingLevel } from '../../domain/risk/crisis.ts';
import { openOrRaiseCase } from '../../services/cases.ts';
import { escalateCrisis } from '../../services/crisis.ts';
import { keepReachable } from '../../services/residents.ts';
import { offerAnswer } from '../case-answers.ts';
import type { TBotContext } from '../context.ts';
import { crisisReadingOf } from '../crisis-reading.ts';
import type { TBotDeps } from '../deps.ts';
import { CALLBACK } from '../keyboards.ts';

/**
 * Reads every message a resident writes, in every state — before consent, mid-screening, after it, in an
 * open case; text, captions and edits. `imminent` or `high`: the emergency numbers first, then a case at
 * that level within this same update, paged, and the message goes no further. `concern`: a gentle offer of
 * a worker; a new text message then carries on (it may be an answer to the question under way), anything
 * else stops here.
 */
export function createCrisisGuard(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.on(
    ['message:text', 'message:caption', 'edited_message:text', 'edited_message:caption'],
    async (ctx, next) => {
      const signals = await crisisReadingOf(deps, ctx);
      if (!signals || signals.level === 'none' || !ctx.residentId) return next();

      if (isEscalatingLevel(signals.level)) {
        const level = signals.level;
        const escalation = await escalateCrisis(deps, {
          residentId: ctx.residentId,
          chatId: ctx.chat.id,
          signals: { ...signals, level },
        });
        ctx.logger.warn(
          { case_id: escalation.caseId, change: escalation.change, level },
          `crisis language: ${level} case`,
        );
        // With the crisis messages, ahead of anything routine, right after the commit; never that workers
        // were alerted when nobody could be.
        const notice = { kind: 'crisis-notice', caseId: escalation.caseId } as const;
        await ctx.outbox.reply(ctx.t(`crisis.${level}`, { numbers: ctx.emergencyNumbers }), notice);
        await ctx.outbox.reply(
          ctx.t(escalation.isNobodyToPage ? 'crisis.nobody' : 'crisis.escalated'),
          notice,
        );
        return;
      }
      await ctx.outbox.reply(ctx.t('crisis.concern'), {
        keyboard: new InlineKeyboard().text(ctx.t('crisis.talk'), CALLBACK.talkToWorker),
      });
      ctx.isOfferedWorker = true;
      if (ctx.message?.text !== undefined) return next();
    },
  );

  feature.callbackQuery(CALLBACK.talkToWorker, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (!ctx.residentId || !ctx.chatId) return;
    // Asking to be contacted is consent to keep the chat for that.
    await keepReachable(deps, ctx.residentId, ctx.chatId);
    const opened = await openOrRaiseCase(deps, {
      residentId: ctx.residentId,
      level: 'moderate',
      source: 'worker-offer',
    });
    await ctx.outbox.reply(offerAnswer(ctx, opened));
  });

  return feature;
}
