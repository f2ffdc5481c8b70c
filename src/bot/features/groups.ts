import { Composer } from 'grammy';
import { leaveGroup } from '../../services/group-leaving.ts';
import { groupReplyTargetOf, relayGroupReply, type TGroupReplyTarget } from '../../services/group-replies.ts';
import { declineGroup, GROUP_CALLBACK_PATTERN, groupsOf, joinGroup } from '../../services/groups.ts';
import type { TBotContext } from '../context.ts';
import type { TBotDeps } from '../deps.ts';
import { CALLBACK } from '../keyboards.ts';

const { join: JOIN, decline: DECLINE, leave: LEAVE } = GROUP_CALLBACK_PATTERN;

/** What a member is told of their reply: sent, or why it could not be (never dropped in silence). */
const REPLY_ANSWERS = {
  relayed: 'groups.reply_sent',
  'no-facilitator': 'groups.reply_no_facilitator',
  ended: 'groups.reply_ended',
} as const;

const replyTargets = new WeakMap<object, Promise<TGroupReplyTarget | undefined>>();

/**
 * The group announcement this update's text message answers, if it is a reply to one of a group the resident
 * is in now and not a command. Looked up once per update (the case relay asks first, to stand aside; the group
 * reply feature then sends it), and only for a reply to one of the bot's own messages.
 *
 * @example
 * if (await groupReplyOf(deps, ctx)) return next();
 */
export function groupReplyOf(deps: TBotDeps, ctx: TBotContext): Promise<TGroupReplyTarget | undefined> {
  const known = replyTargets.get(ctx.update);
  if (known !== undefined) return known;
  const replyTo = ctx.message?.reply_to_message;
  // A command typed as a reply (`/help`, `/delete`…) is a command: it never goes to the facilitator.
  const isCommand = ctx.message?.entities?.some(
    (entity) => entity.type === 'bot_command' && entity.offset === 0,
  );
  const target =
    ctx.residentId && ctx.message?.text !== undefined && !isCommand && replyTo?.from?.id === ctx.me.id
      ? groupReplyTargetOf(deps, { residentId: ctx.residentId, replyToMessageId: replyTo.message_id })
      : Promise.resolve(undefined);
  replyTargets.set(ctx.update, target);
  return target;
}

/**
 * A member's reply to a group announcement goes to the group's facilitator alone, whatever cases the resident
 * has (the case relay stands aside for it) and before the screening (which would take it as an answer).
 * After the crisis guard: crisis language in it is read as anywhere, and high or imminent words stop there
 * and go to the case the guard opens. With no facilitator to take it, the resident is told so.
 */
export function createGroupReplyFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();
  feature.on('message:text', async (ctx, next) => {
    const target = await groupReplyOf(deps, ctx);
    if (!target) return next();
    const relayed = await relayGroupReply(deps, { target, text: ctx.message.text });
    await ctx.outbox.reply(ctx.t(REPLY_ANSWERS[relayed.type], { numbers: ctx.emergencyNumbers }));
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
    for (const group of groups) {
      // An archived group no longer meets: shown as ended, with Leave to let it go.
      const key = group.hasEnded ? 'listed_ended' : group.status === 'member' ? 'listed' : 'listed_waiting';
      await ctx.outbox.reply(
        ctx.t(`groups.${key}`, {
          name: group.name,
          meets: group.meets,
        }),
        { keyboard: [[{ label: ctx.t('groups.leave'), data: CALLBACK.leaveGroup(group.id) }]] },
      );
    }
  });
  return feature;
}
