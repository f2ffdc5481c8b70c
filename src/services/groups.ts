import { randomBytes } from 'node:crypto';
import type { i18n } from 'i18next';
import { z } from 'zod';
import { currentClient } from '../db/unit-of-work.ts';
import { groupsToOffer } from '../domain/groups/matching.ts';
import type { PrismaClient, SupportGroup, Worker } from '../generated/prisma/client.ts';
import { LOCALES } from '../i18n.ts';
import { recordAuditAction } from './audit.ts';
import type { TDataProtector } from './data-protection.ts';
import { enqueueOutbox, type TButton, type TOutboxSender } from './outbox.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';
import { findWorkerByRef, workerActor } from './workers.ts';

/** A text in each language the group is described in. */
const ZTexts = z
  .partialRecord(z.enum(LOCALES), z.string().trim().min(1).max(1000))
  .refine((texts) => Object.keys(texts).length > 0, 'give it in at least one language');

/** What an admin or supervisor gives to define a group (command line, API). */
export const ZNewGroup = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'lowercase letters, digits and "-", 2-40'),
  name: ZTexts,
  description: ZTexts,
  meets: ZTexts,
  needs: z
    .array(z.string().regex(/^[a-z0-9_]{1,40}$/))
    .min(1)
    .max(20),
  locale: z.enum(LOCALES),
  capacity: z.int().min(1).max(500),
  facilitator: z.string().trim().min(1).max(100),
  /** Open: offered after screenings and cases. Closed: never offered, joined only on a worker's `/refer`. */
  isOpen: z.boolean().default(true),
});
export type TNewGroup = z.input<typeof ZNewGroup>;

export type TGroupOffer = { id: number; slug: string; name: string; description: string; meets: string };

type TGroupDeps = { prisma: PrismaClient };

/** The buttons of a group offer and of `/groups`: one place, so messages and handlers agree. */
export const GROUP_CALLBACK = {
  join: (groupId: number) => `group:join:${groupId}`,
  decline: (groupId: number) => `group:no:${groupId}`,
  leave: (groupId: number) => `group:leave:${groupId}`,
} as const;
export const GROUP_CALLBACK_PATTERN = {
  join: /^group:join:(\d{1,9})$/,
  decline: /^group:no:(\d{1,9})$/,
  leave: /^group:leave:(\d{1,9})$/,
} as const;

/**
 * A group offered to a resident, in their language: what it is, where it meets, what joining shares, and
 * Join / Not now. After a screening, on a worker's referral, at a case's end: the same message.
 */
export function groupOfferMessage(
  t: (key: string, values?: Record<string, string>) => string,
  offer: TGroupOffer,
): { text: string; buttons: TButton[][] } {
  return {
    text: t('groups.offer', { name: offer.name, description: offer.description, meets: offer.meets }),
    buttons: [
      [
        { label: t('groups.join'), data: GROUP_CALLBACK.join(offer.id) },
        { label: t('groups.not_now'), data: GROUP_CALLBACK.decline(offer.id) },
      ],
    ],
  };
}

/** A group's text in `locale`, else in the group's own language, else any. */
function textIn(texts: unknown, locale: string, groupLocale: string): string {
  const record = (typeof texts === 'object' && texts !== null ? texts : {}) as Record<string, string>;
  return record[locale] ?? record[groupLocale] ?? Object.values(record)[0] ?? '';
}

/** A group as a resident reads it, in their language. */
export function offerOf(group: SupportGroup, locale: string): TGroupOffer {
  return {
    id: group.id,
    slug: group.slug,
    name: textIn(group.name, locale, group.locale),
    description: textIn(group.description, locale, group.locale),
    meets: textIn(group.meets, locale, group.locale),
  };
}

/** Why a named facilitator cannot run a group: nobody by that name, several, or their access ended. */
type TNoFacilitator = { type: 'no-facilitator'; reason: 'unknown' | 'ambiguous' | 'inactive' };

export type TCreateGroupOutcome =
  | { type: 'created'; group: SupportGroup }
  | { type: 'slug-taken' }
  | TNoFacilitator;

/** The active worker `ref` names (id or name), who may run a group. */
async function facilitatorNamed(deps: TGroupDeps, ref: string): Promise<Worker | TNoFacilitator> {
  const found = await findWorkerByRef(deps.prisma, ref);
  if (found.type !== 'found') return { type: 'no-facilitator', reason: found.type };
  if (!found.worker.isActive) return { type: 'no-facilitator', reason: 'inactive' };
  return found.worker;
}

