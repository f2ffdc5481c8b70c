import type { TCrisisSignals } from '../domain/risk/crisis.ts';
import { assessMessage } from '../services/crisis.ts';
import type { TBotContext } from './context.ts';
import type { TBotDeps } from './deps.ts';

const readings = new WeakMap<object, TCrisisSignals | undefined>();

/**
 * The crisis reading of what this update's message says (text or caption, new or edited), or undefined when it
 * says nothing. Read once per update, however many features ask: detection runs both locales' patterns.
 *
 * @example
 * if (crisisReadingOf(deps, ctx)?.level === 'imminent') …
 */
export function crisisReadingOf(
  deps: Pick<TBotDeps, 'crisisPatterns'>,
  ctx: TBotContext,
): TCrisisSignals | undefined {
  if (readings.has(ctx.update)) return readings.get(ctx.update);
  const said = ctx.msg?.text ?? ctx.msg?.caption;
  const reading = said === undefined ? undefined : assessMessage(deps.crisisPatterns, said);
  readings.set(ctx.update, reading);
  return reading;
}
