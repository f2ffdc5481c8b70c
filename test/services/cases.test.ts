import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUnitOfWork } from '../../src/db/unit-of-work.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { findOpenCase, openOrRaiseCase, primeOpenCase } from '../../src/services/cases.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

let nextResident = 1;
async function newResident(): Promise<string> {
  const id = `cases-resident-${nextResident++}`;
  await prisma.resident.create({ data: { id } });
  return id;
}

async function screeningOf(residentId: string): Promise<string> {
  const row = await prisma.screening.create({
    data: { residentId, scriptId: 'default', scriptVersion: 2, stateSealed: 'x' },
  });
  return row.id;
}

const crisis = {
  crisis: { level: 'imminent', kind: 'self', reasons: [{ id: 'self.plan', explanation: 'A plan' }] },
};
const grievance = { grievance: { wordCount: 12, isShortText: true, categories: [] } };
const details = (id: string, total: number) => ({
  id,
  scriptId: 'default',
  scriptVersion: 2,
  scores: { distress: { total } },
  explanation: [{ kind: 'band', total }],
});

describe(describeDatabase('openOrRaiseCase'), () => {
  it("adds a screening's grievance signals to the crisis signals already on the case", async () => {
    const residentId = await newResident();
    const { caseId } = await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'imminent', source: 'crisis-message', signals: crisis },
    );
    await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'high', source: 'screening', signals: grievance },
    );
    const row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(JSON.parse(protector.open(row.signalsSealed ?? '', 'case-signals'))).toEqual({
      ...crisis,
      ...grievance,
    });
  });

  it('lets the screening that opened a case fill it in as it goes on, but not another screening', async () => {
    const residentId = await newResident();
    const first = await screeningOf(residentId);
    const { caseId } = await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'high', source: 'screening', score: 3, screening: details(first, 3) },
    );
    await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'high', source: 'screening', score: 17, screening: details(first, 17) },
    );
    let row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect([row.score, row.scores]).toEqual([17, { distress: { total: 17 } }]);

    const second = await screeningOf(residentId);
    await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'high', source: 'screening', score: 2, screening: details(second, 2) },
    );
    row = await prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect([row.screeningId, row.score, row.scores]).toEqual([first, 17, { distress: { total: 17 } }]);
  });

  it('a case resolved after the update read it is not raised: a new case is opened and paged', async () => {
    const residentId = await newResident();
    const { caseId: first } = await openOrRaiseCase(
      { prisma, protector },
      { residentId, level: 'high', source: 'screening' },
    );
    // The update's snapshot saw the case open …
    const seen = await runUnitOfWork(prisma, () => findOpenCase({ prisma }, residentId));
    expect(seen).toMatchObject({ id: first, status: 'waiting' });
    // … and a worker resolved it before the crisis message raises it.
    await prisma.case.update({ where: { id: first }, data: { status: 'resolved', closedAt: new Date() } });
    const raised = await runUnitOfWork(prisma, async () => {
      primeOpenCase(residentId, seen);
      return openOrRaiseCase(
        { prisma, protector },
        { residentId, level: 'imminent', source: 'crisis-message', signals: crisis },
      );
    });
    expect(raised.change).toBe('created');
    expect(raised.caseId).not.toBe(first);
    expect(await prisma.case.findUniqueOrThrow({ where: { id: first } })).toMatchObject({
      status: 'resolved',
      level: 'high',
    });
    expect(await prisma.case.findUniqueOrThrow({ where: { id: raised.caseId } })).toMatchObject({
      status: 'waiting',
      level: 'imminent',
      nextEscalationAt: expect.any(Date),
    });
  });
});
