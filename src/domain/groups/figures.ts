/** A group's figures before the community picture suppresses small cells (see `groupCounts`). */
export type TGroupFigures = { id: number; slug: string; members: number; offered: number; accepted: number };

/** A membership begun (a join, or a promotion from the waiting list) or ended, in a week. */
export type TGroupMove = { groupId: number; type: 'joined' | 'left'; at: Date };

/**
 * What the community picture counts of support groups, from the rows as stored: members now (not those
 * waiting); offers made, and accepted — Join pressed, remembered on the offer even after they left; and from
 * the audit log, memberships begun (joins and promotions from the waiting list, never a place on the list)
 * and ended (leaving, `/delete`, the purge; not leaving the waiting list).
 *
 * @example
 * const { groups, moves } = groupFigures({ groups, memberships, offers, events });
 */
export function groupFigures(input: {
  groups: ReadonlyArray<{ id: number; slug: string }>;
  memberships: ReadonlyArray<{ groupId: number; status: string }>;
  offers: ReadonlyArray<{ groupId: number; acceptedAt: Date | null }>;
  events: ReadonlyArray<{ type: string; detail: unknown; createdAt: Date }>;
}): { groups: TGroupFigures[]; moves: TGroupMove[] } {
  const groups = input.groups.map((group) => {
    const offers = input.offers.filter((offer) => offer.groupId === group.id);
    return {
      id: group.id,
      slug: group.slug,
      members: input.memberships.filter((row) => row.groupId === group.id && row.status === 'member').length,
      offered: offers.length,
      accepted: offers.filter((offer) => offer.acceptedAt !== null).length,
    };
  });
  const moves = input.events.flatMap((event): TGroupMove[] => {
    const detail = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as {
      groupId?: unknown;
      status?: unknown;
    };
    if (typeof detail.groupId !== 'number' || detail.status === 'waiting') return [];
    if (event.type === 'group.joined')
      return [{ groupId: detail.groupId, type: 'joined', at: event.createdAt }];
    if (event.type === 'group.left') return [{ groupId: detail.groupId, type: 'left', at: event.createdAt }];
    return [];
  });
  return { groups, moves };
}
