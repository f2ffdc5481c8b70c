import { createHash, randomBytes } from 'node:crypto';
import type { i18n } from 'i18next';
import { currentClient, runUnitOfWork } from '../db/unit-of-work.ts';
import type { PrismaClient, Worker } from '../generated/prisma/client.ts';
import { isLocale, type TLocale } from '../i18n.ts';
import { recordAuditAction, recordCaseEvent } from './audit.ts';
import { tellResidentOfCase } from './case-work.ts';
import { endSessionsOf } from './dashboard-sessions.ts';
import type { TDataProtector } from './data-protection.ts';
import { scheduleEscalation } from './escalation.ts';
import { tellMembersOfUndeliveredReplies } from './group-replies.ts';
import { repageCasesWithNobody } from './nobody-to-page.ts';
import { enqueueOutbox } from './outbox.ts';

export const WORKER_ROLES = ['worker', 'supervisor'] as const;
export type TWorkerRole = (typeof WORKER_ROLES)[number];

/** How long an invitation code works: long enough to hand over, short enough that a lost one soon dies. */
export const INVITATION_TTL_MS = 24 * 60 * 60 * 1000;

/** Letters and digits that cannot be misread for one another (no I, O, 0, 1): 32 of them, 5 bits each. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** 16 characters: 80 random bits, far beyond guessing through a chat. */
const CODE_LENGTH = 16;
const CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

export function isWorkerRole(value: unknown): value is TWorkerRole {
  return typeof value === 'string' && (WORKER_ROLES as readonly string[]).includes(value);
}

/** The actor of a worker on a case's timeline. */
export function workerActor(workerId: number): string {
  return `worker:${workerId}`;
}

/** The chat to write a worker in: a private chat's id is the user's id. */
export function workerChatId(worker: Pick<Worker, 'telegramUserId'>): number {
  return Number(worker.telegramUserId);
}

/** Upper case, without the spaces or dashes people add when they copy a code by hand. */
function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, '');
}

/** Only the hash of a code is stored: a copy of the database cannot be used to join. */
export function hashInvitationCode(code: string): string {
  return createHash('sha256').update(normaliseCode(code)).digest('hex');
}

function newInvitationCode(): string {
  // 256 is a multiple of 32, so each byte maps to a letter without bias.
  return Array.from(randomBytes(CODE_LENGTH), (byte) => CODE_ALPHABET[byte % CODE_ALPHABET.length]).join('');
}

/**
 * Invites a worker or supervisor: a one-time code, valid for 24 hours, that they send to the bot with
 * `/join`. Only the code's SHA-256 is kept, so the code itself exists only in this return value.
 *
 * @example
 * const { code } = await createInvitation({ prisma }, { role: 'worker', name: 'Ann Lee' });
 */
export async function createInvitation(
  deps: { prisma: PrismaClient },
  input: { role: TWorkerRole; name: string; now?: Date; actor?: string },
): Promise<{ id: number; code: string; expiresAt: Date }> {
  const now = input.now ?? new Date();
  const code = newInvitationCode();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
  const row = await currentClient(deps.prisma).invitation.create({
    data: {
      codeHash: hashInvitationCode(code),
      name: input.name,
      role: input.role,
      expiresAt,
      createdAt: now,
    },
  });
  await recordAuditAction(deps, {
    type: 'invitation.created',
    actor: input.actor ?? 'admin',
    now,
    detail: { invitationId: row.id, role: input.role },
  });
  return { id: row.id, code, expiresAt };
}

export type TInvitationListing = {
  id: number;
  name: string;
  role: string;
  createdAt: string;
  expiresAt: string;
};

/** The invitations not yet used nor expired, oldest first: never the code (only its hash is kept anyway). */
export async function listPendingInvitations(prisma: PrismaClient, now: Date): Promise<TInvitationListing[]> {
  const rows = await prisma.invitation.findMany({
    where: { usedAt: null, expiresAt: { gt: now } },
    orderBy: { id: 'asc' },
    select: { id: true, name: true, role: true, createdAt: true, expiresAt: true },
  });
  return rows.map((row) => ({
    ...row,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  }));
}

export type TRevokeInvitationOutcome =
  | { type: 'revoked'; invitation: { id: number; name: string; role: string } }
  | { type: 'unknown' }
  | { type: 'used'; workerId: number | null }
  | { type: 'expired'; expiresAt: Date };

/**
 * Revokes a pending invitation: the row goes, so its code finds nothing and `/join` answers as for any
 * wrong code. A used or expired invitation is left as it is.
 *
 * @example
 * const outcome = await revokeInvitation({ prisma }, { invitationId: 4, now: new Date() });
 */
