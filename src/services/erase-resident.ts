import { currentClient } from '../db/unit-of-work.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { OPEN_CASE_STATUSES } from './cases.ts';

/**
 * `/delete`: erases everything held about a resident — screenings and their answers, consent, the resident
 * record, their conversation state, and the personal content of their cases. What stays of a case is an
 * anonymous row (level, status, times, script version) for statistics, linked to no one. Open cases are
 * withdrawn. Runs in the current update's transaction: all of it, or none.
 *
 * @example
 * await eraseResident({ prisma }, { residentId, storageKeys: [`conversation:${residentId}`] });
 */
export async function eraseResident(
  deps: { prisma: PrismaClient },
  input: { residentId: string; storageKeys: readonly string[] },
): Promise<{ casesAnonymised: number }> {
  const db = currentClient(deps.prisma);
  const cases = await db.case.findMany({
    where: { residentId: input.residentId },
    select: { id: true, status: true },
  });
  const caseIds = cases.map((c) => c.id);
  const openIds = cases
    .filter((c) => (OPEN_CASE_STATUSES as readonly string[]).includes(c.status))
    .map((c) => c.id);

  await db.caseEvent.updateMany({ where: { caseId: { in: caseIds } }, data: { detail: Prisma.DbNull } });
  await db.case.updateMany({
    where: { id: { in: openIds } },
    data: { status: 'withdrawn', closedAt: new Date(), nextEscalationAt: null },
  });
  await db.case.updateMany({
    where: { id: { in: caseIds } },
    data: {
      residentId: null,
      screeningId: null,
      scores: Prisma.DbNull,
      explanation: Prisma.DbNull,
      signalsSealed: null,
    },
  });
  // What was said in the case, notes about the person, and messages still waiting to be sent.
  await db.caseMessage.deleteMany({ where: { caseId: { in: caseIds } } });
  await db.caseNote.deleteMany({ where: { caseId: { in: caseIds } } });
  await db.outboxMessage.deleteMany({ where: { caseId: { in: caseIds } } });
  await db.caseEvent.createMany({
    data: caseIds.map((caseId) => ({ caseId, type: 'erased', actor: 'resident' })),
  });
  await db.screening.deleteMany({ where: { residentId: input.residentId } });
  await db.botSession.deleteMany({ where: { key: { in: [...input.storageKeys] } } });
  await db.resident.deleteMany({ where: { id: input.residentId } });
  return { casesAnonymised: caseIds.length };
}
