import { expect } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { loadScript, localize, type TScript } from '../../src/domain/script/index.ts';
import { createI18n, type TFunction, type TLocale } from '../../src/i18n.ts';
import { readDefaultScript } from '../../src/services/script-registry.ts';
import type { TTestApp } from './app.ts';
import { callbackUpdate, type TPerson, textUpdate } from './updates.ts';

/** Drives a resident through the bot as a person would: typing, and pressing the buttons they see. */
export function createResident(app: TTestApp, person: TPerson) {
  async function send(text: string): Promise<void> {
    const response = await app.send(textUpdate(person, text));
    expect(response.status).toBe(200);
  }
  async function press(data: string, messageId?: number): Promise<void> {
    const keyboard = app.api.lastKeyboard(person.id);
    const target = messageId ?? keyboard?.messageId;
    if (target === undefined) throw new Error(`no keyboard was shown to ${person.id}`);
    const response = await app.send(callbackUpdate(person, data, target));
    expect(response.status).toBe(200);
  }
  /** Presses the button of an answer option on a question's keyboard (the last one shown, or `messageId`'s). */
  async function pressOption(optionId: string, messageId?: number): Promise<void> {
    const target = messageId ?? app.api.lastKeyboard(person.id)?.messageId;
    if (target === undefined) throw new Error(`no keyboard was shown to ${person.id}`);
    const data = app.api.keyboardOf(target)?.find((button) => button.endsWith(`:${optionId}`));
    if (data === undefined) throw new Error(`message ${target} has no button for "${optionId}"`);
    await press(data, target);
  }
  return {
    person,
    pressOption,
    /** Their pseudonym: the id of their Resident row and of everything linked to it. */
    residentId: app.protector.pseudonymOf(person.id),
    send,
    press,
    /** Texts the bot sent to this person since the last `read()`. */
    read: (() => {
      let seen = 0;
      return () => {
        const texts = app.api.textsTo(person.id);
        const fresh = texts.slice(seen);
        seen = texts.length;
        return fresh;
      };
    })(),
    async consent(): Promise<void> {
      await send('/start');
      await press(CALLBACK.consentYes);
    },
    /** Answers by typing each answer (a number, a label, or free text). */
    async answer(answers: readonly string[]): Promise<void> {
      for (const answer of answers) await send(answer);
    },
  };
}

const i18n = createI18n();

/** The bot's own strings in `locale`, as the resident reads them (`emergency.default` included). */
export function botTexts(locale: TLocale): TFunction {
  return i18n.getFixedT(locale);
}

let shippedScript: TScript | undefined;
/** The shipped default script, parsed: its questions, outcomes and resources in every locale. */
export function defaultScript(): TScript {
  if (!shippedScript) {
    const loaded = loadScript(readDefaultScript());
    if (!loaded.ok) throw new Error('the shipped default script does not load');
    shippedScript = loaded.script;
  }
  return shippedScript;
}

/** A text of the default script in `locale`. */
export function scriptText(text: Readonly<Record<string, string>> | undefined, locale: TLocale): string {
  return text === undefined ? '' : localize(text, locale, defaultScript().locales);
}

/** The id of the last message sent to `chatId` that read exactly `text` (to press its buttons later). */
export function sentMessageId(app: TTestApp, chatId: number, text: string): number {
  const call = app.api
    .callsOf('sendMessage')
    .findLast((c) => c.payload.chat_id === chatId && c.payload.text === text);
  const messageId = (call?.result as { message_id?: number } | undefined)?.message_id;
  if (messageId === undefined) throw new Error(`no message "${text}" was sent to ${chatId}`);
  return messageId;
}

export { ROUTES } from './default-script-routes.ts';
