import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient, Resident } from '../generated/prisma/client.ts';
import type { TLocale } from '../i18n.ts';
import { hasOpenCase } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { CHAT_ID_CONTEXT } from './resident-chat.ts';

/** Bumped whenever the privacy notice's substance changes, so consent names the text it answered. */
export const PRIVACY_NOTICE_VERSION = '2026-11-24';

export type TResidentDeps = { prisma: PrismaClient; protector: TDataProtector };

export async function findResident(deps: TResidentDeps, residentId: string): Promise<Resident | null> {
  return currentClient(deps.prisma).resident.findUnique({ where: { id: residentId } });
}

/** What became of the resident's answer to the notice. */
export type TConsentOutcome = {
  resident: Resident;
  /** Refused, but the chat id stays: an open case still needs a worker to reach them (to protect life). */
  isKeptForOpenCase: boolean;
};

/**
 * Records the resident's answer to the privacy notice, with its time and version. Agreeing keeps the (sealed)
 * chat id, needed to write to them later; refusing keeps only the refusal and their language — and, while
 * they have an open case, the chat id, so the worker on that case can still reach them.
 *
 * @example
 * const { isKeptForOpenCase } = await recordConsent(deps, { residentId, isGiven: false, locale: 'en', chatId });
 */
export async function recordConsent(
  deps: TResidentDeps,
  input: { residentId: string; isGiven: boolean; locale: TLocale; chatId: number },
): Promise<TConsentOutcome> {
  const isKeptForOpenCase = !input.isGiven && (await hasOpenCase(deps, input.residentId));
  const isChatKept = input.isGiven || isKeptForOpenCase;
  const data = {
    consentStatus: input.isGiven ? 'given' : 'refused',
    consentVersion: PRIVACY_NOTICE_VERSION,
    consentAt: new Date(),
    locale: input.locale,
    chatIdSealed: isChatKept ? deps.protector.seal(String(input.chatId), CHAT_ID_CONTEXT) : null,
  };
  const resident = await currentClient(deps.prisma).resident.upsert({
    where: { id: input.residentId },
    create: { id: input.residentId, ...data },
    update: data,
  });
  return { resident, isKeptForOpenCase };
}

/** The language the resident chose with /language: a setting, kept with or without consent. */
export async function setResidentLocale(
  deps: TResidentDeps,
  residentId: string,
  locale: TLocale,
): Promise<void> {
  await currentClient(deps.prisma).resident.upsert({
    where: { id: residentId },
    create: { id: residentId, locale },
    update: { locale },
  });
}

/**
 * Makes sure a worker can write back to someone in danger, even before they answered the notice: to protect
 * life is the one purpose for which the service keeps a chat id without consent (the notice says so).
 */
export async function keepReachable(deps: TResidentDeps, residentId: string, chatId: number): Promise<void> {
  const chatIdSealed = deps.protector.seal(String(chatId), CHAT_ID_CONTEXT);
  await currentClient(deps.prisma).resident.upsert({
    where: { id: residentId },
    create: { id: residentId, chatIdSealed },
    update: { chatIdSealed },
  });
}

export function hasConsented(resident: Resident | null): boolean {
  return resident?.consentStatus === 'given';
}