export async function revokeInvitation(
  deps: { prisma: PrismaClient },
  input: { invitationId: number; now: Date },
): Promise<TRevokeInvitationOutcome> {
  const db = currentClient(deps.prisma);
  const invitation = await db.invitation.findUnique({ where: { id: input.invitationId } });
  if (!invitation) return { type: 'unknown' };
  if (invitation.usedAt) return { type: 'used', workerId: invitation.workerId };
  if (invitation.expiresAt <= input.now) return { type: 'expired', expiresAt: invitation.expiresAt };
  // Only while still unused: a /join that spent it meanwhile stands.
  const { count } = await db.invitation.deleteMany({ where: { id: invitation.id, usedAt: null } });
  if (count === 0) return { type: 'used', workerId: null };
  await recordAuditAction(deps, {
    type: 'invitation.revoked',
    actor: 'admin',
    now: input.now,
    detail: { invitationId: invitation.id },
  });
  return { type: 'revoked', invitation: { id: invitation.id, name: invitation.name, role: invitation.role } };
}

export type TJoinOutcome =
  | { type: 'joined'; worker: Worker }
  | { type: 'already-worker'; worker: Worker }
  | { type: 'invalid' }
  | { type: 'used' }
  | { type: 'expired' };

/**
 * `/join <code>`: turns the sender into a worker with the invitation's name and role. The code is spent
 * atomically (`usedAt` set only where it is still empty), so two people racing with one code get one
 * worker. A worker whose access ended joins again with a new invitation, keeping their id.
 */
export async function joinWithInvitation(
  deps: { prisma: PrismaClient },
  input: { code: string; telegramUserId: number; locale: TLocale; now: Date },
): Promise<TJoinOutcome> {
  const db = currentClient(deps.prisma);
  const telegramUserId = BigInt(input.telegramUserId);
  const existing = await db.worker.findUnique({ where: { telegramUserId } });
  if (existing?.isActive) return { type: 'already-worker', worker: existing };
  if (!CODE_PATTERN.test(normaliseCode(input.code))) return { type: 'invalid' };

  const invitation = await db.invitation.findUnique({ where: { codeHash: hashInvitationCode(input.code) } });
  if (!invitation || !isWorkerRole(invitation.role)) return { type: 'invalid' };
  if (invitation.usedAt) return { type: 'used' };
  if (invitation.expiresAt <= input.now) return { type: 'expired' };
  const spent = await db.invitation.updateMany({
    where: { id: invitation.id, usedAt: null, expiresAt: { gt: input.now } },
    data: { usedAt: input.now },
  });
  if (spent.count === 0) return { type: 'used' };

  const profile = { name: invitation.name, role: invitation.role, locale: input.locale, isActive: true };
  const worker = existing
    ? await db.worker.update({ where: { id: existing.id }, data: { ...profile, activeCaseId: null } })
    : await db.worker.create({ data: { ...profile, telegramUserId, joinedAt: input.now } });
  await db.invitation.update({ where: { id: invitation.id }, data: { workerId: worker.id } });
  await recordAuditAction(deps, {
    type: 'worker.joined',
    actor: workerActor(worker.id),
    now: input.now,
    detail: { workerId: worker.id, role: worker.role, invitationId: invitation.id },
  });
  // Somebody to page at last, for the cases that found nobody.
  await repageCasesWithNobody(deps, input.now);
  return { type: 'joined', worker };
}

/** The worker behind a Telegram account, active or not; null for everyone else. */
export async function findWorkerByTelegramId(
  deps: { prisma: PrismaClient },
  telegramUserId: number,
): Promise<Worker | null> {
  return currentClient(deps.prisma).worker.findUnique({ where: { telegramUserId: BigInt(telegramUserId) } });
}

/**
 * A worker's own `/oncall on|off`, on top of the rota. Going on call pages again, at once, the cases that
 * found nobody to page.
 */
export async function setOnCall(
  deps: { prisma: PrismaClient },
  input: { workerId: number; isOnCall: boolean; now: Date },
): Promise<void> {
  await currentClient(deps.prisma).worker.update({
    where: { id: input.workerId },
    data: { isOnCall: input.isOnCall },
  });
  if (input.isOnCall) await repageCasesWithNobody(deps, input.now);
}

/** The rota shift a worker is on at `now`, if any. */
export async function currentShiftOf(
  deps: { prisma: PrismaClient },
  input: { workerId: number; now: Date },
): Promise<{ id: number; endsAt: Date } | null> {
  return currentClient(deps.prisma).rotaShift.findFirst({
    where: { workerId: input.workerId, startsAt: { lte: input.now }, endsAt: { gt: input.now } },
    orderBy: { endsAt: 'desc' },
    select: { id: true, endsAt: true },
  });
}

