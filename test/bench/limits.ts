/**
 * Telegram's limits emulated (about 30 messages/s across the bot, about one per second into a chat after a
 * burst) with many residents screening and workers on call. At random moments some residents write crisis
 * language instead of an answer, and a few answer so that a case opens. What matters here is what a
 * throttled bot sends first, and that nothing is lost or sent twice.
 *
 * Pages are matched to the events that caused them by order: the events sorted by the time their update was
 * POSTed, against the paged case ids in ascending order (ids are handed out as cases open). Events are
 * seconds apart, so the order holds; a case that never gets a page leaves its event unmatched (lost).
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { countWorkersOnCall, inviteWorker } from './admin-cli.ts';
import type { TSession } from './bots.ts';
import { residentEnv, type TUserAllocator } from './crowd.ts';
import type { TCallRecord } from './fake-telegram.ts';
import type { TTelegramUser } from './telegram-updates.ts';
import { sleep } from './update-delivery.ts';
import { isQuestion, runResident, type TResidentPlan, type TResidentResult } from './virtual-residents.ts';
import { enlistWorker, type TPage, watchPages } from './virtual-workers.ts';

export type TLimitsOptions = {
  botDir: string;
  residents: number;
  crisisResidents: number;
  highResidents: number;
  workers: number;
  /** How long residents keep sending. */
  windowMs: number;
  /** After the window, how long replies and pages may still come before what is missing counts as lost. */
  drainMs: number;
  /** Residents arrive spread over this long from the start. */
  arrivalSpreadMs: number;
  typedShare: number;
  users: TUserAllocator;
  random: () => number;
};

export type TLimitsFigures = {
  residents: number;
  workers: number;
  /** Crisis message POSTed to the emergency numbers accepted, ms. */
  crisisToNumbersMs: number[];
  /** Crisis message POSTed to its first page accepted (to any on-call worker), ms. */
  crisisToPagesMs: number[];
  /** Case-opening answer POSTed to its first page accepted, ms. */
  caseToPagesMs: number[];
  crisisSent: number;
  caseOpeningSent: number;
  /** Residents still waiting for a reply when the drain ended, crisis residents without the numbers. */
  residentsLost: number;
  /** Workers on call at the end, as the admin command line reports (asked only when pages are missing). */
  workersOnCall: number | undefined;
  /** Events whose case was never paged to anyone. */
  pagesLost: number;
  /** Pages for cases no event of ours explains. */
  unexpectedPages: number;
  /** Extra copies of a question or page sent to the same chat. */
  sentTwice: number;
  rateLimited: number;
  /** Webhook answers other than 2xx: the update failed, and Telegram delivers it again. */
  webhookFailures: number;
  lostExample: string | undefined;
};

/**
 * @example
 * const figures = await runLimitsScenario(session, { residents: 200, crisisResidents: 10, … });
 */
export async function runLimitsScenario(session: TSession, options: TLimitsOptions): Promise<TLimitsFigures> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let isSending = true;
  const env = residentEnv(session, {
    gate: async () => isSending,
    signal: controller.signal,
    stepTimeoutMs: options.windowMs + options.drainMs,
    random: options.random,
  });

  const workers: TTelegramUser[] = Array.from({ length: options.workers }, (_, i) => ({
    id: 900_000_001 + i,
    languageCode: 'en',
    firstName: `Bench Worker ${i + 1}`,
  }));
  const databaseUrl = session.database?.url ?? '';
  const pages: TPage[][] = [];
  for (const worker of workers) {
    const code = await inviteWorker(options.botDir, databaseUrl, worker.firstName);
    await enlistWorker(worker, code, { ...env, stepTimeoutMs: 30_000 });
    pages.push(watchPages(worker, env, { claims: pages.length === 0 }));
  }

  const startedAt = performance.now();
  const roles = assignRoles(options);
  const runs = roles.map(async (role) => {
    const plan: TResidentPlan = {
      user: options.users.next(),
      behaviour: 'screening',
      answering: role.isHigh ? 'high' : 'low',
      typedShare: options.typedShare,
      ...(role.crisisAfterMs !== undefined ? { crisisAt: startedAt + role.crisisAfterMs } : {}),
    };
    await sleep(role.arriveAfterMs);
    return runResident(plan, env);
  });
  const settled = Promise.all(runs);
  let settledResults: TResidentResult[] | undefined;
  void settled.then((results) => {
    settledResults = results;
  });
  await Promise.race([settled, sleep(options.windowMs)]);
  isSending = false;
  // What is owed (replies, the numbers, pages) may come until the drain ends; stop sooner once nothing is.
  const drainEndsAt = performance.now() + options.drainMs;
  while (performance.now() < drainEndsAt) {
    if (settledResults && eventFigures(settledResults, pages).pagesLost === 0) break;
    await sleep(100);
  }
  controller.abort();
  const results = await settled;
  const events = eventFigures(results, pages);
  // Pages that never came: were the workers on call at all (a /join the bot refused, say)?
  const workersOnCall =
    events.pagesLost > 0
      ? await countWorkersOnCall(options.botDir, databaseUrl).catch(() => undefined)
      : workers.length;

  return {
    residents: options.residents,
    workers: workers.length,
    ...events,
    workersOnCall,
    residentsLost: results.filter(
      (r) =>
        r.outcome === 'cut-off' ||
        r.outcome === 'timed-out' ||
        (r.crisis && r.crisis.numbersAt === undefined),
    ).length,
    sentTwice: countSentTwice(session.fake.calls, new Set(workers.map((w) => w.id))),
    rateLimited: session.fake.rateLimitedCount(),
    webhookFailures: session.delivery.records
      .flatMap((record) => record.attempts)
      .filter((attempt) => attempt.status < 200 || attempt.status >= 300).length,
    lostExample: results.find((r) => r.outcome === 'cut-off' || r.outcome === 'timed-out')?.waitingFor,
  };
}

