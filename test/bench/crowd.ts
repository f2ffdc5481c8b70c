/**
 * What every scenario needs to put residents in front of a bot: unique Telegram users for the whole bench
 * run (a restarted bot keeps its database, so a user must never come back by accident), and the environment
 * a resident acts in.
 */
import type { TSession } from './bots.ts';
import type { TTelegramUser } from './telegram-updates.ts';
import type { TResidentEnv } from './virtual-residents.ts';

/** Share of residents whose Telegram is in Simplified Chinese. */
const ZH_SHARE = 0.1;

/**
 * @example
 * const users = createUserAllocator(random);
 * const user = users.next(); // { id: 700000000, languageCode: 'en', firstName: 'Resident 0' }
 */
export function createUserAllocator(random: () => number, firstId = 700_000_000) {
  let next = firstId;
  return {
    next(): TTelegramUser {
      const id = next++;
      const isZh = random() < ZH_SHARE;
      return { id, languageCode: isZh ? 'zh-CN' : 'en', firstName: `Resident ${id - firstId}` };
    },
  };
}

export type TUserAllocator = ReturnType<typeof createUserAllocator>;

/** What a resident acts in for `session`: its fake Telegram, its way of delivering updates, and the run's rules. */
export function residentEnv(
  session: TSession,
  options: Pick<TResidentEnv, 'gate' | 'signal' | 'stepTimeoutMs' | 'random'>,
): TResidentEnv {
  return { fake: session.fake, delivery: session.delivery, updates: session.updates, ...options };
}
