import { detectCrisis, type TCrisisSignals } from '../domain/risk/crisis.ts';
import {
  combineCrisisReadings,
  contextCuesIn,
  modelDamperIn,
  type TCrisisContext,
} from '../domain/risk/crisis-combine.ts';
import {
  modelLocaleFor,
  readWithModel,
  type TCrisisModel,
  type TModelReading,
} from '../domain/risk/crisis-model.ts';
import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import { withWordings } from '../domain/risk/reason-wording.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { openOrRaiseCase, type TOpenCaseOutcome } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { keepReachable } from './residents.ts';

const LEVEL_RANK = { none: 0, concern: 1, high: 2, imminent: 3 } as const;

/** One message read by the rules and ready for the rest: the model, and what the service knows of the writer. */
export type TMessageReading = {
  /** Every locale's rules, the strongest reading. */
  rules: TCrisisSignals;
  /** Farewell cues in the message: signals only with context. */
  hasContextCues: boolean;
  /**
   * The reading with the learned model (unless `useModel` is false: a button's words typed as an answer) and
   * with `context`; each reason with its explanation in every language that knows it. The rules run once
   * and the model at most once, however often this is asked.
   */
  finish(options?: { context?: TCrisisContext; useModel?: boolean }): TCrisisSignals;
};

/**
 * Reads one message for crisis language: with every locale's patterns, keeping the strongest reading (people
 * write in the language they think in, whatever language the bot speaks to them); then (`finish`) with the
 * learned model of the message's script, which may raise what the rules missed (never to `imminent` on its
 * own), and with what the service knows of the writer (`context`), which reads it one level more sensitively.
 *
 * @example
 * readMessage([en, zhCN], text, { models })?.finish({ context: { reason: 'open-case', level: 'high' } });
 */
export function readMessage(
  patterns: readonly TCrisisPatterns[],
  text: string,
  options: { models?: readonly TCrisisModel[] } = {},
): TMessageReading | undefined {
  let rules: TCrisisSignals | undefined;
  for (const localePatterns of patterns) {
    const signals = detectCrisis(text, localePatterns);
    if (!rules || LEVEL_RANK[signals.level] > LEVEL_RANK[rules.level]) rules = signals;
  }
  if (!rules) return undefined;
  const strongest = rules;
  const cues = contextCuesIn(patterns, text);
  const locale = modelLocaleFor(text);
  const model = options.models?.find((candidate) => candidate.locale === locale);
  let modelReading: TModelReading | undefined;
  const readModel = () => {
    if (model && strongest.level !== 'imminent') modelReading ??= readWithModel(model, text);
    return modelReading;
  };
  // Only when the model alone would page someone: a joke or lawful action keeps it at `concern`.
  const damperFor = (reading: TModelReading | undefined) =>
    reading && (reading.level === 'high' || reading.agrees) && LEVEL_RANK[strongest.level] < LEVEL_RANK.high
      ? modelDamperIn(patterns, text)
      : undefined;
  return {
    rules: strongest,
    hasContextCues: cues.length > 0,
    finish: ({ context, useModel = true } = {}) => {
      const reading = useModel ? readModel() : undefined;
      return withWordings(
        patterns,
        combineCrisisReadings(strongest, reading, context, context ? cues : [], damperFor(reading)),
      );
    },
  };
}

/**
 * A message's whole reading in one call (see `readMessage`): for callers that know the context up front.
 *
 * @example
 * assessMessage([en, zhCN], '我今晚就从楼上跳下去').level; // 'imminent'
 */
export function assessMessage(
  patterns: readonly TCrisisPatterns[],
  text: string,
  options: { models?: readonly TCrisisModel[]; context?: TCrisisContext } = {},
): TCrisisSignals | undefined {
  return readMessage(patterns, text, options)?.finish({
    ...(options.context ? { context: options.context } : {}),
  });
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