type TRole = { arriveAfterMs: number; isHigh: boolean; crisisAfterMs?: number };

/** Who arrives when, who writes crisis language (and when), who opens a case. */
function assignRoles(options: TLimitsOptions): TRole[] {
  const order = shuffle(
    Array.from({ length: options.residents }, (_, i) => i),
    options.random,
  );
  const crisis = new Set(order.slice(0, options.crisisResidents));
  const high = new Set(order.slice(options.crisisResidents, options.crisisResidents + options.highResidents));
  const earliestCrisisMs = Math.min(3000, options.windowMs * 0.2);
  const latestCrisisMs = Math.max(earliestCrisisMs, options.windowMs * 0.6);
  return Array.from({ length: options.residents }, (_, i) => {
    // Residents who will open a case come early: under the limits, reaching the suicide-risk items takes
    // a while, and the page must come within the window.
    const arriveAfterMs = high.has(i)
      ? options.random() * Math.min(3000, options.arrivalSpreadMs)
      : options.random() * options.arrivalSpreadMs;
    return {
      arriveAfterMs,
      isHigh: high.has(i),
      ...(crisis.has(i)
        ? { crisisAfterMs: earliestCrisisMs + options.random() * (latestCrisisMs - earliestCrisisMs) }
        : {}),
    };
  });
}

function eventFigures(results: TResidentResult[], pagesByWorker: TPage[][]) {
  type TEvent = { kind: 'crisis' | 'case'; postedAt: number };
  const events: TEvent[] = [];
  const crisisToNumbersMs: number[] = [];
  for (const result of results) {
    const crisis = result.crisis;
    if (crisis?.postedAt !== undefined) {
      events.push({ kind: 'crisis', postedAt: crisis.postedAt });
      if (crisis.numbersAt !== undefined) crisisToNumbersMs.push(crisis.numbersAt - crisis.postedAt);
    }
    if (result.caseOpening?.postedAt !== undefined)
      events.push({ kind: 'case', postedAt: result.caseOpening.postedAt });
  }
  events.sort((a, b) => a.postedAt - b.postedAt);

  // A case's first page to any on-call worker: from then someone can claim it (and once one has, the bot
  // may rightly drop the others' pages that are still queued).
  const firstPage = new Map<number, number>();
  for (const page of pagesByWorker.flat()) {
    firstPage.set(page.caseId, Math.min(page.at, firstPage.get(page.caseId) ?? Number.POSITIVE_INFINITY));
  }
  const caseIds = [...firstPage.keys()].sort((a, b) => a - b);
  const crisisToPagesMs: number[] = [];
  const caseToPagesMs: number[] = [];
  let pagesLost = 0;
  events.forEach((event, index) => {
    const caseId = caseIds[index];
    const pagedAt = caseId === undefined ? undefined : firstPage.get(caseId);
    if (pagedAt === undefined) {
      pagesLost++;
      return;
    }
    (event.kind === 'crisis' ? crisisToPagesMs : caseToPagesMs).push(pagedAt - event.postedAt);
  });
  return {
    crisisToNumbersMs,
    crisisToPagesMs,
    caseToPagesMs,
    crisisSent: events.filter((e) => e.kind === 'crisis').length,
    caseOpeningSent: events.filter((e) => e.kind === 'case').length,
    pagesLost,
    unexpectedPages: Math.max(0, caseIds.length - events.length),
  };
}

/**
 * Questions (each carries its own progress counter, so it is unique in its chat) and pages (each names its
 * case) that reached the same chat more than once.
 */
export function countSentTwice(calls: readonly TCallRecord[], workerIds: ReadonlySet<number>): number {
  const seen = new Set<string>();
  let twice = 0;
  for (const call of calls) {
    if (call.method !== 'sendMessage' || !call.isOk || call.chatId === undefined || call.text === undefined)
      continue;
    const buttons = call.buttons ?? [];
    const isPage = workerIds.has(call.chatId) && buttons.some((b) => b.data.startsWith('claim:'));
    const message = { method: 'sendMessage' as const, chatId: call.chatId, messageId: 0, date: 0, at: 0 };
    if (!isPage && !isQuestion({ ...message, text: call.text, buttons })) continue;
    const key = `${call.chatId}\u0000${call.text}`;
    if (seen.has(key)) twice++;
    else seen.add(key);
  }
  return twice;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
