import type { i18n } from 'i18next';
import { currentClient, runUnitOfWork, type TDbClient } from '../db/unit-of-work.ts';
import {
  isCaseLevel,
  planStep,
  stepAfterUnreachable,
  type TAudience,
  type TCaseLevel,
  type TEscalationPolicy,
} from '../domain/escalation/index.ts';
import type { Case, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { recordCaseEvent } from './audit.ts';
import type { TDataProtector } from './data-protection.ts';
import { raiseNobodyToPage, type TNobodyToPageDeps } from './nobody-to-page.ts';
import { enqueueOutbox, type TOutboxSender } from './outbox.ts';
import { caseViewOf, renderPage } from './pages.ts';
import type { TScriptRegistry } from './script-registry.ts';

export type TEscalationDeps = TNobodyToPageDeps & {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  logger: Logger;
  policy: TEscalationPolicy;
  /** For the labels of the case's script version on a page. */
  scripts: TScriptRegistry;
  /** Sends the pages once their transaction commits; absent, the sweep of a running bot sends them. */
  outboxSender?: TOutboxSender;
};

/**
 * Puts a waiting case on the escalation ladder from its first step, in the transaction that opens, raises or
 * releases it. With what paging needs (`TEscalationDeps`), the first step is paged in that same transaction,
 * so its pages leave right after the commit with the resident's own replies; without (a command-line tool),
 * the step is due now and the sweep of the running bot pages it within a second. `isNobody`: the whole
 * ladder found nobody to page (see `raiseNobodyToPage`); `isResidentWriting`: the update is the resident's,
 * and its own answer tells them so.
 *
 * @example
 * const { isNobody } = await scheduleEscalation(deps, { caseId, now, isResidentWriting: true });
 */
export async function scheduleEscalation(
  deps: { prisma: PrismaClient } | TEscalationDeps,
  input: { caseId: number; now: Date; isResidentWriting?: boolean },
): Promise<{ isNobody: boolean }> {
  const row = await currentClient(deps.prisma).case.update({
    where: { id: input.caseId },
    data: { escalationStep: 0, nextEscalationAt: input.now },
  });
  if (!('policy' in deps) || row.status !== 'waiting') return { isNobody: false };
  const paged = await pageDueStep(deps, row, input.now, {
    isResidentWriting: input.isResidentWriting === true,
  });
  return { isNobody: paged.isNobody };
}

export type TSweepResult = { cases: number; pages: number };

/** A transaction holds a case's row lock for a few queries. */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;
const DEFAULT_SWEEP_LIMIT = 100;

/**
 * Pages every waiting case whose next escalation step is due, one transaction per case: it takes the case
 * with `FOR UPDATE SKIP LOCKED` (so several instances may sweep together and each due step fires once) and
 * pages the step (see `pageDueStep`), all or nothing. Cases that stopped waiting are never picked. A case is
 * paged at most once a sweep: a step brought forward while the sweep runs (the page just sent could not reach
 * its worker) is the next sweep's, so one sweep's length never depends on how fast Telegram answers.
 *
 * @example
 * const { cases, pages } = await runEscalationSweep(deps, { now: new Date() });
 */
export async function runEscalationSweep(
  deps: TEscalationDeps,
  input: { now: Date; limit?: number },
): Promise<TSweepResult> {
  const limit = input.limit ?? DEFAULT_SWEEP_LIMIT;
  const swept: number[] = [];
  let pages = 0;
  while (swept.length < limit) {
    const paged = await runUnitOfWork(
      deps.prisma,
      async () => {
        const db = currentClient(deps.prisma);
        const due = await db.$queryRaw<Array<{ id: number }>>`
          SELECT id FROM "Case"
          WHERE status = 'waiting' AND "nextEscalationAt" IS NOT NULL AND "nextEscalationAt" <= ${input.now}
            AND id <> ALL(${swept}::int[])
          ORDER BY "nextEscalationAt", id
          LIMIT 1
          FOR UPDATE SKIP LOCKED`;
        const caseId = due[0]?.id;
        if (caseId === undefined) return undefined;
        const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
        const step = await pageDueStep(deps, row, input.now, { isResidentWriting: false });
        return { caseId, pages: step.pages };
      },
      TRANSACTION_OPTIONS,
    );
    if (paged === undefined) break;
    swept.push(paged.caseId);
    pages += paged.pages;
  }
  return { cases: swept.length, pages };
}

/**
 * Pages the case's next step, in the caller's transaction (which holds the case's row): one `page` per
 * recipient (an imminent case's with the crisis messages, ahead of everything), a `paged` event, and the
 * next step and its time. A step whose audience has nobody (no one on call) is recorded as `page-skipped`
 * and the next step is paged at once instead of waiting out a timeout; the last rung finding nobody raises
 * the alarm (`raiseNobodyToPage`), and again at each of its timeouts. A step brought forward after a page
 * could not reach its worker leaves out those the step before reached.
 */
async function pageDueStep(
  deps: TEscalationDeps,
  row: Case,
  now: Date,
  options: { isResidentWriting: boolean },
): Promise<{ pages: number; isNobody: boolean }> {
  const db = currentClient(deps.prisma);
  const level = caseLevelOf(deps, row);
  const view = caseViewOf(deps.protector, row);
  const log = deps.logger.child({ case_id: row.id, level });
  let step = row.escalationStep + 1;
  let pages = 0;
  let isNobody = false;
  for (;;) {
    const plan = planStep(deps.policy, level, step);
    const recipients = await recipientsFor({ prisma: db }, plan.audiences, now);
    if (recipients.length === 0) {
      await recordCaseEvent(deps, {
        caseId: row.id,
        type: 'page-skipped',
        actor: 'system',
        now,
        detail: { step, audiences: [...plan.audiences], reason: 'nobody' },
      });
      if (!plan.isLastRung) {
        log.warn({ step, audiences: plan.audiences }, 'nobody to page at this step: paging the next at once');
        step += 1;
        continue;
      }
      await raiseNobodyToPage(deps, {
        caseId: row.id,
        level,
        reason: 'no-staff',
        now,
        tellResident: !options.isResidentWriting,
      });
      isNobody = true;
    } else {
      const already =
        step > 1
          ? new Set([...(await pagedAtStep(db, row.id, step)), ...(await pagedByTheStepCutShort(db, row.id))])
          : new Set<number>();
      const fresh = recipients.filter((person) => !already.has(person.id));
      const paged = { step, audiences: plan.audiences };
      const texts = new Map<string, ReturnType<typeof renderPage>>();
      for (const person of fresh) {
        let page = texts.get(person.locale);
        if (!page) {
          const labels = await deps.scripts.labels(row.scriptId, row.scriptVersion, person.locale);
          page = renderPage(deps.i18n, person.locale, view, { now, paged, labels });
          texts.set(person.locale, page);
        }
        await enqueueOutbox(deps, {
          kind: 'page',
          caseId: row.id,
          workerId: person.id,
          escalationStep: step,
          isCrisis: level === 'imminent',
          // Due at once: when the step was decided, or by the sender's clock if that is earlier (a sweep run for
          // a later time), never later than either.
          notBefore: earliest(now, deps.outboxSender?.now() ?? new Date()),
          payload: {
            type: 'send',
            chatId: Number(person.telegramUserId),
            text: page.text,
            buttons: page.buttons,
          },
        });
      }
      pages = fresh.length;
      await recordCaseEvent(deps, {
        caseId: row.id,
        type: 'paged',
        actor: 'system',
        now,
        detail: { step, audiences: [...plan.audiences], workerIds: fresh.map((person) => person.id) },
      });
      log.info({ step, audiences: plan.audiences, pages }, 'paged');
    }
    await db.case.update({
      where: { id: row.id },
      data: { escalationStep: step, nextEscalationAt: new Date(now.getTime() + plan.timeoutMs) },
    });
    return { pages, isNobody };
  }
}

/**
 * A page of a case could not reach its worker and nothing was brought forward (the last rung has no next
 * one): when that was the last page of the rung's latest turn still able to arrive, the whole ladder reached
 * nobody — the alarm is raised and the resident told (see `raiseNobodyToPage`). Runs in the caller's
 * transaction.
 */
export async function raiseIfLastRungReachedNobody(
  deps: TNobodyToPageDeps & { policy: TEscalationPolicy },
  input: { caseId: number; step: number; now: Date },
): Promise<boolean> {
  const db = currentClient(deps.prisma);
  const row = await db.case.findUnique({
    where: { id: input.caseId },
    select: { status: true, level: true, escalationStep: true },
  });
  if (row?.status !== 'waiting' || row.escalationStep !== input.step || !isCaseLevel(row.level)) return false;
  if (!planStep(deps.policy, row.level, input.step).isLastRung) return false;
  // The rung's latest turn: its pages were written in one transaction, so they share its time.
  const [turn] = await db.$queryRaw<Array<{ mayArrive: bigint }>>`
    SELECT count(*) FILTER (WHERE status NOT IN ('unreachable', 'failed')) AS "mayArrive"
    FROM "OutboxMessage"
    WHERE "caseId" = ${input.caseId} AND kind = 'page' AND "escalationStep" = ${input.step}
      AND "createdAt" = (
        SELECT max("createdAt") FROM "OutboxMessage"
        WHERE "caseId" = ${input.caseId} AND kind = 'page' AND "escalationStep" = ${input.step})`;
  if (Number(turn?.mayArrive ?? 0) > 0) return false;
  await raiseNobodyToPage(deps, {
    caseId: input.caseId,
    level: row.level,
    reason: 'unreachable',
    now: input.now,
    tellResident: true,
  });
  return true;
}

export type TRecipient = { id: number; role: string; telegramUserId: bigint; locale: string };

/**
 * The active staff an escalation step pages, de-duplicated, in id order. `on-call` = workers on a rota shift
 * covering `now`, plus those who set `/oncall on`; `supervisors` = active supervisors; `everyone` = all
 * active workers and supervisors. Accepts a transaction client, so the sweep reads them under its lock.
 *
 * @example
 * const people = await recipientsFor({ prisma }, ['on-call', 'supervisors'], now);
 */
export async function recipientsFor(
  deps: { prisma: TDbClient },
  audiences: readonly TAudience[],
  now: Date,
): Promise<TRecipient[]> {
  if (audiences.length === 0) return [];
  const anyOf: Prisma.WorkerWhereInput[] = [];
  if (audiences.includes('on-call')) {
    anyOf.push({ isOnCall: true }, { shifts: { some: { startsAt: { lte: now }, endsAt: { gt: now } } } });
  }
  if (audiences.includes('supervisors')) anyOf.push({ role: 'supervisor' });
  return deps.prisma.worker.findMany({
    where: { isActive: true, ...(audiences.includes('everyone') ? {} : { OR: anyOf }) },
    select: { id: true, role: true, telegramUserId: true, locale: true },
    orderBy: { id: 'asc' },
  });
}

function caseLevelOf(deps: TEscalationDeps, row: Case): TCaseLevel {
  if (isCaseLevel(row.level)) return row.level;
  // Unknown is a bug somewhere else; page as for the most urgent rather than not at all.
  deps.logger.error({ case_id: row.id }, 'case has an unknown level: escalating it as imminent');
  return 'imminent';
}

/**
 * Who was already paged for this case at `step` in the current run of the ladder. A run starts at step 1
 * (the case was opened, raised or released), so only the events since the latest step 1 count: a restarted
 * ladder pages everyone again, on purpose.
 */
async function pagedAtStep(db: TDbClient, caseId: number, step: number): Promise<Set<number>> {
  const events = await db.caseEvent.findMany({
    where: { caseId, type: { in: ['paged', 'page-skipped'] } },
    orderBy: { id: 'desc' },
    select: { detail: true },
    take: 200,
  });
  const already = new Set<number>();
  for (const event of events) {
    const detail = pageEventDetail(event.detail);
    if (detail === undefined) continue;
    if (detail.step === step) for (const id of detail.workerIds) already.add(id);
    if (detail.step <= 1) break;
  }
  return already;
}

/**
 * A step brought forward because someone could not be reached (`advanceAfterUnreachable`): whoever the step
 * before paged is not paged again — the others still hold that page within its timeout, and the one who
 * could not be reached would only fail again. A step that came at its timeout (the repeating "everyone"
 * rung, say) pages everyone it names, as usual.
 */
async function pagedByTheStepCutShort(db: TDbClient, caseId: number): Promise<Set<number>> {
  const [latest, ...earlier] = await db.caseEvent.findMany({
    where: { caseId, type: { in: ['paged', 'page-unreachable'] } },
    orderBy: { id: 'desc' },
    select: { type: true, detail: true },
    take: 200,
  });
  if (latest?.type !== 'page-unreachable') return new Set();
  const cutShort = earlier.findIndex((event) => event.type === 'paged');
  const sinceThatPage = [latest, ...earlier.slice(0, Math.max(cutShort, 0))];
  const isBroughtForward = sinceThatPage.some(
    (event) => (event.detail as { advanced?: unknown } | null)?.advanced === true,
  );
  const paged = earlier[cutShort];
  if (!isBroughtForward || paged === undefined) return new Set();
  return new Set(pageEventDetail(paged.detail)?.workerIds ?? []);
}

type TPageEventDetail = { step: number; audiences: string[]; workerIds: number[] };

/** A `paged` event's detail, checked: the step, its audiences and who was paged. */
export function pageEventDetail(detail: Prisma.JsonValue): TPageEventDetail | undefined {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return undefined;
  const { step, audiences, workerIds } = detail as Record<string, unknown>;
  if (typeof step !== 'number') return undefined;
  return {
    step,
    audiences: Array.isArray(audiences) ? audiences.filter((a): a is string => typeof a === 'string') : [],
    workerIds: Array.isArray(workerIds) ? workerIds.filter((id): id is number => typeof id === 'number') : [],
  };
}

/**
 * A page could not reach its worker (blocked the bot, chat gone): they count as not acknowledging, so the
 * case's next step is due now. Only while the case waits on the very step that page belonged to (a claim,
 * a later step or a restarted ladder has moved on), and not on the "everyone" rung, which has no next
 * level and would otherwise re-page everyone at every sweep. Runs in the caller's transaction.
 *
 * @example
 * await advanceAfterUnreachable(tx, { caseId, step: row.escalationStep, now, policy });
 */
export async function advanceAfterUnreachable(
  db: TDbClient,
  input: { caseId: number; step: number; now: Date; policy: TEscalationPolicy },
): Promise<boolean> {
  const latest = await db.caseEvent.findFirst({
    where: { caseId: input.caseId, type: 'paged' },
    orderBy: { id: 'desc' },
    select: { detail: true },
  });
  const detail = latest ? pageEventDetail(latest.detail) : undefined;
  if (detail === undefined || detail.step !== input.step || detail.audiences.includes('everyone'))
    return false;
  const row = await db.case.findUnique({ where: { id: input.caseId }, select: { level: true } });
  if (!row || !isCaseLevel(row.level)) return false;
  // The sweep pages `escalationStep + 1` next: make that the first step that reaches someone new.
  const next = stepAfterUnreachable(input.policy, row.level, input.step);
  const { count } = await db.case.updateMany({
    where: {
      id: input.caseId,
      status: 'waiting',
      escalationStep: input.step,
      nextEscalationAt: { gt: input.now },
    },
    data: { escalationStep: next - 1, nextEscalationAt: input.now },
  });
  return count > 0;
}

function earliest(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
