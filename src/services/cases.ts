import { currentClient, type TDbClient, unitCache } from '../db/unit-of-work.ts';
import type { TOpenCase } from '../db/update-snapshot.ts';
import { compareLevels, type TRiskLevel } from '../domain/risk/level.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import { recordCaseEvent } from './audit.ts';
import { sealCaseSignals } from './case-signals.ts';
import type { TDataProtector } from './data-protection.ts';
import { scheduleEscalation } from './escalation.ts';
import { refreshPages } from './page-refresh.ts';

export const OPEN_CASE_STATUSES = ['waiting', 'claimed'] as const;

export type TCaseSource = 'screening' | 'crisis-message' | 'callback-request' | 'worker-offer';

export type TOpenCaseInput = {
  residentId: string;
  level: Exclude<TRiskLevel, 'none'>;
  source: TCaseSource;
  /** Orders cases within a level: the indicator total that mattered most. */
  score?: number;
  screening?: {
    id: string;
    scriptId: string;
    scriptVersion: number;
    scores: Prisma.InputJsonValue;
    explanation: Prisma.InputJsonValue;
  };
  /** Crisis or grievance signals: their reasons quote the resident, so they are sealed. */
  signals?: unknown;
  /** When it happened (escalation is due from then); default: now. */
  now?: Date;
};

export type { TOpenCase } from '../db/update-snapshot.ts';

const OPEN_CASES = Symbol('open-cases');

/**
 * The resident's open case (waiting or claimed), with who holds it; null when none. A resident has at most
 * one: `openOrRaiseCase` raises the open one rather than opening another. Within an update, as read with
 * its snapshot (a claim by a worker meanwhile is seen by what locks the case row and reads it again).
 */
export async function findOpenCase(
  deps: { prisma: PrismaClient },
  residentId: string,
): Promise<TOpenCase | null> {
  const cache = unitCache<TOpenCase | null>(OPEN_CASES);
  const cached = cache?.get(residentId);
  if (cached !== undefined) return cached;
  const open = await currentClient(deps.prisma).case.findFirst({
    where: { residentId, status: { in: [...OPEN_CASE_STATUSES] } },
    orderBy: { createdAt: 'desc' },
    select: {
      id: true,
      level: true,
      score: true,
      status: true,
      screeningId: true,
      signalsSealed: true,
      claimedById: true,
      createdAt: true,
      claimedBy: true,
    },
  });
  cache?.set(residentId, open);
  return open;
}

/** The resident's open case as the update's snapshot read it. */
export function primeOpenCase(residentId: string, open: TOpenCase | null): void {
  unitCache<TOpenCase | null>(OPEN_CASES)?.set(residentId, open);
}

/** Cases changed in this unit of work: what it read of them is read again. */
export function forgetOpenCases(): void {
  unitCache<TOpenCase | null>(OPEN_CASES)?.clear();
}

/** Whether a case of the resident's is still open: a worker has them, or will. */
export async function hasOpenCase(deps: { prisma: PrismaClient }, residentId: string): Promise<boolean> {
  return (await findOpenCase(deps, residentId)) !== null;
}

/**
 * `isNobodyToPage`: the case waits and its ladder reached nobody (no active staff): the resident must be
 * told so, never that a worker was alerted.
 */
export type TOpenCaseOutcome = {
  caseId: number;
  change: 'created' | 'raised' | 'unchanged';
  isNobodyToPage: boolean;
};

/**
 * Opens a case for a resident, or raises their open case when the new level is higher: one person has at
 * most one open case, so a crisis message mid-case makes that case imminent instead of starting another.
 * Every change lands on the case's timeline. Runs inside the current update's transaction.
 *
 * @example
 * await openOrRaiseCase({ prisma, protector }, { residentId, level: 'imminent', source: 'crisis-message', signals });
 */
