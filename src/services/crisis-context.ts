import { currentClient } from '../db/unit-of-work.ts';
import type { TCrisisContext } from '../domain/risk/crisis-combine.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { findOpenCase } from './cases.ts';

/** How long a screening that reached `high` or above keeps a resident's messages read more sensitively. */
export const SCREENING_CONTEXT_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * What the service knows of a resident that makes their messages read one level more sensitively: an open
 * case (any level: someone is already worried about them), or a screening in the last 30 days that reached
 * `high` or `imminent` (a positive suicide item, serious distress, revenge thinking or nothing left to lose
 * all reach it). Undefined for someone it knows nothing worrying about. Read in the update's transaction.
 *
 * @example
 * const context = await crisisContextOf(deps, residentId, new Date());
 */
export async function crisisContextOf(
  deps: { prisma: PrismaClient },
  residentId: string,
  now: Date,
): Promise<TCrisisContext | undefined> {
  const open = await findOpenCase(deps, residentId);
  if (open) return { reason: 'open-case', level: open.level };
  const screening = await currentClient(deps.prisma).screening.findFirst({
    where: {
      residentId,
      level: { in: ['high', 'imminent'] },
      completedAt: { gte: new Date(now.getTime() - SCREENING_CONTEXT_MS) },
    },
    orderBy: { completedAt: 'desc' },
    select: { level: true },
  });
  return screening?.level ? { reason: 'screening', level: screening.level } : undefined;
}
