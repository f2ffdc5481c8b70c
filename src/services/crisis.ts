import { detectCrisis, type TCrisisSignals } from '../domain/risk/crisis.ts';
import { combineCrisisReadings, contextCuesIn, type TCrisisContext } from '../domain/risk/crisis-combine.ts';
import { modelLocaleFor, readWithModel, type TCrisisModel } from '../domain/risk/crisis-model.ts';
import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import { withWordings } from '../domain/risk/reason-wording.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { openOrRaiseCase, type TOpenCaseOutcome } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { keepReachable } from './residents.ts';

const LEVEL_RANK = { none: 0, concern: 1, high: 2, imminent: 3 } as const;

/**
 * Reads one message for crisis language: with every locale's patterns, keeping the strongest reading (people
 * write in the language they think in, whatever language the bot speaks to them); then with the learned
 * model of the message's script, which may raise what the rules missed (never to `imminent` on its own); then
 * with what the service knows of the writer (`context`), which reads it one level more sensitively. Each
 * reason carries its explanation in every language that knows it, for workers who read another.
 *
 * @example
 * assessMessage([en, zhCN], '我今晚就从楼上跳下去').level; // 'imminent'
 * assessMessage([en, zhCN], 'I wrote letters to my kids', { models, context: { reason: 'open-case', level: 'high' } });
 */
export function assessMessage(
  patterns: readonly TCrisisPatterns[],
  text: string,
  options: { models?: readonly TCrisisModel[]; context?: TCrisisContext } = {},
): TCrisisSignals | undefined {
  let strongest: TCrisisSignals | undefined;
  for (const localePatterns of patterns) {
    const signals = detectCrisis(text, localePatterns);
    if (!strongest || LEVEL_RANK[signals.level] > LEVEL_RANK[strongest.level]) strongest = signals;
  }
  if (!strongest) return undefined;
  const locale = modelLocaleFor(text);
  const model = options.models?.find((candidate) => candidate.locale === locale);
  const reading = model && strongest.level !== 'imminent' ? readWithModel(model, text) : undefined;
  const cues = options.context ? contextCuesIn(patterns, text) : [];
  return withWordings(patterns, combineCrisisReadings(strongest, reading, options.context, cues));
}

/**
 * Crisis language that needs a person now (`high` or `imminent`): a case at that level, opened or raised
 * within the same update, and the chat kept so a worker can write back — with or without consent, since this
 * is to protect life. The signals (which quote the message) are sealed on the case for the worker.
 */
export async function escalateCrisis(
  deps: { prisma: PrismaClient; protector: TDataProtector },
  input: { residentId: string; chatId: number; signals: TCrisisSignals & { level: 'high' | 'imminent' } },
): Promise<TOpenCaseOutcome> {
  await keepReachable(deps, input.residentId, input.chatId);
  return openOrRaiseCase(deps, {
    residentId: input.residentId,
    level: input.signals.level,
    source: 'crisis-message',
    signals: {
      crisis: { level: input.signals.level, kind: input.signals.kind, reasons: input.signals.reasons },
    },
  });
}
