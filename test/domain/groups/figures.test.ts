import { describe, expect, it } from 'vitest';
import { groupCounts } from '../../../src/domain/community/picture.ts';
import { groupFigures } from '../../../src/domain/groups/figures.ts';

/** Monday 2031-03-03 and the Monday after: two weeks of the community picture. */
const WEEKS = ['2031-03-03', '2031-03-10'];
const inWeek = (week: number, day: number) => new Date(Date.UTC(2031, 2, 3 + week * 7 + day, 18));

const joined = (groupId: number, at: Date, status = 'member', promoted?: true) => ({
  type: 'group.joined',
  detail: { groupId, status, ...(promoted ? { promoted } : {}) },
  createdAt: at,
});
const left = (groupId: number, at: Date, status = 'member') => ({
  type: 'group.left',
  detail: { groupId, status },
  createdAt: at,
});

describe('groupFigures', () => {
  it('counts memberships begun (joins and promotions, not the waiting list) and ended, per week', () => {
    const events = [
      // Week one: 5 joins, one of them a promotion; 2 more only onto the waiting list.
      ...[0, 1, 2, 3].map((day) => joined(1, inWeek(0, day))),
      joined(1, inWeek(0, 4), 'member', true),
      joined(1, inWeek(0, 5), 'waiting'),
      joined(1, inWeek(0, 5), 'waiting'),
      // Week two: 6 leaves (one by `/delete`, recorded the same), and one leaving the waiting list; 5 joins.
      ...[0, 0, 1, 2, 3, 4].map((day) => left(1, inWeek(1, day))),
      left(1, inWeek(1, 5), 'waiting'),
      ...[0, 1, 2, 3, 4].map((day) => joined(1, inWeek(1, day), 'member', true)),
      // Another group's, and something that is not a move.
      joined(2, inWeek(1, 1)),
      { type: 'group.announced', detail: { groupId: 1, members: 9 }, createdAt: inWeek(1, 2) },
    ];
    const { groups, moves } = groupFigures({
      groups: [
        { id: 1, slug: 'housing' },
        { id: 2, slug: 'caring' },
      ],
      memberships: [
        ...Array.from({ length: 6 }, () => ({ groupId: 1, status: 'member' })),
        { groupId: 1, status: 'waiting' },
        { groupId: 2, status: 'member' },
      ],
      // 7 offered, 5 accepted — two of whom left since, and still count as having accepted.
      offers: [
        ...Array.from({ length: 5 }, (_, index) => ({ groupId: 1, acceptedAt: inWeek(0, index) })),
        { groupId: 1, acceptedAt: null },
        { groupId: 1, acceptedAt: null },
        { groupId: 2, acceptedAt: inWeek(1, 1) },
      ],
      events,
    });
    expect(groups).toEqual([
      { id: 1, slug: 'housing', members: 6, offered: 7, accepted: 5 },
      { id: 2, slug: 'caring', members: 1, offered: 1, accepted: 1 },
    ]);
    const [housing] = groupCounts(groups, moves, WEEKS);
    expect(housing).toEqual({
      slug: 'housing',
      members: { count: 6 },
      joins: [{ count: 5 }, { count: 5 }],
      leaves: [{ fewerThan: 5 }, { count: 6 }],
      offered: { count: 7 },
      accepted: { count: 5 },
    });
  });
});
