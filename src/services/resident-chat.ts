import type { Resident } from '../generated/prisma/client.ts';
import { isLocale, type TLocale } from '../i18n.ts';
import type { TDataProtector } from './data-protection.ts';

/** The field a resident's chat id is sealed for. */
export const CHAT_ID_CONTEXT = 'chat-id';

/** Where to write a resident: their chat, while the service may keep it (undefined: they cannot be reached). */
export function residentChatIdOf(
  protector: TDataProtector,
  resident: Pick<Resident, 'chatIdSealed'> | null | undefined,
): number | undefined {
  return resident?.chatIdSealed ? protector.openNumber(resident.chatIdSealed, CHAT_ID_CONTEXT) : undefined;
}

/** The language a resident reads (English when unknown). */
export function residentLocaleOf(resident: Pick<Resident, 'locale'> | null | undefined): TLocale {
  return isLocale(resident?.locale) ? resident.locale : 'en';
}
