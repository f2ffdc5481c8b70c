import type { TOpenCaseOutcome } from '../services/cases.ts';
import type { TBotContext } from './context.ts';

/**
 * What a resident who asked for a worker (the offer after a screening, or in the middle of hard words) is
 * told: that a worker will write, that one already has it — or, honestly, that nobody can be reached now.
 */
export function offerAnswer(ctx: TBotContext, opened: TOpenCaseOutcome): string {
  if (opened.isNobodyToPage) return ctx.t('outcome.offer_nobody', { numbers: ctx.emergencyNumbers });
  return ctx.t(opened.change === 'created' ? 'outcome.offer_accepted' : 'outcome.offer_already');
}
