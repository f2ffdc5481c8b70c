import { readFileSync } from 'node:fs';
import type { i18n } from 'i18next';
import { parse as parseYaml } from 'yaml';
import { currentClient, type TDbClient, withTransaction } from '../db/unit-of-work.ts';
import {
  DEFAULT_ESCALATION_POLICY,
  isCaseLevel,
  planStep,
  renderCaseSummary,
  stepAfterUnreachable,
  type TAudience,
  type TCaseLevel,
  type TCaseView,
  type TEscalationPolicy,
  type TSummaryOptions,
  type TTranslate,
  ZEscalationPolicy,
} from '../domain/escalation/index.ts';
import type { Case, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { openCaseSignals } from './case-signals.ts';
import type { TDataProtector } from './data-protection.ts';
import { enqueueOutbox, type TOutboxPayload } from './outbox.ts';
import type { TScriptRegistry } from './script-registry.ts';

/**
 * Puts a waiting case on the escalation ladder from its first step, due at `now`: the sweeper pages at once.
 * Called in the same transaction that opens, raises or releases the case, so no case waits unpaged.
 */
export async function scheduleEscalation(
  deps: { prisma: PrismaClient },
  input: { caseId: number; now: Date },
): Promise<void> {
  await currentClient(deps.prisma).case.update({
    where: { id: input.caseId },
    data: { escalationStep: 0, nextEscalationAt: input.now },
  });
}

// ---------------------------------------------------------------------------------------------------------
// Policy

/** The policy file cannot be used; the message names the file and every problem in it. */
export class EscalationPolicyError extends Error {
  readonly code = 'ESCALATION_POLICY_INVALID';
  override readonly name = 'EscalationPolicyError';
}

/**
 * The escalation policy: the defaults, overridden by the YAML file `ESCALATION_POLICY_FILE` names. Read once
 * at start, so a bad file stops the start with a clear message instead of paging on a half-read policy.
 *
 * @throws {EscalationPolicyError} unreadable file, invalid YAML, unknown key or bad value.
 * @example
 * const policy = loadEscalationPolicy(config.escalationPolicyFile); // defaults when undefined
 */
export function loadEscalationPolicy(file?: string): TEscalationPolicy {
  if (file === undefined) return DEFAULT_ESCALATION_POLICY;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new EscalationPolicyError(`Cannot read the escalation policy file ${file}: ${errorText(error)}`);
  }
  let document: unknown;
  try {
    document = parseYaml(source);
  } catch (error) {
    throw new EscalationPolicyError(
      `The escalation policy file ${file} is not valid YAML: ${errorText(error)}`,
    );
  }
  const parsed = ZEscalationPolicy.safeParse(document ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    return `  - ${path || '(top level)'}: ${message}`;
  });
  throw new EscalationPolicyError(
    `The escalation policy file ${file} has ${problems.length} problem(s):\n${problems.join('\n')}\n` +
      'Expected e.g.:\n  acknowledgeTimeout: { imminent: 1m, high: 5m, moderate: 4h, low: 4h }\n  repeats: 2',
  );
}

// ---------------------------------------------------------------------------------------------------------
// Who is paged

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

// ---------------------------------------------------------------------------------------------------------
// What a page says

export const CLAIM_CALLBACK_PREFIX = 'claim:';
export const DETAILS_CALLBACK_PREFIX = 'details:';

/**
 * A case row as `renderCaseSummary` reads it, its signals unsealed. Signals that cannot be opened (a missing
 * key) are left out rather than stopping a page: reaching a worker matters more than the detail.
 *
 * @example
 * const text = renderCaseSummary(t, caseViewOf(protector, row), { now });
 */
export function caseViewOf(
  protector: TDataProtector,
  row: Pick<
    Case,
    'id' | 'level' | 'score' | 'source' | 'createdAt' | 'scores' | 'explanation' | 'signalsSealed'
  >,
): TCaseView {
  const signals = openCaseSignals(protector, row.signalsSealed);
  return {
    id: row.id,
    level: row.level,
    score: row.score,
    source: row.source,
    createdAt: row.createdAt,
    scores: row.scores,
    explanation: row.explanation,
    signals,
  };
}

