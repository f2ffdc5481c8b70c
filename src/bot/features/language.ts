import { Composer } from 'grammy';
import { isLocale } from '../../i18n.ts';
import { setResidentLocale } from '../../services/residents.ts';
import type { TBotContext } from '../context.ts';
import type { TBotDeps } from '../deps.ts';
import { languageKeyboard } from '../keyboards.ts';

/** `/language`: English or Simplified Chinese, at any moment; a screening under way continues in the new one. */
export function createLanguageFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.command('language', async (ctx) => {
    await ctx.outbox.reply(ctx.t('language.choose'), { keyboard: languageKeyboard() });
  });
  feature.callbackQuery(/^lang:(.+)$/, async (ctx) => {
    const locale = ctx.match[1];
    await ctx.outbox.answerCallback();
    if (!isLocale(locale) || !ctx.residentId) return;
    await setResidentLocale(deps, ctx.residentId, locale);
    ctx.locale = locale;
    ctx.t = deps.i18n.getFixedT(locale);
    ctx.emergencyNumbers = deps.emergencyNumbersFor(locale);
    await ctx.outbox.closeKeyboard();
    await ctx.outbox.reply(ctx.t('language.set'));
  });
  return feature;
}
