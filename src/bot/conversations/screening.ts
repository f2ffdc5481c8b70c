import type { Conversation } from '@grammyjs/conversations';
import type { Context } from 'grammy';
import { optionNumber, type TDoneStep, type TQuestionStep, type TStep } from '../../domain/script/index.ts';
import { keepForClaimer } from '../../services/case-work.ts';
import { groupOfferMessage, type TGroupOffer } from '../../services/groups.ts';
import type { TButton } from '../../services/outbox.ts';
import { answerScreening, currentScreeningStep, type TAnswerOutcome } from '../../services/screenings.ts';
import type { TBotContext } from '../context.ts';
import { nowOf, type TBotDeps } from '../deps.ts';
import { CALLBACK, parseAnswerButton } from '../keyboards.ts';
import type { TReplyOptions } from '../outbox-replies.ts';

export const SCREENING_CONVERSATION = 'screening';

/** What became of one update the conversation took as an answer. */
type TTurn = 'next' | 'again' | 'finished';

type TReply = { text: string } & Pick<TReplyOptions, 'kind' | 'caseId' | 'keyboard'>;

/**
 * The screening conversation. The engine's state lives in the database (sealed), not in the conversation:
 * entering asks the current question; each answer is handed to the service, which moves the screening on,
 * and the next question is asked in the same turn; then the conversation rewinds to just after its first
 * question, so its replay log never holds more than one answer, however long the script.
 *
 * Buttons name the question they answer (`q:<step>:<option>`): a press on an older question's keyboard is
 * known as stale without remembering which message carried which keyboard.
 */
export function createScreeningConversation(deps: TBotDeps) {
  return async function screening(
    conversation: Conversation<TBotContext, Context>,
    _ctx: Context,
  ): Promise<void> {
    const isAsked = await conversation.external((outside) => askCurrentQuestion(deps, outside));
    if (!isAsked) return;
    const afterFirstQuestion = conversation.checkpoint();
    for (;;) {
      const answer = await conversation.wait();
      // Commands, other buttons and anything but text pass on to the features after the conversation,
      // which keeps waiting: /help, /language or /cancel work mid-screening.
      if (!isAnswer(answer)) await conversation.skip({ next: true });
      const turn = await conversation.external((outside): Promise<TTurn> => takeAnswer(deps, outside));
      if (turn === 'finished') return;
      if (turn === 'next') await conversation.rewind(afterFirstQuestion);
    }
  };
}

/** A button of a question, or plain text that is not a command. */
function isAnswer(ctx: Context): boolean {
  if (ctx.callbackQuery) return parseAnswerButton(ctx.callbackQuery.data) !== undefined;
  const message = ctx.message;
  if (message?.text === undefined) return false;
  return !message.entities?.some((entity) => entity.type === 'bot_command' && entity.offset === 0);
}

/** Asks the question the resident's screening waits on; false when none is under way. */
async function askCurrentQuestion(deps: TBotDeps, ctx: TBotContext): Promise<boolean> {
  if (!ctx.residentId) return false;
  const current = await currentScreeningStep(deps, ctx.residentId, ctx.locale);
  if (!current || current.step.type === 'done') return false;
  await ask(ctx, current.screeningId, current.step);
  return true;
}

async function ask(ctx: TBotContext, screeningId: string, step: TQuestionStep): Promise<void> {
  const stepNumber = step.state.path.length;
  // Each button shows the number that answers it when typed.
  const buttons: TButton[][] = step.question.options.map((option, index) => {
    const number = optionNumber(step.question.kind, option, index);
    const label =
      number === undefined ? option.label : ctx.t('screening.numbered', { number, label: option.label });
    return [{ label, data: CALLBACK.answer(stepNumber, option.id) }];
  });
  await ctx.outbox.reply(questionText(ctx, step), { keyboard: buttons, screeningId });
}

function questionText(ctx: TBotContext, step: Pick<TQuestionStep, 'question' | 'progress'>): string {
  const { question, progress } = step;
  const counter = ctx.t('screening.progress', { answered: progress.answered + 1, total: progress.total });
  return [question.intro, question.text, counter].filter(Boolean).join('\n\n');
}

/**
 * One answer: a stale button is told so; anything else goes to the service, which decides and stores. Then
 * what the resident reads, all staged for after the commit: the answered question marked (its keyboard
 * gone), a gentle re-ask, or what the answer set off, and the next question.
 */
