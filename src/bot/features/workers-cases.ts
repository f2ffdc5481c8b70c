import { Composer, InlineKeyboard } from 'grammy';
import { crisisReasonText } from '../../domain/escalation/index.ts';
import { shorten } from '../../domain/script/index.ts';
import type { TFunction } from '../../i18n.ts';
import { formatWaitingFor, listQueue, QUEUE_PAGE_SIZE, viewCase } from '../../services/case-view.ts';
import {
  addCaseNote,
  claimedCasesOf,
  DEFAULT_RESOLVE_OUTCOMES,
  releaseCase,
  resolveCase,
  switchActiveCase,
  type TCaseRefusal,
} from '../../services/case-work.ts';
import { claimCase } from '../../services/claim-case.ts';
import { offerGroupsAfterCase } from '../../services/group-offers-after-case.ts';
import { describeOutcome, describeOutcomes } from '../../services/outcome-wording.ts';
import { pagesTranslator } from '../../services/pages.ts';
import type { TStaffContext } from '../context.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
import { CALLBACK, CLAIM_PATTERN, caseKeyboard, DETAILS_PATTERN } from '../keyboards.ts';

/** A crisis reason on a `/queue` line: enough to tell the cases apart; Details has the rest. */
const QUEUE_REASON_CHARS = 80;

/**
 * A worker's cases: `/queue`, the Claim and Details buttons, `/case`, `/note`, `/release` and `/resolve`.
 * The services decide and audit; this glue only answers, in the worker's language.
 */