/** Defines a group; its facilitator must be an active worker. Audited. */
export async function createGroup(
  deps: TGroupDeps,
  input: { group: z.output<typeof ZNewGroup>; actor: string; now: Date },
): Promise<TCreateGroupOutcome> {
  const db = currentClient(deps.prisma);
  const facilitator = await facilitatorNamed(deps, input.group.facilitator);
  if ('type' in facilitator) return facilitator;
  if (await db.supportGroup.findUnique({ where: { slug: input.group.slug } })) return { type: 'slug-taken' };
  const { facilitator: _facilitator, ...fields } = input.group;
  const group = await db.supportGroup.create({
    data: { ...fields, facilitatorId: facilitator.id, createdAt: input.now },
  });
  await recordAuditAction(deps, {
    type: 'group.created',
    actor: input.actor,
    now: input.now,
    detail: { groupId: group.id, facilitatorId: group.facilitatorId },
  });
  return { type: 'created', group };
}

/** Pauses (offered to nobody, members kept), resumes or archives a group. Audited. False: no such group. */
export async function setGroupStatus(
  deps: TGroupDeps,
  input: { slug: string; status: 'active' | 'paused' | 'archived'; actor: string; now: Date },
): Promise<boolean> {
  const { count } = await currentClient(deps.prisma).supportGroup.updateMany({
    where: { slug: input.slug },
    data: { status: input.status },
  });
  if (count > 0)
    await recordAuditAction(deps, {
      type: 'group.status-changed',
      actor: input.actor,
      now: input.now,
      detail: { slug: input.slug, status: input.status },
    });
  return count > 0;
}

export type TSetFacilitatorOutcome =
  | { type: 'changed'; group: SupportGroup }
  | { type: 'no-group' }
  | TNoFacilitator;

/**
 * Hands a group to another facilitator (an active worker): announcements are theirs from now on, and members'
 * replies — even to an announcement the previous facilitator sent — reach them. Audited.
 *
 * @example
 * await setGroupFacilitator(deps, { slug: 'housing', facilitator: 'Fay Okonkwo', actor: 'admin', now });
 */
export async function setGroupFacilitator(
  deps: TGroupDeps,
  input: { slug: string; facilitator: string; actor: string; now: Date },
): Promise<TSetFacilitatorOutcome> {
  const db = currentClient(deps.prisma);
  const group = await db.supportGroup.findUnique({ where: { slug: input.slug } });
  if (!group) return { type: 'no-group' };
  const facilitator = await facilitatorNamed(deps, input.facilitator);
  if ('type' in facilitator) return facilitator;
  const changed = await db.supportGroup.update({
    where: { id: group.id },
    data: { facilitatorId: facilitator.id },
  });
  await recordAuditAction(deps, {
    type: 'group.facilitator-changed',
    actor: input.actor,
    now: input.now,
    detail: { groupId: group.id, from: group.facilitatorId, to: facilitator.id },
  });
  return { type: 'changed', group: changed };
}

/** Every group with how many members and waiting, oldest first. */
export async function listGroups(
  deps: TGroupDeps,
): Promise<Array<SupportGroup & { members: number; waiting: number }>> {
  const db = currentClient(deps.prisma);
  const [groups, counts] = await Promise.all([
    db.supportGroup.findMany({ orderBy: { id: 'asc' } }),
    db.groupMembership.groupBy({ by: ['groupId', 'status'], _count: { _all: true } }),
  ]);
  const countOf = (groupId: number, status: string) =>
    counts.find((row) => row.groupId === groupId && row.status === status)?._count._all ?? 0;
  return groups.map((group) => ({
    ...group,
    members: countOf(group.id, 'member'),
    waiting: countOf(group.id, 'waiting'),
  }));
}

/**
 * The groups to offer a resident now (see `groupsToOffer`), recorded as offered. None they joined or turned
 * down; at most three.
 */
export async function offerGroups(
  deps: TGroupDeps,
  input: { residentId: string; needs: readonly string[]; locale: string; now: Date },
): Promise<TGroupOffer[]> {
  if (input.needs.length === 0) return [];
  const db = currentClient(deps.prisma);
  const groups = await db.supportGroup.findMany({
    where: { status: 'active', isOpen: true, locale: input.locale, needs: { hasSome: [...input.needs] } },
  });
  // Most screenings end with no group to offer: only then is the resident's own history read.
  if (groups.length === 0) return [];
  const ids = groups.map((group) => group.id);
  const [memberships, declined] = await Promise.all([
    db.groupMembership.findMany({
      where: { residentId: input.residentId, groupId: { in: ids } },
      select: { groupId: true },
    }),
    db.groupOffer.findMany({
      where: { residentId: input.residentId, groupId: { in: ids }, declinedAt: { not: null } },
      select: { groupId: true },
    }),
  ]);
  const excluded = new Set([...memberships, ...declined].map((row) => row.groupId));
  const chosen = groupsToOffer(groups, { needs: input.needs, locale: input.locale, excluded });
  for (const group of chosen)
    await db.groupOffer.upsert({
      where: { groupId_residentId: { groupId: group.id, residentId: input.residentId } },
      create: { groupId: group.id, residentId: input.residentId, offeredAt: input.now },
      update: { offeredAt: input.now },
    });
  return chosen.map((group) => offerOf(group, input.locale));
}

