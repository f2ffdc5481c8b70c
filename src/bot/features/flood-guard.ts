import { Composer } from 'grammy';
import { createFloodLimiter, FLOOD_LIMIT, type TFloodLimiter } from '../../domain/flood/limiter.ts';
import type { TBotContext } from '../context.ts';

/**
 * After the crisis guard (which reads every message) and the relay to a worker (who gets every word): a
 * resident writing faster than anyone types is told once, kindly, that the bot is slowing down, and their
 * messages pass over the screening and the replies until the pace drops.
 */
export function createFloodGuard(
  options: { limit?: { limit: number; windowMs: number }; now?: () => number } = {},
): Composer<TBotContext> {
  const pace = options.limit ?? FLOOD_LIMIT;
  const limiter: TFloodLimiter = createFloodLimiter(pace);
  const now = options.now ?? Date.now;
  const feature = new Composer<TBotContext>();
  // What people write; a button press is one tap on what the bot asked.
  feature.on(['message', 'edited_message'], async (ctx, next) => {
    if (!ctx.residentId) return next();
    const verdict = limiter.hit(ctx.residentId, now());
    if (verdict === 'ok') return next();
    if (verdict === 'over-first') {
      ctx.logger.warn('resident writing faster than the pace: slowed down');
      await ctx.outbox.reply(
        ctx.t('flood.slow_down', { numbers: ctx.emergencyNumbers, seconds: pace.windowMs / 1000 }),
      );
    }
  });
  return feature;
}
