import type { ConversationFlavor } from '@grammyjs/conversations';
import type { Context } from 'grammy';
import type { Resident, Worker } from '../generated/prisma/client.ts';
import type { TFunction, TLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { TReplies } from './outbox-replies.ts';

/** What the bot's own middleware sets on every update before any feature runs. */
export type TUpdateData = {
  locale: TLocale;
  /** Texts in `locale`: the `bot` namespace for residents, the `worker` namespace for workers. */
  t: TFunction;
  logger: Logger;
  /** The emergency numbers to show this resident, in their language. */
  emergencyNumbers: string;
  /** The sender's pseudonym (keyed hash of their Telegram id); undefined for updates with no sender. */
  residentId: string | undefined;
  /** Their record, if the service keeps one. */
  resident: Resident | null;
  /**
   * The sender when they joined as a worker (and still are one). Workers are staff: they are never
   * screened, and nothing of theirs is stored as a resident's (`residentId` is undefined for them).
   */
  worker: Worker | null;
  /** A feature already offered this resident a worker for this message: nothing more needs saying. */
  isOfferedWorker: boolean;
  /**
   * This text is for the resident's open case as well as, perhaps, an answer to the question on screen:
   * `isRelayed`, it already went to the worker holding the case; otherwise the case waits, and the screening
   * keeps it for the claimer if it does not answer the question.
   */
  caseOfText?: { caseId: number; isRelayed: boolean };
  /** What this update says, sent once its transaction commits (never `ctx.reply`, which calls Telegram at once). */
  outbox: TReplies;
};

export type TBotContext = ConversationFlavor<Context & TUpdateData>;

/** The context of an update from a worker: routed to the worker features, never to the resident ones. */
export type TStaffContext = TBotContext & { worker: Worker };

export function isStaff<C extends TBotContext>(ctx: C): ctx is C & { worker: Worker } {
  return ctx.worker !== null;
}
