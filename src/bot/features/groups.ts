import { Composer } from 'grammy';
import {
  declineGroup,
  GROUP_CALLBACK_PATTERN,
  groupsOf,
  joinGroup,
  leaveGroup,
  relayGroupReply,
} from '../../services/groups.ts';
import type { TBotContext } from '../context.ts';
import type { TBotDeps } from '../deps.ts';
import { CALLBACK } from '../keyboards.ts';

const { join: JOIN, decline: DECLINE, leave: LEAVE } = GROUP_CALLBACK_PATTERN;

/**
 * A member's reply to a group announcement goes to the group's facilitator alone (before the screening, which
 * would otherwise take it as an answer). After the crisis guard: crisis language in it is read as anywhere.
 */
export function createGroupReplyFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.on('message:text', async (ctx, next) => {
    const replyTo = ctx.message.reply_to_message;
    if (!ctx.residentId || replyTo?.from?.id !== ctx.me.id) return next();
    const relayed = await relayGroupReply(deps, {
      residentId: ctx.residentId,
      replyToMessageId: replyTo.message_id,
      text: ctx.message.text,
    });
    if (relayed.type !== 'relayed') return next();
    await ctx.outbox.reply(ctx.t('groups.reply_sent'));
  });
  return feature;
}

/**
 * Support groups for residents: Join or Not now on an offer, `/groups` to see what they joined (with Leave).
 * What joining shares is said in the offer and again on joining: a handle and their language, nothing else.
 */
export function createGroupsFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  const now = () => new Date();

  feature.callbackQuery(JOIN, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (!ctx.residentId) return;
    const joined = await joinGroup(deps, {
      residentId: ctx.residentId,
      groupId: Number(ctx.match[1]),
      locale: ctx.locale,
      now: now(),
    });
    if (joined.type === 'unavailable') {
      await ctx.outbox.reply(ctx.t('groups.unavailable'));
      return;
    }
    await ctx.outbox.reply(ctx.t(`groups.${joined.type}`, { group: joined.group.name }));
  });

  feature.callbackQuery(DECLINE, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (!ctx.residentId) return;
    await declineGroup(deps, { residentId: ctx.residentId, groupId: Number(ctx.match[1]), now: now() });
    await ctx.outbox.reply(ctx.t('groups.declined'));
  });

  feature.callbackQuery(LEAVE, async (ctx) => {
    await ctx.outbox.answerCallback();
    await ctx.outbox.closeKeyboard();
    if (!ctx.residentId) return;
    const left = await leaveGroup(deps, {
      residentId: ctx.residentId,
      groupId: Number(ctx.match[1]),
      now: now(),
    });
    await ctx.outbox.reply(ctx.t(left ? 'groups.left' : 'groups.not_member'));
  });

  feature.command('groups', async (ctx) => {
    if (!ctx.residentId) return;
    const groups = await groupsOf(deps, { residentId: ctx.residentId, locale: ctx.locale });
    if (groups.length === 0) {
      await ctx.outbox.reply(ctx.t('groups.none'));
      return;
    }
    for (const group of groups)
      await ctx.outbox.reply(
        ctx.t(group.status === 'member' ? 'groups.listed' : 'groups.listed_waiting', {
          name: group.name,
          meets: group.meets,
        }),
        { keyboard: [[{ label: ctx.t('groups.leave'), data: CALLBACK.leaveGroup(group.id) }]] },
      );
  });
  return feature;
}
