import { Composer, InlineKeyboard } from 'grammy';
import { compareLevels, type TRiskLevel } from '../../domain/risk/level.ts';
import { findOpenCase } from '../../services/cases.ts';
import { eraseResident } from '../../services/erase-resident.ts';
import { cancelScreening, discardCancelledScreening, requestCallback } from '../../services/screenings.ts';
import { offerAnswer } from '../case-answers.ts';
import type { TBotContext } from '../context.ts';
import { conversationStorageKey, type TBotDeps } from '../deps.ts';
import { CALLBACK, deleteKeyboard } from '../keyboards.ts';

/**
 * Leaving and forgetting: `/cancel` stops the questions (answers kept, or forgotten on request), `/delete`
 * erases everything after a confirmation, and the call-back offer at the end of a screening.
 */
export function createLeaveFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.command('cancel', async (ctx) => {
    await ctx.conversation.exitAll();
    if (!ctx.residentId) return;
    const cancelled = await cancelScreening(deps, { residentId: ctx.residentId, discard: false });
    if (cancelled === 'none') {
      await ctx.outbox.reply(ctx.t('screening.nothing_to_cancel'));
      return;
    }
    await ctx.outbox.reply(ctx.t('screening.cancelled'), {
      keyboard: new InlineKeyboard().text(ctx.t('screening.discard'), CALLBACK.discardAnswers),
    });
  });

  feature.callbackQuery(CALLBACK.discardAnswers, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (ctx.residentId && (await discardCancelledScreening(deps, ctx.residentId))) {
      await ctx.outbox.reply(ctx.t('screening.discarded'));
    }
  });

  feature.command('delete', async (ctx) => {
    // Erasing is their right, in a crisis too; but someone whose case reads high or imminent sees where help
    // is before they decide, and that the worker holding it will be told.
    const open = ctx.residentId ? await findOpenCase(deps, ctx.residentId) : null;
    const isUrgent = open !== null && compareLevels(open.level as TRiskLevel, 'high') >= 0;
    const confirm = isUrgent
      ? ctx.t('delete.confirm_in_crisis', { numbers: ctx.emergencyNumbers })
      : ctx.t('delete.confirm');
    await ctx.outbox.reply(confirm, { keyboard: deleteKeyboard(ctx.t) });
  });

  feature.callbackQuery([CALLBACK.deleteYes, CALLBACK.deleteNo], async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (ctx.callbackQuery.data === CALLBACK.deleteNo || !ctx.residentId) {
      await ctx.outbox.reply(ctx.t('delete.kept'));
      return;
    }
    await ctx.conversation.exitAll();
    const erased = await eraseResident(deps, {
      residentId: ctx.residentId,
      storageKeys: [conversationStorageKey(ctx.residentId)],
    });
    ctx.resident = null;
    ctx.logger.info(
      {
        cases_anonymised: erased.casesAnonymised,
        staff_messages_blanked: erased.messagesBlanked,
        claimers_told: erased.claimersTold,
      },
      'resident erased on request',
    );
    await ctx.outbox.reply(ctx.t('delete.done'));
  });

  feature.callbackQuery(CALLBACK.declineOffer, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    await ctx.outbox.reply(ctx.t('outcome.offer_declined'));
  });

  feature.callbackQuery(/^callback:(.+)$/, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    const screeningId = ctx.match[1];
    if (!ctx.residentId || !screeningId) return;
    const opened = await requestCallback(deps, { residentId: ctx.residentId, screeningId });
    if (!opened) return;
    await ctx.outbox.reply(offerAnswer(ctx, opened));
  });

  return feature;
}
