import { conversationStorageKey } from '../db/session-storage.ts';
import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { OPEN_CASE_STATUSES } from './cases.ts';
import { anonymiseCases, type TEraseResidentDeps } from './erase-resident.ts';
import { eraseGroupTraces } from './group-leaving.ts';
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
  /** Group memberships ended: of residents purged, or left behind by a resident no longer held. */
  groupMemberships: number;
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
    groupMemberships: 0,
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
  // screening since the cutoff, no change to their record since, and in no support group. A member of a
  // group (or one on its waiting list) is not dormant: they still get its announcements and may answer
  // them, however long ago they last wrote. Checked again as they are deleted, so a resident who writes (or
  // joins) in the meantime is kept.
  const dormantNow = async (): Promise<Prisma.ResidentWhereInput> => ({
    updatedAt: { lt: cutoff },
    cases: { none: {} },
    screenings: { none: { OR: [{ startedAt: { gte: cutoff } }, { completedAt: { gte: cutoff } }] } },
    id: { notIn: await groupMembersOf(deps) },
  });
  for (;;) {
    const candidates = await deps.prisma.resident.findMany({
      where: await dormantNow(),
      select: { id: true },
      take: BATCH,
    });
    if (candidates.length === 0) break;
    await inTransaction(deps, async () => {
      const db = currentClient(deps.prisma);
      const locked = await db.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "Resident" WHERE id IN (${Prisma.join(candidates.map((r) => r.id))}) FOR UPDATE`;
      const dormant = await dormantNow();
      const still = await db.resident.findMany({
        where: { AND: [dormant, { id: { in: locked.map((r) => r.id) } }] },
        select: { id: true },
      });
      const ids = still.map((r) => r.id);
      // As `/delete` does: their offers (and any membership that raced in) go, places freed to the waiting list.
      result.groupMemberships += await eraseGroupTraces(deps, {
        residentIds: ids,
        actor: 'system',
        now: input.now,
      });
      const { count } = await db.screening.deleteMany({ where: { residentId: { in: ids } } });
      result.screenings += count;
      await db.botSession.deleteMany({ where: { key: { in: ids.map(conversationStorageKey) } } });
      await db.outboxMessage.deleteMany({ where: { lane: { in: ids.map(residentLane) } } });
      await db.resident.deleteMany({ where: { id: { in: ids } } });
      result.residents += ids.length;
    });
  }

  // Memberships whose resident is no longer held (erased before group erasure reached every way out) hold
  // places and count as members: they go the same way, their places to the waiting list.
  const orphans = await deps.prisma.$queryRaw<Array<{ residentId: string }>>`
    SELECT DISTINCT m."residentId" FROM "GroupMembership" m
    WHERE NOT EXISTS (SELECT 1 FROM "Resident" r WHERE r.id = m."residentId")`;
  if (orphans.length > 0)
    await inTransaction(deps, async () => {
      result.groupMemberships += await eraseGroupTraces(deps, {
        residentIds: orphans.map((row) => row.residentId),
        actor: 'system',
        now: input.now,
      });
    });

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

  // A group's rows stay while their membership does: a member's reply (its message id, for `/delete` to blank
  // it in the facilitator's chat) and an announcement a member got (its id tells a reply to it; it sits in
  // the member's lane, which is their id: see `residentLane`).
  result.outbox = await deps.prisma.$executeRaw`
    DELETE FROM "OutboxMessage" o
    WHERE o."caseId" IS NULL AND o.status IN ('sent', 'failed', 'unreachable') AND o."createdAt" < ${cutoff}
      AND NOT EXISTS (
        SELECT 1 FROM "GroupMembership" m
        WHERE m.id = o."groupMembershipId"
          OR (o."groupMembershipId" IS NULL AND m."groupId" = o."groupId" AND m."residentId" = o.lane))`;
  const updates = await deps.prisma.processedUpdate.deleteMany({
    where: { processedAt: { lt: new Date(input.now.getTime() - PROCESSED_UPDATE_KEEP_MS) } },
  });
  result.processedUpdates = updates.count;
  return result;
}

function inTransaction(deps: TEraseResidentDeps, work: () => Promise<void>): Promise<void> {
  return runUnitOfWork(deps.prisma, work, TRANSACTION_OPTIONS);
}

/** The residents in a support group (members or waiting): never dormant (see `purgeExpired`). */
async function groupMembersOf(deps: TEraseResidentDeps): Promise<string[]> {
  const rows = await currentClient(deps.prisma).groupMembership.findMany({
    select: { residentId: true },
    distinct: ['residentId'],
  });
  return rows.map((row) => row.residentId);
}
