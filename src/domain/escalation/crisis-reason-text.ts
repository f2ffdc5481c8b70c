import { z } from 'zod';
import type { TTranslate } from './case-summary.ts';

/**
 * A crisis reason as a case keeps it (sealed with its signals). Older rows hold only the id and the English
 * or Chinese explanation of the file that matched; newer ones say what kind of reason it is and its
 * explanation in every language whose file knows it.
 */
export const ZStoredCrisisReason = z.object({
  id: z.string(),
  explanation: z.string(),
  source: z.enum(['pattern', 'intensifier', 'context', 'model']).optional().catch(undefined),
  kind: z.enum(['self', 'others']).nullish().catch(undefined),
  level: z.enum(['concern', 'high', 'imminent']).optional().catch(undefined),
  intensifier: z
    .object({ type: z.enum(['plan', 'means', 'time', 'target']), lifts: z.boolean() })
    .optional()
    .catch(undefined),
  wordings: z.record(z.string(), z.string()).optional().catch(undefined),
  model: z.object({ high: z.number(), any: z.number() }).optional().catch(undefined),
  context: z
    .object({ reason: z.enum(['open-case', 'screening']), level: z.string() })
    .optional()
    .catch(undefined),
});
export type TStoredCrisisReason = z.infer<typeof ZStoredCrisisReason>;

/**
 * One detector reason in the reader's language: the pattern file's own words for it in that language when
 * it has them; otherwise what kind of language it was and how urgent, in their words (the other language's
 * explanation would be unreadable to them, and an id can paraphrase the resident). A signal, never a verdict.
 *
 * @example
 * crisisReasonText(t, 'zh-CN', { id: 'self.intent', explanation: 'States an intention…', source: 'pattern',
 *   kind: 'self', level: 'imminent', wordings: { 'zh-CN': '表示要结束自己的生命（意图）' } });
 * // '表示要结束自己的生命（意图）'
 */
export function crisisReasonText(t: TTranslate, locale: string, reason: TStoredCrisisReason): string {
  if (reason.source === undefined) return reason.explanation;
  if (reason.source === 'model' && reason.model) {
    return t('crisis_reason.model', {
      high: Math.round(reason.model.high * 100),
      any: Math.round(reason.model.any * 100),
    });
  }
  if (reason.source === 'context' && reason.context) {
    const why =
      reason.id === 'context.farewell'
        ? 'farewell'
        : reason.context.reason === 'open-case'
          ? 'open_case'
          : 'screening';
    return t(`crisis_reason.context.${why}`, {
      level: t(`level.${reason.context.level}`),
    });
  }
  if (reason.source === 'context') {
    return t(`crisis_reason.context.${reason.id === 'context.jocular' ? 'jocular' : 'past'}`);
  }
  const own = reason.wordings?.[locale];
  if (reason.source === 'intensifier' && reason.intensifier) {
    return t(reason.intensifier.lifts ? 'crisis_reason.intensifier_lifts' : 'crisis_reason.intensifier', {
      what: own ?? t('crisis_reason.in_other_language'),
      type: t(`crisis_reason.type.${reason.intensifier.type}`),
    });
  }
  if (own !== undefined) return own;
  return t('crisis_reason.other_language', {
    kind: t(`crisis_kind.${reason.kind ?? 'unknown'}`),
    level: t(`crisis_level.${reason.level ?? 'concern'}`),
  });
}

const ZCrisisOfSignals = z.object({
  crisis: z.object({ level: z.string(), reasons: z.array(ZStoredCrisisReason) }),
});

/**
 * The reason that best says why a case is a crisis, from its opened signals: the first match at the
 * signals' own level (a pattern before what lifted it). Undefined without crisis signals.
 */
export function leadingCrisisReason(signals: unknown): TStoredCrisisReason | undefined {
  const parsed = ZCrisisOfSignals.safeParse(signals);
  if (!parsed.success) return undefined;
  const { level, reasons } = parsed.data.crisis;
  const atLevel = reasons.filter((reason) => reason.level === undefined || reason.level === level);
  return (
    atLevel.find((reason) => reason.source !== 'intensifier' && reason.source !== 'context') ?? atLevel[0]
  );
}
