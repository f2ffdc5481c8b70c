import type { TCrisisSignals } from '../domain/risk/crisis.ts';
import { contextCuesIn } from '../domain/risk/crisis-combine.ts';
import { assessMessage } from '../services/crisis.ts';
import { crisisContextOf } from '../services/crisis-context.ts';
import { isChoiceAnswer } from '../services/screenings.ts';
import type { TBotContext } from './context.ts';
import { nowOf, type TBotDeps } from './deps.ts';

const readings = new WeakMap<object, Promise<TCrisisSignals | undefined>>();

type TReadingDeps = Pick<
  TBotDeps,
  'crisisPatterns' | 'crisisModels' | 'prisma' | 'clock' | 'protector' | 'scripts' | 'scriptId'
>;

/**
 * The crisis reading of what this update's message says (text or caption, new or edited), or undefined when it
 * says nothing: the rules of every locale, the learned model, and what the service knows of the resident (see
 * `assessMessage`). Read once per update, however many features ask.
 *
 * @example
 * if ((await crisisReadingOf(deps, ctx))?.level === 'imminent') …
 */
export function crisisReadingOf(deps: TReadingDeps, ctx: TBotContext): Promise<TCrisisSignals | undefined> {
  const known = readings.get(ctx.update);
  if (known !== undefined) return known;
  const reading = read(deps, ctx);
  readings.set(ctx.update, reading);
  return reading;
}

async function read(deps: TReadingDeps, ctx: TBotContext): Promise<TCrisisSignals | undefined> {
  const said = ctx.msg?.text ?? ctx.msg?.caption;
  if (said === undefined) return undefined;
  const rules = assessMessage(deps.crisisPatterns, said);
  if (rules?.level === 'imminent' || !ctx.residentId) return rules;
  // The words of a button typed as the answer to the question on screen: the rules read them (a crisis is
  // a crisis however it arrives), but neither the model nor what is known of the writer.
  if (await isChoiceAnswer(deps, { residentId: ctx.residentId, text: said, locale: ctx.locale }))
    return rules;
  const models = deps.crisisModels ? { models: deps.crisisModels } : {};
  const reading = assessMessage(deps.crisisPatterns, said, models);
  // Context only raises `concern` or `high`, or a farewell cue: most messages need no look at the writer.
  const mayRise =
    reading?.level === 'concern' ||
    reading?.level === 'high' ||
    contextCuesIn(deps.crisisPatterns, said).length > 0;
  if (!mayRise) return reading;
  const context = await crisisContextOf(deps, ctx.residentId, nowOf(deps));
  return context ? assessMessage(deps.crisisPatterns, said, { ...models, context }) : reading;
}
