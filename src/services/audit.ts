import { currentClient, currentUnitOfWork } from '../db/unit-of-work.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { caseChanges } from './case-changes.ts';

/**
 * Every step on a case's timeline, in one vocabulary: what the system did (opened, raised, paged …), what
 * workers did (claimed, viewed, relayed …), and what became of the messages it sent.
 */
export type TCaseEventType =
  | 'created'
  | 'raised'
  /** New signals on an open case that did not change its level. */
  | 'signal'
  /** An escalation step paged these workers (detail: step, audiences, workerIds). */
  | 'paged'
  /** An escalation step found nobody to page and was passed at once. */
  | 'page-skipped'
  /** The whole ladder reached nobody (detail: `no-staff` or `unreachable`): the team's alert chat alarmed. */
  | 'nobody-to-page'
  | 'page-sent'
  /** A page could not reach its worker (blocked the bot, left Telegram). */
  | 'page-unreachable'
  | 'claimed'
  | 'viewed'
  /** A worker asked to open a case they may not see (detail: via); refused, and recorded. */
  | 'view-refused'
  | 'relayed'
  | 'noted'
  | 'released'
  | 'resolved'
  /** A resident's message held for whoever claims their waiting case. */
  | 'kept'
  /** Imminent crisis language in a claimed case: its worker and the supervisors alerted. */
  | 'crisis-alert'
  /**
   * A message to the resident could not be delivered (they blocked the bot or left Telegram). Detail: the
   * outbox row, Telegram's error code, and `toldWorkerId` when the claimer was told.
   */
  | 'resident-unreachable'
  /** A message reached the resident again after a `resident-unreachable`: a new failure is news again. */
  | 'resident-reachable'
  /** Its personal content erased at the resident's request (`/delete`), or at the end of retention. */
  | 'erased'
  | 'purged';

/** What admins and staff do that concerns no one case, in the same audit log. */
export type TAuditActionType =
  | 'invitation.created'
  | 'invitation.revoked'
  | 'worker.joined'
  | 'worker.role-changed'
  /** An admin's `deactivate`, or a worker's own `/delete` (detail: workerId, releasedCaseIds). */
  | 'worker.access-ended'
  | 'rota.added'
  | 'rota.removed'
  | 'script.pushed'
  | 'script.published'
  | 'script.rolled-back'
  | 'policy.changed'
  | 'crisis-lexicon.changed'
  | 'token.created'
  | 'token.revoked'
  /** Data taken out: the case list, the audit log, a script's text (detail: what). */
  | 'data.exported'
  /** An admin API request refused: no or bad token, wrong role, too many requests (detail: route, reason). */
  | 'api.refused'
  | 'group.created'
  | 'group.status-changed'
  /** Another worker runs the group now (detail: groupId, from, to). */
  | 'group.facilitator-changed'
  /** A facilitator's announcement to a group (detail: groupId, members; never the text). */
  | 'group.announced'
  /**
   * A resident joined (or queued for, or was promoted into) a group, or left, was erased from or purged from
   * one: the group, the membership's status and the time only, for the counts.
   */
  | 'group.joined'
  | 'group.left';

/**
 * Records an action that concerns no one case (an invitation, a deactivation, a rota change) in the audit log,
 * in the current transaction when there is one. `detail` holds ids and codes, never names or text.
 *
 * @example
 * await recordAuditAction({ prisma }, { type: 'rota.added', actor: 'admin', now, detail: { shiftId, workerId } });
 */
export async function recordAuditAction(
  deps: { prisma: PrismaClient },
  input: { type: TAuditActionType; actor: string; now: Date; detail?: Prisma.InputJsonValue },
): Promise<void> {
  await currentClient(deps.prisma).caseEvent.create({
    data: {
      type: input.type,
      actor: input.actor,
      createdAt: input.now,
      ...(input.detail === undefined ? {} : { detail: input.detail }),
    },
  });
}

/**
 * Records one step on a case's timeline, in the current transaction: the audit entry commits with the
 * change it describes, or neither does. `detail` holds codes only, never what anyone wrote. The one place a
 * case event is written.
 *
 * @example
 * await recordCaseEvent({ prisma }, { caseId, type: 'claimed', actor: workerActor(worker.id), now });
 */
export async function recordCaseEvent(
  deps: { prisma: PrismaClient },
  input: {
    caseId: number;
    type: TCaseEventType;
    actor: string;
    now: Date;
    detail?: Prisma.InputJsonValue;
  },
): Promise<void> {
  await recordCaseEvents(deps, [input]);
}

/** Several events at once (one statement), e.g. the same step on many cases. */
export async function recordCaseEvents(
  deps: { prisma: PrismaClient },
  inputs: ReadonlyArray<{
    caseId: number;
    type: TCaseEventType;
    actor: string;
    now: Date;
    detail?: Prisma.InputJsonValue;
  }>,
): Promise<void> {
  if (inputs.length === 0) return;
  await currentClient(deps.prisma).caseEvent.createMany({
    data: inputs.map((input) => ({
      caseId: input.caseId,
      type: input.type,
      actor: input.actor,
      createdAt: input.now,
      ...(input.detail === undefined ? {} : { detail: input.detail }),
    })),
  });
  // The dashboards' live streams look again once this is visible (after the commit, or now outside one), but
  // only for what changes a queue: every stream queries on each wake, and views or notes change no queue.
  if (!inputs.some((input) => QUEUE_EVENTS.has(input.type))) return;
  const unit = currentUnitOfWork();
  if (unit) unit.afterCommit(caseChanges.notify);
  else caseChanges.notify();
}

/** The events that change a queue a dashboard shows (which cases, their status or level). */
const QUEUE_EVENTS: ReadonlySet<TCaseEventType> = new Set([
  'created',
  'raised',
  'claimed',
  'released',
  'resolved',
  'erased',
  'purged',
] satisfies TCaseEventType[]);

export type TAuditEntry = {
  id: number;
  caseId: number | null;
  type: string;
  actor: string;
  detail: unknown;
  createdAt: string;
};

/** The audit log for the admin command line, oldest first: who did what (to which case), and when. */
export async function listAuditEvents(
  prisma: PrismaClient,
  input: { caseId?: number; actor?: string; type?: string; since?: Date } = {},
): Promise<TAuditEntry[]> {
  const rows = await prisma.caseEvent.findMany({
    where: {
      ...(input.caseId === undefined ? {} : { caseId: input.caseId }),
      ...(input.actor === undefined ? {} : { actor: input.actor }),
      ...(input.type === undefined ? {} : { type: input.type }),
      ...(input.since === undefined ? {} : { createdAt: { gte: input.since } }),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((row) => ({
    id: row.id,
    caseId: row.caseId,
    type: row.type,
    actor: row.actor,
    detail: row.detail,
    createdAt: row.createdAt.toISOString(),
  }));
}
