/** A group as matching reads it. */
export type TGroupForMatching = {
  id: number;
  needs: readonly string[];
  locale: string;
  isOpen: boolean;
  status: string;
};

/** At most this many groups are offered at once: a choice, not a list to read through. */
export const MAX_GROUP_OFFERS = 3;

/**
 * The groups to offer after a screening: active and open, in the resident's language, serving at least one of
 * the needs their answers showed (the script's themes), none they joined or said "Not now" to; those that
 * serve more of the needs first, then the oldest.
 *
 * @example
 * groupsToOffer(groups, { needs: ['failed_channels', 'isolation'], locale: 'en', excluded: new Set([4]) })
 */
export function groupsToOffer<TGroup extends TGroupForMatching>(
  groups: readonly TGroup[],
  input: { needs: readonly string[]; locale: string; excluded: ReadonlySet<number> },
): TGroup[] {
  const needs = new Set(input.needs);
  return groups
    .filter((group) => group.status === 'active' && group.isOpen && !input.excluded.has(group.id))
    .filter((group) => group.locale === input.locale)
    .map((group) => ({ group, served: group.needs.filter((need) => needs.has(need)).length }))
    .filter((entry) => entry.served > 0)
    .sort((a, b) => b.served - a.served || a.group.id - b.group.id)
    .slice(0, MAX_GROUP_OFFERS)
    .map((entry) => entry.group);
}
