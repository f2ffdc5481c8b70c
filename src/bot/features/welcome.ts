import { Composer } from 'grammy';
import { hasConsented, PRIVACY_NOTICE_VERSION, recordConsent } from '../../services/residents.ts';
import { cancelScreening, startScreening } from '../../services/screenings.ts';
import type { TBotContext } from '../context.ts';
import { SCREENING_CONVERSATION } from '../conversations/screening.ts';
import type { TBotDeps } from '../deps.ts';
import { CALLBACK, consentKeyboard } from '../keyboards.ts';

/**
 * `/start`: who we are, that we are not an emergency service, the numbers, then the privacy notice with
 * Agree / Not now. With consent it starts (or resumes) the screening.
 */
export function createWelcomeFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.command('start', async (ctx) => {
    if (hasConsented(ctx.resident) && ctx.residentId) {
      await beginScreening(deps, ctx, ctx.residentId);
      return;
    }
    await ctx.outbox.reply(welcomeText(ctx));
    await ctx.outbox.reply(noticeText(ctx), { keyboard: consentKeyboard(ctx.t) });
  });

  feature.command('privacy', async (ctx) => {
    await ctx.outbox.reply(
      noticeText(ctx),
      hasConsented(ctx.resident) ? {} : { keyboard: consentKeyboard(ctx.t) },
    );
  });

  feature.callbackQuery([CALLBACK.consentYes, CALLBACK.consentNo], async (ctx) => {
    const isGiven = ctx.callbackQuery.data === CALLBACK.consentYes;
    if (isAnsweredNotice(ctx)) {
      await ctx.outbox.answerCallback({ text: ctx.t('consent.stale') });
      await ctx.outbox.closeKeyboard();
      return;
    }
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (!ctx.residentId || !ctx.chatId) return;
    const consent = await recordConsent(deps, {
      residentId: ctx.residentId,
      isGiven,
      locale: ctx.locale,
      chatId: ctx.chatId,
    });
    ctx.resident = consent.resident;
    if (!isGiven) {
      // Nothing is kept without consent: a screening under way stops, and its answers go.
      await ctx.conversation.exitAll();
      const stopped = await cancelScreening(deps, { residentId: ctx.residentId, discard: true });
      if (stopped === 'cancelled') await ctx.outbox.reply(ctx.t('consent.screening_ended'));
      const refused = consent.isKeptForOpenCase ? 'consent.refused_open_case' : 'consent.refused';
      await ctx.outbox.reply(ctx.t(refused, { numbers: ctx.emergencyNumbers }));
      return;
    }
    await ctx.outbox.reply(ctx.t('consent.given'));
    await beginScreening(deps, ctx, ctx.residentId);
  });

  return feature;
}

/** Starts a screening, or picks up the one under way, and lets the conversation ask its question. */
async function beginScreening(deps: TBotDeps, ctx: TBotContext, residentId: string): Promise<void> {
  await startScreening(deps, residentId, ctx.locale);
  await ctx.conversation.exitAll();
  await ctx.conversation.enter(SCREENING_CONVERSATION);
}

/**
 * A consent button on a notice sent before the resident's recorded answer: they have answered since it was
 * shown, so it changes nothing.
 */
function isAnsweredNotice(ctx: TBotContext): boolean {
  const answeredAt = ctx.resident?.consentStatus === 'unknown' ? null : ctx.resident?.consentAt;
  if (!answeredAt) return false;
  // Rule: a notice from a second before the last answer is old (Telegram dates messages to the second).
  const shownAt = ctx.callbackQuery?.message?.date ?? 0;
  return (shownAt + 1) * 1000 <= answeredAt.getTime();
}

function welcomeText(ctx: TBotContext): string {
  return [
    ctx.t('start.greeting'),
    ctx.t('start.what'),
    ctx.t('start.not_emergency'),
    ctx.t('start.emergency', { numbers: ctx.emergencyNumbers }),
  ].join('\n\n');
}

/**
 * The privacy notice; it asks for agreement only of someone who has not given it (with the buttons), and
 * reminds someone who has that they did.
 */
function noticeText(ctx: TBotContext): string {
  const closing = hasConsented(ctx.resident) ? ctx.t('consent.agreed') : ctx.t('consent.ask');
  return [ctx.t('privacy.title', { version: PRIVACY_NOTICE_VERSION }), ctx.t('consent.notice'), closing].join(
    '\n\n',
  );
}
