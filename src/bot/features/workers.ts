import { Composer } from 'grammy';
import { resolveLocale } from '../../i18n.ts';
import { DEFAULT_RESOLVE_OUTCOMES } from '../../services/case-work.ts';
import { createSignInLink } from '../../services/dashboard-sessions.ts';
import { announceToGroup, referToGroup } from '../../services/groups.ts';
import { describeOutcomes } from '../../services/outcome-wording.ts';
import { currentShiftOf, joinWithInvitation, setOnCall } from '../../services/workers.ts';
import type { TBotContext, TStaffContext } from '../context.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
import { CALLBACK, CLAIM_PATTERN, DETAILS_PATTERN } from '../keyboards.ts';
import { createWorkerRelayFeature } from './relay.ts';
import { createStaffSelfFeature } from './staff-self.ts';
import { createCaseWorkFeature } from './workers-cases.ts';

/** Commands only a worker can use; anyone else is told so, and sees nothing. */
export const WORKER_COMMANDS = [
  'queue',
  'oncall',
  'case',
  'note',
  'release',
  'resolve',
  'dashboard',
] as const;

/**
 * Everything a worker sends, in one branch that never falls through to the resident features: workers are
 * not screened, not read by the crisis guard, and nothing of theirs is stored as a resident's. Order:
 * commands, case buttons, then their messages to residents.
 */
export function createWorkerFeature(deps: TBotDeps): Composer<TStaffContext> {
  const feature = new Composer<TStaffContext>();

  feature.command(['start', 'help'], async (ctx) => {
    await ctx.outbox.reply(helpText(deps, ctx));
  });
  feature.command('join', async (ctx) => {
    await ctx.outbox.reply(
      ctx.t('join.already', { name: ctx.worker.name, role: ctx.t(`roles.${ctx.worker.role}`) }),
    );
  });

  feature.command('dashboard', async (ctx) => {
    if (!deps.publicUrl) {
      await ctx.outbox.reply(ctx.t('dashboard.not_set_up'));
      return;
    }
    const token = await createSignInLink(deps, { workerId: ctx.worker.id, now: nowOf(deps) });
    // No preview: Telegram would fetch the link to draw one. (Opening it spends nothing — the page it shows
    // asks to continue — but nothing outside the worker's own browser needs to see it.)
    await ctx.outbox.reply(
      ctx.t('dashboard.link', { url: `${deps.publicUrl}/dashboard/sign-in?token=${token}` }),
      { noLinkPreview: true },
    );
  });

  // `/announce <group> <text>`: the facilitator (or a supervisor) writes to every member of a group.
  feature.command('announce', async (ctx) => {
    const [slug = '', ...words] = ctx.match.trim().split(/\s+/);
    const text = ctx.match.trim().slice(slug.length).trim();
    if (slug === '' || words.length === 0 || text === '') {
      await ctx.outbox.reply(ctx.t('groups.announce_usage'));
      return;
    }
    const announced = await announceToGroup(deps, {
      workerId: ctx.worker.id,
      isSupervisor: ctx.worker.role === 'supervisor',
      slug,
      text,
      now: nowOf(deps),
    });
    if (announced.type === 'announced')
      await ctx.outbox.reply(ctx.t('groups.announced', { members: announced.members, slug }));
    else await ctx.outbox.reply(ctx.t(`groups.announce_${announced.type.replace('-', '_')}`, { slug }));
  });

  // `/refer <group>`: the resident of the worker's active case is offered the group.
  feature.command('refer', async (ctx) => {
    const slug = ctx.match.trim();
    if (slug === '' || /\s/.test(slug)) {
      await ctx.outbox.reply(ctx.t('groups.refer_usage'));
      return;
    }
    const referred = await referToGroup(deps, { worker: ctx.worker, slug, now: nowOf(deps) });
    await ctx.outbox.reply(
      ctx.t(`groups.refer_${referred.type.replace('-', '_')}`, {
        slug,
        id: referred.type === 'referred' ? referred.caseId : '',
      }),
    );
  });

  feature.command('oncall', async (ctx) => {
    const choice = ctx.match.trim().toLowerCase();
    if (choice === 'on' || choice === 'off') {
      await setOnCall(deps, { workerId: ctx.worker.id, isOnCall: choice === 'on', now: nowOf(deps) });
      await ctx.outbox.reply(ctx.t(choice === 'on' ? 'oncall.on' : 'oncall.off'));
      return;
    }
    if (choice !== '') {
      await ctx.outbox.reply(ctx.t('oncall.usage'));
      return;
    }
    const shift = await currentShiftOf(deps, { workerId: ctx.worker.id, now: nowOf(deps) });
    const lines = [ctx.t(ctx.worker.isOnCall ? 'oncall.status_on' : 'oncall.status_off')];
    if (shift) lines.push(ctx.t('oncall.status_shift', { until: shift.endsAt.toISOString() }));
    lines.push(ctx.t('oncall.usage'));
    await ctx.outbox.reply(lines.join('\n'));
  });

  feature.use(createStaffSelfFeature(deps));
  feature.use(createCaseWorkFeature(deps));
  feature.use(createWorkerRelayFeature(deps));

  // The end of the worker branch: what no feature above took.
  feature.on('callback_query', async (ctx) => {
    await ctx.outbox.answerCallback();
  });
  feature.on('message', async (ctx) => {
    await ctx.outbox.reply(ctx.t('help.unknown'));
  });
  return feature;
}

