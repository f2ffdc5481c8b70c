import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { recordCaseEvent } from './audit.ts';
import type { TDataProtector } from './data-protection.ts';
import { enqueueOutbox, type TOutboxSender } from './outbox.ts';
import { pagesTranslator } from './pages.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';

/** The team's own Telegram chat (`ALERT_CHAT_ID`), where the service raises alarms about itself. */
export type TAlertChat = { chatId: number; locale: TLocale };

/** What raising the alarm needs: besides the database, the words for the team and for the resident. */
export type TNobodyToPageDeps = {
  prisma: PrismaClient;
  protector: TDataProtector;
  i18n: i18n;
  logger: Logger;
  /** Absent: only the log knows (the bot warns at start). */
  alertChat?: TAlertChat;
  /** Absent: the shipped default numbers. */
  emergencyNumbersFor?: (locale: TLocale) => string;
  outboxSender?: TOutboxSender;
};

/** `no-staff`: the ladder's last rung names nobody active; `unreachable`: every page of it failed. */
export type TNobodyReason = 'no-staff' | 'unreachable';

/**
 * A waiting case for which the whole escalation ladder reached nobody. It is never hidden: the case is
 * marked (the service reports itself degraded while a high or imminent case is), the log says so as an
 * error with the case id, the team's alert chat gets an alarm — again at every turn of the ladder until
 * somebody joins, goes on call or claims — and the resident is told, once, that nobody can answer right now,
 * with the emergency numbers (`tellResident`: false when the update answering them says so itself). Runs in
 * the caller's transaction; returns whether this is the first time for the case since somebody was paged.
 *
 * @example
 * await raiseNobodyToPage(deps, { caseId, level: 'imminent', reason: 'no-staff', now, tellResident: false });
 */
export async function raiseNobodyToPage(
  deps: TNobodyToPageDeps,
  input: { caseId: number; level: string; reason: TNobodyReason; now: Date; tellResident: boolean },
): Promise<{ isFirst: boolean }> {
  const db = currentClient(deps.prisma);
  const [marked] = await db.$queryRaw<Array<{ wasSince: Date | null; residentId: string | null }>>`
    WITH before AS (SELECT "nobodyPagedAt" FROM "Case" WHERE id = ${input.caseId})
    UPDATE "Case" c SET "nobodyPagedAt" = COALESCE(c."nobodyPagedAt", ${input.now})
    FROM before WHERE c.id = ${input.caseId} AND c.status = 'waiting'
    RETURNING before."nobodyPagedAt" AS "wasSince", c."residentId"`;
  if (!marked) return { isFirst: false };
  const isFirst = marked.wasSince === null;
  deps.logger.error(
    {
      case_id: input.caseId,
      case_level: input.level,
      reason: input.reason,
      since: marked.wasSince ?? input.now,
    },
    'nobody could be paged for a waiting case: the resident has only the emergency numbers',
  );
  await recordCaseEvent(deps, {
    caseId: input.caseId,
    type: 'nobody-to-page',
    actor: 'system',
    now: input.now,
    detail: { reason: input.reason },
  });
  if (deps.alertChat) {
    const t = pagesTranslator(deps.i18n, deps.alertChat.locale);
    await enqueueOutbox(deps, {
      kind: 'operator-alarm',
      caseId: input.caseId,
      payload: {
        type: 'send',
        chatId: deps.alertChat.chatId,
        text: t('alarm.nobody', {
          id: input.caseId,
          level: t(`level.${input.level}`),
          reason: t(`alarm.reason.${input.reason.replace('-', '_')}`),
        }),
      },
    });
  }
  if (isFirst && input.tellResident && marked.residentId !== null)
    await tellResident(deps, {
      caseId: input.caseId,
      residentId: marked.residentId,
      key: 'crisis.nobody_now',
    });
  return { isFirst };
}

/**
 * Somebody was paged (their page reached them) or claimed the case: it has somebody again. A resident who
 * was told nobody could answer is told that a social worker now has their request. Runs in the caller's
 * transaction.
 */
export async function clearNobodyToPage(
  deps: Omit<TNobodyToPageDeps, 'logger'>,
  input: { caseId: number; tellResident: boolean },
): Promise<void> {
  const db = currentClient(deps.prisma);
  const [cleared] = await db.$queryRaw<Array<{ residentId: string | null }>>`
    UPDATE "Case" SET "nobodyPagedAt" = NULL
    WHERE id = ${input.caseId} AND "nobodyPagedAt" IS NOT NULL
    RETURNING "residentId"`;
  if (cleared?.residentId && input.tellResident)
    await tellResident(deps, {
      caseId: input.caseId,
      residentId: cleared.residentId,
      key: 'relay.worker_found',
    });
}

/**
 * Somebody joined, or went on call: every waiting case that found nobody is paged again from the start of
 * its ladder, by the sweep within a second. Returns how many.
 */
export async function repageCasesWithNobody(deps: { prisma: PrismaClient }, now: Date): Promise<number> {
  return currentClient(deps.prisma).$executeRaw`
    UPDATE "Case" SET "escalationStep" = 0, "nextEscalationAt" = ${now}
    WHERE status = 'waiting' AND "nobodyPagedAt" IS NOT NULL`;
}

/**
 * While a waiting high or imminent case has found nobody to page, the service is degraded: `/healthz` says
 * so, with the case numbers and since when (nothing personal). Empty when all is well.
 */
export async function nobodyToPageProblems(deps: {
  prisma: PrismaClient;
}): Promise<Array<{ reason: string; detail: { caseIds: number[]; since: string } }>> {
  const rows = await deps.prisma.case.findMany({
    where: { status: 'waiting', level: { in: ['high', 'imminent'] }, nobodyPagedAt: { not: null } },
    orderBy: { nobodyPagedAt: 'asc' },
    select: { id: true, nobodyPagedAt: true },
  });
  const since = rows[0]?.nobodyPagedAt;
  if (!since) return [];
  const reason = 'nobody to page: a high or imminent case waits with no active staff reachable';
  return [{ reason, detail: { caseIds: rows.map((row) => row.id), since: since.toISOString() } }];
}

async function tellResident(
  deps: Omit<TNobodyToPageDeps, 'logger'>,
  input: { caseId: number; residentId: string; key: string },
): Promise<void> {
  const resident = await currentClient(deps.prisma).resident.findUnique({
    where: { id: input.residentId },
    select: { chatIdSealed: true, locale: true },
  });
  const chatId = residentChatIdOf(deps.protector, resident);
  if (chatId === undefined) return;
  const locale = residentLocaleOf(resident);
  const numbers =
    deps.emergencyNumbersFor?.(locale) ?? deps.i18n.getFixedT(locale, 'bot')('emergency.default');
  await enqueueOutbox(deps, {
    kind: input.key === 'crisis.nobody_now' ? 'crisis-notice' : 'resident-notice',
    caseId: input.caseId,
    payload: {
      type: 'send',
      chatId,
      text: deps.i18n.getFixedT(locale, 'bot')(input.key, { numbers }),
    },
  });
}
