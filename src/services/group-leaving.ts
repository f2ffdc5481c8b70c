import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';
import { workerTexts } from './case-work.ts';
import type { TDataProtector } from './data-protection.ts';
import { offerOf } from './groups.ts';
import { enqueueOutbox, sealOutboxPayload, type TOutboxSender } from './outbox.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';
import { workerChatId } from './workers.ts';

type TLeavingDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  outboxSender?: TOutboxSender;
};

/** Why memberships end: the resident left, `/delete`, or the retention purge (which always erases). */
type THow = { actor: 'resident' | 'system'; isErasure: boolean; now: Date };

/**
 * Ends memberships and takes with them what the member said in the group: every way out of a group (leaving,
 * `/delete`, the retention purge) goes through here, so each frees its place the same way. The rows go; their
 * replies to the facilitator go from the outbox (their words are sealed there, linked to the membership); on
 * an erasure the copies already in the facilitator's chat are edited into a neutral line. Each end is
 * recorded for the weekly counts (group and status only), and each place freed goes to the first on the
 * waiting list (see {@link fillFreedPlaces}). Runs in the caller's transaction, which holds the groups' rows
 * until it commits. Returns how many ended.
 */
async function endMemberships(
  deps: TLeavingDeps,
  where: Prisma.GroupMembershipWhereInput,
  how: THow,
): Promise<number> {
  const db = currentClient(deps.prisma);
  const touched = await db.groupMembership.findMany({
    where,
    select: { groupId: true },
    distinct: ['groupId'],
  });
  if (touched.length === 0) return 0;
  // The groups' rows locked (in id order, as every path does) before the memberships are read: places are
  // counted under the same lock `joinGroup` takes, so two leaves, or a leave and a join, at once are counted
  // one after the other — nobody promoted twice, no place left free with someone waiting.
  const groupIds = touched.map((row) => row.groupId).sort((a, b) => a - b);
  await db.$queryRaw`SELECT id FROM "SupportGroup" WHERE id IN (${Prisma.join(groupIds)}) ORDER BY id FOR UPDATE`;
  const ended = await db.groupMembership.findMany({ where, orderBy: { id: 'asc' } });
  if (ended.length === 0) return 0;
  await eraseReplies(deps, { membershipIds: ended.map((row) => row.id), isErasure: how.isErasure });
  await db.groupMembership.deleteMany({ where: { id: { in: ended.map((row) => row.id) } } });
  for (const row of ended)
    await recordAuditAction(deps, {
      type: 'group.left',
      actor: how.actor,
      now: how.now,
      detail: { groupId: row.groupId, status: row.status },
    });
  const freed = new Set(ended.filter((row) => row.status === 'member').map((row) => row.groupId));
  for (const groupId of freed) await fillFreedPlaces(deps, { groupId, now: how.now });
  return ended.length;
}

/**
 * A member's replies to the facilitator, stored as sealed outbox rows linked to their membership: unsent
 * ones go; one in flight says the neutral line instead (and, on an erasure, is edited into it once sent); for
 * those sent, on an erasure, the message in the facilitator's chat is edited into the neutral line (an edit
 * linked to nothing).
 */
async function eraseReplies(
  deps: TLeavingDeps,
  input: { membershipIds: readonly number[]; isErasure: boolean },
): Promise<void> {
  const db = currentClient(deps.prisma);
  // Held, so no sender settles or picks one up meanwhile (as the erasure of a case's rows does).
  await db.$queryRaw`SELECT id FROM "OutboxMessage"
    WHERE "groupMembershipId" IN (${Prisma.join(input.membershipIds)}) FOR UPDATE`;
  const rows = await db.outboxMessage.findMany({
    where: { groupMembershipId: { in: [...input.membershipIds] } },
    include: { worker: { select: { locale: true, telegramUserId: true } } },
  });
  for (const row of rows) {
    const chatId = row.worker ? workerChatId(row.worker) : undefined;
    const text = workerTexts(deps, row.worker?.locale)('groups.reply_erased');
    if (row.status === 'sending' && chatId !== undefined) {
      await db.outboxMessage.update({
        where: { id: row.id },
        data: {
          groupMembershipId: null,
          payloadSealed: sealOutboxPayload(deps.protector, { type: 'send', chatId, text }),
        },
      });
      // A sender may already hold the words in memory: once it has sent them, this edit blanks them (as the
      // erasure of a case's rows in flight does).
      if (input.isErasure)
        await enqueueOutbox(deps, {
          kind: 'page-update',
          ...(row.workerId === null ? {} : { workerId: row.workerId }),
          payload: { type: 'edit', chatId, text, outboxId: row.id },
        });
      continue;
    }
    await db.outboxMessage.delete({ where: { id: row.id } });
    if (input.isErasure && row.status === 'sent' && row.sentMessageId !== null && chatId !== undefined)
      await enqueueOutbox(deps, {
        kind: 'page-update',
        ...(row.workerId === null ? {} : { workerId: row.workerId }),
        payload: { type: 'edit', chatId, text, messageId: row.sentMessageId },
      });
  }
}

