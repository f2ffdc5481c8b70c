import { conversationStorageKey } from '../db/session-storage.ts';
import { currentClient, withTransaction } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { anonymiseCases, OPEN_CASE_STATUSES } from './cases.ts';

/** Telegram stops delivering an update again within a day; a week of ids is plenty to spot a repeat. */
const PROCESSED_UPDATE_KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** Rows per transaction: a purge never holds the (embedded) database for long. */
const BATCH = 200;

export type TPurgeResult = {
  /** Closed cases whose personal content went: an anonymous row stays of each. */
  cases: number;
  /** Residents with nothing left to keep: their record, screenings and conversation state. */
  residents: number;
  screenings: number;
  /** Messages delivered (or given up on) long ago that belong to no case. */
  outbox: number;
  processedUpdates: number;
};

/**
 * The retention period the privacy notice promises: what a resident told the service is kept while their
 * case is open and for `retentionMs` after it closed (or after their last screening, when no case was
 * opened), then purged — the same anonymisation as `/delete`, which needs no wait. Housekeeping rides along:
 * delivered outbox rows of no case, and update ids too old to be delivered again.
 *
 * Idempotent and safe to run from several instances at once (each step only deletes or nulls); it works in
 * small transactions and reports what it did.
 *
 * @example
 * const purged = await purgeExpired({ prisma }, { now: new Date(), retentionMs: 90 * DAY_MS });
 */
export async function purgeExpired(
  deps: { prisma: PrismaClient },
  input: { now: Date; retentionMs: number },
): Promise<TPurgeResult> {
  const cutoff = new Date(input.now.getTime() - input.retentionMs);
  const result: TPurgeResult = { cases: 0, residents: 0, screenings: 0, outbox: 0, processedUpdates: 0 };

  for (;;) {
    const expired = await deps.prisma.case.findMany({
      where: {
        status: { notIn: [...OPEN_CASE_STATUSES] },
        closedAt: { lt: cutoff },
        // Not yet anonymised (a case `/delete` withdrew has nothing left to purge).
        OR: [{ residentId: { not: null } }, { signalsSealed: { not: null } }, { messages: { some: {} } }],
      },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: BATCH,
    });
    if (expired.length === 0) break;
    await inTransaction(deps, () =>
      anonymiseCases(deps, {
        caseIds: expired.map((c) => c.id),
        reason: 'purged',
        actor: 'system',
        now: input.now,
      }),
    );
    result.cases += expired.length;
  }

  for (;;) {
    // Nothing of theirs is recent or open: no case linked any more (closed ones were just anonymised),
    // no screening since the cutoff, no change to their record since.
    const dormant = await deps.prisma.resident.findMany({
      where: {
        updatedAt: { lt: cutoff },
        cases: { none: {} },
        screenings: { none: { OR: [{ startedAt: { gte: cutoff } }, { completedAt: { gte: cutoff } }] } },
      },
      select: { id: true },
      take: BATCH,
    });
    if (dormant.length === 0) break;
    const ids = dormant.map((r) => r.id);
    await inTransaction(deps, async () => {
      const db = currentClient(deps.prisma);
      const { count } = await db.screening.deleteMany({ where: { residentId: { in: ids } } });
      result.screenings += count;
      await db.botSession.deleteMany({ where: { key: { in: ids.map(conversationStorageKey) } } });
      await db.resident.deleteMany({ where: { id: { in: ids } } });
    });
    result.residents += ids.length;
  }

  const outbox = await deps.prisma.outboxMessage.deleteMany({
    where: { caseId: null, status: { in: ['sent', 'failed', 'unreachable'] }, createdAt: { lt: cutoff } },
  });
  result.outbox = outbox.count;
  const updates = await deps.prisma.processedUpdate.deleteMany({
    where: { processedAt: { lt: new Date(input.now.getTime() - PROCESSED_UPDATE_KEEP_MS) } },
  });
  result.processedUpdates = updates.count;
  return result;
}

function inTransaction(deps: { prisma: PrismaClient }, work: () => Promise<void>): Promise<void> {
  return deps.prisma.$transaction((tx) => withTransaction(tx, work));
}
