import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import {
  compareForQueue,
  formatWaiting,
  leadingCrisisReason,
  renderCaseSummary,
  type TStoredCrisisReason,
} from '../domain/escalation/index.ts';
import type { PrismaClient, Worker } from '../generated/prisma/client.ts';
import { recordCaseEvent } from './audit.ts';
import { openCaseSignals } from './case-signals.ts';
import { crisisMessagesOf, workerTexts } from './case-work.ts';
import type { TDataProtector } from './data-protection.ts';
import { describeOutcome } from './outcome-wording.ts';
import { caseViewOf, pagesTranslator } from './pages.ts';
import { freeTextAnswersOf } from './screenings.ts';
import type { TScriptRegistry } from './script-registry.ts';
import { workerActor } from './workers.ts';

/** How many waiting cases `/queue` lists (and gives buttons to); the rest are counted. */
export const QUEUE_PAGE_SIZE = 10;

export type TQueueItem = {
  id: number;
  level: string;
  score: number;
  source: string;
  createdAt: Date;
  /** A case opened or raised by crisis language: the detector's leading reason, what the score cannot say. */
  crisisReason: TStoredCrisisReason | undefined;
};

/**
 * The waiting cases in queue order (imminent, high, moderate, low; score; waiting time): the first `limit`
 * of them, and how many wait in all. A crisis case carries the detector's leading reason (an explanation,
 * never the resident's words).
 */
export async function listQueue(
  deps: { prisma: PrismaClient; protector: TDataProtector },
  input: { limit: number },
): Promise<{ total: number; shown: TQueueItem[] }> {
  const rows = await currentClient(deps.prisma).case.findMany({
    where: { status: 'waiting' },
    select: { id: true, level: true, score: true, source: true, createdAt: true, signalsSealed: true },
  });
  const shown = rows
    .sort(compareForQueue)
    .slice(0, input.limit)
    .map(({ signalsSealed, ...row }) => ({
      ...row,
      crisisReason: leadingCrisisReason(openCaseSignals(deps.protector, signalsSealed)),
    }));
  return { total: rows.length, shown };
}

/** "7 min", "2 h 5 min" in the worker's language: the words the pages use. */
export function formatWaitingFor(deps: { i18n: i18n }, locale: string, ms: number): string {
  return formatWaiting(pagesTranslator(deps.i18n, locale), ms);
}

/**
 * Whether a worker may open a case: supervisors see everything; a worker sees waiting cases (to decide to
 * claim) and the cases they claimed — not a colleague's case.
 */
export function canViewCase(
  worker: Pick<Worker, 'id' | 'role'>,
  row: { status: string; claimedById: number | null },
): boolean {
  return worker.role === 'supervisor' || row.status === 'waiting' || row.claimedById === worker.id;
}

/**
 * A case a worker asked to open: loaded with its claimer's name, checked against {@link canViewCase}, and the
 * opening recorded on its timeline (with where it was opened, when not the bot) in the caller's transaction —
 * a refused attempt too (`view-refused`), so that looking at a colleague's case leaves a trace.
 */
export async function openCaseForViewing(
  deps: { prisma: PrismaClient },
  input: { worker: Pick<Worker, 'id' | 'role'>; caseId: number; now: Date; via?: 'dashboard' },
) {
  const row = await currentClient(deps.prisma).case.findUnique({
    where: { id: input.caseId },
    include: { claimedBy: { select: { name: true } } },
  });
  if (!row) return { type: 'not-found', caseId: input.caseId } as const;
  // A view and a refused one are both on the case's record.
  const isAllowed = canViewCase(input.worker, row);
  await recordCaseEvent(deps, {
    caseId: row.id,
    type: isAllowed ? 'viewed' : 'view-refused',
    actor: workerActor(input.worker.id),
    now: input.now,
    ...(input.via ? { detail: { via: input.via } } : {}),
  });
  return isAllowed
    ? ({ type: 'open', row } as const)
    : ({ type: 'not-allowed', caseId: input.caseId } as const);
}

export type TViewOutcome =
  | { type: 'view'; caseId: number; status: string; text: string }
  | { type: 'not-allowed'; caseId: number }
  | { type: 'not-found'; caseId: number };

/**
 * Opens a case for a worker (the Details button): the message that opened or raised it first, the summary
 * the pages show (scores, the rules and answers behind the level, signals), the screening's free-text
 * answers, and where the case stands, in the worker's language. Every opening is recorded
 * on the case's timeline with who and when, in the same transaction as the answer.
 */
export async function viewCase(
  deps: { prisma: PrismaClient; protector: TDataProtector; i18n: i18n; scripts: TScriptRegistry },
  input: { worker: Worker; caseId: number; now: Date },
): Promise<TViewOutcome> {
  const opened = await openCaseForViewing(deps, input);
  if (opened.type !== 'open') return opened;
  const { row } = opened;
  const t = workerTexts(deps, input.worker.locale);
  const words = {
    messages: await crisisMessagesOf(deps, row.id),
    answers: row.screeningId ? await freeTextAnswersOf(deps, row.screeningId) : [],
  };
  const summary = renderCaseSummary(
    pagesTranslator(deps.i18n, input.worker.locale),
    { ...caseViewOf(deps.protector, row), words },
    {
      now: input.now,
      locale: input.worker.locale,
      labels: await deps.scripts.labels(row.scriptId, row.scriptVersion, input.worker.locale),
    },
  );
  const status = t(`details.status.${row.status}`, {
    name: row.claimedBy?.name ?? t('details.someone'),
    outcome: row.outcome === null ? '—' : describeOutcome(t, row.outcome),
    defaultValue: row.status,
  });
  return { type: 'view', caseId: row.id, status: row.status, text: `${summary}\n\n${status}` };
}
