import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { workerTexts } from './case-work.ts';
import type { TDataProtector } from './data-protection.ts';
import { enqueueOutbox, residentLane, type TOutboxSender } from './outbox.ts';
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
  await enqueueOutbox(deps, {
    kind: 'relay-to-worker',
    workerId: facilitator.id,
    group: { groupId: group.id, membershipId: input.target.membershipId },
    payload: {
      type: 'send',
      chatId: workerChatId(facilitator),
      text: t('groups.member_reply', { slug: group.slug, handle: input.target.handle, text: input.text }),
    },
  });
  return { type: 'relayed' };
}
