import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUnitOfWork } from '../../src/db/unit-of-work.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { leaveGroup } from '../../src/services/group-leaving.ts';
import { joinGroup } from '../../src/services/groups.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

/**
 * Places in a support group taken and freed at the same moment. On PostgreSQL the transactions run side by
 * side (the pool has several connections), so only the group row's lock keeps the count right; on the
 * embedded database they run one after the other, and the same outcome must hold.
 */

let database: TTestDatabase;
let prisma: PrismaClient;
let deps: {
  prisma: PrismaClient;
  i18n: ReturnType<typeof createI18n>;
  protector: ReturnType<typeof createDataProtector>;
};
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
  deps = { prisma, i18n: createI18n(), protector: createDataProtector(parseDataKeys(TEST_DATA_KEY)) };
});
afterAll(async () => {
  await database.close();
});

const now = new Date();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function groupOf(slug: string, capacity: number) {
  return prisma.supportGroup.create({
    data: {
      slug,
      name: { en: 'G' },
      description: { en: 'd' },
      meets: { en: 'm' },
      needs: ['x'],
      locale: 'en',
      capacity,
      facilitatorId: 1,
    },
  });
}

async function inGroup(groupId: number, residentId: string, status: 'member' | 'waiting', order: number) {
  await prisma.groupOffer.create({ data: { groupId, residentId, offeredAt: now } });
  await prisma.groupMembership.create({
    data: { groupId, residentId, status, handle: `M-${residentId}`, joinedAt: new Date(1_000_000 + order) },
  });
}

async function statesOf(groupId: number) {
  const rows = await prisma.groupMembership.findMany({ where: { groupId }, orderBy: { id: 'asc' } });
  return Object.fromEntries(rows.map((row) => [row.residentId, row.status]));
}

/**
 * `first` runs in a transaction held open a moment after its work; `second` starts meanwhile (on
 * PostgreSQL it runs at once, or waits for a lock `first` holds). Both settled, in that order of starting.
 */
async function atOnce<T>(first: () => Promise<unknown>, second: () => Promise<T>): Promise<T> {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = runUnitOfWork(prisma, async () => {
    await first();
    await gate;
  });
  await sleep(150);
  const other = runUnitOfWork(prisma, second);
  await sleep(250);
  open();
  const [, result] = await Promise.all([held, other]);
  return result;
}

describe(describeDatabase('support group places at the same moment'), () => {
  it('two members leave at once: each freed place goes to a different resident waiting, each promoted once', async () => {
    const group = await groupOf('race-two-leave', 2);
    await inGroup(group.id, 'race-a', 'member', 1);
    await inGroup(group.id, 'race-b', 'member', 2);
    await inGroup(group.id, 'race-w1', 'waiting', 3);
    await inGroup(group.id, 'race-w2', 'waiting', 4);
    await atOnce(
      () => leaveGroup(deps, { residentId: 'race-a', groupId: group.id, now }),
      () => leaveGroup(deps, { residentId: 'race-b', groupId: group.id, now }),
    );
    expect(await statesOf(group.id)).toEqual({ 'race-w1': 'member', 'race-w2': 'member' });
    const promotions = (await prisma.caseEvent.findMany({ where: { type: 'group.joined' } })).filter(
      (event) => (event.detail as { groupId?: number } | null)?.groupId === group.id,
    );
    expect(promotions).toHaveLength(2);
  });

  it('a member leaves as another resident joins: the joiner takes the freed place, not the waiting list', async () => {
    const group = await groupOf('race-leave-join', 2);
    await inGroup(group.id, 'race-c', 'member', 1);
    await inGroup(group.id, 'race-d', 'member', 2);
    await prisma.groupOffer.create({ data: { groupId: group.id, residentId: 'race-e', offeredAt: now } });
    const joined = await atOnce(
      () => leaveGroup(deps, { residentId: 'race-c', groupId: group.id, now }),
      () => joinGroup(deps, { residentId: 'race-e', groupId: group.id, locale: 'en', now }),
    );
    expect(joined.type).toBe('joined');
    expect(await statesOf(group.id)).toEqual({ 'race-d': 'member', 'race-e': 'member' });
  });
});
