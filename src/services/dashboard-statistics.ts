import { currentClient } from '../db/unit-of-work.ts';
import { CASE_LEVELS } from '../domain/escalation/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { pageEventDetail } from './escalation.ts';

/** How many days the statistics look back. */
export const STATISTICS_DAYS = 30;

/** Upper bounds of the waiting-time buckets, in minutes (the last bucket is open). */
export const DURATION_BUCKETS_MIN = [5, 15, 60, 240, 1440] as const;

export type TCaseStatistics = {
  days: string[];
  /** Cases opened per day, per level. */
  openedByLevel: Record<string, number[]>;
  /** How many cases took each bucket's time to be claimed / resolved (the last bucket: longer). */
  timeToClaim: number[];
  timeToResolve: number[];
  /** Pages sent per escalation step (1 = the first rung). */
  pagesByStep: Array<{ step: number; pages: number }>;
  outcomes: Array<{ outcome: string; cases: number }>;
};

const LEVELS = CASE_LEVELS;

/** Which bucket a duration falls in. */
export function bucketOf(ms: number): number {
  const minutes = ms / 60_000;
  const index = DURATION_BUCKETS_MIN.findIndex((bound) => minutes < bound);
  return index === -1 ? DURATION_BUCKETS_MIN.length : index;
}

/**
 * The service's work over the last {@link STATISTICS_DAYS} days, for supervisors: cases by day and level,
 * how long cases waited to be claimed and to be resolved, pages per escalation step, outcomes. Workers'
 * work, not residents: no content.
 */
export async function readCaseStatistics(
  deps: { prisma: PrismaClient },
  input: { now: Date },
): Promise<TCaseStatistics> {
  const db = currentClient(deps.prisma);
  const today = Date.UTC(input.now.getUTCFullYear(), input.now.getUTCMonth(), input.now.getUTCDate());
  const first = new Date(today - (STATISTICS_DAYS - 1) * 86_400_000);
  const days = Array.from({ length: STATISTICS_DAYS }, (_, index) =>
    new Date(first.getTime() + index * 86_400_000).toISOString().slice(0, 10),
  );
  const [cases, paged] = await Promise.all([
    db.case.findMany({
      where: { createdAt: { gte: first } },
      select: { level: true, status: true, outcome: true, createdAt: true, claimedAt: true, closedAt: true },
    }),
    db.caseEvent.findMany({ where: { type: 'paged', createdAt: { gte: first } }, select: { detail: true } }),
  ]);

  const position = new Map(days.map((day, index) => [day, index]));
  const openedByLevel = Object.fromEntries(LEVELS.map((level) => [level, days.map(() => 0)]));
  const timeToClaim = [...DURATION_BUCKETS_MIN, 0].map(() => 0);
  const timeToResolve = [...DURATION_BUCKETS_MIN, 0].map(() => 0);
  const outcomes = new Map<string, number>();
  for (const row of cases) {
    const index = position.get(row.createdAt.toISOString().slice(0, 10));
    const byLevel = openedByLevel[row.level];
    if (index !== undefined && byLevel) byLevel[index] = (byLevel[index] ?? 0) + 1;
    if (row.claimedAt) {
      const bucket = bucketOf(row.claimedAt.getTime() - row.createdAt.getTime());
      timeToClaim[bucket] = (timeToClaim[bucket] ?? 0) + 1;
    }
    if (row.status === 'resolved' && row.closedAt) {
      const bucket = bucketOf(row.closedAt.getTime() - row.createdAt.getTime());
      timeToResolve[bucket] = (timeToResolve[bucket] ?? 0) + 1;
      if (row.outcome) outcomes.set(row.outcome, (outcomes.get(row.outcome) ?? 0) + 1);
    }
  }
  const pages = new Map<number, number>();
  for (const event of paged) {
    const detail = pageEventDetail(event.detail);
    if (detail) pages.set(detail.step, (pages.get(detail.step) ?? 0) + detail.workerIds.length);
  }
  return {
    days,
    openedByLevel,
    timeToClaim,
    timeToResolve,
    pagesByStep: [...pages.entries()]
      .sort(([a], [b]) => a - b)
      .map(([step, count]) => ({ step, pages: count })),
    outcomes: [...outcomes.entries()]
      .sort(([, a], [, b]) => b - a)
      .map(([outcome, count]) => ({ outcome, cases: count })),
  };
}