export type TWorkerListing = {
  id: number;
  name: string;
  role: string;
  isActive: boolean;
  /** Their own `/oncall on`. */
  isOnCallSelf: boolean;
  /** A rota shift covers `now`. */
  isOnShift: boolean;
  /** Either: pages reach them now. */
  isOnCallNow: boolean;
  joinedAt: string;
};

/** The workers as the admin command line lists them: no Telegram ids. */
export async function listWorkersForAdmin(prisma: PrismaClient, now: Date): Promise<TWorkerListing[]> {
  const workers = await prisma.worker.findMany({
    orderBy: { id: 'asc' },
    include: { shifts: { where: { startsAt: { lte: now }, endsAt: { gt: now } }, select: { id: true } } },
  });
  return workers.map((worker) => {
    const isOnShift = worker.shifts.length > 0;
    return {
      id: worker.id,
      name: worker.name,
      role: worker.role,
      isActive: worker.isActive,
      isOnCallSelf: worker.isOnCall,
      isOnShift,
      isOnCallNow: worker.isActive && (worker.isOnCall || isOnShift),
      joinedAt: worker.joinedAt.toISOString(),
    };
  });
}

export type TWorkerRef =
  | { type: 'found'; worker: Worker }
  | { type: 'unknown' }
  | { type: 'ambiguous'; ids: number[] };

/** A worker named on the command line by id (`3`) or by name (case-insensitive, whole name). */
export async function findWorkerByRef(prisma: PrismaClient, ref: string): Promise<TWorkerRef> {
  const db = currentClient(prisma);
  const trimmed = ref.trim();
  if (/^\d+$/.test(trimmed)) {
    const worker = await db.worker.findUnique({ where: { id: Number(trimmed) } });
    if (worker) return { type: 'found', worker };
  }
  const named = await db.worker.findMany({
    where: { name: { equals: trimmed, mode: 'insensitive' } },
    orderBy: { id: 'asc' },
  });
  const [first, ...others] = named;
  if (!first) return { type: 'unknown' };
  if (others.length > 0) return { type: 'ambiguous', ids: named.map((w) => w.id) };
  return { type: 'found', worker: first };
}

/** An admin's change of a worker's role; false when there is no such active worker. Audited. */
export async function changeWorkerRole(
  deps: { prisma: PrismaClient },
  input: { workerId: number; role: TWorkerRole; actor: string; now: Date },
): Promise<boolean> {
  const { count } = await deps.prisma.worker.updateMany({
    where: { id: input.workerId, isActive: true },
    data: { role: input.role },
  });
  if (count > 0)
    await recordAuditAction(deps, {
      type: 'worker.role-changed',
      actor: input.actor,
      now: input.now,
      detail: { workerId: input.workerId, role: input.role },
    });
  return count > 0;
}

export type TDeactivateOutcome =
  | {
      type: 'deactivated';
      worker: Pick<Worker, 'id' | 'name' | 'role'>;
      releasedCaseIds: number[];
      removedShifts: number;
    }
  | { type: 'unknown-worker' }
  | { type: 'ambiguous-worker'; ids: number[] }
  | { type: 'already-inactive'; workerId: number };

/**
 * Ends a worker's access (they left the team, or their phone was lost): no more pages, no worker commands
 * (their messages reach the bot as anyone's would), their shifts not yet over removed, and every case they
 * held back in the queue and paged again at once, so no resident waits on someone who is gone. One
 * transaction; each returned case gets a `released` event naming the admin. They may join again later with
 * a new invitation.
 *
 * @example
 * const outcome = await deactivateWorker({ prisma }, { worker: 'Ann Lee', now: new Date() });
 */
export async function deactivateWorker(
  deps: {
    prisma: PrismaClient;
    /** To tell them, and the residents of the cases they held: without, nobody is told (a bare tool). */
    notices?: { protector: TDataProtector; i18n: i18n };
  },
  input: { worker: string; now: Date; actor?: string },
): Promise<TDeactivateOutcome> {
  return runUnitOfWork(deps.prisma, async (): Promise<TDeactivateOutcome> => {
    const found = await findWorkerByRef(deps.prisma, input.worker);
    if (found.type === 'unknown') return { type: 'unknown-worker' };
    if (found.type === 'ambiguous') return { type: 'ambiguous-worker', ids: found.ids };
    const { worker } = found;
    if (!worker.isActive) return { type: 'already-inactive', workerId: worker.id };
    const ended = await endWorkerAccess(deps, {
      worker,
      now: input.now,
      actor: input.actor ?? 'admin',
      tellWorker: true,
    });
    return { type: 'deactivated', worker: { id: worker.id, name: worker.name, role: worker.role }, ...ended };
  });
}

