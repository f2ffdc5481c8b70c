import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from './data-protection.ts';
import { groupOfferMessage, offerGroups } from './groups.ts';
import { enqueueOutbox, type TOutboxSender } from './outbox.ts';
import { residentChatIdOf, residentLocaleOf } from './resident-chat.ts';
import { needsOfScreening } from './screenings.ts';
import type { TScriptRegistry } from './script-registry.ts';

/**
 * When a worker resolves a case and chooses to: the groups that match the needs its screening showed (and
 * the resident's language), offered to the resident as after a screening. Returns how many were offered.
 */
export async function offerGroupsAfterCase(
  deps: {
    prisma: PrismaClient;
    protector: TDataProtector;
    i18n: i18n;
    scripts: TScriptRegistry;
    outboxSender?: TOutboxSender;
  },
  input: { caseId: number; now: Date },
): Promise<number> {
  const db = currentClient(deps.prisma);
  const row = await db.case.findUnique({ where: { id: input.caseId }, include: { resident: true } });
  const resident = row?.resident;
  const chatId = residentChatIdOf(deps.protector, resident);
  if (!row?.screeningId || !resident || chatId === undefined) return 0;
  const locale = residentLocaleOf(resident);
  const offers = await offerGroups(deps, {
    residentId: resident.id,
    needs: await needsOfScreening(deps, row.screeningId),
    locale,
    now: input.now,
  });
  const t = deps.i18n.getFixedT(locale, 'bot');
  for (const offer of offers)
    await enqueueOutbox(deps, {
      kind: 'resident-notice',
      payload: { type: 'send', chatId, ...groupOfferMessage(t, offer) },
    });
  return offers.length;
}
