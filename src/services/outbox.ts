import { insertOutboxRows, type TOutboxInsert } from '../db/outbox-queue.ts';
import { currentClient, currentUnitOfWork } from '../db/unit-of-work.ts';
import { isEphemeral, priorityOf, type TOutboxKind, type TPriority } from '../domain/outbox/kinds.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from './data-protection.ts';

export type { TOutboxKind } from '../domain/outbox/kinds.ts';

export type TButton = { label: string; data: string };

/**
 * One Bot API call, as plain JSON: a new message, an edit of one sent before, an answer to a button press,
 * or a reaction. Sealed at rest, because it may quote a resident.
 */
export type TOutboxPayload =
  | {
      type: 'send';
      chatId: number;
      text: string;
      buttons?: TButton[][];
      /** Reply to this message (a relayed message threads under the worker's page). */
      replyToMessageId?: number;
      /** A screening question: once Telegram takes it, the screening records its message id. */
      screeningId?: string;
      /** No link preview: Telegram's preview would open the link (a one-time sign-in link would be spent). */
      noLinkPreview?: true;
    }
  | ({
      type: 'edit';
      chatId: number;
      /** The new text; none: only the buttons change. */
      text?: string;
      /** None: the message loses its buttons. */
      buttons?: TButton[][];
    } & (
      | {
          /** The outbox row whose sent message to edit; its message id is known once it was sent. */
          outboxId: number;
          messageId?: never;
        }
      | {
          /** The Telegram message to edit, known when the edit is written. */
          messageId: number;
          outboxId?: never;
        }
    ))
  | {
      type: 'answer-callback';
      /** The chat the button was pressed in: answers go in its turn with the rest of what it is told. */
      chatId: number;
      callbackQueryId: string;
      text?: string;
      showAlert?: boolean;
    }
  | { type: 'react'; chatId: number; messageId: number; emoji: '👌' };

/** What the sender holds of one message: enough to send it and to settle it. */
export type TOutgoing = {
  /** The outbox row; none for what is never stored (callback answers, reactions). */
  id?: number;
  kind: TOutboxKind;
  priority: TPriority;
  /** The chat, as a pseudonym: its messages go in order. */
  lane: string;
  payload: TOutboxPayload;
  caseId: number | null;
  workerId: number | null;
  escalationStep: number | null;
  /** A group announcement or a member's reply: its group and (a reply) the membership (see `relayGroupReply`). */
  group?: { groupId: number; membershipId?: number };
  /** Failed calls so far. */
  attempts: number;
};

/** Whoever sends what a unit of work committed: the outbox dispatcher of this process. */
export type TOutboxSender = {
  /** Identifies this process as the holder of the rows leased to it. */
  readonly owner: string;
  /** How long a lease lasts before another process may take the row as abandoned. */
  readonly leaseMs: number;
  /** The time its leases count from (its clock, which the sweep that may take them back uses too). */
  now(): Date;
  /** Messages committed just now and leased to this process (or never stored): send them. */
  submit(messages: readonly TOutgoing[]): void;
};

export type TOutboxDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  /** Absent (a tool, a test): what is enqueued waits for the sweep of a running bot. */
  outboxSender?: TOutboxSender;
};

export type TOutboxInput = {
  kind: TOutboxKind;
  payload: TOutboxPayload;
  caseId?: number;
  workerId?: number;
  escalationStep?: number;
  /** A group announcement or a member's reply: its group and (a reply) the membership, for erasure. */
  group?: { groupId: number; membershipId?: number };
  /** Goes with the emergency numbers: a page of an imminent case, a crisis alert. */
  isCrisis?: boolean;
  /** Not before this time (default: at once). */
  notBefore?: Date;
};

/** The field an outbox row's payload is sealed for. */
export const payloadContext = 'outbox-payload';
const STAGED = Symbol('outbox-staged');
const UNTRACED_LANES = Symbol('outbox-untraced-lanes');
const DEFAULT_LEASE_MS = 60_000;

/**
 * Says something through Telegram, as part of the current unit of work: staged now, written to the outbox in
 * one statement with everything else the unit changes, and handed to the sender once it commits — so the
 * message goes if and only if the change that needs it is kept, even if the process dies right after.
 * Outside a unit of work the row is written at once (its id returned) and the sweep of a running bot
 * sends it.
 *
 * @example
 * await enqueueOutbox(deps, { kind: 'page', caseId, workerId, payload: { type: 'send', chatId, text } });
 */
