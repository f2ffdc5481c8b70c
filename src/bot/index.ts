import { setTimeout } from 'node:timers/promises';
import { conversations, createConversation } from '@grammyjs/conversations';
import { type Api, Bot, BotError, GrammyError, HttpError, type Middleware } from 'grammy';
import type { i18n } from 'i18next';
import { createSessionStorage } from '../db/session-storage.ts';
import { handleUpdateOnce } from '../db/unit-of-work.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { isLocale, LOCALES, resolveLocale } from '../i18n.ts';
import type { Logger } from '../logger.ts';
import { findResident } from '../services/residents.ts';
import { findWorkerByTelegramId } from '../services/workers.ts';
import { isStaff, type TBotContext } from './context.ts';
import { createScreeningConversation, SCREENING_CONVERSATION } from './conversations/screening.ts';
import { conversationStorageKey, type TBotDeps } from './deps.ts';
import { createCrisisGuard } from './features/crisis-guard.ts';
import { createHelpFeature } from './features/help.ts';
import { createLanguageFeature } from './features/language.ts';
import { createLeaveFeature } from './features/leave.ts';
import { createResidentRelayFeature } from './features/relay.ts';
import { createFallbackFeature, createUnsupportedFeature } from './features/unsupported.ts';
import { createWelcomeFeature } from './features/welcome.ts';
import { createJoinFeature, createWorkerFeature } from './features/workers.ts';

export type { TBotDeps } from './deps.ts';
export type TBot = Bot<TBotContext>;

/** The commands in the menu, in menu order. */
const MENU_COMMANDS = ['start', 'help', 'language', 'privacy', 'cancel', 'delete'] as const;

/**
 * The bot, with every feature wired. It neither starts polling nor sets a webhook: `main.ts` decides how
 * updates arrive; tests feed them through the webhook route.
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
    client: { apiRoot: deps.apiRoot, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
  });

  bot.use(async (ctx, next) => {
    if (deps.isAccepting && !deps.isAccepting()) return;
    await handleUpdateOnce(deps.prisma, ctx.update.update_id, next, ctx.chat?.id ?? ctx.from?.id);
  });
  // A private conversation service: groups and channels are not where residents talk to it.
  const privateChats = bot.chatType('private');
  privateChats.use(createContextMiddleware(deps));
  // Workers branch off here and do not come back: everything below is the residents' bot.
  privateChats.filter(isStaff).errorBoundary(handleWorkerError).use(createWorkerFeature(deps));
  privateChats.use(
    conversations<TBotContext, TBotContext>({
      storage: {
        type: 'key',
        adapter: createSessionStorage(deps.prisma, deps.protector),
        getStorageKey: (ctx) => (ctx.residentId ? conversationStorageKey(ctx.residentId) : undefined),
      },
    }),
  );

  const guarded = privateChats.errorBoundary(handleFeatureError);
  // Before the guard, so a resident in crisis mid-conversation is heard by their worker too (then guarded).
  guarded.use(createResidentRelayFeature(deps));
  guarded.use(createCrisisGuard(deps));
  // The conversation takes only answers; commands, other buttons and stickers pass on to the features below.
  guarded.use(createConversation(createScreeningConversation(deps), { id: SCREENING_CONVERSATION }));
  guarded.use(
    createHelpFeature(),
    createWelcomeFeature(deps),
    createLanguageFeature(deps),
    createLeaveFeature(deps),
    createJoinFeature(deps),
  );
  guarded.use(createUnsupportedFeature());
  guarded.use(createFallbackFeature(deps));

  // Only long polling reaches here: the webhook route answers 500 instead, and Telegram delivers again.
  bot.catch((error) => retryPolledUpdate(bot, deps, error));
  return bot;
}

const POLLING_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000];

/**
 * An update that failed under long polling would be lost: polling moves on past it. Try it again a few
 * times, waiting longer each time (Telegram or the database may be back), before the next update, so a
 * chat's updates keep their order. Each try is a new transaction; what the failed one did was rolled back.
 */
async function retryPolledUpdate(bot: TBot, deps: TBotDeps, error: BotError<TBotContext>): Promise<void> {
  const update = error.ctx.update;
  const log = deps.logger.child({ update_id: update.update_id });
  const delays = deps.pollingRetryDelaysMs ?? POLLING_RETRY_DELAYS_MS;
  let failure: unknown = error.error;
  for (const [attempt, delayMs] of delays.entries()) {
    // Polling waits for this: every chat waits with it, so only what may pass with time is tried again.
    if (!mayPassWithTime(failure)) break;
    log.warn({ err: failure, retry_in_ms: delayMs, attempt: attempt + 1 }, 'update failed: trying again');
    await setTimeout(delayMs);
    try {
      await bot.handleUpdate(update);
      log.info('update handled on a new try');
      return;
    } catch (retryError) {
      failure = retryError instanceof BotError ? retryError.error : retryError;
    }
  }
  log.error({ err: failure }, 'update failed for good');
}

/** Prisma's codes for a database that is away, busy or timed out: worth another try. */
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);

/**
 * A failure another try may not meet: Telegram unreachable, rate-limited or failing on its side, or the
 * database away or busy. A Telegram 4xx (blocked, bad request) or a bug fails the same way every time.
 */
function mayPassWithTime(error: unknown): boolean {
  if (error instanceof HttpError) return true;
  if (error instanceof GrammyError) return error.error_code === 429 || error.error_code >= 500;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return TRANSIENT_PRISMA_CODES.has(error.code);
  return (
    error instanceof Prisma.PrismaClientInitializationError ||
    (error instanceof Error && error.name === 'DriverAdapterError')
  );
}

function createContextMiddleware(deps: TBotDeps): Middleware<TBotContext> {
  return async (ctx, next) => {
    const worker = ctx.from ? await findWorkerByTelegramId(deps, ctx.from.id) : null;
    if (worker?.isActive) {
      // Staff: nothing of theirs is looked up or stored as a resident's; they read the worker texts.
      const locale = isLocale(worker.locale) ? worker.locale : resolveLocale(ctx.from?.language_code);
      ctx.worker = worker;
      ctx.isOfferedWorker = false;
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
    ctx.isOfferedWorker = false;
    const residentId = ctx.from ? deps.protector.pseudonymOf(ctx.from.id) : undefined;
    const resident = residentId ? await findResident(deps, residentId) : null;
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
 * A feature that fails must still leave the resident with a way to help: apologise and repeat the emergency
 * numbers. The error is rethrown so the update's transaction rolls back and Telegram delivers it again.
 */
async function handleFeatureError(error: BotError<TBotContext>): Promise<void> {
  const { ctx } = error;
  ctx.logger.error({ err: error.error }, 'feature failed');
  try {
    await ctx.reply(ctx.t('errors.generic', { numbers: ctx.emergencyNumbers }));
  } catch (replyError) {
    ctx.logger.warn({ err: replyError }, 'could not tell the resident about the failure');
  }
  // Half an update must not commit (a screening step without its case, say): roll it all back.
  throw error.error;
}

/** A worker feature that fails: say so plainly, and roll the update back so Telegram delivers it again. */
async function handleWorkerError(error: BotError<TBotContext>): Promise<void> {
  const { ctx } = error;
  ctx.logger.error({ err: error.error }, 'worker feature failed');
  try {
    await ctx.reply(ctx.t('errors.generic'));
  } catch (replyError) {
    ctx.logger.warn({ err: replyError }, 'could not tell the worker about the failure');
  }
  throw error.error;
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
