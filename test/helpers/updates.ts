import type { Update } from 'grammy/types';

let nextUpdateId = 1_000;

export type TPerson = { id: number; languageCode?: string; firstName?: string };

export const RESIDENT_EN: TPerson = { id: 5001, languageCode: 'en', firstName: 'Alex' };
export const RESIDENT_ZH: TPerson = { id: 5002, languageCode: 'zh-hans', firstName: '小明' };

function user(person: TPerson) {
  return {
    id: person.id,
    is_bot: false,
    first_name: person.firstName ?? 'Resident',
    ...(person.languageCode ? { language_code: person.languageCode } : {}),
  };
}

/** A private text message from `person`, as Telegram would deliver it; commands carry their entity. */
export function textUpdate(person: TPerson, text: string, updateId = nextUpdateId++): Update {
  const command = /^\/\w+/.exec(text);
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: person.id, type: 'private', first_name: person.firstName ?? 'Resident' },
      from: user(person),
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}

/** A press of an inline button `data` on the bot's message `messageId`. */
export function callbackUpdate(
  person: TPerson,
  data: string,
  messageId: number,
  updateId = nextUpdateId++,
): Update {
  return {
    update_id: updateId,
    callback_query: {
      id: `cb-${updateId}`,
      from: user(person),
      chat_instance: `ci-${person.id}`,
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: person.id, type: 'private', first_name: person.firstName ?? 'Resident' },
        text: '…',
      },
    },
  } as Update;
}

function privateChat(person: TPerson) {
  return { id: person.id, type: 'private', first_name: person.firstName ?? 'Resident' };
}

/**
 * A private message from `person` carrying `content` instead of text: `{ sticker: … }`, `{ photo: […] }`,
 * `{ location: … }`, or `{ text }` with extra fields.
 *
 * @example
 * await app.send(messageUpdate(RESIDENT_EN, UNSUPPORTED_CONTENT.sticker));
 */
export function messageUpdate(
  person: TPerson,
  content: Record<string, unknown>,
  updateId = nextUpdateId++,
): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: privateChat(person),
      from: user(person),
      ...content,
    },
  } as Update;
}

/** `person` edited an earlier message of theirs to read `text`. */
export function editedTextUpdate(person: TPerson, text: string, updateId = nextUpdateId++): Update {
  const date = Math.floor(Date.now() / 1000);
  return {
    update_id: updateId,
    edited_message: {
      message_id: updateId - 1,
      date: date - 60,
      edit_date: date,
      chat: privateChat(person),
      from: user(person),
      text,
    },
  } as Update;
}

/** A text message from `person` in a group the bot was added to. */
export function groupTextUpdate(person: TPerson, text: string, updateId = nextUpdateId++): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: -100_000 - person.id, type: 'supergroup', title: 'Neighbourhood group' },
      from: user(person),
      text,
    },
  } as Update;
}

/** A post in a channel the bot belongs to: no sender at all. */
export function channelPostUpdate(text: string, updateId = nextUpdateId++): Update {
  return {
    update_id: updateId,
    channel_post: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: -1_009_999_000, type: 'channel', title: 'Neighbourhood news' },
      sender_chat: { id: -1_009_999_000, type: 'channel', title: 'Neighbourhood news' },
      text,
    },
  } as Update;
}

const photoSize = (size: number) => ({
  file_id: `photo-${size}`,
  file_unique_id: `p${size}`,
  width: size,
  height: size,
  file_size: size * 40,
});

/** One message of every kind the bot cannot read, as Telegram shapes them. */
export const UNSUPPORTED_CONTENT = {
  sticker: {
    sticker: {
      file_id: 'sticker-1',
      file_unique_id: 's1',
      type: 'regular',
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji: '😢',
    },
  },
  photo: { photo: [photoSize(90), photoSize(320)] },
  voice: { voice: { file_id: 'voice-1', file_unique_id: 'v1', duration: 4, mime_type: 'audio/ogg' } },
  video: { video: { file_id: 'video-1', file_unique_id: 'vd1', width: 640, height: 360, duration: 5 } },
  video_note: { video_note: { file_id: 'note-1', file_unique_id: 'vn1', length: 240, duration: 3 } },
  document: {
    document: {
      file_id: 'doc-1',
      file_unique_id: 'd1',
      file_name: 'letter.pdf',
      mime_type: 'application/pdf',
    },
  },
  animation: {
    animation: { file_id: 'gif-1', file_unique_id: 'g1', width: 320, height: 240, duration: 2 },
    document: { file_id: 'gif-1', file_unique_id: 'g1', file_name: 'a.mp4', mime_type: 'video/mp4' },
  },
  audio: { audio: { file_id: 'audio-1', file_unique_id: 'a1', duration: 120, title: 'Song' } },
  location: { location: { latitude: 31.2304, longitude: 121.4737 } },
  venue: {
    location: { latitude: 31.2304, longitude: 121.4737 },
    venue: {
      location: { latitude: 31.2304, longitude: 121.4737 },
      title: 'Community centre',
      address: '1 Main Street',
    },
  },
  contact: { contact: { phone_number: '+15550100', first_name: 'Sam', user_id: 424_242 } },
  poll: {
    poll: {
      id: 'poll-1',
      question: 'Tea or coffee?',
      options: [
        { text: 'Tea', voter_count: 0 },
        { text: 'Coffee', voter_count: 0 },
      ],
      total_voter_count: 0,
      is_closed: false,
      is_anonymous: true,
      type: 'regular',
      allows_multiple_answers: false,
    },
  },
  dice: { dice: { emoji: '🎲', value: 4 } },
} as const satisfies Record<string, Record<string, unknown>>;
