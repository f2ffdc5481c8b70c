import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDelivered, releaseRows, renewLeases } from '../../src/db/outbox-queue.ts';
import { createRandom } from '../../src/domain/random.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

describe(describeDatabase('recordDelivered'), () => {
  it('points a screening at its latest question, whatever order the deliveries are recorded in', async () => {
    await prisma.resident.create({ data: { id: 'outbox-queue-resident' } });
    const { id: screeningId } = await prisma.screening.create({
      data: { residentId: 'outbox-queue-resident', scriptId: 'default', scriptVersion: 1, stateSealed: 'x' },
    });
    const sentAt = new Date();
    const promptOf = async () =>
      (await prisma.screening.findUniqueOrThrow({ where: { id: screeningId } })).promptMessageId;

    // Two questions' deliveries in one batch, the later one first.
    await recordDelivered(prisma, [
      { id: 900_002, messageId: 41, sentAt, screeningId },
      { id: 900_001, messageId: 40, sentAt, screeningId },
    ]);
    expect(await promptOf()).toBe(41);
    // A batch retried after a failure, recorded after a newer one: the newer question stays.
    await recordDelivered(prisma, [{ id: 900_000, messageId: 39, sentAt, screeningId }]);
    expect(await promptOf()).toBe(41);
  });
});

describe(describeDatabase('rows one process holds'), () => {
  // Its lease renewal and the recording of its deliveries run on their own timers, on two pooled
  // connections: each takes the rows in id order, or one waits on a row the other holds (40P01).
  it('are renewed, recorded and released at the same moment without a deadlock', async () => {
    const owner = 'outbox-queue-owner';
    // Enough other rows that the planner finds these by their index, in the order each statement is given.
    await prisma.$executeRaw`
      INSERT INTO "OutboxMessage" (kind, "payloadSealed", status)
      SELECT 'reply', 'x', 'sent' FROM generate_series(1, 5000)`;
    const rows = await prisma.outboxMessage.createManyAndReturn({
      data: Array.from({ length: 60 }, () => ({
        kind: 'reply',
        payloadSealed: 'x',
        status: 'sending',
        leaseOwner: owner,
      })),
      select: { id: true },
    });
    await prisma.$executeRaw`ANALYZE "OutboxMessage"`;
    const ids = rows.map((row) => row.id);
    const random = createRandom(8);
    const inDeliveryOrder = () => [...ids].sort(() => random() - 0.5);
    const until = new Date(Date.now() + 60_000);
    for (let round = 0; round < 15; round++) {
      await prisma.outboxMessage.updateMany({
        where: { id: { in: ids } },
        data: { status: 'sending', leaseOwner: owner, lockedUntil: null },
      });
      const [recorded, released] = [inDeliveryOrder(), inDeliveryOrder().slice(0, 20)];
      await Promise.all([
        renewLeases(prisma, { ids: inDeliveryOrder(), owner, until }),
        recordDelivered(
          prisma,
          recorded.slice(20).map((id) => ({ id, messageId: null, sentAt: new Date() })),
        ),
        releaseRows(prisma, { ids: released, owner, now: new Date() }),
        renewLeases(prisma, { ids: [...ids].reverse(), owner, until }),
      ]);
    }
    const statuses = await prisma.outboxMessage.groupBy({
      by: ['status'],
      where: { id: { in: ids } },
      _count: true,
    });
    expect(statuses.map((row) => row._count).reduce((sum, count) => sum + count)).toBe(60);
  });
});