export type TJoinOutcome =
  | { type: 'joined' | 'waiting' | 'already'; group: TGroupOffer }
  | { type: 'unavailable' };

/**
 * "Join": a member while there is room, else on the waiting list. Recorded with its time and a handle the
 * facilitator sees instead of any name, and on the offer (`acceptedAt`, kept when they leave) for the
 * community picture's "offers accepted".
 *
 * Only a group they were offered and did not turn down, and that is active: a button's data can be forged,
 * the offer cannot. A closed group is joined only on a worker's `/refer` (it is never offered after a
 * screening or a case).
 */
export async function joinGroup(
  deps: TGroupDeps,
  input: { residentId: string; groupId: number; locale: string; now: Date },
): Promise<TJoinOutcome> {
  const db = currentClient(deps.prisma);
  // The group's row locked: two residents taking the last place are counted one after the other.
  const [locked] = await db.$queryRaw<Array<{ id: number }>>`
    SELECT id FROM "SupportGroup" WHERE id = ${input.groupId} AND status = 'active' FOR UPDATE`;
  const group = locked ? await db.supportGroup.findUnique({ where: { id: locked.id } }) : null;
  if (!group) return { type: 'unavailable' };
  const existing = await db.groupMembership.findUnique({
    where: { groupId_residentId: { groupId: group.id, residentId: input.residentId } },
  });
  if (existing) return { type: 'already', group: offerOf(group, input.locale) };
  const offer = await db.groupOffer.findUnique({
    where: { groupId_residentId: { groupId: group.id, residentId: input.residentId } },
  });
  if (!offer || offer.declinedAt !== null || (!group.isOpen && offer.referredAt === null))
    return { type: 'unavailable' };
  const members = await db.groupMembership.count({ where: { groupId: group.id, status: 'member' } });
  const status = members < group.capacity ? 'member' : 'waiting';
  await db.groupMembership.create({
    data: {
      groupId: group.id,
      residentId: input.residentId,
      status,
      handle: `M-${randomBytes(3).toString('hex').toUpperCase()}`,
      joinedAt: input.now,
    },
  });
  await db.groupOffer.update({
    where: { groupId_residentId: { groupId: group.id, residentId: input.residentId } },
    data: { acceptedAt: input.now },
  });
  // For the community picture: the group and the time, nobody's identity. A place on the waiting list is not
  // a membership begun: its promotion is counted when it comes (see `fillFreedPlaces`).
  await recordAuditAction(deps, {
    type: 'group.joined',
    actor: 'resident',
    now: input.now,
    detail: { groupId: group.id, status },
  });
  return { type: status === 'member' ? 'joined' : 'waiting', group: offerOf(group, input.locale) };
}

/** "Not now": the group is not offered to them again. */
export async function declineGroup(
  deps: TGroupDeps,
  input: { residentId: string; groupId: number; now: Date },
): Promise<void> {
  await currentClient(deps.prisma).groupOffer.updateMany({
    where: { groupId: input.groupId, residentId: input.residentId },
    data: { declinedAt: input.now },
  });
}

/** The groups a resident is in (or waiting for), in their language. */
export async function groupsOf(
  deps: TGroupDeps,
  input: { residentId: string; locale: string },
): Promise<Array<TGroupOffer & { status: string; hasEnded: boolean }>> {
  const db = currentClient(deps.prisma);
  const memberships = await db.groupMembership.findMany({ where: { residentId: input.residentId } });
  if (memberships.length === 0) return [];
  const groups = await db.supportGroup.findMany({
    where: { id: { in: memberships.map((row) => row.groupId) } },
  });
  return memberships.flatMap((membership) => {
    const group = groups.find((candidate) => candidate.id === membership.groupId);
    return group
      ? [
          {
            ...offerOf(group, input.locale),
            status: membership.status,
            hasEnded: group.status === 'archived',
          },
        ]
      : [];
  });
}

export type TAnnounceOutcome =
  | { type: 'announced'; members: number; unreachable: number }
  | { type: 'no-group' }
  | { type: 'not-facilitator' };

