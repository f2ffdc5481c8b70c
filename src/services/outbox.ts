import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from './data-protection.ts';

export type TOutboxKind =
  | 'page'
  | 'page-update'
  | 'relay-to-worker'
  | 'relay-to-resident'
  | 'resident-notice'
  /** To staff about a case outside the escalation ladder (crisis language in a claimed case). */
  | 'case-alert';

/**
 * What the sender does with an outbox row: send a new message, or edit one sent before (a page that became
 * "claimed"). Plain JSON, sealed at rest because it may quote a resident.
 */
export type TOutboxPayload =
  | {
      type: 'send';
      chatId: number;
      text: string;
      buttons?: Array<Array<{ label: string; data: string }>>;
      /** Reply to this message (a relayed message threads under the worker's page). */
      replyToMessageId?: number;
    }
  | {
      type: 'edit';
      chatId: number;
      /** The outbox row whose sent message to edit; its `sentMessageId` is read at delivery time. */
      outboxId: number;
      text: string;
      buttons?: Array<Array<{ label: string; data: string }>>;
    };

const payloadContext = 'outbox-payload';

/**
 * Records a message that must reach someone, in the current transaction: if the change that needs it
 * commits, the message will be delivered (with retries) even if the process dies right after.
 *
 * @example
 * await enqueueOutbox(deps, { kind: 'page', caseId, workerId, payload: { type: 'send', chatId, text } });
 */
export async function enqueueOutbox(
  deps: { prisma: PrismaClient; protector: TDataProtector },
  input: {
    kind: TOutboxKind;
    payload: TOutboxPayload;
    caseId?: number;
    workerId?: number;
    escalationStep?: number;
    notBefore?: Date;
  },
): Promise<number> {
  const row = await currentClient(deps.prisma).outboxMessage.create({
    data: {
      kind: input.kind,
      caseId: input.caseId,
      workerId: input.workerId,
      escalationStep: input.escalationStep,
      payloadSealed: deps.protector.seal(JSON.stringify(input.payload), payloadContext),
      ...(input.notBefore ? { nextAttemptAt: input.notBefore } : {}),
    },
  });
  return row.id;
}

export function openOutboxPayload(protector: TDataProtector, sealed: string): TOutboxPayload {
  return JSON.parse(protector.open(sealed, payloadContext)) as TOutboxPayload;
}