export function createCaseWorkFeature(deps: TBotDeps): Composer<TStaffContext> {
  const feature = new Composer<TStaffContext>();
  const outcomes = deps.resolveOutcomes ?? DEFAULT_RESOLVE_OUTCOMES;

  feature.command('queue', async (ctx) => {
    const now = nowOf(deps);
    const { total, shown } = await listQueue(deps, { limit: QUEUE_PAGE_SIZE });
    if (total === 0) {
      await ctx.outbox.reply(ctx.t('queue.empty'));
      return;
    }
    const lines = [ctx.t('queue.title', { total })];
    const keyboard = new InlineKeyboard();
    const pagesT = pagesTranslator(deps.i18n, ctx.locale);
    for (const item of shown) {
      const values = {
        id: item.id,
        level: ctx.t(`levels.${item.level}`),
        waiting: formatWaitingFor(deps, ctx.locale, now.getTime() - item.createdAt.getTime()),
      };
      // A crisis case has no score worth showing: say what the detector read instead.
      lines.push(
        item.crisisReason
          ? ctx.t('queue.line_crisis', {
              ...values,
              reason: shorten(crisisReasonText(pagesT, ctx.locale, item.crisisReason), QUEUE_REASON_CHARS),
            })
          : item.source === 'screening'
            ? ctx.t('queue.line', { ...values, score: item.score })
            : ctx.t('queue.line_source', {
                ...values,
                source: pagesT(`source.${item.source.replaceAll('-', '_')}`),
              }),
      );
      keyboard
        .text(ctx.t('buttons.claim', { id: item.id }), CALLBACK.claim(item.id))
        .text(ctx.t('buttons.details', { id: item.id }), CALLBACK.details(item.id))
        .row();
    }
    if (total > shown.length) lines.push(ctx.t('queue.more', { total: total - shown.length }));
    await ctx.outbox.reply(lines.join('\n'), { keyboard: keyboard });
  });

  feature.callbackQuery(CLAIM_PATTERN, async (ctx) => {
    const caseId = Number(ctx.match[1]);
    const outcome = await claimCase(deps, { caseId, worker: ctx.worker, now: nowOf(deps) });
    switch (outcome.type) {
      case 'claimed':
        ctx.logger.info({ case_id: caseId, worker_id: ctx.worker.id }, 'case claimed');
        await ctx.outbox.answerCallback({ text: ctx.t('claim.won_short', { id: caseId }) });
        await ctx.outbox.reply(
          [
            ctx.t('claim.won', { id: caseId, level: ctx.t(`levels.${outcome.level}`) }),
            // They follow through the outbox, after this answer.
            ...(outcome.keptMessages > 0 ? [ctx.t('claim.kept', { count: outcome.keptMessages })] : []),
          ].join('\n\n'),
          { keyboard: caseKeyboard(ctx.t, caseId, { canClaim: false }) },
        );
        return;
      case 'already-yours':
        await ctx.outbox.answerCallback({ text: ctx.t('claim.already_yours', { id: caseId }) });
        return;
      case 'no-longer-worker':
        await ctx.outbox.answerCallback({
          text: ctx.t('claim.no_longer_worker', { id: caseId }),
          isAlert: true,
        });
        return;
      case 'taken': {
        const text = outcome.claimedByName
          ? ctx.t('claim.taken', { id: caseId, name: outcome.claimedByName })
          : ctx.t('claim.taken_unknown', { id: caseId });
        await ctx.outbox.answerCallback({ text });
        await ctx.outbox.reply(text);
        return;
      }
      case 'closed':
        await ctx.outbox.answerCallback({
          text: ctx.t('case.closed', { id: caseId, status: ctx.t(`statuses.${outcome.status}`) }),
        });
        return;
      case 'not-found':
        await ctx.outbox.answerCallback({ text: ctx.t('case.not_found', { id: caseId }) });
        return;
    }
  });

  feature.callbackQuery(DETAILS_PATTERN, async (ctx) => {
    const caseId = Number(ctx.match[1]);
    const now = nowOf(deps);
    const viewed = await viewCase(deps, { worker: ctx.worker, caseId, now });
    if (viewed.type !== 'view') {
      const key = viewed.type === 'not-allowed' ? 'details.not_allowed' : 'case.not_found';
      await ctx.outbox.answerCallback({ text: ctx.t(key, { id: caseId }), isAlert: true });
      return;
    }
    await ctx.outbox.answerCallback();
    const isWaiting = viewed.status === 'waiting';
    // Of the case: it quotes the resident, so their erasure blanks it in the worker's chat too.
    await ctx.outbox.reply(viewed.text, {
      caseId,
      workerId: ctx.worker.id,
      ...(isWaiting ? { keyboard: caseKeyboard(ctx.t, caseId, { canClaim: true }) } : {}),
    });
  });

  feature.command('case', async (ctx) => {
    const arg = ctx.match.trim().replace(/^#/, '');
    if (arg === '') {
      const mine = await claimedCasesOf(deps, ctx.worker.id);
      if (mine.length === 0) {
        await ctx.outbox.reply(ctx.t('case.none_claimed'));
        return;
      }
      const list = mine.map((c) => `#${c.id} (${ctx.t(`levels.${c.level}`)})`).join(', ');
      const active = mine.some((c) => c.id === ctx.worker.activeCaseId) ? ctx.worker.activeCaseId : null;
      await ctx.outbox.reply(
        [
          ctx.t('case.claimed_list', { list }),
          active === null ? ctx.t('case.no_active') : ctx.t('case.active', { id: active }),
          ctx.t('case.usage'),
        ].join('\n'),
      );
      return;
    }
    if (!/^\d{1,9}$/.test(arg)) {
      await ctx.outbox.reply(ctx.t('case.usage'));
      return;
    }
    const switched = await switchActiveCase(deps, { worker: ctx.worker, caseId: Number(arg) });
    if (switched.type !== 'switched') {
      await replyRefusal(ctx, switched);
      return;
    }
    await ctx.outbox.reply(
      ctx.t('case.switched', { id: switched.caseId, level: ctx.t(`levels.${switched.level}`) }),
    );
  });

  feature.command('note', async (ctx) => {
    const text = ctx.match.trim();
    if (text === '') {
      await ctx.outbox.reply(ctx.t('note.usage'));
      return;
    }
    const noted = await addCaseNote(deps, { worker: ctx.worker, text, now: nowOf(deps) });
    if (noted.type !== 'noted') {
      await replyRefusal(ctx, noted);
      return;
    }
    await ctx.outbox.reply(ctx.t('note.saved', { id: noted.caseId }));
  });

  feature.command('release', async (ctx) => {
    const released = await releaseCase(deps, { worker: ctx.worker, now: nowOf(deps) });
    if (released.type !== 'released') {
      await replyRefusal(ctx, released);
      return;
    }
    ctx.logger.info({ case_id: released.caseId, worker_id: ctx.worker.id }, 'case released');
    await ctx.outbox.reply(ctx.t('release.done', { id: released.caseId }));
  });

  feature.command('resolve', async (ctx) => {
    // `/resolve <outcome> groups`: the resident is also offered the support groups that fit their answers.
    const [outcome = '', extra] = ctx.match.trim().toLowerCase().split(/\s+/);
    const withGroups = extra === 'groups';
    const list = describeOutcomes(ctx.t, outcomes);
    if (outcome === '') {
      await ctx.outbox.reply(ctx.t('resolve.usage', { outcomes: list }));
      return;
    }
    const resolved = await resolveCase(deps, { worker: ctx.worker, outcome, outcomes, now: nowOf(deps) });
    if (resolved.type === 'unknown-outcome') {
      await ctx.outbox.reply(ctx.t('resolve.unknown', { outcome, outcomes: list }));
      return;
    }
    if (resolved.type !== 'resolved') {
      await replyRefusal(ctx, resolved);
      return;
    }
    ctx.logger.info({ case_id: resolved.caseId, worker_id: ctx.worker.id, outcome }, 'case resolved');
    const offered =
      withGroups && resolved.isResidentTold
        ? await offerGroupsAfterCase(deps, { caseId: resolved.caseId, now: nowOf(deps) })
        : undefined;
    await ctx.outbox.reply(
      ctx.t(resolved.isResidentTold ? 'resolve.done' : 'resolve.done_unreachable', {
        id: resolved.caseId,
        outcome: describeOutcome(ctx.t, outcome),
      }),
    );
    // Asked for groups and none fitted: the worker should know nothing was offered.
    if (offered === 0) await ctx.outbox.reply(ctx.t('groups.resolve_none', { id: resolved.caseId }));
  });

  return feature;
}

/** Why an action on "the active case" did not happen, in words. */
export function refusalText(t: TFunction, refusal: TCaseRefusal): string {
  switch (refusal.type) {
    case 'no-case':
      return t('case.none');
    case 'not-found':
      return t('case.not_found', { id: refusal.caseId });
    case 'closed':
      return t('case.closed', { id: refusal.caseId, status: t(`statuses.${refusal.status}`) });
    case 'not-yours':
      if (refusal.status === 'waiting') return t('case.waiting', { id: refusal.caseId });
      return refusal.claimedByName
        ? t('case.taken', { id: refusal.caseId, name: refusal.claimedByName })
        : t('case.taken_unknown', { id: refusal.caseId });
  }
}

async function replyRefusal(ctx: TStaffContext, refusal: TCaseRefusal): Promise<void> {
  const isWaiting = refusal.type === 'not-yours' && refusal.status === 'waiting';
  await ctx.outbox.reply(refusalText(ctx.t, refusal), {
    ...(isWaiting ? { keyboard: caseKeyboard(ctx.t, refusal.caseId, { canClaim: true }) } : {}),
  });
}
