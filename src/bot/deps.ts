import type { UserFromGetMe } from 'grammy/types';
import type { i18n } from 'i18next';
import type { TEscalationPolicy } from '../domain/escalation/index.ts';
import type { TCrisisModel } from '../domain/risk/crisis-model.ts';
import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import type { TGrievanceLexicon } from '../domain/risk/grievance-lexicon.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import type { TDataProtector } from '../services/data-protection.ts';
import type { TAlertChat } from '../services/nobody-to-page.ts';
import type { TOutboxSender } from '../services/outbox.ts';
import type { TScriptRegistry } from '../services/script-registry.ts';

export type TBotDeps = {
  token: string;
  apiRoot: string;
  prisma: PrismaClient;
  protector: TDataProtector;
  scripts: TScriptRegistry;
  /** The screening new residents start (its newest published version). */
  scriptId: string;
  /** Crisis-language patterns of every locale: each message is read with all of them. */
  crisisPatterns: readonly TCrisisPatterns[];
  /** Where the dashboard is reached (`PUBLIC_URL`); none: `/dashboard` says it is not set up. */
  publicUrl?: string;
  /** How fast a resident may write before the bot slows down for them (default 20 messages in 10 s). */
  floodLimit?: { limit: number; windowMs: number };
  /** The learned crisis models (none: the rules read alone). */
  crisisModels?: readonly TCrisisModel[];
  grievanceLexicons?: Readonly<Record<string, TGrievanceLexicon>>;
  i18n: i18n;
  logger: Logger;
  emergencyNumbersFor: (locale: TLocale) => string;
  /** The team's alert chat: alarms when a case finds nobody to page. Absent, only the log says so. */
  alertChat?: TAlertChat;
  /** Who is paged at each step: a case opened by an update pages its first step in the same transaction. */
  policy: TEscalationPolicy;
  /** Sends what each update committed (the process's outbox dispatcher). */
  outboxSender: TOutboxSender;
  /** Counts what the bot handled, for `/metrics`. */
  counters?: { updates: number };
  /** The time, for escalation timers and waiting times; tests pass a fake clock. Default: the system clock. */
  clock?: () => Date;
  /** Outcome codes a worker may close a case with. */
  resolveOutcomes?: readonly string[];
  /** Known bot identity: skips `getMe` (tests, or a restart that already knows it). */
  botInfo?: UserFromGetMe;
  /** The HTTP client for the Bot API; tests pass a fake here so every call is seen. */
  fetch?: typeof fetch;
  /**
   * False while shutting down: updates still arriving in a long-polling batch are left unrecorded, so
   * Telegram delivers them again to the next start.
   */
  isAccepting?: () => boolean;
};

// Where the bot keeps conversation state is the storage's decision; features reach it from here.
export { conversationStorageKey } from '../db/session-storage.ts';

/** The time now, from the injected clock when there is one. */
export function nowOf(deps: Pick<TBotDeps, 'clock'>): Date {
  return deps.clock?.() ?? new Date();
}
