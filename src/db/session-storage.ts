import type { StorageAdapter } from 'grammy';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from '../services/data-protection.ts';
import { currentClient } from './unit-of-work.ts';

/**
 * grammY `StorageAdapter` for sessions and conversations, one `BotSession` row per key. Values are sealed:
 * a conversation's replay log holds the updates it waited for, words and names included. Writes go through
 * the current update's transaction, so conversation state moves exactly when the update is recorded.
 *
 * @example
 * bot.use(conversations({ storage: { type: 'key', adapter: createSessionStorage(prisma, protector) } }));
 */
export function createSessionStorage<T>(prisma: PrismaClient, protector: TDataProtector): StorageAdapter<T> {
  const context = (key: string) => `session:${key}`;
  return {
    async read(key) {
      const row = await currentClient(prisma).botSession.findUnique({ where: { key } });
      if (!row) return undefined;
      const { sealed } = row.value as { sealed: string };
      return JSON.parse(protector.open(sealed, context(key))) as T;
    },
    async write(key, value) {
      const stored = { sealed: protector.seal(JSON.stringify(value), context(key)) };
      await currentClient(prisma).botSession.upsert({
        where: { key },
        create: { key, value: stored },
        update: { value: stored },
      });
    },
    async delete(key) {
      await currentClient(prisma).botSession.deleteMany({ where: { key } });
    },
  };
}

/** The storage key of a resident's conversation state: by pseudonym, never by chat id. */
export function conversationStorageKey(residentId: string): string {
  return `conversation:${residentId}`;
}