async function takeAnswer(deps: TBotDeps, ctx: TBotContext): Promise<TTurn> {
  if (!ctx.residentId) return 'finished';
  const pressed = ctx.callbackQuery ? parseAnswerButton(ctx.callbackQuery.data) : undefined;
  const input = pressed?.optionId ?? ctx.message?.text ?? '';
  const outcome = await answerScreening(deps, {
    residentId: ctx.residentId,
    answer: input,
    locale: ctx.locale,
    ...(pressed ? { step: pressed.step } : {}),
  });
  if (!outcome) {
    if (pressed) await answerStale(ctx);
    return 'finished';
  }
  const { step } = outcome;
  if (step.type === 'stale') {
    await answerStale(ctx);
    return 'again';
  }
  if (pressed) await ctx.outbox.answerCallback();
  if (step.type === 'reask') {
    await ctx.outbox.reply(await reaskOrPassOn(deps, ctx, step));
    return 'again';
  }
  await markAnswered(ctx, outcome, step);
  const replies = step.type === 'question' ? alertReplies(ctx, outcome) : outcomeReplies(ctx, outcome, step);
  for (const { text, ...options } of replies) await ctx.outbox.reply(text, options);
  if (step.type === 'done') return 'finished';
  await ask(ctx, outcome.screeningId, step);
  return 'next';
}

/**
 * Typed text that does not answer the question. With a case open it is words for the case's worker —
 * relayed already, or kept now for whoever claims the case — and the resident is told where it went rather
 * than given a cold "couldn't match". While the case waits, a near miss (it fits two answers) is only asked
 * again.
 */
async function reaskOrPassOn(
  deps: TBotDeps,
  ctx: TBotContext,
  step: Extract<TStep, { type: 'reask' }>,
): Promise<string> {
  const text = ctx.message?.text;
  const forCase = ctx.caseOfText;
  if (forCase?.isRelayed && text !== undefined) return ctx.t('relay.passed_on');
  if (!forCase || text === undefined || step.reason === 'ambiguous' || step.reason === 'empty')
    return ctx.t(`screening.reask.${step.reason}`, { max: step.question.maxLength ?? 0 });
  await keepForClaimer(deps, { caseId: forCase.caseId, text, now: nowOf(deps) });
  ctx.logger.info({ case_id: forCase.caseId }, 'resident message kept for the worker');
  return ctx.t('relay.kept_for_worker');
}

async function answerStale(ctx: TBotContext): Promise<void> {
  await ctx.outbox.answerCallback({ text: ctx.t('screening.stale') });
  await ctx.outbox.closeKeyboard();
}

/**
 * The answered question keeps its text with the choice marked, and loses its keyboard: an old keyboard must
 * not look like it still answers. A typed answer marks the question's message once Telegram has told which
 * message that is.
 */
async function markAnswered(
  ctx: TBotContext,
  outcome: TAnswerOutcome,
  step: Exclude<TStep, { type: 'reask' }>,
): Promise<void> {
  const asked = outcome.asked;
  if (!asked || asked.question.options.length === 0) return;
  const optionId = recordedOption(step);
  const chosen = asked.question.options.find((option) => option.id === optionId);
  const text = questionText(ctx, asked);
  const marked = chosen ? `${text}\n\n${ctx.t('screening.chosen', { label: chosen.label })}` : text;
  if (ctx.callbackQuery) {
    await ctx.outbox.closeKeyboard({ text: marked });
    return;
  }
  const messageId = outcome.promptMessageId;
  const chatId = ctx.chat?.id;
  if (messageId === null || chatId === undefined) return;
  await ctx.outbox.editMessage({ chatId, messageId, text: marked });
}

/** The option the engine recorded for the question just answered, however it was given (button, number, label). */
function recordedOption(step: Exclude<TStep, { type: 'reask' }>): string | undefined {
  const answeredId = step.state.path.at(-1);
  const recorded = answeredId === undefined ? undefined : step.state.answers[answeredId];
  return recorded?.type === 'option' ? recorded.optionId : undefined;
}

/**
 * A critical answer mid-script has just opened (or raised) a case: say so now, not only at the end — or,
 * when nobody could be paged, say that honestly. An imminent answer always gets the emergency numbers first,
 * even when an imminent case was already open.
 */
