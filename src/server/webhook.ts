import { timingSafeEqual } from 'node:crypto';
import type { Update } from 'grammy/types';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { TBot } from '../bot/index.ts';
import { checkUpdateShape } from '../bot/update-shape.ts';
import { limitBody } from './body-limit.ts';
import type { TServerEnv } from './types.ts';

/** Telegram's updates are a few KB; anything near this is not from Telegram. */
const MAX_UPDATE_BYTES = 1024 * 1024;

export type TWebhookDeps = {
  bot: TBot;
  secret: string;
  /** False once the process is shutting down: Telegram is told to retry later, elsewhere. */
  isAccepting: () => boolean;
};

/**
 * `POST /webhook`: checks Telegram's secret header, validates the body, and hands the update to the bot.
 * Answers 200 only after the update is handled (and recorded), so a crash before that means a re-delivery.
 */
export function createWebhookRoute(deps: TWebhookDeps): Hono<TServerEnv> {
  const route = new Hono<TServerEnv>();
  route.post(
    '/',
    // The secret first, from the header alone: a caller without it never gets its body read.
    async (c, next) => {
      if (!isSecretValid(c.req.header('X-Telegram-Bot-Api-Secret-Token'), deps.secret)) {
        throw new HTTPException(401, { message: 'wrong or missing secret token' });
      }
      await next();
    },
    limitBody({
      maxSize: MAX_UPDATE_BYTES,
      onError: () => {
        throw new HTTPException(413, { message: 'update too large' });
      },
    }),
    async (c) => {
      if (!deps.isAccepting()) throw new HTTPException(503, { message: 'shutting down' });
      // Listening starts before Telegram is reached; until then Telegram's own retry brings the update back.
      if (!deps.bot.isInited())
        throw new HTTPException(503, { message: 'starting: Telegram not reached yet' });

      const body = await c.req.json<unknown>().catch(() => undefined);
      // A shape Telegram never sends: 400 (not Telegram, so no redelivery is wanted), and nothing changes.
      const shape = checkUpdateShape(body);
      if (!shape.ok)
        throw new HTTPException(400, { message: `not a Telegram update: unexpected ${shape.where}` });

      await deps.bot.handleUpdate(body as Update);
      return c.json({ ok: true });
    },
  );
  return route;
}

function isSecretValid(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
