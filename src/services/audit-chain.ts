import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import { CHAIN_START, chainHash, type TChainProblem, verifyChain } from '../domain/audit-chain.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';

/** The advisory lock space of "sealing the audit chain" ("Audt"): one sealer at a time, on any instance. */
const AUDIT_CHAIN_LOCK = 0x41756474;
const SEAL_BATCH = 1000;

/**
 * Gives the audit entries committed since the last call their place in the hash chain, in the order this sealer
 * first sees them committed (by id): one transaction, under an advisory lock, so sealers on several instances
 * take turns and the chain never forks. Appending stays a plain insert with no lock: many updates write entries
 * at once, and the chain is built behind them, within a second (the background loop calls this each round).
 * Returns how many entries it sealed.
 *
 * @example
 * await sealAuditLog({ prisma });
 */
export async function sealAuditLog(deps: { prisma: PrismaClient }): Promise<number> {
  return runUnitOfWork(deps.prisma, async () => {
    const db = currentClient(deps.prisma);
    await db.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`;
    const pending = await db.caseEvent.findMany({
      where: { chainSeq: null },
      orderBy: { id: 'asc' },
      take: SEAL_BATCH,
    });
    if (pending.length === 0) return 0;
    const head = await db.caseEvent.findFirst({
      where: { chainSeq: { not: null } },
      orderBy: { chainSeq: 'desc' },
      select: { chainSeq: true, hash: true },
    });
    let seq = head?.chainSeq ?? 0;
    let previous = head?.hash ?? CHAIN_START;
    const ids: number[] = [];
    const seqs: number[] = [];
    const hashes: string[] = [];
    for (const entry of pending) {
      seq += 1;
      previous = chainHash(previous, entry);
      ids.push(entry.id);
      seqs.push(seq);
      hashes.push(previous);
    }
    await db.$executeRaw`
      UPDATE "CaseEvent" e SET "chainSeq" = v.seq, hash = v.hash
      FROM unnest(${ids}::int[], ${seqs}::int[], ${hashes}::text[]) AS v(id, seq, hash)
      WHERE e.id = v.id`;
    return pending.length;
  });
}

export type TAuditVerification = {
  /** Entries in the chain, and entries written but not sealed yet (none once the sealer has run). */
  sealed: number;
  pending: number;
  problem: TChainProblem | undefined;
  /** The last sealed entry's place and hash: noted elsewhere, it shows whether the end was cut off. */
  head: { chainSeq: number; hash: string } | undefined;
};

/**
 * Checks the whole chain (see `verifyChain`) after sealing what is pending: an edited, removed or reordered
 * entry is named by its chain position and id.
 *
 * @example
 * const { problem } = await verifyAuditLog({ prisma }); // undefined when it holds
 */
export async function verifyAuditLog(deps: { prisma: PrismaClient }): Promise<TAuditVerification> {
  while ((await sealAuditLog(deps)) === SEAL_BATCH) {
    // Sealing in batches: a long backlog takes several.
  }
  const sealed = await deps.prisma.caseEvent.findMany({
    where: { chainSeq: { not: null } },
    orderBy: { chainSeq: 'asc' },
  });
  const pending = await deps.prisma.caseEvent.count({ where: { chainSeq: null } });
  const last = sealed.at(-1);
  const head = last?.chainSeq && last.hash ? { chainSeq: last.chainSeq, hash: last.hash } : undefined;
  return { sealed: sealed.length, pending, problem: verifyChain(sealed), head };
}
