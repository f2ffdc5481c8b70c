import { Composer } from 'grammy';
import type { Message } from 'grammy/types';
import { isEscalatingLevel, type TCrisisSignals } from '../../domain/risk/crisis.ts';
import { alertClaimedCaseOfCrisis, relayFromResident, relayFromWorker } from '../../services/case-work.ts';
import type { TBotContext, TStaffContext } from '../context.ts';
import { crisisReadingOf } from '../crisis-reading.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
import { groupReplyOf } from './groups.ts';
import { refusalText } from './workers-cases.ts';

function isCommand(message: Pick<Message, 'text' | 'entities'>): boolean {
  return message.entities?.some((entity) => entity.type === 'bot_command' && entity.offset === 0) === true;
}

/**
 * A worker's plain messages go to the resident of their case (the one they reply to, else the active one),
 * from the bot and labelled "Social worker" — nothing of the worker's account travels. Text only.
 */
export function createWorkerRelayFeature(deps: TBotDeps): Composer<TStaffContext> {
  const feature = new Composer<TStaffContext>();

  feature.on('message:text', async (ctx, next) => {
    if (isCommand(ctx.message)) return next();
    const replyTo = ctx.message.reply_to_message;
    const relayed = await relayFromWorker(deps, {
      worker: ctx.worker,
      text: ctx.message.text,
      ...(replyTo?.from?.id === ctx.me.id ? { replyToMessageId: replyTo.message_id } : {}),
      now: nowOf(deps),
    });
    switch (relayed.type) {
      case 'relayed':
        // A mark on the worker's own message: accepted, and on its way through the outbox.
        await ctx.outbox.acknowledge();
        return;
      case 'too-long':
        await ctx.outbox.reply(ctx.t('relay.too_long', { max: relayed.max }));
        return;
      case 'unreachable':
        await ctx.outbox.reply(ctx.t('relay.unreachable', { id: relayed.caseId }));
        return;
      case 'not-a-case-message':
        await ctx.outbox.reply(
          relayed.activeCaseId === null
            ? ctx.t('relay.reply_not_case_no_active')
            : ctx.t('relay.reply_not_case', { id: relayed.activeCaseId }),
        );
        return;
      default:
        await ctx.outbox.reply(`${refusalText(ctx.t, relayed)}\n${ctx.t('relay.not_sent')}`);
    }
  });

  feature.on('message', async (ctx, next) => {
    if (ctx.message.text !== undefined) return next();
    await ctx.outbox.reply(ctx.t('relay.not_relayed'));
  });
  feature.on('edited_message', async (ctx) => {
    await ctx.outbox.reply(ctx.t('relay.edit_not_relayed'));
  });
  return feature;
}

/**
 * A resident's messages to the worker who claimed their case. Runs before the crisis guard so that a
 * resident talking with a worker is heard by that worker even when they write in crisis language. High or
 * imminent crisis language goes to the guard first (the emergency numbers, the case opened or raised), and
 * then its words are kept on the case as the message that opened or raised it: relayed, flagged, to a claimer
 * (who with the supervisors also gets an alert of its own when imminent), else kept for whoever claims it. Once the case
 * is claimed, typed text goes to the worker even mid-screening (buttons still answer the question); while
 * it waits, text goes to the screening under way, which keeps for the claimer what does not answer it, or
 * is kept for the claimer at once. A reply to a group announcement is not the case's: it goes on (after the
 * crisis reading) to the group's facilitator.
 */
export function createResidentRelayFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.on('message', async (ctx, next) => {
    if (!ctx.residentId || isCommand(ctx.message)) return next();
    const text = ctx.message.text;
    const crisis = await crisisReadingOf(deps, ctx);
    const isCrisis = crisis !== undefined && crisis.level !== 'none';
    if (crisis && isEscalatingLevel(crisis.level)) {
      // The numbers first: the guard answers and raises the case before anything here waits on a case lock.
      await next();
      await keepCrisisWords(deps, ctx, crisis);
      return;
    }
    // A reply to a group announcement is for the group's facilitator alone, not for any case's worker: the
    // crisis guard reads it next, then the group reply feature sends it.
    if (await groupReplyOf(deps, ctx)) return next();
    const relayed = await relayFromResident(deps, {
      residentId: ctx.residentId,
      text,
      isCrisis,
      now: nowOf(deps),
    });
    switch (relayed.type) {
      case 'relayed':
        ctx.logger.info({ case_id: relayed.caseId }, 'resident message relayed');
        if (!relayed.isScreeningWaiting) return;
        // The worker has it; it may also be the answer to the question on screen, which the screening takes
        // (and, if it is not, says it was passed on rather than asking again).
        ctx.caseOfText = { caseId: relayed.caseId, isRelayed: true };
        return next();
      case 'screening':
        // Perhaps an answer; if not, the screening keeps it for the claimer and says so.
        ctx.caseOfText = { caseId: relayed.caseId, isRelayed: false };
        return next();
      case 'not-text':
        await ctx.outbox.reply(ctx.t('relay.not_relayed'));
        if (isCrisis) return next();
        return;
      case 'waiting':
        if (relayed.isKept)
          ctx.logger.info({ case_id: relayed.caseId }, 'resident message kept for the worker');
        // Nobody to relay to yet. Crisis language goes to the guard (it offers a worker); anything else
        // is answered with where things stand.
        if (isCrisis || text === undefined) return next();
        await ctx.outbox.reply(ctx.t('relay.waiting', { numbers: ctx.emergencyNumbers }));
        return;
      default:
        return next();
    }
  });

  // An edit is never relayed as such, but imminent words written into one must still reach the case's
  // worker (the crisis guard gives the resident the emergency numbers and raises the case).
  feature.on(['edited_message:text', 'edited_message:caption'], async (ctx, next) => {
    const crisis = await crisisReadingOf(deps, ctx);
    if (!ctx.residentId || !crisis || !isEscalatingLevel(crisis.level)) return next();
    await next();
    await keepCrisisWords(deps, ctx, crisis);
  });
  return feature;
}

/**
 * After the guard opened or raised the case: the words themselves for its worker, and for a claimed case an
 * alert to the claimer and the supervisors (the words may be an edit, a caption, or never arrive).
 */
async function keepCrisisWords(deps: TBotDeps, ctx: TBotContext, crisis: TCrisisSignals): Promise<void> {
  const words = ctx.msg?.text ?? ctx.msg?.caption;
  if (!ctx.residentId || words === undefined) return;
  // Imminent: the claimer and the supervisors are alerted too; high words reach the claimer as a message.
  if (crisis.level === 'imminent') await alertIfClaimed(deps, ctx, crisis);
  const kept = await relayFromResident(deps, {
    residentId: ctx.residentId,
    text: words,
    isCrisis: true,
    purpose: 'crisis',
    now: nowOf(deps),
  });
  if (kept.type === 'relayed') ctx.logger.info({ case_id: kept.caseId }, 'crisis message relayed');
  if (kept.type === 'waiting')
    ctx.logger.info({ case_id: kept.caseId }, 'crisis message kept for the worker');
}

async function alertIfClaimed(deps: TBotDeps, ctx: TBotContext, crisis: TCrisisSignals): Promise<void> {
  if (!ctx.residentId) return;
  const alerted = await alertClaimedCaseOfCrisis(deps, {
    residentId: ctx.residentId,
    reasons: crisis.reasons,
    now: nowOf(deps),
  });
  if (alerted.type === 'alerted') {
    ctx.logger.warn(
      { case_id: alerted.caseId, worker_ids: alerted.workerIds },
      'imminent crisis language in a claimed case: worker and supervisors alerted',
    );
  }
}