/**
 * A facilitator's announcement to every member of their group, from the bot, labelled with the group's name in
 * each member's language; members never see each other. Through the outbox, audited (never the text).
 */
export async function announceToGroup(
  deps: TGroupDeps & { protector: TDataProtector; i18n: i18n; outboxSender?: TOutboxSender },
  input: { workerId: number; isSupervisor: boolean; slug: string; text: string; now: Date },
): Promise<TAnnounceOutcome> {
  const db = currentClient(deps.prisma);
  const group = await db.supportGroup.findUnique({ where: { slug: input.slug } });
  if (!group || group.status === 'archived') return { type: 'no-group' };
  if (group.facilitatorId !== input.workerId && !input.isSupervisor) return { type: 'not-facilitator' };
  const members = await db.groupMembership.findMany({ where: { groupId: group.id, status: 'member' } });
  const residents = await db.resident.findMany({
    where: { id: { in: members.map((member) => member.residentId) } },
    select: { id: true, locale: true, chatIdSealed: true },
  });
  let unreachable = members.length - residents.length;
  for (const resident of residents) {
    const chatId = residentChatIdOf(deps.protector, resident);
    if (chatId === undefined) {
      unreachable += 1;
      continue;
    }
    const locale = residentLocaleOf(resident);
    const t = deps.i18n.getFixedT(locale, 'bot');
    // The group on the row: a member's reply to it reaches its facilitator, labelled with it (`relayGroupReply`).
    await enqueueOutbox(deps, {
      kind: 'relay-to-resident',
      workerId: group.facilitatorId,
      group: { groupId: group.id },
      payload: {
        type: 'send',
        chatId,
        text: t('groups.announcement', { group: offerOf(group, locale).name, text: input.text }),
      },
    });
  }
  await recordAuditAction(deps, {
    type: 'group.announced',
    actor: workerActor(input.workerId),
    now: input.now,
    detail: { groupId: group.id, members: members.length },
  });
  return { type: 'announced', members: members.length - unreachable, unreachable };
}

export type TReferOutcome =
  | { type: 'referred'; caseId: number }
  | { type: 'no-case' }
  | { type: 'no-group' }
  | { type: 'declined' | 'already-member' | 'unreachable' };

/**
 * `/refer <group>`: a worker offers a group to the resident of their active case (or the case named). The
 * resident gets the offer as after a screening — what joining shares, Join / Not now — in their language;
 * not if they turned it down before or are in it already.
 */
export async function referToGroup(
  deps: TGroupDeps & { protector: TDataProtector; i18n: i18n; outboxSender?: TOutboxSender },
  input: { worker: { id: number; activeCaseId: number | null }; slug: string; caseId?: number; now: Date },
): Promise<TReferOutcome> {
  const db = currentClient(deps.prisma);
  const caseId = input.caseId ?? input.worker.activeCaseId;
  const row =
    caseId === null ? null : await db.case.findUnique({ where: { id: caseId }, include: { resident: true } });
  if (row?.status !== 'claimed' || row.claimedById !== input.worker.id) return { type: 'no-case' };
  const group = await db.supportGroup.findUnique({ where: { slug: input.slug } });
  if (group?.status !== 'active') return { type: 'no-group' };
  const resident = row.resident;
  const chatId = residentChatIdOf(deps.protector, resident);
  if (!resident || chatId === undefined) return { type: 'unreachable' };
  const [membership, offer] = await Promise.all([
    db.groupMembership.findUnique({
      where: { groupId_residentId: { groupId: group.id, residentId: resident.id } },
    }),
    db.groupOffer.findUnique({
      where: { groupId_residentId: { groupId: group.id, residentId: resident.id } },
    }),
  ]);
  if (membership) return { type: 'already-member' };
  if (offer?.declinedAt) return { type: 'declined' };
  // A referral opens a closed group too (see `joinGroup`).
  await db.groupOffer.upsert({
    where: { groupId_residentId: { groupId: group.id, residentId: resident.id } },
    create: { groupId: group.id, residentId: resident.id, offeredAt: input.now, referredAt: input.now },
    update: { offeredAt: input.now, referredAt: input.now },
  });
  const locale = residentLocaleOf(resident);
  await enqueueOutbox(deps, {
    kind: 'relay-to-resident',
    caseId: row.id,
    payload: {
      type: 'send',
      chatId,
      ...groupOfferMessage(deps.i18n.getFixedT(locale, 'bot'), offerOf(group, locale)),
    },
  });
  return { type: 'referred', caseId: row.id };
}
