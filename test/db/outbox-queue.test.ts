import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDelivered } from '../../src/db/outbox-queue.ts';
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
