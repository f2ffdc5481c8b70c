import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { runUnitOfWork } from '../../src/db/unit-of-work.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { recordAuditAction, recordCaseEvent } from '../../src/services/audit.ts';
import { sealAuditLog } from '../../src/services/audit-chain.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

/**
 * The audit log is append-only and hash-chained: `admin audit verify` passes on an honest log (after a
 * thousand concurrent appends too) and names the first entry of a log someone edited, cut or reordered.
 */
let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(async () => {
  await database.close();
});

const T0 = new Date('2030-01-01T00:00:00Z');

async function caseId(): Promise<number> {
  const row = await prisma.case.create({ data: { level: 'high', source: 'crisis-message' } });
  return row.id;
}

async function verify(): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    ['audit', 'verify'],
    { prisma },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

/**
 * What someone with full access to the database can do, past the append-only trigger (as the table's owner
 * can): the chain must still give them away.
 */
async function asTamperer(change: () => Promise<unknown>): Promise<void> {
  await prisma.$executeRawUnsafe('ALTER TABLE "CaseEvent" DISABLE TRIGGER "CaseEvent_append_only"');
  try {
    await change();
  } finally {
    await prisma.$executeRawUnsafe('ALTER TABLE "CaseEvent" ENABLE TRIGGER "CaseEvent_append_only"');
  }
}

/** A fresh log of `n` entries, sealed. */
async function freshLog(n: number): Promise<number[]> {
  await asTamperer(() => prisma.caseEvent.deleteMany({}));
  const id = await caseId();
  for (let i = 0; i < n; i += 1) {
    await recordCaseEvent({ prisma }, { caseId: id, type: 'viewed', actor: `worker:${i}`, now: T0 });
  }
  await sealAuditLog({ prisma });
  const rows = await prisma.caseEvent.findMany({ orderBy: { chainSeq: 'asc' }, select: { id: true } });
  return rows.map((row) => row.id);
}

describe(describeDatabase('the audit log'), () => {
  beforeEach(async () => {
    await asTamperer(() => prisma.caseEvent.deleteMany({}));
  });

  it('chains every entry, case steps and admin actions alike, and verifies', async () => {
    const id = await caseId();
    await recordCaseEvent({ prisma }, { caseId: id, type: 'claimed', actor: 'worker:1', now: T0 });
    await recordAuditAction(
      { prisma },
      { type: 'rota.added', actor: 'admin', now: T0, detail: { shiftId: 3 } },
    );
    expect(await sealAuditLog({ prisma })).toBe(2);
    const rows = await prisma.caseEvent.findMany({ orderBy: { chainSeq: 'asc' } });
    expect(rows.map((row) => [row.chainSeq, row.hash?.length])).toEqual([
      [1, 64],
      [2, 64],
    ]);
    expect(await verify()).toEqual({
      code: 0,
      out: ['The audit log holds: 2 entries chained.', `Head: position 2, hash ${rows[1]?.hash}`],
      err: [],
    });
  });

  it('refuses, in the database, to change or remove a sealed entry, or to change one not yet sealed', async () => {
    const [first] = await freshLog(2);
    await expect(
      prisma.caseEvent.update({ where: { id: first }, data: { actor: 'worker:99' } }),
    ).rejects.toThrow();
    await expect(prisma.caseEvent.delete({ where: { id: first } })).rejects.toThrow();
    await expect(prisma.caseEvent.updateMany({ data: { chainSeq: null, hash: null } })).rejects.toThrow();
    const id = await caseId();
    await recordCaseEvent({ prisma }, { caseId: id, type: 'noted', actor: 'worker:1', now: T0 });
    const pending = await prisma.caseEvent.findFirstOrThrow({ where: { chainSeq: null } });
    await expect(
      prisma.caseEvent.update({ where: { id: pending.id }, data: { actor: 'x' } }),
    ).rejects.toThrow();
    expect((await verify()).code).toBe(0);
  });

  it('names an edited entry', async () => {
    const ids = await freshLog(5);
    await asTamperer(() => prisma.caseEvent.update({ where: { id: ids[2] }, data: { actor: 'worker:99' } }));
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      `The audit log is broken at position 3: entry ${ids[2]} does not match its hash (changed).`,
    ]);
  });

  it('names where an entry was deleted', async () => {
    const ids = await freshLog(5);
    await asTamperer(() => prisma.caseEvent.delete({ where: { id: ids[1] } }));
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.err).toEqual(['The audit log is broken at position 2: an entry is missing there (removed).']);
  });

  it('names two swapped entries', async () => {
    const ids = await freshLog(5);
    const [a, b] = await Promise.all(
      [ids[1], ids[3]].map((id) => prisma.caseEvent.findUniqueOrThrow({ where: { id } })),
    );
    if (!a || !b) throw new Error('no rows');
    // Their places in the chain exchanged (through a free position: chainSeq is unique).
    await asTamperer(async () => {
      await prisma.caseEvent.update({ where: { id: a.id }, data: { chainSeq: -1 } });
      await prisma.caseEvent.update({ where: { id: b.id }, data: { chainSeq: a.chainSeq, hash: a.hash } });
      await prisma.caseEvent.update({ where: { id: a.id }, data: { chainSeq: b.chainSeq, hash: b.hash } });
    });
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/^The audit log is broken at position 2: entry \d+ /);
  });

  it('holds after 1,000 appends from concurrent transactions, sealed while they ran', async () => {
    const id = await caseId();
    const writers = Array.from({ length: 20 }, (_, writer) =>
      (async () => {
        for (let i = 0; i < 50; i += 1) {
          await runUnitOfWork(prisma, async () => {
            await recordCaseEvent(
              { prisma },
              { caseId: id, type: 'relayed', actor: `worker:${writer}`, now: T0 },
            );
          });
        }
      })(),
    );
    const sealer = (async () => {
      for (let round = 0; round < 10; round += 1) await sealAuditLog({ prisma });
    })();
    await Promise.all([...writers, sealer]);
    const run = await verify();
    expect(run).toMatchObject({
      code: 0,
      out: ['The audit log holds: 1000 entries chained.', expect.any(String)],
    });
    const seqs = (await prisma.caseEvent.findMany({ select: { chainSeq: true } })).map((row) => row.chainSeq);
    expect(new Set(seqs).size).toBe(1000);
  });
});
