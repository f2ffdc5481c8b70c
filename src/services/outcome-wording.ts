import type { TFunction } from 'i18next';

/**
 * An outcome code as a worker reads it: the code they type, with its meaning in their language where the
 * locale names it (a code configured without a translation shows as itself).
 *
 * @example describeOutcome(zhT, 'referred') // 'referred（已转介）'
 */
export function describeOutcome(t: TFunction, code: string): string {
  return t('outcomes.item', { code, label: outcomeLabel(t, code) });
}

/** The codes `/resolve` takes, listed for the worker (see {@link describeOutcome}). */
export function describeOutcomes(t: TFunction, codes: readonly string[]): string {
  return codes.map((code) => describeOutcome(t, code)).join(t('outcomes.separator'));
}

/** What a resolved case's outcome means, in the worker's language. */
function outcomeLabel(t: TFunction, code: string): string {
  return t(`outcomes.labels.${code}`, { defaultValue: code });
}