/**
 * A place freed in a group goes to the first on its waiting list while there is room: a membership begun,
 * recorded for the counts as a join, and the resident told (in their language, through the outbox) when they
 * can still be reached.
 */
async function fillFreedPlaces(deps: TLeavingDeps, input: { groupId: number; now: Date }): Promise<void> {
  const db = currentClient(deps.prisma);
  const group = await db.supportGroup.findUnique({ where: { id: input.groupId } });
  // An ended group has no place to give: its waiting list is told nothing.
  if (!group || group.status === 'archived') return;
  const members = await db.groupMembership.count({ where: { groupId: group.id, status: 'member' } });
  const waiting = await db.groupMembership.findMany({
    where: { groupId: group.id, status: 'waiting' },
    orderBy: [{ joinedAt: 'asc' }, { id: 'asc' }],
    take: Math.max(0, group.capacity - members),
  });
  for (const next of waiting) {
    // Still waiting (not promoted, nor gone, meanwhile): only then a join counted and a resident told.
    const promoted = await db.groupMembership.updateMany({
      where: { id: next.id, status: 'waiting' },
      data: { status: 'member' },
    });
    if (promoted.count !== 1) continue;
    await recordAuditAction(deps, {
      type: 'group.joined',
      actor: 'system',
      now: input.now,
      detail: { groupId: group.id, status: 'member', promoted: true },
    });
    const resident = await db.resident.findUnique({ where: { id: next.residentId } });
    const chatId = residentChatIdOf(deps.protector, resident);
    if (chatId === undefined) continue;
    const locale = residentLocaleOf(resident);
    const t = deps.i18n.getFixedT(locale, 'bot');
    await enqueueOutbox(deps, {
      kind: 'resident-notice',
      payload: { type: 'send', chatId, text: t('groups.place_free', { group: offerOf(group, locale).name }) },
    });
  }
}

/**
 * "Leave" (from `/groups`): the membership is erased, with the member's replies still stored; a place freed
 * goes to the first on the waiting list. False: they were not in it.
 *
 * @example
 * await leaveGroup(deps, { residentId, groupId: 3, now: new Date() });
 */
export async function leaveGroup(
  deps: TLeavingDeps,
  input: { residentId: string; groupId: number; now: Date },
): Promise<boolean> {
  const ended = await endMemberships(
    deps,
    { groupId: input.groupId, residentId: input.residentId },
    { actor: 'resident', isErasure: false, now: input.now },
  );
  return ended > 0;
}

/**
 * `/delete` and the retention purge: every membership (places freed as when leaving, replies erased) and
 * every offer of these residents goes — the offers hold "Not now" and when they joined. Returns how many
 * memberships ended.
 *
 * @example
 * await eraseGroupTraces(deps, { residentIds: [residentId], actor: 'resident', now });
 */
export async function eraseGroupTraces(
  deps: TLeavingDeps,
  input: { residentIds: readonly string[]; actor: 'resident' | 'system'; now: Date },
): Promise<number> {
  if (input.residentIds.length === 0) return 0;
  const ended = await endMemberships(
    deps,
    { residentId: { in: [...input.residentIds] } },
    { actor: input.actor, isErasure: true, now: input.now },
  );
  await currentClient(deps.prisma).groupOffer.deleteMany({
    where: { residentId: { in: [...input.residentIds] } },
  });
  return ended;
}