export async function openOrRaiseCase(
  deps: { prisma: PrismaClient; protector: TDataProtector },
  input: TOpenCaseInput,
): Promise<TOpenCaseOutcome> {
  const db = currentClient(deps.prisma);
  const now = input.now ?? new Date();
  const read = await findOpenCase(deps, input.residentId);
  // As it stands now, locked: a worker may have resolved it since the update read it, and a closed case is
  // never raised (the crisis would page nobody) — a new one is opened instead.
  const open = read ? await lockIfStillOpen(db, read) : null;
  const signalsSealed = sealCaseSignals(deps.protector, open?.signalsSealed ?? null, input.signals);
  forgetOpenCases();

  if (!open) {
    const created = await db.case.create({
      data: {
        residentId: input.residentId,
        // Waiting time and paging both count from when it happened, not from when the row was written.
        createdAt: input.now,
        level: input.level,
        score: input.score ?? 0,
        source: input.source,
        screeningId: input.screening?.id,
        scriptId: input.screening?.scriptId,
        scriptVersion: input.screening?.scriptVersion,
        scores: input.screening?.scores,
        explanation: input.screening?.explanation,
        signalsSealed,
      },
    });
    await recordCaseEvent(deps, {
      caseId: created.id,
      type: 'created',
      actor: 'system',
      now,
      detail: { level: input.level, source: input.source },
    });
    const { isNobody } = await scheduleEscalation(deps, { caseId: created.id, now, isResidentWriting: true });
    return { caseId: created.id, change: 'created', isNobodyToPage: isNobody };
  }

  const isHigher = compareLevels(input.level, open.level as TRiskLevel) > 0;
  const screening = input.screening;
  const fillsScreening = screening !== undefined && (!open.screeningId || open.screeningId === screening.id);
  await db.case.update({
    where: { id: open.id },
    data: {
      ...(isHigher ? { level: input.level, score: Math.max(open.score, input.score ?? 0) } : {}),
      ...(signalsSealed ? { signalsSealed } : {}),
      // The screening that opened the case may fill it in as it goes on; another one does not overwrite it.
      ...(fillsScreening
        ? {
            screeningId: screening.id,
            scriptId: screening.scriptId,
            scriptVersion: screening.scriptVersion,
            scores: screening.scores,
            explanation: screening.explanation,
            score: Math.max(open.score, input.score ?? 0),
          }
        : {}),
    },
  });
  await recordCaseEvent(deps, {
    caseId: open.id,
    type: isHigher ? 'raised' : 'signal',
    actor: 'system',
    now,
    detail: { from: open.level, to: isHigher ? input.level : open.level, source: input.source },
  });
  // What workers already hold shows the case as it is now; a higher level also pages from the start of
  // its own, faster ladder (imminent: levels 1 and 2 at once), since an edit makes no sound.
  if (open.status === 'waiting' && (isHigher || fillsScreening || signalsSealed)) {
    await refreshPages(deps, { caseId: open.id, now });
  }
  const isNobodyToPage =
    isHigher && open.status === 'waiting'
      ? (await scheduleEscalation(deps, { caseId: open.id, now, isResidentWriting: true })).isNobody
      : open.status === 'waiting' && open.nobodyPagedAt !== null;
  return { caseId: open.id, change: isHigher ? 'raised' : 'unchanged', isNobodyToPage };
}

/** The case locked, with what may have changed since it was read; null when it is no longer open. */
async function lockIfStillOpen(
  db: TDbClient,
  read: TOpenCase,
): Promise<(TOpenCase & { nobodyPagedAt: Date | null }) | null> {
  const [row] = await db.$queryRaw<
    Array<
      Pick<TOpenCase, 'level' | 'score' | 'status' | 'screeningId' | 'signalsSealed'> & {
        nobodyPagedAt: Date | null;
      }
    >
  >`
    SELECT level, score, status, "screeningId", "signalsSealed", "nobodyPagedAt" FROM "Case"
    WHERE id = ${read.id} AND status IN ('waiting', 'claimed')
    FOR UPDATE`;
  return row ? { ...read, ...row } : null;
}

/** The cases as the admin command line lists them: no personal content, ever. */
export async function listCasesForAdmin(prisma: PrismaClient) {
  const rows = await prisma.case.findMany({
    orderBy: { id: 'asc' },
    select: {
      id: true,
      level: true,
      status: true,
      source: true,
      createdAt: true,
      scriptId: true,
      scriptVersion: true,
    },
  });
  return rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
}
