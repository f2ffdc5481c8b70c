import { currentClient } from '../db/unit-of-work.ts';
import type { Worker } from '../generated/prisma/client.ts';
import { recordCaseEvent } from './audit.ts';
import { passOnKeptMessages, type TCaseWorkDeps, tellResidentOfCase, workerTexts } from './case-work.ts';
import { enqueueOutbox, openOutboxPayload } from './outbox.ts';
import { workerActor } from './workers.ts';

export type TClaimOutcome =
  /** `keptMessages`: what the resident wrote while the case waited, on its way to the claimer. */
  | { type: 'claimed'; caseId: number; level: string; pagesUpdated: number; keptMessages: number }
  | { type: 'already-yours'; caseId: number }
  /** Their access ended (`admin deactivate`) while they pressed Claim. */
  | { type: 'no-longer-worker'; caseId: number }
  | { type: 'taken'; caseId: number; claimedByName: string | null }
  | { type: 'closed'; caseId: number; status: string }
  | { type: 'not-found'; caseId: number };

/**
 * Claim: the worker takes a waiting case. Atomic — the update only matches while the case is still waiting,
 * so when two workers press Claim together exactly one row changes and the other is told who has it (a
 * concurrent transaction on PostgreSQL waits on the row lock and then finds it claimed). The winner's case
 * becomes their active one, the escalation ladder stops, every page sent for the case is edited (through
 * the outbox) so nobody else answers it, and the messages the resident wrote while waiting follow, in order.
 *
 * @example
 * const outcome = await claimCase(deps, { caseId: 12, worker, now: new Date() });
 * if (outcome.type === 'taken') await ctx.reply(`Already claimed by ${outcome.claimedByName}`);
 */
export async function claimCase(
  deps: TCaseWorkDeps,
  input: { caseId: number; worker: Worker; now: Date },
): Promise<TClaimOutcome> {
  const db = currentClient(deps.prisma);
  const { caseId, worker, now } = input;
  // Shared lock on their row: a deactivation either waits for this claim (and then releases the case) or
  // has committed already, and the claim sees it.
  const [me] = await db.$queryRaw<Array<{ isActive: boolean }>>`
    SELECT "isActive" FROM "Worker" WHERE id = ${worker.id} FOR SHARE`;
  if (!me?.isActive) return { type: 'no-longer-worker', caseId };
  const won = await db.case.updateMany({
    where: { id: caseId, status: 'waiting' },
    data: {
      status: 'claimed',
      claimedById: worker.id,
      claimedAt: now,
      nextEscalationAt: null,
      nobodyPagedAt: null,
    },
  });
  if (won.count === 0) {
    const row = await db.case.findUnique({
      where: { id: caseId },
      include: { claimedBy: { select: { name: true } } },
    });
    if (!row) return { type: 'not-found', caseId };
    if (row.status !== 'claimed') return { type: 'closed', caseId, status: row.status };
    if (row.claimedById === worker.id) return { type: 'already-yours', caseId };
    return { type: 'taken', caseId, claimedByName: row.claimedBy?.name ?? null };
  }

  const claimed = await db.case.findUniqueOrThrow({ where: { id: caseId }, select: { level: true } });
  await db.worker.update({ where: { id: worker.id }, data: { activeCaseId: caseId } });
  await recordCaseEvent(deps, { caseId, type: 'claimed', actor: workerActor(worker.id), now });
  const pagesUpdated = await markPagesClaimed(deps, { caseId, level: claimed.level, winnerId: worker.id });
  await tellResidentOfCase(deps, { caseId, key: 'relay.claimed' });
  const keptMessages = await passOnKeptMessages(deps, { caseId, worker, now });
  return { type: 'claimed', caseId, level: claimed.level, pagesUpdated, keptMessages };
}

/**
 * Edits every page sent for the case: others read "claimed" (no name, no details, no buttons); the winner's
 * own page keeps its summary with a mark, and loses its Claim button.
 */
async function markPagesClaimed(
  deps: TCaseWorkDeps,
  input: { caseId: number; level: string; winnerId: number },
): Promise<number> {
  // A refresh of a waiting case's pages not yet sent would undo what this says (see `refreshPages`).
  await currentClient(deps.prisma).outboxMessage.deleteMany({
    where: { caseId: input.caseId, kind: 'page-update', status: 'pending' },
  });
  const pages = await currentClient(deps.prisma).outboxMessage.findMany({
    // `sending` too: a page in flight as the claim lands is edited once it has arrived.
    where: { caseId: input.caseId, kind: 'page', status: { in: ['sent', 'sending'] } },
    include: { worker: { select: { locale: true } } },
    orderBy: { id: 'asc' },
  });
  let updated = 0;
  for (const page of pages) {
    const sent = openOutboxPayload(deps.protector, page.payloadSealed);
    if (sent.type !== 'send') continue;
    const t = workerTexts(deps, page.worker?.locale);
    const text =
      page.workerId === input.winnerId
        ? `${sent.text}\n\n${t('page.claimed_by_you')}`
        : t('page.claimed', { id: input.caseId, level: t(`levels.${input.level}`) });
    await enqueueOutbox(deps, {
      kind: 'page-update',
      caseId: input.caseId,
      ...(page.workerId === null ? {} : { workerId: page.workerId }),
      payload: { type: 'edit', chatId: sent.chatId, outboxId: page.id, text },
    });
    updated += 1;
  }
  return updated;
}