function helpText(deps: TBotDeps, ctx: TStaffContext): string {
  const outcomes = describeOutcomes(ctx.t, deps.resolveOutcomes ?? DEFAULT_RESOLVE_OUTCOMES);
  return ctx.t('help.text', { name: ctx.worker.name, role: ctx.t(`roles.${ctx.worker.role}`), outcomes });
}

/**
 * For everyone who is not (yet) a worker: `/join <code>`, and a plain "only for workers" to worker commands
 * and case buttons — never a case's data. Runs among the resident features, after the crisis guard.
 */
export function createJoinFeature(deps: TBotDeps): Composer<TBotContext> {
  const feature = new Composer<TBotContext>();

  feature.command('join', async (ctx) => {
    const w = (key: string, options?: Record<string, unknown>) => ctx.t(`worker:${key}`, options);
    const code = ctx.match.trim();
    if (!code || !ctx.from) {
      await ctx.outbox.reply(w('join.usage'));
      return;
    }
    const locale = resolveLocale(ctx.from.language_code);
    const joined = await joinWithInvitation(deps, {
      code,
      telegramUserId: ctx.from.id,
      locale,
      now: nowOf(deps),
    });
    if (joined.type === 'already-worker') {
      await ctx.outbox.reply(
        w('join.already', { name: joined.worker.name, role: w(`roles.${joined.worker.role}`) }),
      );
      return;
    }
    if (joined.type !== 'joined') {
      await ctx.outbox.reply(w(`join.${joined.type}`));
      return;
    }
    ctx.logger.info({ worker_id: joined.worker.id, role: joined.worker.role }, 'worker joined');
    // Whatever screening they had under way stops: from now on they are talked to as staff.
    await ctx.conversation.exitAll();
    const t = deps.i18n.getFixedT(locale, 'worker');
    await ctx.outbox.reply(
      t('join.joined', { name: joined.worker.name, role: t(`roles.${joined.worker.role}`) }),
    );
  });

  feature.command([...WORKER_COMMANDS], async (ctx) => {
    await ctx.outbox.reply(ctx.t('worker:gate.not_worker'));
  });
  feature.callbackQuery([CLAIM_PATTERN, DETAILS_PATTERN], async (ctx) => {
    await ctx.outbox.answerCallback({ text: ctx.t('worker:gate.not_worker'), isAlert: true });
  });
  // A worker's own /delete answered after their access ended (a second tap, an admin in between).
  feature.callbackQuery([CALLBACK.staffDeleteYes, CALLBACK.staffDeleteNo], async (ctx) => {
    await ctx.outbox.answerCallback({ text: ctx.t('worker:delete.stale'), isAlert: true });
    await ctx.outbox.closeKeyboard();
  });
  return feature;
}
