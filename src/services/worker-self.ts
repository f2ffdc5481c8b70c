import type { i18n } from 'i18next';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TLocale } from '../i18n.ts';
import type { TDataProtector } from './data-protection.ts';
import { endWorkerAccess, workerActor } from './workers.ts';

/** A worker's own choice of language: their replies, pages and case summaries from now on. */
export async function setWorkerLocale(
  deps: { prisma: PrismaClient },
  input: { workerId: number; locale: TLocale },
): Promise<void> {
  await currentClient(deps.prisma).worker.update({
    where: { id: input.workerId },
    data: { locale: input.locale },
  });
}

/** How many open cases a worker holds: what ending their access hands back to the queue. */
export async function heldCaseCount(deps: { prisma: PrismaClient }, workerId: number): Promise<number> {
  return currentClient(deps.prisma).case.count({ where: { status: 'claimed', claimedById: workerId } });
}

/**
 * A worker's `/delete`: their access ends as an admin's `deactivate` would end it (cases they hold back in
 * the queue and paged again, shifts removed, nothing new reaches them), and what identifies them goes: the
 * name becomes "#<id>" and the Telegram account is unlinked. What they did on cases stays on the cases'
 * records under their worker number, for the service to account for every case. Returns the cases handed
 * back, or undefined when they were no longer active. Runs in the caller's unit of work (the bot's update).
 *
 * @example
 * const released = await eraseWorkerSelf(deps, { workerId: 4, now: new Date() });
 */
export async function eraseWorkerSelf(
  deps: { prisma: PrismaClient; notices?: { protector: TDataProtector; i18n: i18n } },
  input: { workerId: number; now: Date },
): Promise<number[] | undefined> {
  const db = currentClient(deps.prisma);
  const worker = await db.worker.findUnique({ where: { id: input.workerId } });
  if (!worker?.isActive) return undefined;
  const { releasedCaseIds } = await endWorkerAccess(deps, {
    worker,
    now: input.now,
    actor: workerActor(worker.id),
    tellWorker: false,
  });
  const anonymous = `#${worker.id}`;
  await db.worker.update({
    where: { id: worker.id },
    // Telegram user ids are positive: a negative one links to no account and stays unique.
    data: { name: anonymous, telegramUserId: BigInt(-worker.id) },
  });
  // The invitation they joined by names them too.
  await db.invitation.updateMany({ where: { workerId: worker.id }, data: { name: anonymous } });
  return releasedCaseIds;
}