function alertReplies(ctx: TBotContext, outcome: TAnswerOutcome): TReply[] {
  const escalation = outcome.escalation;
  const caseId = escalation?.caseId;
  if (escalation?.level === 'imminent') {
    return [
      {
        text: ctx.t('outcome.imminent_first', { numbers: ctx.emergencyNumbers }),
        kind: 'crisis-notice',
        caseId,
      },
      {
        text: ctx.t(escalation.isNobodyToPage ? 'crisis.nobody' : 'outcome.escalated_imminent'),
        kind: 'crisis-notice',
        caseId,
      },
    ];
  }
  if (!escalation || escalation.change === 'unchanged') return [];
  return [
    escalation.isNobodyToPage
      ? { text: ctx.t('crisis.nobody_now', { numbers: ctx.emergencyNumbers }), kind: 'crisis-notice', caseId }
      : { text: ctx.t('outcome.escalated_high'), kind: 'resident-notice', caseId },
  ];
}

/**
 * What the resident reads at the end, by level: emergency numbers first when this answer made the case
 * imminent; the script's message; whether a worker is coming (said once: not again when the case was opened
 * or raised earlier in the screening), or honestly that nobody can be reached; resources; and, below high,
 * the offer of a worker — unless a worker already has their open case, which they are reminded of instead.
 * The numbers are shown once, first or last.
 */
function outcomeReplies(ctx: TBotContext, outcome: TAnswerOutcome, step: TDoneStep): TReply[] {
  const { level, outcome: view } = step.result;
  const numbers = { numbers: ctx.emergencyNumbers };
  const escalation = outcome.escalation;
  const caseId = escalation?.caseId;
  const isNews = escalation !== undefined && escalation.change !== 'unchanged';
  const replies: TReply[] = [];
  if (level === 'imminent' && isNews)
    replies.push({ text: ctx.t('outcome.imminent_first', numbers), kind: 'crisis-notice', caseId });
  replies.push({ text: [view.title, view.message].filter(Boolean).join('\n\n') });
  if (isNews && escalation.isNobodyToPage) {
    const text = level === 'imminent' ? ctx.t('crisis.nobody') : ctx.t('crisis.nobody_now', numbers);
    replies.push({ text, kind: 'crisis-notice', caseId });
  } else if (isNews) {
    // After the script's own words, in the conversation's order (the numbers alone go ahead of everything).
    replies.push({
      text: ctx.t(level === 'imminent' ? 'outcome.escalated_imminent' : 'outcome.escalated_high'),
      caseId,
    });
  } else if (outcome.hasOpenCase) {
    replies.push({ text: ctx.t('outcome.case_open') });
  }
  if (view.resources.length > 0) {
    const lines = view.resources.map((r) => `• ${[r.title, r.detail, r.url].filter(Boolean).join(' — ')}`);
    replies.push({ text: [ctx.t('outcome.resources'), ...lines].join('\n') });
  }
  if (level === 'moderate' && !escalation && !outcome.hasOpenCase) {
    replies.push({
      text: ctx.t('outcome.offer_moderate'),
      keyboard: [
        [{ label: ctx.t('outcome.offer_yes'), data: CALLBACK.callback(outcome.screeningId) }],
        [{ label: ctx.t('outcome.offer_no'), data: CALLBACK.declineOffer }],
      ],
    });
  } else if ((level === 'low' || level === 'none') && !escalation && !outcome.hasOpenCase) {
    replies.push({
      text: ctx.t('outcome.offer_low'),
      keyboard: [[{ label: ctx.t('outcome.offer_callback'), data: CALLBACK.callback(outcome.screeningId) }]],
    });
  } else {
    const wereNumbersShown = isNews && (level === 'imminent' || escalation.isNobodyToPage);
    if (!wereNumbersShown) replies.push({ text: ctx.t('outcome.numbers_reminder', numbers) });
  }
  for (const group of outcome.groupOffers ?? []) replies.push(groupOfferReply(ctx, group));
  return replies;
}

/** A support group, offered with what joining means and Join / Not now (the message every offer uses). */
function groupOfferReply(ctx: TBotContext, group: TGroupOffer): TReply {
  const { text, buttons } = groupOfferMessage(ctx.t, group);
  return { text, keyboard: buttons };
}
