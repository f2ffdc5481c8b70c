import type { Update } from 'grammy/types';
import { expect } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import type { Worker } from '../../src/generated/prisma/client.ts';
import { createInvitation, type TWorkerRole } from '../../src/services/workers.ts';
import type { TTestApp } from './app.ts';
import type { TPerson } from './updates.ts';

/** A member of staff as Telegram knows them: the name and username must never reach a resident. */
export type TStaffPerson = TPerson & { firstName: string; lastName: string; username: string };

let nextUpdateId = 500_000;
let nextStaffId = 9_100;

/** A new Telegram account for a worker, with a distinctive name and username to look for later. */
export function staffPerson(firstName: string, languageCode = 'en'): TStaffPerson {
  const id = nextStaffId++;
  return {
    id,
    firstName,
    lastName: `Surname${id}`,
    username: `${firstName.toLowerCase()}_sw_${id}`,
    languageCode,
  };
}

function from(person: TStaffPerson) {
  return {
    id: person.id,
    is_bot: false,
    first_name: person.firstName,
    last_name: person.lastName,
    username: person.username,
    ...(person.languageCode ? { language_code: person.languageCode } : {}),
  };
}

function chat(person: TStaffPerson) {
  return { id: person.id, type: 'private', first_name: person.firstName, username: person.username };
}

/** A private message from a worker: text (commands carry their entity), or other content; maybe a reply. */
export function staffMessage(
  person: TStaffPerson,
  content: string | Record<string, unknown>,
  options: { replyTo?: { messageId: number; botId: number } } = {},
): Update {
  const updateId = nextUpdateId++;
  const text = typeof content === 'string' ? content : undefined;
  const command = text === undefined ? null : /^\/\w+/.exec(text);
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: chat(person),
      from: from(person),
      ...(text === undefined ? (content as Record<string, unknown>) : { text }),
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      ...(options.replyTo
        ? {
            reply_to_message: {
              message_id: options.replyTo.messageId,
              date: Math.floor(Date.now() / 1000),
              chat: chat(person),
              from: { id: options.replyTo.botId, is_bot: true, first_name: 'Bridgeline' },
              text: '…',
            },
          }
        : {}),
    },
  } as Update;
}

/** A worker pressing an inline button on the bot's message `messageId`. */
export function staffPress(person: TStaffPerson, data: string, messageId: number): Update {
  const updateId = nextUpdateId++;
  return {
    update_id: updateId,
    callback_query: {
      id: `cb-${updateId}`,
      from: from(person),
      chat_instance: `ci-${person.id}`,
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: chat(person),
        text: '…',
      },
    },
  } as Update;
}

/** A worker at the keyboard: sends, presses, and reads what the bot wrote to them. */
export function createStaff(app: TTestApp, person: TStaffPerson) {
  let seen = 0;
  return {
    person,
    async send(content: string | Record<string, unknown>, options?: { replyTo?: number }): Promise<void> {
      const update = staffMessage(
        person,
        content,
        options?.replyTo === undefined
          ? {}
          : { replyTo: { messageId: options.replyTo, botId: app.api.botInfo.id } },
      );
      expect((await app.send(update)).status).toBe(200);
    },
    async press(data: string, messageId: number): Promise<void> {
      expect((await app.send(staffPress(person, data, messageId))).status).toBe(200);
    },
    /** Texts the bot sent to this person since the last `read()`. */
    read(): string[] {
      const texts = app.api.textsTo(person.id);
      const fresh = texts.slice(seen);
      seen = texts.length;
      return fresh;
    },
    /** The id of the last message sent to them with a Claim button for `caseId` (a page, or `/queue`). */
    claimMessageId(caseId: number): number {
      const call = app.api.calls.findLast(
        (c) =>
          c.method === 'sendMessage' &&
          c.payload.chat_id === person.id &&
          JSON.stringify(c.payload.reply_markup ?? '').includes(`"${CALLBACK.claim(caseId)}"`),
      );
      if (!call) throw new Error(`no Claim button for case ${caseId} was sent to ${person.firstName}`);
      return (call.result as { message_id: number }).message_id;
    },
    /** The id of the last message the bot sent them (to reply to it). */
    lastMessageId(): number {
      const call = app.api.calls.findLast(
        (c) => c.method === 'sendMessage' && c.payload.chat_id === person.id,
      );
      if (!call) throw new Error(`nothing was sent to ${person.firstName}`);
      return (call.result as { message_id: number }).message_id;
    },
    async worker(): Promise<Worker> {
      return app.prisma.worker.findUniqueOrThrow({ where: { telegramUserId: BigInt(person.id) } });
    },
  };
}

export type TStaff = ReturnType<typeof createStaff>;

/** Invites and joins a worker through `/join`, as a new member of staff would. */
export async function joinStaff(
  app: TTestApp,
  person: TStaffPerson,
  input: { role?: TWorkerRole; name?: string } = {},
): Promise<TStaff> {
  const { code } = await createInvitation(
    { prisma: app.prisma },
    {
      role: input.role ?? 'worker',
      name: input.name ?? `${person.firstName} ${person.lastName}`,
    },
  );
  const staff = createStaff(app, person);
  await staff.send(`/join ${code}`);
  expect(staff.read()).toEqual([expect.stringMatching(/^Welcome|^欢迎/)]);
  return staff;
}

/** A member of staff who joined and said `/oncall on`, their chat read so far: what most case tests start from. */
export async function joinOnCall(
  app: TTestApp,
  person: TStaffPerson,
  input: { role?: TWorkerRole; name?: string } = {},
): Promise<TStaff> {
  const staff = await joinStaff(app, person, input);
  await staff.send('/oncall on');
  staff.read();
  return staff;
}
