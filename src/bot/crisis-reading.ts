import type { TCrisisSignals } from '../domain/risk/crisis.ts';
import { readMessage } from '../services/crisis.ts';
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
  const reading = readMessage(
    deps.crisisPatterns,
    said,
    deps.crisisModels ? { models: deps.crisisModels } : {},
  );
  if (!reading) return undefined;
  if (reading.rules.level === 'imminent' || !ctx.residentId) return reading.finish();
  // The words of a button typed as the answer to the question on screen: the rules read them (a crisis is
  // a crisis however it arrives), but neither the model nor what is known of the writer.
  if (await isChoiceAnswer(deps, { residentId: ctx.residentId, text: said, locale: ctx.locale }))
    return reading.finish({ useModel: false });
  const read = reading.finish();
  // Context only raises `concern` or `high`, or a farewell cue: most messages need no look at the writer.
  if (read.level !== 'concern' && read.level !== 'high' && !reading.hasContextCues) return read;
  const context = await crisisContextOf(deps, ctx.residentId, nowOf(deps));
  return context ? reading.finish({ context }) : read;
}
