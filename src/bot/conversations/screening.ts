import type { Conversation } from '@grammyjs/conversations';
import { type Context, InlineKeyboard } from 'grammy';
import type { TDoneStep, TStep } from '../../domain/script/index.ts';
import { enqueueOutbox } from '../../services/outbox.ts';
import {
  answerScreening,
  currentScreeningStep,
  rememberPrompt,
  type TAnswerOutcome,
} from '../../services/screenings.ts';
import type { TBotContext } from '../context.ts';
import type { TBotDeps } from '../deps.ts';
import { ANSWER_PREFIX, CALLBACK } from '../keyboards.ts';

export const SCREENING_CONVERSATION = 'screening';

/** A message to send, as plain JSON: conversations replay from a log, so keyboards travel as data. */
type TReply = { text: string; buttons?: Array<{ label: string; data: string }> };

type TPrompt = {
  screeningId: string;
  text: string;
  buttons: Array<{ label: string; data: string }>;
  staleNotice: string;
  /** "✓ {label}" in the resident's language. */
  chosenMark: string;
};

type TTaken = {
  isReask: boolean;
  optionId?: string | undefined;
  replies: TReply[];
  /** The case this answer opened or raised: its replies must reach the resident even if Telegram fails now. */
  caseId?: number | undefined;
};

/**
 * The screening conversation. The engine's state lives in the database (sealed), not in the conversation:
 * each turn asks the current question, waits for one answer, hands it to the service, and then rewinds to the
 * top, so the replay log never holds more than one question — however long the script.
 */
export function createScreeningConversation(deps: TBotDeps) {
  return async function screening(
    conversation: Conversation<TBotContext, Context>,
    ctx: Context,
  ): Promise<void> {
    const top = conversation.checkpoint();
    const prompt = await conversation.external((outside) => preparePrompt(deps, outside));
    if (!prompt) return;
    const sent = await ctx.reply(prompt.text, { reply_markup: toKeyboard(prompt.buttons) });
    await conversation.external(() => rememberPrompt(deps, prompt.screeningId, sent.message_id));

    for (;;) {
      const answer = await conversation.wait();
      // Commands, other buttons and anything but text pass on to the features after the conversation,
      // which keeps waiting: /help, /language or /cancel work mid-screening.
      if (!isAnswer(answer)) await conversation.skip({ next: true });
      const pressed = answer.callbackQuery?.data;
      if (pressed !== undefined) {
        if (answer.callbackQuery?.message?.message_id !== sent.message_id) {
          await answer.answerCallbackQuery({ text: prompt.staleNotice });
          continue;
        }
        await answer.answerCallbackQuery();
      }
      const input =
        pressed !== undefined ? pressed.slice(ANSWER_PREFIX.length) : (answer.message?.text ?? '');

      const taken = await conversation.external((outside) => takeAnswer(deps, outside, input));
      if (!taken.isReask && prompt.buttons.length > 0) {
        // Mark the answered question and drop its keyboard: an old keyboard must not answer a later question.
        const chosen = prompt.buttons.find((button) => button.data === CALLBACK.answer(taken.optionId ?? ''));
        const marked = chosen
          ? `${prompt.text}\n\n${prompt.chosenMark.replace('{label}', chosen.label)}`
          : prompt.text;
        await ctx.api.editMessageText(sent.chat.id, sent.message_id, marked).catch(() => undefined);
      }
      for (const [index, reply] of taken.replies.entries()) {
        try {
          await ctx.reply(reply.text, { reply_markup: toKeyboard(reply.buttons) });
        } catch (error) {
          // Telegram failed us with a case at stake: rather than roll the case back with the update, what the
          // resident has not read goes out through the outbox, and this turn ends without the next question
          // (their next message asks it again).
          const { caseId } = taken;
          if (caseId === undefined) throw error;
          const unsent = taken.replies.slice(index);
          await conversation.external((outside) => queueForResident(deps, outside, caseId, unsent));
          return;
        }
      }
      if (taken.isReask) continue;
      await conversation.rewind(top);
    }
  };
}

/** A button of a question, or plain text that is not a command. */
function isAnswer(ctx: Context): boolean {
  if (ctx.callbackQuery) return ctx.callbackQuery.data?.startsWith(ANSWER_PREFIX) === true;
  const message = ctx.message;
  if (message?.text === undefined) return false;
  return !message.entities?.some((entity) => entity.type === 'bot_command' && entity.offset === 0);
}

async function preparePrompt(deps: TBotDeps, ctx: TBotContext): Promise<TPrompt | null> {
  if (!ctx.residentId) return null;
  const current = await currentScreeningStep(deps, ctx.residentId, ctx.locale);
  if (!current || current.step.type === 'done') return null;
  const { question, progress } = current.step;
  const counter = ctx.t('screening.progress', { answered: progress.answered + 1, total: progress.total });
  return {
    screeningId: current.screeningId,
    text: [question.intro, question.text, counter].filter(Boolean).join('\n\n'),
    buttons: question.options.map((option) => ({ label: option.label, data: CALLBACK.answer(option.id) })),
    staleNotice: ctx.t('screening.stale'),
    chosenMark: ctx.t('screening.chosen', { label: '{label}' }),
  };
}

