import { InlineKeyboard } from 'grammy';
import type { TFunction } from '../i18n.ts';
import { GROUP_CALLBACK } from '../services/groups.ts';
import { CLAIM_CALLBACK_PREFIX, DETAILS_CALLBACK_PREFIX } from '../services/pages.ts';

export const ANSWER_PREFIX = 'q:';
const ANSWER_PATTERN = /^q:(\d{1,4}):(.{1,50})$/;

/** Callback data of every button the bot shows; one place, so handlers and keyboards agree. */
export const CALLBACK = {
  /** An answer to a question, naming the question by how many came before it: an older keyboard is stale. */
  answer: (step: number, optionId: string) => `${ANSWER_PREFIX}${step}:${optionId}`,
  consentYes: 'consent:yes',
  consentNo: 'consent:no',
  language: (locale: string) => `lang:${locale}`,
  deleteYes: 'delete:yes',
  deleteNo: 'delete:no',
  /** A worker's own `/delete`: apart from the residents', so a tap after their access ended erases nothing. */
  staffDeleteYes: 'staff-delete:yes',
  staffDeleteNo: 'staff-delete:no',
  discardAnswers: 'cancel:discard',
  callback: (screeningId: string) => `callback:${screeningId}`,
  /** "No, thanks" to the offer of a worker after a screening. */
  declineOffer: 'callback:no',
  talkToWorker: 'worker:talk',
  /** A support group offered after a screening, or listed by `/groups`. */
  joinGroup: GROUP_CALLBACK.join,
  declineGroup: GROUP_CALLBACK.decline,
  leaveGroup: GROUP_CALLBACK.leave,
  /** On a page (the sweeper builds it with the same prefix) or in `/queue`: take the case. */
  claim: (caseId: number) => `${CLAIM_CALLBACK_PREFIX}${caseId}`,
  /** On a page or in `/queue`: open the case's summary (audited). */
  details: (caseId: number) => `${DETAILS_CALLBACK_PREFIX}${caseId}`,
} as const;

export const CLAIM_PATTERN = new RegExp(`^${CLAIM_CALLBACK_PREFIX}(\\d{1,9})$`);
export const DETAILS_PATTERN = new RegExp(`^${DETAILS_CALLBACK_PREFIX}(\\d{1,9})$`);

export function consentKeyboard(t: TFunction): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('consent.agree'), CALLBACK.consentYes)
    .text(t('consent.decline'), CALLBACK.consentNo);
}

export function languageKeyboard(): InlineKeyboard {
  return new InlineKeyboard()
    .text('English', CALLBACK.language('en'))
    .text('简体中文', CALLBACK.language('zh-CN'));
}

export function deleteKeyboard(t: TFunction): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('delete.yes'), CALLBACK.deleteYes)
    .row()
    .text(t('delete.no'), CALLBACK.deleteNo);
}

/** A worker's own `/delete`, in the worker's language (`t` reads the worker namespace). */
export function staffDeleteKeyboard(t: TFunction): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('delete.yes'), CALLBACK.staffDeleteYes)
    .row()
    .text(t('delete.no'), CALLBACK.staffDeleteNo);
}

/** Claim and Details for one case, in the worker's language (`t` reads the worker namespace). */
export function caseKeyboard(t: TFunction, caseId: number, options: { canClaim: boolean }): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  if (options.canClaim) keyboard.text(t('buttons.claim', { id: caseId }), CALLBACK.claim(caseId));
  return keyboard.text(t('buttons.details', { id: caseId }), CALLBACK.details(caseId));
}

/** The question step and option of an answer button; undefined for any other data. */
export function parseAnswerButton(data: string | undefined): { step: number; optionId: string } | undefined {
  const match = data === undefined ? null : ANSWER_PATTERN.exec(data);
  if (!match?.[1] || !match[2]) return undefined;
  return { step: Number(match[1]), optionId: match[2] };
}
