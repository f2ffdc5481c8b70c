import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { relayParts, workerTexts } from './case-work.ts';
import type { TDataProtector } from './data-protection.ts';
import { enqueueOutbox, residentLane, type TOutboxSender } from './outbox.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';
import { workerChatId } from './workers.ts';

/** What a member's reply answers: a group's announcement, and their live membership of that group. */
export type TGroupReplyTarget = { groupId: number; membershipId: number; handle: string };

/**
 * Whether a resident's message replying to `replyToMessageId` (a message of the bot in their chat) answers an
 * announcement of a group they are a member of now. The announcement is found by the id Telegram gave it in
 * their chat: its outbox row names the group. Two reads, made only for a reply to one of the bot's messages.
 *
 * @example
 * const target = await groupReplyTargetOf(deps, { residentId, replyToMessageId: 812 });
 */
export async function groupReplyTargetOf(
  deps: { prisma: PrismaClient },
  input: { residentId: string; replyToMessageId: number },
): Promise<TGroupReplyTarget | undefined> {
  const db = currentClient(deps.prisma);
  const announcement = await db.outboxMessage.findFirst({
    where: {
      lane: residentLane(input.residentId),
      sentMessageId: input.replyToMessageId,
      kind: 'relay-to-resident',
      groupId: { not: null },
    },
    select: { groupId: true },
    orderBy: { id: 'desc' },
  });
  if (announcement?.groupId == null) return undefined;
  const membership = await db.groupMembership.findUnique({
    where: { groupId_residentId: { groupId: announcement.groupId, residentId: input.residentId } },
  });
  if (membership?.status !== 'member') return undefined;
  return { groupId: membership.groupId, membershipId: membership.id, handle: membership.handle };
}

export type TGroupReplyOutcome = { type: 'relayed' } | { type: 'no-facilitator' | 'ended' };

/**
 * A member's reply to a group announcement: to the group's facilitator now (the one who runs it, whoever sent
 * the announcement) alone, through the bot, labelled with that group and the member's handle — never their
 * name, account or Telegram id; the other members never see it. Stored only as a sealed outbox payload, like
 * a relay, linked to the membership so that leaving or `/delete` erases it (see `eraseGroupTraces`). A group
 * whose facilitator left the service, or that ended, says so: the resident is told, nothing is dropped
 * silently.
 *
 * @example
 * const outcome = await relayGroupReply(deps, { target, text: 'See you Thursday' });
 */
export async function relayGroupReply(
  deps: { prisma: PrismaClient; protector: TDataProtector; i18n: i18n; outboxSender?: TOutboxSender },
  input: { target: TGroupReplyTarget; text: string },
): Promise<TGroupReplyOutcome> {
  const db = currentClient(deps.prisma);
  const group = await db.supportGroup.findUnique({ where: { id: input.target.groupId } });
  if (!group || group.status === 'archived') return { type: 'ended' };
  const facilitator = await db.worker.findUnique({ where: { id: group.facilitatorId } });
  if (!facilitator?.isActive) return { type: 'no-facilitator' };
  const t = workerTexts(deps, facilitator.locale);
  // Telegram takes 4,096 characters and the label comes on top: a long reply goes in numbered parts (as a
  // case's relays do), each linked to the membership so that erasure finds every one.
  for (const text of relayParts(input.text)) {
    await enqueueOutbox(deps, {
      kind: 'relay-to-worker',
      workerId: facilitator.id,
      group: { groupId: group.id, membershipId: input.target.membershipId },
      payload: {
        type: 'send',
        chatId: workerChatId(facilitator),
        text: t('groups.member_reply', { slug: group.slug, handle: input.target.handle, text }),
      },
    });
  }
  return { type: 'relayed' };
}

/**
 * A facilitator's access ends with members' replies not yet delivered to them: those replies are dropped with
 * the rest of what was queued for that worker, so each member whose words will not arrive is told so (once,
 * in their language), having been told they were sent. Finds them before the drop; runs in its transaction.
 * Without `notices` (no texts to say it with) it only counts them.
 *
 * @example
 * await tellMembersOfUndeliveredReplies(deps, { workerId: 7 });
 */
export async function tellMembersOfUndeliveredReplies(
  deps: { prisma: PrismaClient; notices?: { protector: TDataProtector; i18n: i18n } },
  input: { workerId: number },
): Promise<number> {
  const db = currentClient(deps.prisma);
  const rows = await db.outboxMessage.findMany({
    where: {
      workerId: input.workerId,
      groupMembershipId: { not: null },
      status: { in: ['pending', 'sending'] },
    },
    select: { groupMembershipId: true },
    distinct: ['groupMembershipId'],
  });
  const membershipIds = rows.flatMap((row) =>
    row.groupMembershipId === null ? [] : [row.groupMembershipId],
  );
  if (membershipIds.length === 0 || !deps.notices) return membershipIds.length;
  const memberships = await db.groupMembership.findMany({ where: { id: { in: membershipIds } } });
  const residents = await db.resident.findMany({
    where: { id: { in: memberships.map((row) => row.residentId) } },
  });
  const noticeDeps = { prisma: deps.prisma, ...deps.notices };
  for (const resident of residents) {
    const chatId = residentChatIdOf(deps.notices.protector, resident);
    if (chatId === undefined) continue;
    const t = deps.notices.i18n.getFixedT(residentLocaleOf(resident), 'bot');
    await enqueueOutbox(noticeDeps, {
      kind: 'resident-notice',
      payload: {
        type: 'send',
        chatId,
        text: t('groups.reply_not_delivered', { numbers: t('emergency.default') }),
      },
    });
  }
  return membershipIds.length;
}
