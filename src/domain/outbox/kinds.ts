/**
 * Everything the bot says goes through the outbox, each message with a kind. The kind decides how urgent it
 * is when Telegram limits the bot, whether it keeps its place in its chat's order, and whether it is stored.
 */
export const OUTBOX_KINDS = [
  /** The bot's answer to a resident, in the chat of the update it handles: questions, command answers, outcomes. */
  'reply',
  /**
   * The bot's answer to a worker's command or button: it goes before the relays it announces ("the
   * resident's messages follow").
   */
  'staff-reply',
  /** Emergency numbers, and that workers are alerted, to a resident whose words or answers read as a crisis. */
  'crisis-notice',
  /** To a resident about their case (closed, picked up, help coming). */
  'resident-notice',
  /** A case on the escalation ladder, to one worker. */
  'page',
  /** To staff about a case outside the ladder (crisis language in a claimed case, a resident unreachable). */
  'case-alert',
  'relay-to-worker',
  'relay-to-resident',
  /** An edit of a message in a resident's chat: the chosen answer marked, a used keyboard removed. */
  'keyboard-update',
  /** An edit of a message sent to staff: a page marked "claimed", or a case's messages blanked. */
  'page-update',
  /** To a worker about a case that ended without them (its resident erased their data). */
  'staff-notice',
  /** To the team's alert chat about the service itself: a waiting case nobody could be paged for. */
  'operator-alarm',
  /** The answer to a button press (the spinner, or a short toast): sent after the commit, never stored. */
  'callback-answer',
  /** A reaction on a worker's own message (accepted): sent after the commit, never stored. */
  'reaction',
] as const;

export type TOutboxKind = (typeof OUTBOX_KINDS)[number];

/** Lower goes first. Crisis messages never wait behind routine ones, in one chat or across chats. */
export const PRIORITY = { crisis: 0, urgent: 1, relay: 2, routine: 3, housekeeping: 4 } as const;
export type TPriority = (typeof PRIORITY)[keyof typeof PRIORITY];

const KIND_PRIORITY: Readonly<Record<TOutboxKind, TPriority>> = {
  'crisis-notice': PRIORITY.crisis,
  'operator-alarm': PRIORITY.crisis,
  'resident-notice': PRIORITY.urgent,
  page: PRIORITY.urgent,
  'case-alert': PRIORITY.urgent,
  'staff-reply': PRIORITY.urgent,
  'callback-answer': PRIORITY.urgent,
  'relay-to-worker': PRIORITY.relay,
  'relay-to-resident': PRIORITY.relay,
  reply: PRIORITY.routine,
  'keyboard-update': PRIORITY.housekeeping,
  'page-update': PRIORITY.housekeeping,
  'staff-notice': PRIORITY.housekeeping,
  reaction: PRIORITY.housekeeping,
};

/**
 * How urgent a message is. `isCrisis`: it belongs to an imminent case or to crisis language (a page of an
 * imminent case, a crisis alert to staff), so it goes with the emergency numbers, ahead of everything else.
 *
 * @example
 * priorityOf('page', { isCrisis: level === 'imminent' }); // 0 for an imminent case, 1 otherwise
 */
export function priorityOf(kind: TOutboxKind, options: { isCrisis?: boolean } = {}): TPriority {
  return options.isCrisis ? PRIORITY.crisis : KIND_PRIORITY[kind];
}

/**
 * Sent after the commit but never stored: a callback answer is useless seconds later (Telegram stops
 * showing it), and a lost reaction loses nothing. Everything else survives a crash.
 */
export function isEphemeral(kind: TOutboxKind): boolean {
  return kind === 'callback-answer' || kind === 'reaction';
}

/** Edits, callback answers and reactions add nothing to a chat's order: they never wait, and nobody waits for them. */
export const UNORDERED_KINDS: readonly TOutboxKind[] = [
  'keyboard-update',
  'page-update',
  'callback-answer',
  'reaction',
];

/** Whether a message of this kind keeps its place in its chat (a new message does; an edit does not). */
export function isOrderedKind(kind: TOutboxKind): boolean {
  return !UNORDERED_KINDS.includes(kind);
}

export function isOutboxKind(value: string): value is TOutboxKind {
  return (OUTBOX_KINDS as readonly string[]).includes(value);
}
