import { compareForQueue } from '../domain/escalation/index.ts';
import type { PrismaClient, Worker } from '../generated/prisma/client.ts';

export type TDashboardCase = {
  id: number;
  level: string;
  status: string;
  source: string;
  createdAt: Date;
  isMine: boolean;
};

export type TQueueFilter = { level?: string; status?: 'waiting' | 'claimed' };

/**
 * The cases a worker's dashboard lists: waiting ones (to claim) and their own claimed ones — every claimed one
 * for a supervisor — waiting first, each group most urgent first (the one queue order). No personal content.
 */
export async function dashboardCases(
  deps: { prisma: PrismaClient },
  input: { worker: Pick<Worker, 'id' | 'role'>; filter: TQueueFilter },
): Promise<TDashboardCase[]> {
  const rows = await deps.prisma.case.findMany({
    where: {
      status: input.filter.status ?? { in: ['waiting', 'claimed'] },
      ...(input.filter.level ? { level: input.filter.level } : {}),
      ...(input.worker.role === 'supervisor'
        ? {}
        : { OR: [{ status: 'waiting' }, { claimedById: input.worker.id }] }),
    },
    select: {
      id: true,
      level: true,
      status: true,
      source: true,
      createdAt: true,
      score: true,
      claimedById: true,
    },
  });
  const byStatus = (status: string) => rows.filter((row) => row.status === status).sort(compareForQueue);
  return [...byStatus('waiting'), ...byStatus('claimed')].map((row) => ({
    id: row.id,
    level: row.level,
    status: row.status,
    source: row.source,
    createdAt: row.createdAt,
    isMine: row.claimedById === input.worker.id,
  }));
}

/** What changes the list: a fingerprint the live updates compare each second. */
export function queueSignature(cases: readonly TDashboardCase[]): string {
  return cases.map((item) => `${item.id}:${item.status}:${item.level}`).join(',');
}
