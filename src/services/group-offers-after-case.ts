import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { isLocale } from '../i18n.ts';
import type { TDataProtector } from './data-protection.ts';
import { offerGroups } from './groups.ts';
import { enqueueOutbox, type TOutboxSender } from './outbox.ts';
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
  if (!row?.screeningId || !resident?.chatIdSealed) return 0;
  const locale = isLocale(resident.locale) ? resident.locale : 'en';
  const offers = await offerGroups(deps, {
    residentId: resident.id,
    needs: await needsOfScreening(deps, row.screeningId),
    locale,
    now: input.now,
  });
  const t = deps.i18n.getFixedT(locale, 'bot');
  const chatId = deps.protector.openNumber(resident.chatIdSealed, 'chat-id');
  for (const offer of offers)
    await enqueueOutbox(deps, {
      kind: 'resident-notice',
      payload: {
        type: 'send',
        chatId,
        text: t('groups.offer', { name: offer.name, description: offer.description, meets: offer.meets }),
        buttons: [
          [
            { label: t('groups.join'), data: `group:join:${offer.id}` },
            { label: t('groups.not_now'), data: `group:no:${offer.id}` },
          ],
        ],
      },
    });
  return offers.length;
}