export async function enqueueOutbox(deps: TOutboxDeps, input: TOutboxInput): Promise<number | undefined> {
  const unit = currentUnitOfWork();
  const outgoing = outgoingOf(deps, input);
  const isStored = !isEphemeral(outgoing.kind);
  if (!unit) {
    if (!isStored) return undefined;
    const [written] = await insertOutboxRows(
      currentClient(deps.prisma),
      [toInsert(deps, outgoing, input.notBefore)],
      { owner: null, now: new Date(), leaseMs: DEFAULT_LEASE_MS },
    );
    return written?.id;
  }
  const staged = unit.slot(STAGED, () => {
    const list: Array<{ outgoing: TOutgoing; notBefore?: Date; isStored: boolean; isLeased: boolean }> = [];
    unit.beforeCommit(async (tx) => {
      const untraced = unit.slot(UNTRACED_LANES, () => new Set<string>());
      for (const entry of list) if (untraced.has(entry.outgoing.lane)) entry.isStored = false;
      const stored = list.filter((entry) => entry.isStored);
      const owner = deps.outboxSender?.owner ?? null;
      const now = deps.outboxSender?.now() ?? new Date();
      // The unit's other deferred writes (a screening's state, the conversation's) ride in the same statement.
      const written = await insertOutboxRows(
        tx,
        stored.map((entry) => toInsert(deps, entry.outgoing, entry.notBefore ?? now)),
        {
          owner,
          now,
          leaseMs: deps.outboxSender?.leaseMs ?? DEFAULT_LEASE_MS,
          leading: unit.takeDeferredWrites(),
        },
      );
      for (const [index, entry] of stored.entries()) {
        entry.outgoing.id = written[index]?.id;
        entry.isLeased = written[index]?.isLeased === true;
      }
    });
    unit.afterCommit(() => {
      const ours = list.filter((entry) => entry.isLeased || !entry.isStored);
      deps.outboxSender?.submit(ours.map((entry) => entry.outgoing));
    });
    return list;
  });
  staged.push({
    outgoing,
    ...(input.notBefore ? { notBefore: input.notBefore } : {}),
    isStored,
    isLeased: false,
  });
  return undefined;
}

/**
 * A message as the sender holds it, before it is stored. Also for what is never stored: an apology after an
 * update failed and rolled back.
 */
export function outgoingOf(deps: Pick<TOutboxDeps, 'protector'>, input: TOutboxInput): TOutgoing {
  return {
    kind: input.kind,
    priority: priorityOf(input.kind, { isCrisis: input.isCrisis === true }),
    lane: laneOf(deps.protector, input.payload.chatId),
    payload: input.payload,
    caseId: input.caseId ?? null,
    workerId: input.workerId ?? null,
    escalationStep: input.escalationStep ?? null,
    ...(input.group ? { group: input.group } : {}),
    attempts: 0,
  };
}

function toInsert(deps: TOutboxDeps, outgoing: TOutgoing, notBefore: Date | undefined): TOutboxInsert {
  // Without a time of its own, due at once.
  return {
    kind: outgoing.kind,
    priority: outgoing.priority,
    lane: outgoing.lane,
    payloadSealed: sealOutboxPayload(deps.protector, outgoing.payload),
    caseId: outgoing.caseId,
    workerId: outgoing.workerId,
    escalationStep: outgoing.escalationStep,
    groupId: outgoing.group?.groupId ?? null,
    groupMembershipId: outgoing.group?.membershipId ?? null,
    notBefore: notBefore ?? new Date(),
  };
}

/**
 * Everything this unit of work says to `lane` is sent but not written down, whenever in the unit it was
 * staged: its chat's data is being erased in the same transaction (`/delete`), and the answers to it must
 * not bring a trace back.
 */
export function leaveNoTraceIn(lane: string): void {
  currentUnitOfWork()
    ?.slot(UNTRACED_LANES, () => new Set<string>())
    .add(lane);
}

/**
 * The lane of a resident's chat: a private chat's id is its user's id, so the lane is their pseudonym. What
 * the outbox holds for a resident is found (and erased) by it.
 */
export function residentLane(residentId: string): string {
  return residentId;
}

/**
 * A chat's lane: a keyed pseudonym of its id, so the outbox orders a chat's messages without storing whom
 * they go to in the clear. For a resident (a private chat's id is the user's id) it is their pseudonym.
 */
export function laneOf(protector: TDataProtector, chatId: number): string {
  return protector.pseudonymOf(chatId);
}

/** A payload as an outbox row stores it: sealed, since it may quote a resident. */
export function sealOutboxPayload(protector: TDataProtector, payload: TOutboxPayload): string {
  return protector.seal(JSON.stringify(payload), payloadContext);
}

export function openOutboxPayload(protector: TDataProtector, sealed: string): TOutboxPayload {
  return JSON.parse(protector.open(sealed, payloadContext)) as TOutboxPayload;
}
