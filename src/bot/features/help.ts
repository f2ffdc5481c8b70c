import { Composer } from 'grammy';
import type { TBotContext } from '../context.ts';

/** `/help` works in every state: what the bot does, and the emergency numbers. */
export function createHelpFeature(): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.command('help', async (ctx) => {
    await ctx.outbox.reply(
      [ctx.t('help.text'), ctx.t('help.emergency', { numbers: ctx.emergencyNumbers })].join('\n\n'),
    );
  });
  return feature;
}
