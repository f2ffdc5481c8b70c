import { CASE_LEVELS } from './policy.ts';

/** What queue order looks at; a Prisma `Case` row fits as it is. */
export type TQueueEntry = { id?: number; level: string; score: number; createdAt: Date };

/**
 * The one place that decides the order of waiting cases (`/queue`, the dashboard): imminent before high
 * before moderate before low; then the higher score; then whoever has waited longer (older `createdAt`);
 * then the lower id, so equal cases keep a stable order. A level this code does not know sorts last.
 *
 * @example
 * waiting.sort(compareForQueue); // the case to take next first
 */
export function compareForQueue(a: TQueueEntry, b: TQueueEntry): number {
  return (
    levelRank(b.level) - levelRank(a.level) ||
    b.score - a.score ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id ?? 0) - (b.id ?? 0)
  );
}

function levelRank(level: string): number {
  return (CASE_LEVELS as readonly string[]).indexOf(level);
}
