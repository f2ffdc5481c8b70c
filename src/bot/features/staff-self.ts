import { Composer } from 'grammy';
import { isLocale } from '../../i18n.ts';
import { eraseWorkerSelf, heldCaseCount, setWorkerLocale } from '../../services/worker-self.ts';
import type { TStaffContext } from '../context.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
import { CALLBACK, languageKeyboard, staffDeleteKeyboard } from '../keyboards.ts';

/**
 * What staff may do about themselves, as residents may: `/language`, `/privacy` (what is kept about them)
 * and `/delete` (their access ends and their name and account go). In the worker branch, so a worker's
 * `/delete` never reaches the resident erasure.
 */
export function createStaffSelfFeature(deps: TBotDeps): Composer<TStaffContext> {
  const feature = new Composer<TStaffContext>();

  feature.command('language', async (ctx) => {
    await ctx.outbox.reply(ctx.t('language.choose'), { keyboard: languageKeyboard() });
  });
  feature.callbackQuery(/^lang:(.+)$/, async (ctx) => {
    const locale = ctx.match[1];
    await ctx.outbox.answerCallback();
    if (!isLocale(locale)) return;
    await setWorkerLocale(deps, { workerId: ctx.worker.id, locale });
    ctx.locale = locale;
    ctx.t = deps.i18n.getFixedT(locale, 'worker');
    await ctx.outbox.closeKeyboard();
    await ctx.outbox.reply(ctx.t('language.set'));
  });

  feature.command('privacy', async (ctx) => {
    await ctx.outbox.reply(ctx.t('privacy.text'));
  });

  feature.command('delete', async (ctx) => {
    const count = await heldCaseCount(deps, ctx.worker.id);
    await ctx.outbox.reply(ctx.t('delete.confirm', { count, id: ctx.worker.id }), {
      keyboard: staffDeleteKeyboard(ctx.t),
    });
  });
  feature.callbackQuery(CALLBACK.staffDeleteNo, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    await ctx.outbox.reply(ctx.t('delete.kept'));
  });
  feature.callbackQuery(CALLBACK.staffDeleteYes, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    const released = await eraseWorkerSelf(
      { ...deps, notices: { protector: deps.protector, i18n: deps.i18n } },
      { workerId: ctx.worker.id, now: nowOf(deps) },
    );
    ctx.logger.info(
      { worker_id: ctx.worker.id, cases_released: released?.length ?? 0 },
      'worker erased themselves',
    );
    await ctx.outbox.reply(ctx.t(released ? 'delete.done' : 'delete.stale'));
  });
  return feature;
}
