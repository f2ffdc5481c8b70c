import { conversationStorageKey } from '../db/session-storage.ts';
import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { eraseResident, type TEraseResidentDeps } from './erase-resident.ts';

/** Pseudonyms are base64url digests: anything else in an erasure list is a mistake, not a resident. */
const PSEUDONYM = /^[A-Za-z0-9_-]{16,128}$/;

/** Every erased pseudonym with its time, oldest first: the list to keep beside the backups. */
export async function listErasures(deps: {
  prisma: PrismaClient;
}): Promise<Array<{ pseudonym: string; erasedAt: Date }>> {
  return currentClient(deps.prisma).erasure.findMany({
    orderBy: [{ erasedAt: 'asc' }, { pseudonym: 'asc' }],
  });
}

export type TReapplyOutcome = {
  /** Residents found again (restored from a backup older than their erasure) and erased again. */
  erasedAgain: number;
  /** Already gone: nothing to do but remember them. */
  alreadyGone: number;
  /** Lines that are no pseudonym. */
  refused: string[];
};

/**
 * After a backup is restored: erases again every listed resident the restored data still holds, and records
 * each pseudonym, so the list in the database is whole again. One transaction per resident.
 *
 * @example
 * await reapplyErasures(deps, { pseudonyms: text.split('\n'), now: new Date() });
 */
export async function reapplyErasures(
  deps: TEraseResidentDeps,
  input: { pseudonyms: readonly string[]; now: Date },
): Promise<TReapplyOutcome> {
  const outcome: TReapplyOutcome = { erasedAgain: 0, alreadyGone: 0, refused: [] };
  for (const line of input.pseudonyms) {
    const pseudonym = line.split(/\s/)[0]?.trim() ?? '';
    if (pseudonym === '') continue;
    if (!PSEUDONYM.test(pseudonym)) {
      outcome.refused.push(pseudonym.slice(0, 40));
      continue;
    }
    await runUnitOfWork(deps.prisma, async () => {
      const db = currentClient(deps.prisma);
      const [resident, screenings, cases] = await Promise.all([
        db.resident.count({ where: { id: pseudonym } }),
        db.screening.count({ where: { residentId: pseudonym } }),
        db.case.count({ where: { residentId: pseudonym } }),
      ]);
      if (resident + screenings + cases > 0) {
        await eraseResident(deps, {
          residentId: pseudonym,
          storageKeys: [conversationStorageKey(pseudonym)],
        });
        outcome.erasedAgain += 1;
      } else {
        outcome.alreadyGone += 1;
      }
      await db.erasure.createMany({ data: [{ pseudonym, erasedAt: input.now }], skipDuplicates: true });
    });
  }
  return outcome;
}
