import { Composer } from 'grammy';
import type { Message } from 'grammy/types';
import { relayFromResident, relayFromWorker } from '../../services/case-work.ts';
import { assessMessage } from '../../services/crisis.ts';
import type { TBotContext, TStaffContext } from '../context.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
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
        await ctx.react('👌').catch(() => undefined);
        return;
      case 'too-long':
        await ctx.reply(ctx.t('relay.too_long', { max: relayed.max }));
        return;
      case 'unreachable':
        await ctx.reply(ctx.t('relay.unreachable', { id: relayed.caseId }));
        return;
      default:
        await ctx.reply(`${refusalText(ctx.t, relayed)}\n${ctx.t('relay.not_sent')}`);
    }
  });

  feature.on('message', async (ctx, next) => {
    if (ctx.message.text !== undefined) return next();
    await ctx.reply(ctx.t('relay.not_relayed'));
  });
  feature.on('edited_message', async (ctx) => {
    await ctx.reply(ctx.t('relay.edit_not_relayed'));
  });
  return feature;
}

/**
 * A resident's messages to the worker who claimed their case. Runs before the crisis guard so that a
 * resident talking with a worker is heard by that worker even when they write in crisis language; such a
 * message is flagged for the worker and then goes on to the guard (emergency numbers, the case raised).
 * While a screening question waits, or with no claimed case, messages go on as before.
 */
export function createResidentRelayFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.on('message', async (ctx, next) => {
    if (!ctx.residentId || isCommand(ctx.message)) return next();
    const text = ctx.message.text;
    const said = text ?? ctx.message.caption;
    const crisis = said === undefined ? undefined : assessMessage(deps.crisisPatterns, said);
    const isCrisis = crisis !== undefined && crisis.level !== 'none';
    const relayed = await relayFromResident(deps, {
      residentId: ctx.residentId,
      text,
      isCrisis,
      now: nowOf(deps),
    });
    switch (relayed.type) {
      case 'relayed':
        ctx.logger.info({ case_id: relayed.caseId }, 'resident message relayed');
        if (crisis?.level === 'imminent') return next();
        return;
      case 'not-text':
        await ctx.reply(ctx.t('relay.not_relayed'));
        if (crisis?.level === 'imminent') return next();
        return;
      case 'too-long':
        await ctx.reply(ctx.t('relay.too_long', { max: relayed.max }));
        if (isCrisis) return next();
        return;
      case 'waiting':
        // Nobody to relay to yet. Crisis language goes to the guard (it raises the case); anything else
        // is answered with where things stand.
        if (isCrisis || text === undefined) return next();
        await ctx.reply(ctx.t('relay.waiting', { numbers: ctx.emergencyNumbers }));
        return;
      default:
        return next();
    }
  });
  return feature;
}
