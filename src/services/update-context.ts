import { conversationStorageKey, primeSession } from '../db/session-storage.ts';
import { currentClient } from '../db/unit-of-work.ts';
import { readUpdateSnapshot } from '../db/update-snapshot.ts';
import type { PrismaClient, Resident, Worker } from '../generated/prisma/client.ts';
import { primeOpenCase } from './cases.ts';
import type { TDataProtector } from './data-protection.ts';
import { primeActiveScreening } from './screenings.ts';

/**
 * Who is writing, read once at the start of an update (under its chat's lock) with everything their update
 * will likely need: their conversation state, screening under way and open case are kept for the rest of
 * the update, so the services that ask for them again need no query.
 *
 * @example
 * const { worker, residentId, resident } = await readWhoIsWriting(deps, ctx.from.id);
 */
export async function readWhoIsWriting(
  deps: { prisma: PrismaClient; protector: TDataProtector },
  telegramUserId: number,
): Promise<{ worker: Worker | null; residentId: string; resident: Resident | null }> {
  const residentId = deps.protector.pseudonymOf(telegramUserId);
  const sessionKey = conversationStorageKey(residentId);
  const snapshot = await readUpdateSnapshot(currentClient(deps.prisma), {
    telegramUserId,
    residentId,
    sessionKey,
  });
  primeSession(sessionKey, snapshot.session);
  primeActiveScreening(residentId, snapshot.screening);
  primeOpenCase(residentId, snapshot.openCase);
  return { worker: snapshot.worker, residentId, resident: snapshot.resident };
}
