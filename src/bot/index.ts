import { conversations, createConversation } from '@grammyjs/conversations';
import { type Api, Bot, type BotError, type Middleware } from 'grammy';
import type { i18n } from 'i18next';
import { createSessionStorage } from '../db/session-storage.ts';
import { currentUnitOfWork, handleUpdateOnce } from '../db/unit-of-work.ts';
import { isLocale, LOCALES, resolveLocale, type TLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { outgoingOf } from '../services/outbox.ts';
import { readWhoIsWriting } from '../services/update-context.ts';
import { isStaff, type TBotContext } from './context.ts';
import { createScreeningConversation, SCREENING_CONVERSATION } from './conversations/screening.ts';
import { conversationStorageKey, type TBotDeps } from './deps.ts';
import { createCrisisGuard } from './features/crisis-guard.ts';
import { createFloodGuard } from './features/flood-guard.ts';
import { createGroupReplyFeature, createGroupsFeature } from './features/groups.ts';
import { createHelpFeature } from './features/help.ts';
import { createLanguageFeature } from './features/language.ts';
import { createLeaveFeature } from './features/leave.ts';
import { createResidentRelayFeature } from './features/relay.ts';
import { createFallbackFeature, createUnsupportedFeature } from './features/unsupported.ts';
import { createWelcomeFeature } from './features/welcome.ts';
import { createJoinFeature, createWorkerFeature } from './features/workers.ts';
import { createReplies } from './outbox-replies.ts';

export type { TBotDeps } from './deps.ts';
export type TBot = Bot<TBotContext>;

/** The commands in the menu, in menu order. */
const MENU_COMMANDS = ['start', 'help', 'language', 'privacy', 'cancel', 'delete'] as const;

/** Updates whose failure was apologised for, remembered so a new try of one does not apologise twice. */
const APOLOGIES_REMEMBERED = 10_000;

/** Set on an update whose worker feature failed: the apology after the rollback is a worker's. */
const FAILED = Symbol('failed-feature');
type TFailedContext = TBotContext & { [FAILED]?: 'resident' | 'worker' };

/**
 * The bot, with every feature wired. It neither starts polling nor sets a webhook: `main.ts` decides how
 * updates arrive; tests feed them through the webhook route.
 *
 * Each update is one unit of work: recorded by its id, its chat locked, its features run, and what they say
 * written to the outbox — one short transaction, then the sender sends. A feature never calls Telegram
 * itself (`ctx.outbox`, not `ctx.reply`); the HTTP client refuses a call made inside a transaction.
 *
 * Order matters: exactly-once first; then workers, who are staff and never reach the resident features
 * (not screened, not read by the crisis guard); then, for residents, their messages to a worker who claimed
 * their case; then the crisis guard (every message, every state); then the screening conversation, which
 * takes only answers; then commands and buttons, which so work in every state; then the kind answers to what
 * the bot cannot use.
 *
 * @example
 * const bot = createBot(deps);
 * await bot.init();
 */
export function createBot(deps: TBotDeps): TBot {
  const bot = new Bot<TBotContext>(deps.token, {
    botInfo: deps.botInfo,
    client: { apiRoot: deps.apiRoot, fetch: refuseInsideTransactions(deps.fetch ?? fetch) },
  });

  const apologised = createRecentSet(APOLOGIES_REMEMBERED);
  bot.use(async (ctx, next) => {
    if (deps.isAccepting && !deps.isAccepting()) return;
    try {
      const outcome = await handleUpdateOnce(
        deps.prisma,
        { updateId: ctx.update.update_id, chatId: ctx.chat?.id ?? ctx.from?.id },
        next,
      );
      if (outcome === 'handled' && deps.counters) deps.counters.updates += 1;
    } catch (error) {
      // Once per update: a try again (polling's, or Telegram's after a 500) must not apologise again.
      if (apologised.add(ctx.update.update_id)) apologiseAfterRollback(deps, ctx as TFailedContext);
      throw error;
    }
  });
  // A private conversation service: groups and channels are not where residents talk to it.
  const privateChats = bot.chatType('private');
  privateChats.use(createContextMiddleware(deps));
  // Workers branch off here and do not come back: everything below is the residents' bot.
  privateChats.filter(isStaff).errorBoundary(markFailed('worker')).use(createWorkerFeature(deps));
  privateChats.use(
    conversations<TBotContext, TBotContext>({
      storage: {
        type: 'key',
        adapter: createSessionStorage(deps.prisma, deps.protector),
        getStorageKey: (ctx) => (ctx.residentId ? conversationStorageKey(ctx.residentId) : undefined),
      },
    }),
  );

  const guarded = privateChats.errorBoundary(markFailed('resident'));
  // Before the guard, so a resident in crisis mid-conversation is heard by their worker too (then guarded).
  guarded.use(createResidentRelayFeature(deps));
  guarded.use(createCrisisGuard(deps));
  guarded.use(createFloodGuard(deps.floodLimit ? { limit: deps.floodLimit } : {}));
  guarded.use(createGroupReplyFeature(deps));
  // The conversation takes only answers; commands, other buttons and stickers pass on to the features below.
  guarded.use(createConversation(createScreeningConversation(deps), { id: SCREENING_CONVERSATION }));
  guarded.use(
    createHelpFeature(),
    createWelcomeFeature(deps),
    createLanguageFeature(deps),
    createLeaveFeature(deps),
    createJoinFeature(deps),
    createGroupsFeature(deps),
  );
  guarded.use(createUnsupportedFeature());
  guarded.use(createFallbackFeature(deps));
  return bot;
}

/**
 * The bot's HTTP client, refusing any Bot API call made while a unit of work is open: such a call would hold
 * the transaction (and, on the embedded database, everyone else's) for a round trip to Telegram.
 */
function refuseInsideTransactions(inner: typeof fetch): typeof fetch {
  return (input, init) => {
    if (currentUnitOfWork() !== undefined) {
      const method = String(input instanceof Request ? input.url : input)
        .split('/')
        .pop();
      return Promise.reject(
        new Error(`Bot API call "${method}" inside a transaction: stage it with ctx.outbox instead`),
      );
    }
    return inner(input, init);
  };
}

/** An error boundary that logs the failure and marks the update, then lets it roll the transaction back. */
function markFailed(who: 'resident' | 'worker') {
  return (error: BotError<TBotContext>) => {
    const ctx = error.ctx as TFailedContext;
    ctx.logger.error({ err: error.error }, who === 'worker' ? 'worker feature failed' : 'feature failed');
    ctx[FAILED] = who;
    // Half an update must not commit (a screening step without its case, say): roll it all back.
    throw error.error;
  };
}

/**
 * The update failed and everything it did was rolled back: its sender must still be left with a way to
 * help — an apology, and for anyone but a worker the emergency numbers, in their language (Telegram's, when
 * the failure came before their own was known). Not stored (nothing of the update is): handed straight to
 * the sender.
 */
function apologiseAfterRollback(deps: TBotDeps, ctx: TFailedContext): void {
  const chatId = ctx.chat?.id;
  if (ctx.chat?.type !== 'private' || chatId === undefined) return;
  const locale = (ctx.locale as TLocale | undefined) ?? resolveLocale(ctx.from?.language_code);
  const isWorker = ctx[FAILED] === 'worker' || (ctx.worker !== undefined && ctx.worker !== null);
  const text = isWorker
    ? deps.i18n.getFixedT(locale, 'worker')('errors.generic')
    : deps.i18n.getFixedT(locale)('errors.generic', { numbers: deps.emergencyNumbersFor(locale) });
  deps.outboxSender.submit([
    outgoingOf(deps, { kind: 'resident-notice', payload: { type: 'send', chatId, text } }),
  ]);
}

/** A set that forgets its oldest members past `capacity`; `add` says whether the value is new. */
function createRecentSet(capacity: number): { add(value: number): boolean } {
  const values = new Set<number>();
  return {
    add(value) {
      if (values.has(value)) return false;
      values.add(value);
      if (values.size > capacity) values.delete(values.values().next().value ?? value);
      return true;
    },
  };
}

function createContextMiddleware(deps: TBotDeps): Middleware<TBotContext> {
  return async (ctx, next) => {
    ctx.isOfferedWorker = false;
    const writer = ctx.from ? await readWhoIsWriting(deps, ctx.from.id) : undefined;
    const worker = writer?.worker ?? null;
    ctx.outbox = createReplies(deps, ctx, worker?.isActive ? 'staff-reply' : 'reply');
    if (worker?.isActive) {
      // Staff: nothing of theirs is looked up or stored as a resident's; they read the worker texts.
      const locale = isLocale(worker.locale) ? worker.locale : resolveLocale(ctx.from?.language_code);
      ctx.worker = worker;
      ctx.residentId = undefined;
      ctx.resident = null;
      ctx.locale = locale;
      ctx.t = deps.i18n.getFixedT(locale, 'worker');
      ctx.logger = deps.logger.child({ update_id: ctx.update.update_id, worker_id: worker.id });
      ctx.emergencyNumbers = deps.emergencyNumbersFor(locale);
      await next();
      return;
    }
    ctx.worker = null;
    const residentId = writer?.residentId;
    const resident = writer?.resident ?? null;
    const locale = isLocale(resident?.locale) ? resident.locale : resolveLocale(ctx.from?.language_code);
    ctx.residentId = residentId;
    ctx.resident = resident;
    ctx.locale = locale;
    ctx.t = deps.i18n.getFixedT(locale);
    ctx.logger = deps.logger.child({ update_id: ctx.update.update_id });
    ctx.emergencyNumbers = deps.emergencyNumbersFor(locale);
    await next();
  };
}

/**
 * Optional Bot API calls made at start (the command menu in each language). A server that rejects them
 * (an older self-hosted Bot API, a test double) must not stop the bot.
 */
export async function registerCommandMenu(api: Api, i18n: i18n, logger: Logger): Promise<void> {
  for (const locale of LOCALES) {
    const t = i18n.getFixedT(locale);
    const commands = MENU_COMMANDS.map((command) => ({ command, description: t(`commands.${command}`) }));
    try {
      // Telegram keys command menus by ISO 639-1 language code; English is also the default menu.
      await api.setMyCommands(commands, locale === 'en' ? {} : { language_code: 'zh' });
    } catch (error) {
      logger.warn({ err: error, locale }, 'the Bot API rejected the command menu; going on without it');
    }
  }
}