async function takeAnswer(deps: TBotDeps, ctx: TBotContext, input: string): Promise<TTaken> {
  if (!ctx.residentId) return { isReask: false, replies: [] };
  const outcome = await answerScreening(deps, {
    residentId: ctx.residentId,
    answer: input,
    locale: ctx.locale,
  });
  if (!outcome) return { isReask: false, replies: [] };
  const { step } = outcome;
  if (step.type === 'reask') {
    const max = step.question.maxLength ?? 0;
    return { isReask: true, replies: [{ text: ctx.t(`screening.reask.${step.reason}`, { max }) }] };
  }
  const optionId = recordedOption(step);
  const caseId = outcome.escalation?.caseId;
  if (step.type === 'question')
    return { isReask: false, optionId, caseId, replies: alertReplies(ctx, outcome) };
  return { isReask: false, optionId, caseId, replies: outcomeReplies(ctx, outcome, step) };
}

/** The option the engine recorded for the question just answered, however it was given (button, number, label). */
function recordedOption(step: Exclude<TStep, { type: 'reask' }>): string | undefined {
  const answeredId = step.state.path.at(-1);
  const recorded = answeredId === undefined ? undefined : step.state.answers[answeredId];
  return recorded?.type === 'option' ? recorded.optionId : undefined;
}

/**
 * A critical answer mid-script has just opened (or raised) a case: say so now, not only at the end. An
 * imminent answer always gets the emergency numbers first, even when an imminent case was already open.
 */
function alertReplies(ctx: TBotContext, outcome: TAnswerOutcome): TReply[] {
  const escalation = outcome.escalation;
  if (escalation?.level === 'imminent') {
    return [
      { text: ctx.t('outcome.imminent_first', { numbers: ctx.emergencyNumbers }) },
      { text: ctx.t('outcome.escalated_imminent') },
    ];
  }
  return escalation && escalation.change !== 'unchanged' ? [{ text: ctx.t('outcome.escalated_high') }] : [];
}

/**
 * What the resident reads at the end, by level: emergency numbers first when imminent; whether a worker is
 * coming; the script's message and resources; and, below high, the offer of a worker — unless a worker
 * already has their open case, which they are reminded of instead.
 */
function outcomeReplies(ctx: TBotContext, outcome: TAnswerOutcome, step: TDoneStep): TReply[] {
  const { level, outcome: view } = step.result;
  const numbers = { numbers: ctx.emergencyNumbers };
  const replies: TReply[] = [];
  if (level === 'imminent') replies.push({ text: ctx.t('outcome.imminent_first', numbers) });
  replies.push({ text: [view.title, view.message].filter(Boolean).join('\n\n') });
  if (outcome.escalation) {
    replies.push({
      text: ctx.t(level === 'imminent' ? 'outcome.escalated_imminent' : 'outcome.escalated_high'),
    });
  } else if (outcome.hasOpenCase) {
    replies.push({ text: ctx.t('outcome.case_open') });
  }
  if (view.resources.length > 0) {
    const lines = view.resources.map((r) => `• ${[r.title, r.detail, r.url].filter(Boolean).join(' — ')}`);
    replies.push({ text: [ctx.t('outcome.resources'), ...lines].join('\n') });
  }
  if (outcome.hasOpenCase) {
    replies.push({ text: ctx.t('outcome.numbers_reminder', numbers) });
  } else if (level === 'moderate') {
    replies.push({
      text: ctx.t('outcome.offer_moderate'),
      buttons: [{ label: ctx.t('outcome.offer_yes'), data: CALLBACK.callback(outcome.screeningId) }],
    });
  } else if (level === 'low' || level === 'none') {
    replies.push({
      text: ctx.t('outcome.offer_low'),
      buttons: [{ label: ctx.t('outcome.offer_callback'), data: CALLBACK.callback(outcome.screeningId) }],
    });
  } else {
    replies.push({ text: ctx.t('outcome.numbers_reminder', numbers) });
  }
  return replies;
}

async function queueForResident(deps: TBotDeps, ctx: TBotContext, caseId: number, replies: TReply[]) {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  for (const reply of replies) {
    await enqueueOutbox(deps, {
      kind: 'resident-notice',
      caseId,
      payload: {
        type: 'send',
        chatId,
        text: reply.text,
        ...(reply.buttons && reply.buttons.length > 0
          ? { buttons: reply.buttons.map((button) => [button]) }
          : {}),
      },
    });
  }
  ctx.logger.error(
    { case_id: caseId, replies: replies.length },
    'screening replies failed: queued for the outbox',
  );
}

function toKeyboard(buttons: TReply['buttons']): InlineKeyboard | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  return InlineKeyboard.from(buttons.map((button) => [InlineKeyboard.text(button.label, button.data)]));
}
