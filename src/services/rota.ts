import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';
import { findWorkerByRef } from './workers.ts';

export type TShiftListing = {
  id: number;
  workerId: number;
  workerName: string;
  startsAt: string;
  endsAt: string;
  isNow: boolean;
};

export type TAddShiftOutcome =
  /** `overlaps`: the worker's other shifts that share some of its time (it is added all the same). */
  | { type: 'added'; shift: TShiftListing; overlaps: TShiftListing[] }
  /** It would end at or before `now`: on call for no time at all. */
  | { type: 'already-over' }
  | { type: 'unknown-worker' }
  | { type: 'ambiguous-worker'; ids: number[] }
  | { type: 'inactive-worker'; workerId: number };

/**
 * Puts a worker on the rota from `startsAt` until `endsAt`: while it runs, level-1 pages reach them whether
 * or not they said `/oncall on`. The caller checks that the times are valid and in order; a shift already
 * over is refused here, against `now`. An overlap with the worker's other shifts is allowed (a handover, a
 * double cover) but returned, so the admin sees a likely typo.
 *
 * @example
 * await addShift(prisma, { worker: 'Ann Lee', startsAt, endsAt, now: new Date() });
 */
export async function addShift(
  prisma: PrismaClient,
  input: { worker: string; startsAt: Date; endsAt: Date; now: Date; actor?: string },
): Promise<TAddShiftOutcome> {
  const found = await findWorkerByRef(prisma, input.worker);
  if (found.type === 'unknown') return { type: 'unknown-worker' };
  if (found.type === 'ambiguous') return { type: 'ambiguous-worker', ids: found.ids };
  if (!found.worker.isActive) return { type: 'inactive-worker', workerId: found.worker.id };
  if (input.endsAt <= input.now) return { type: 'already-over' };
  const worker = { name: found.worker.name };
  const overlapping = await prisma.rotaShift.findMany({
    where: { workerId: found.worker.id, startsAt: { lt: input.endsAt }, endsAt: { gt: input.startsAt } },
    orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
  });
  const row = await prisma.rotaShift.create({
    data: { workerId: found.worker.id, startsAt: input.startsAt, endsAt: input.endsAt },
  });
  await recordAuditAction(
    { prisma },
    {
      type: 'rota.added',
      actor: input.actor ?? 'admin',
      now: input.now,
      detail: { shiftId: row.id, workerId: row.workerId },
    },
  );
  return {
    type: 'added',
    shift: toListing({ ...row, worker }, input.now),
    overlaps: overlapping.map((other) => toListing({ ...other, worker }, input.now)),
  };
}

/** The shifts not yet over (or every shift with `includePast`), earliest first. */
export async function listShifts(
  prisma: PrismaClient,
  input: { now: Date; includePast: boolean },
): Promise<TShiftListing[]> {
  const rows = await prisma.rotaShift.findMany({
    where: input.includePast ? {} : { endsAt: { gt: input.now } },
    orderBy: [{ startsAt: 'asc' }, { id: 'asc' }],
    include: { worker: { select: { name: true } } },
  });
  return rows.map((row) => toListing(row, input.now));
}

/** Removes a shift; false when there is no such shift. */
export async function removeShift(
  prisma: PrismaClient,
  shiftId: number,
  now = new Date(),
  actor = 'admin',
): Promise<boolean> {
  const { count } = await prisma.rotaShift.deleteMany({ where: { id: shiftId } });
  if (count > 0)
    await recordAuditAction({ prisma }, { type: 'rota.removed', actor, now, detail: { shiftId } });
  return count > 0;
}

function toListing(
  row: { id: number; workerId: number; startsAt: Date; endsAt: Date; worker: { name: string } },
  now: Date,
): TShiftListing {
  return {
    id: row.id,
    workerId: row.workerId,
    workerName: row.worker.name,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    isNow: row.startsAt <= now && now < row.endsAt,
  };
}
