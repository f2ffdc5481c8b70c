import { z } from 'zod';
import { currentClient, type TDbClient } from '../db/unit-of-work.ts';
import { AUDIENCES, isCaseLevel, planStep, type TAudience } from '../domain/escalation/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TEscalationDeps } from './escalation.ts';
import { enqueueOutbox, openOutboxPayload } from './outbox.ts';
import { caseViewOf, renderPage } from './pages.ts';

/**
 * Brings the pages already sent for a waiting case up to date once its level, scores or signals changed:
 * each is edited in place to the case as it stands, in its worker's language, with its Claim and Details
 * buttons. An edit makes no sound, so a raised level also pages again (see `scheduleEscalation`); this
 * only keeps what workers already hold from telling them something old. An edit not yet sent is replaced
 * by the newer one, so a case that changes twice costs each worker one edit. Runs in the caller's
 * transaction; returns how many pages it edits.
 *
 * @example
 * await refreshPages(deps, { caseId, now });
 */
export async function refreshPages(
  deps: { prisma: PrismaClient } | TEscalationDeps,
  input: { caseId: number; now: Date },
): Promise<number> {
  // A command-line tool renders no pages; the bot that sent them does.
  if (!('policy' in deps)) return 0;
  const db = currentClient(deps.prisma);
  const row = await db.case.findUniqueOrThrow({ where: { id: input.caseId } });
  if (row.status !== 'waiting' || !isCaseLevel(row.level)) return 0;
  const pages = await db.outboxMessage.findMany({
    // `sending`: a page on its way now is edited once Telegram has taken it.
    // Only pages of those still on the team: someone whose access ended is told nothing more.
    where: { caseId: row.id, kind: 'page', status: { in: ['sent', 'sending'] }, worker: { isActive: true } },
    include: { worker: { select: { locale: true } } },
    orderBy: { id: 'asc' },
  });
  if (pages.length === 0) return 0;
  // While a case waits, its only page edits are these refreshes: one not yet sent is out of date now.
  await db.outboxMessage.deleteMany({ where: { caseId: row.id, kind: 'page-update', status: 'pending' } });
  const view = caseViewOf(deps.protector, row);
  const pagedAs = await audiencesPaged(db, row.id);
  for (const page of pages) {
    const sent = openOutboxPayload(deps.protector, page.payloadSealed);
    if (sent.type !== 'send') continue;
    const locale = page.worker?.locale ?? 'en';
    const step = Math.max(1, page.escalationStep ?? 1);
    const labels = await deps.scripts.labels(row.scriptId, row.scriptVersion, locale);
    const { text, buttons } = renderPage(deps.i18n, locale, view, {
      now: input.now,
      paged: {
        step,
        audiences:
          pagedAs.get(`${page.workerId}@${step}`) ?? planStep(deps.policy, row.level, step).audiences,
      },
      labels,
    });
    await enqueueOutbox(deps, {
      kind: 'page-update',
      caseId: row.id,
      ...(page.workerId === null ? {} : { workerId: page.workerId }),
      payload: { type: 'edit', chatId: sent.chatId, outboxId: page.id, text, buttons },
    });
  }
  return pages.length;
}

/**
 * Whom each page reached as (on call, supervisor …), by `workerId@step`, from the case's `paged` events: the
 * level may have changed since, and with it what that step would page now. The latest event wins.
 */
async function audiencesPaged(db: TDbClient, caseId: number): Promise<Map<string, readonly TAudience[]>> {
  const events = await db.caseEvent.findMany({ where: { caseId, type: 'paged' }, orderBy: { id: 'asc' } });
  const audiences = new Map<string, readonly TAudience[]>();
  for (const event of events) {
    const parsed = ZPagedDetail.safeParse(event.detail);
    if (!parsed.success) continue;
    for (const workerId of parsed.data.workerIds)
      audiences.set(`${workerId}@${parsed.data.step}`, parsed.data.audiences);
  }
  return audiences;
}

const ZPagedDetail = z.object({
  step: z.number(),
  audiences: z.array(z.enum(AUDIENCES)),
  workerIds: z.array(z.number()),
});