/** The `pages` namespace in one locale (English for a locale we do not ship). */
export function pagesTranslator(i18n: i18n, locale: string): TTranslate {
  const t = i18n.getFixedT(locale, 'pages');
  return (key, values) => String(t(key, values));
}

/**
 * The page one worker receives: the case summary in their language, and Claim / Details buttons (the
 * worker commands answer `claim:<id>` and `details:<id>`).
 *
 * @example
 * const { text, buttons } = renderPage(i18n, 'zh-CN', view, { now, paged: { step: 1, audiences: ['on-call'] } });
 */
export function renderPage(
  i18n: i18n,
  locale: string,
  view: TCaseView,
  options: TSummaryOptions & { paged: NonNullable<TSummaryOptions['paged']> },
): { text: string; buttons: Array<Array<{ label: string; data: string }>> } {
  const t = pagesTranslator(i18n, locale);
  return {
    text: `${renderCaseSummary(t, view, options)}\n\n${t('page.footer')}`,
    buttons: [
      [
        { label: t('buttons.claim'), data: `${CLAIM_CALLBACK_PREFIX}${view.id}` },
        { label: t('buttons.details'), data: `${DETAILS_CALLBACK_PREFIX}${view.id}` },
      ],
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------
// The sweep

export type TEscalationDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  logger: Logger;
  policy: TEscalationPolicy;
  /** For the labels of the case's script version on a page. */
  scripts: TScriptRegistry;
};

export type TSweepResult = { cases: number; pages: number };

/** The case events the sweep writes; `page-skipped` = a step found nobody to page and was passed at once. */
export const PAGED_EVENT = 'paged';
export const PAGE_SKIPPED_EVENT = 'page-skipped';
/** Written by the sender when a page cannot reach its worker (blocked the bot, left Telegram). */
export const PAGE_UNREACHABLE_EVENT = 'page-unreachable';

/** A transaction holds a case's row lock for a few queries; the embedded database runs one at a time. */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;
const DEFAULT_SWEEP_LIMIT = 100;

/**
 * Pages every waiting case whose next escalation step is due, one transaction per case: it takes the case
 * with `FOR UPDATE SKIP LOCKED` (so several instances may sweep together and each due step fires once),
 * enqueues one `page` outbox row per recipient, records a `paged` event, and sets the next step and its
 * time, all or nothing. A step whose audience has nobody (no one on call) is recorded as `page-skipped`
 * and the next step is paged at once instead of waiting out a timeout. Cases that stopped waiting are
 * never picked. Run it from the background loop; not from inside a Telegram update's transaction.
 *
 * @example
 * const { cases, pages } = await runEscalationSweep(deps, { now: new Date() });
 */
export async function runEscalationSweep(
  deps: TEscalationDeps,
  input: { now: Date; limit?: number },
): Promise<TSweepResult> {
  const limit = input.limit ?? DEFAULT_SWEEP_LIMIT;
  const result: TSweepResult = { cases: 0, pages: 0 };
  while (result.cases < limit) {
    const swept = await deps.prisma.$transaction(
      (tx) => withTransaction(tx, () => sweepNextDueCase(deps, tx, input.now)),
      TRANSACTION_OPTIONS,
    );
    if (swept === undefined) break;
    result.cases += 1;
    result.pages += swept.pages;
  }
  return result;
}

async function sweepNextDueCase(
  deps: TEscalationDeps,
  tx: Prisma.TransactionClient,
  now: Date,
): Promise<{ pages: number } | undefined> {
  const due = await tx.$queryRaw<Array<{ id: number }>>`
    SELECT id FROM "Case"
    WHERE status = 'waiting' AND "nextEscalationAt" IS NOT NULL AND "nextEscalationAt" <= ${now}
    ORDER BY "nextEscalationAt", id
    LIMIT 1
    FOR UPDATE SKIP LOCKED`;
  const caseId = due[0]?.id;
  if (caseId === undefined) return undefined;
  const row = await tx.case.findUniqueOrThrow({ where: { id: caseId } });

  const level = caseLevelOf(deps, row);
  const view = caseViewOf(deps.protector, row);
  const log = deps.logger.child({ case_id: row.id, level });
  let step = row.escalationStep + 1;
  let pages = 0;
  for (;;) {
    const plan = planStep(deps.policy, level, step);
    const recipients = await recipientsFor({ prisma: tx }, plan.audiences, now);
    if (recipients.length === 0) {
      await tx.caseEvent.create({
        data: {
          caseId: row.id,
          type: PAGE_SKIPPED_EVENT,
          actor: 'system',
          detail: { step, audiences: [...plan.audiences], reason: 'nobody' },
          createdAt: now,
        },
      });
      if (!plan.isLastRung) {
        log.warn({ step, audiences: plan.audiences }, 'nobody to page at this step: paging the next at once');
        step += 1;
        continue;
      }
      log.error({ step }, 'no active staff at all to page: trying again after the timeout');
    } else {
      const already =
        step > 1
          ? new Set([...(await pagedAtStep(tx, row.id, step)), ...(await pagedByTheStepCutShort(tx, row.id))])
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
        const payload: TOutboxPayload = {
          type: 'send',
          chatId: Number(person.telegramUserId),
          text: page.text,
          buttons: page.buttons,
        };
        // Our transaction stands in for the update's: the row commits with the step, or neither does.
        await enqueueOutbox(
          { prisma: tx as unknown as PrismaClient, protector: deps.protector },
          {
            kind: 'page',
            caseId: row.id,
            workerId: person.id,
            escalationStep: step,
            payload,
            notBefore: now,
          },
        );
      }
      pages = fresh.length;
      await tx.caseEvent.create({
        data: {
          caseId: row.id,
          type: PAGED_EVENT,
          actor: 'system',
          detail: { step, audiences: [...plan.audiences], workerIds: fresh.map((person) => person.id) },
          createdAt: now,
        },
      });
      log.info({ step, audiences: plan.audiences, pages }, 'paged');
    }
    await tx.case.update({
      where: { id: row.id },
      data: { escalationStep: step, nextEscalationAt: new Date(now.getTime() + plan.timeoutMs) },
    });
    return { pages };
  }
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
async function pagedAtStep(tx: Prisma.TransactionClient, caseId: number, step: number): Promise<Set<number>> {
  const events = await tx.caseEvent.findMany({
    where: { caseId, type: { in: [PAGED_EVENT, PAGE_SKIPPED_EVENT] } },
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
async function pagedByTheStepCutShort(tx: Prisma.TransactionClient, caseId: number): Promise<Set<number>> {
  const [latest, ...earlier] = await tx.caseEvent.findMany({
    where: { caseId, type: { in: [PAGED_EVENT, PAGE_UNREACHABLE_EVENT] } },
    orderBy: { id: 'desc' },
    select: { type: true, detail: true },
    take: 200,
  });
  if (latest?.type !== PAGE_UNREACHABLE_EVENT) return new Set();
  const cutShort = earlier.findIndex((event) => event.type === PAGED_EVENT);
  const sinceThatPage = [latest, ...earlier.slice(0, Math.max(cutShort, 0))];
  const isBroughtForward = sinceThatPage.some(
    (event) => (event.detail as { advanced?: unknown } | null)?.advanced === true,
  );
  const paged = earlier[cutShort];
  if (!isBroughtForward || paged === undefined) return new Set();
  return new Set(pageEventDetail(paged.detail)?.workerIds ?? []);
}

type TPageEventDetail = { step: number; audiences: string[]; workerIds: number[] };

function pageEventDetail(detail: Prisma.JsonValue): TPageEventDetail | undefined {
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
 * await advanceAfterUnreachable(tx, { caseId, step: row.escalationStep, now });
 */
export async function advanceAfterUnreachable(
  tx: TDbClient,
  input: { caseId: number; step: number; now: Date; policy: TEscalationPolicy },
): Promise<boolean> {
  const latest = await tx.caseEvent.findFirst({
    where: { caseId: input.caseId, type: PAGED_EVENT },
    orderBy: { id: 'desc' },
    select: { detail: true },
  });
  const detail = latest ? pageEventDetail(latest.detail) : undefined;
  if (detail === undefined || detail.step !== input.step || detail.audiences.includes('everyone'))
    return false;
  const row = await tx.case.findUnique({ where: { id: input.caseId }, select: { level: true } });
  if (!row || !isCaseLevel(row.level)) return false;
  // The sweep pages `escalationStep + 1` next: make that the first step that reaches someone new.
  const next = stepAfterUnreachable(input.policy, row.level, input.step);
  const { count } = await tx.case.updateMany({
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
