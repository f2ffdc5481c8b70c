import type { StorageAdapter } from 'grammy';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from '../services/data-protection.ts';
import { currentClient, deferWrite, unitCache } from './unit-of-work.ts';

const SESSIONS = Symbol('sessions');
/** What each session read as in this unit of work, before it was opened: an unchanged write is skipped. */
const READ_AS = Symbol('sessions-read-as');

/**
 * grammY `StorageAdapter` for sessions and conversations, one `BotSession` row per key. Values are sealed:
 * a conversation's replay log holds the updates it waited for, words and names included. Writes go through
 * the current update's transaction, so conversation state moves exactly when the update is recorded.
 *
 * @example
 * bot.use(conversations({ storage: { type: 'key', adapter: createSessionStorage(prisma, protector) } }));
 */
/** The field a stored conversation is sealed for: its own key. */
export const sessionContext = (key: string) => `session:${key}`;

export function createSessionStorage<T>(prisma: PrismaClient, protector: TDataProtector): StorageAdapter<T> {
  const context = sessionContext;
  return {
    async read(key) {
      const cache = unitCache<Prisma.JsonValue | null>(SESSIONS);
      const value = cache?.has(key)
        ? cache.get(key)
        : (await currentClient(prisma).botSession.findUnique({ where: { key } }))?.value;
      if (value === null || value === undefined) return undefined;
      const { sealed } = value as { sealed: string };
      const plain = protector.open(sealed, context(key));
      unitCache<string>(READ_AS)?.set(key, plain);
      return JSON.parse(plain) as T;
    },
    async write(key, value) {
      const plain = JSON.stringify(value);
      // The conversations plugin writes back whatever it read, changed or not: most updates change nothing.
      if (unitCache<string>(READ_AS)?.get(key) === plain) return;
      const stored = { sealed: protector.seal(plain, context(key)) };
      // At the commit, with the update's other writes in one statement.
      await deferWrite(
        prisma,
        `session:${key}`,
        Prisma.sql`
          INSERT INTO "BotSession" (key, value, "updatedAt") VALUES (${key}, ${JSON.stringify(stored)}::jsonb, now())
          ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "updatedAt" = EXCLUDED."updatedAt"`,
      );
      unitCache<Prisma.JsonValue | null>(SESSIONS)?.set(key, stored);
      unitCache<string>(READ_AS)?.set(key, plain);
    },
    async delete(key) {
      await deferWrite(prisma, `session:${key}`, Prisma.sql`DELETE FROM "BotSession" WHERE key = ${key}`);
      unitCache<Prisma.JsonValue | null>(SESSIONS)?.set(key, null);
      unitCache<string>(READ_AS)?.delete(key);
    },
  };
}

/** The storage key of a resident's conversation state: by pseudonym, never by chat id. */
export function conversationStorageKey(residentId: string): string {
  return `conversation:${residentId}`;
}

/** The stored value of a session the current unit of work has already read (with the update's snapshot). */
export function primeSession(key: string, value: Prisma.JsonValue | null): void {
  unitCache<Prisma.JsonValue | null>(SESSIONS)?.set(key, value);
}

/** Sessions deleted outside the storage adapter (an erasure) are gone for the rest of the unit too. */
export function forgetSessions(keys: readonly string[]): void {
  const cache = unitCache<Prisma.JsonValue | null>(SESSIONS);
  const readAs = unitCache<string>(READ_AS);
  for (const key of keys) {
    cache?.set(key, null);
    readAs?.delete(key);
  }
}
