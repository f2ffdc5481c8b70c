import { conversationStorageKey } from '../db/session-storage.ts';
import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { OPEN_CASE_STATUSES } from './cases.ts';
import { anonymiseCases, type TEraseResidentDeps } from './erase-resident.ts';
import { residentLane } from './outbox.ts';

/** Telegram stops delivering an update again within a day; a week of ids is plenty to spot a repeat. */
const PROCESSED_UPDATE_KEEP_MS = 7 * 24 * 60 * 60 * 1000;
/** Rows per transaction: a purge never holds the (embedded) database for long. */
const BATCH = 50;
/** As the sweep: the embedded database runs one transaction at a time, so waiting for a turn is normal. */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;

export type TPurgeResult = {
  /** Closed cases whose personal content went: an anonymous row stays of each. */
  cases: number;
  /** Their messages in workers' chats (pages, relayed words, alerts), set to be edited into a neutral line. */
  messagesBlanked: number;
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
 * const purged = await purgeExpired({ prisma, protector, i18n }, { now: new Date(), retentionMs: 90 * DAY_MS });
 */
export async function purgeExpired(
  deps: TEraseResidentDeps,
  input: { now: Date; retentionMs: number },
): Promise<TPurgeResult> {
  const cutoff = new Date(input.now.getTime() - input.retentionMs);
  const result: TPurgeResult = {
    cases: 0,
    messagesBlanked: 0,
    residents: 0,
    screenings: 0,
    outbox: 0,
    processedUpdates: 0,
  };

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
    await inTransaction(deps, async () => {
      const { messagesBlanked } = await anonymiseCases(deps, {
        caseIds: expired.map((c) => c.id),
        reason: 'purged',
        actor: 'system',
        now: input.now,
      });
      result.messagesBlanked += messagesBlanked;
    });
    result.cases += expired.length;
  }

  // Nothing of theirs is recent or open: no case linked any more (closed ones were just anonymised), no
  // screening since the cutoff, no change to their record since. Checked again as they are deleted, so a
  // resident who writes in the meantime is kept.
  const dormant: Prisma.ResidentWhereInput = {
    updatedAt: { lt: cutoff },
    cases: { none: {} },
    screenings: { none: { OR: [{ startedAt: { gte: cutoff } }, { completedAt: { gte: cutoff } }] } },
  };
  for (;;) {
    const candidates = await deps.prisma.resident.findMany({
      where: dormant,
      select: { id: true },
      take: BATCH,
    });
    if (candidates.length === 0) break;
    await inTransaction(deps, async () => {
      const db = currentClient(deps.prisma);
      const locked = await db.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "Resident" WHERE id IN (${Prisma.join(candidates.map((r) => r.id))}) FOR UPDATE`;
      const still = await db.resident.findMany({
        where: { ...dormant, id: { in: locked.map((r) => r.id) } },
        select: { id: true },
      });
      const ids = still.map((r) => r.id);
      const { count } = await db.screening.deleteMany({ where: { residentId: { in: ids } } });
      result.screenings += count;
      await db.botSession.deleteMany({ where: { key: { in: ids.map(conversationStorageKey) } } });
      await db.outboxMessage.deleteMany({ where: { lane: { in: ids.map(residentLane) } } });
      await db.resident.deleteMany({ where: { id: { in: ids } } });
      result.residents += ids.length;
    });
  }

  // A resident who comes back keeps their record, but not the answers of screenings long over whose cases
  // (if any) are gone.
  const oldScreenings = await deps.prisma.screening.deleteMany({
    where: {
      status: { in: ['completed', 'cancelled'] },
      OR: [{ completedAt: { lt: cutoff } }, { completedAt: null, startedAt: { lt: cutoff } }],
      cases: { none: {} },
    },
  });
  result.screenings += oldScreenings.count;

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

function inTransaction(deps: TEraseResidentDeps, work: () => Promise<void>): Promise<void> {
  return runUnitOfWork(deps.prisma, work, TRANSACTION_OPTIONS);
}