/**
 * What ending a worker's access does (see `deactivateWorker`), in the caller's unit of work. `actor`: who
 * ended it, on each released case's timeline (`admin`, or the worker themselves); `tellWorker`: whether
 * they get the "access ended" notice (a worker who asked for it is answered by the bot instead).
 */
export async function endWorkerAccess(
  deps: { prisma: PrismaClient; notices?: { protector: TDataProtector; i18n: i18n } },
  input: { worker: Worker; now: Date; actor: string; tellWorker: boolean },
): Promise<{ releasedCaseIds: number[]; removedShifts: number }> {
  const tx = currentClient(deps.prisma);
  const { worker } = input;
  await tx.worker.update({
    where: { id: worker.id },
    data: { isActive: false, isOnCall: false, activeCaseId: null },
  });
  const { count: removedShifts } = await tx.rotaShift.deleteMany({
    where: { workerId: worker.id, endsAt: { gt: input.now } },
  });
  const held = await tx.case.findMany({
    where: { status: 'claimed', claimedById: worker.id },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  const releasedCaseIds: number[] = [];
  for (const { id } of held) {
    // Only if still theirs: a resolve or release that committed meanwhile stands.
    const { count } = await tx.case.updateMany({
      where: { id, status: 'claimed', claimedById: worker.id },
      data: { status: 'waiting', claimedById: null, claimedAt: null },
    });
    if (count === 0) continue;
    releasedCaseIds.push(id);
    await recordCaseEvent(deps, {
      caseId: id,
      type: 'released',
      actor: input.actor,
      now: input.now,
      detail: { reason: 'worker-deactivated', workerId: worker.id },
    });
    await scheduleEscalation(deps, { caseId: id, now: input.now });
  }
  // Nothing new reaches them: pages, relays and alerts still queued for them are dropped. Edits that blank
  // a resident's words in their chat (`/delete`, retention) still go. A resident's words that had not
  // reached them yet are kept again for whoever claims the case next.
  const undelivered = await tx.outboxMessage.groupBy({
    by: ['caseId'],
    where: { workerId: worker.id, kind: 'relay-to-worker', status: { in: ['pending', 'sending'] } },
    _count: { _all: true },
  });
  for (const { caseId, _count } of undelivered) {
    if (caseId === null) continue;
    // A case's relays reach a worker in order, so the undelivered ones are its latest messages to them.
    const latest = await tx.caseMessage.findMany({
      where: { caseId, direction: 'from-resident', workerId: worker.id },
      orderBy: { id: 'desc' },
      take: _count._all,
      select: { id: true },
    });
    await tx.caseMessage.updateMany({
      where: { id: { in: latest.map((m) => m.id) } },
      data: { workerId: null },
    });
  }
  // Group members told they were heard learn that these words will not arrive (dropped just below).
  await tellMembersOfUndeliveredReplies(deps, { workerId: worker.id });
  await tx.outboxMessage.updateMany({
    where: {
      workerId: worker.id,
      status: { in: ['pending', 'sending'] },
      kind: { not: 'page-update' },
    },
    data: {
      status: 'failed',
      lockedUntil: null,
      leaseOwner: null,
      lastError: 'dropped: worker deactivated',
    },
  });
  await endSessionsOf(deps, { workerId: worker.id, now: input.now });
  await recordAuditAction(deps, {
    type: 'worker.access-ended',
    actor: input.actor,
    now: input.now,
    detail: { workerId: worker.id, releasedCaseIds },
  });
  const notices = deps.notices;
  if (notices) {
    const noticeDeps = { prisma: deps.prisma, ...notices };
    // The last message they get from the bot: left for the running bot's sweep to send.
    if (input.tellWorker) {
      await enqueueOutbox(noticeDeps, {
        kind: 'staff-notice',
        payload: {
          type: 'send',
          chatId: workerChatId(worker),
          text: notices.i18n.getFixedT(isLocale(worker.locale) ? worker.locale : 'en', 'worker')(
            'access.ended',
            { count: releasedCaseIds.length },
          ),
        },
      });
    }
    for (const caseId of releasedCaseIds)
      await tellResidentOfCase(noticeDeps, { caseId, key: 'relay.released' });
  }
  return { releasedCaseIds, removedShifts };
}
