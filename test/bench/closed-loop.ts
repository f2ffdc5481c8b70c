/**
 * One closed-loop round: N residents start at once and each runs the whole screening (or its echo
 * messages), sending its next update as soon as the reply it needs has arrived. The round ends when all are
 * done or its time box runs out; then in-flight webhook deliveries get a while to finish.
 *
 * Throughput is read over the steady part: between the moments the 10th and the 90th percentile of all
 * updates were done, which leaves out the start (everyone at /start) and the tail (the last stragglers).
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { TSession } from './bots.ts';
import { residentEnv, type TUserAllocator } from './crowd.ts';
import { median, percentile, ratio } from './stats.ts';
import { runResident, type TResidentResult } from './virtual-residents.ts';

export type TClosedLoopOptions = {
  residents: number;
  behaviour: 'screening' | 'echo';
  timeBoxMs: number;
  /** After the round, how long in-flight webhook deliveries may take to settle. */
  drainMs: number;
  stepTimeoutMs: number;
  typedShare: number;
  users: TUserAllocator;
  random: () => number;
  /** Messages per echo resident: about a screening's worth of updates. */
  echoMessages?: number;
};

export type TRoundFigures = {
  residents: number;
  durationMs: number;
  /** The time box ran out before every resident was done. */
  isCutOff: boolean;
  /** Every webhook delivery settled within the drain time. */
  isDrained: boolean;
  updatesDone: number;
  /** Updates per second over the steady part. */
  throughput: number | undefined;
  /** Webhook: POST to answer, ms, each 2xx answer. */
  webhookMs: number[];
  /** Webhook answers that were not 2xx (or none came). */
  webhookFailures: number;
  cpuMsPerUpdate: number | undefined;
  /** PostgreSQL: CPU its backends spent for this bot's database, per update. */
  databaseCpuMsPerUpdate: number | undefined;
  statementsPerUpdate: number | undefined;
  /** Updates the bot says it handled (`/metrics`), when it says. */
  botUpdates: number | undefined;
  firstThreeP50: number | undefined;
  lastThreeP50: number | undefined;
  /** Median time per question, all questions of all residents. */
  questionP50: number | undefined;
  /** Median time for question k (index k-1). */
  perQuestionP50: number[];
  finished: number;
  timedOut: number;
  /** What the first resident that timed out waited for. */
  timeoutExample: string | undefined;
};

/**
 * @example
 * const figures = await runClosedLoopRound(session, { residents: 50, behaviour: 'screening', … });
 */
export async function runClosedLoopRound(
  session: TSession,
  options: TClosedLoopOptions,
): Promise<TRoundFigures> {
  const { bot, delivery } = session;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const recordsBefore = delivery.records.length;
  const cpuBefore = bot.cpuMs();
  const databaseCpuBefore = await session.databaseCpu?.sample();
  const metricsBefore = await bot.metrics();
  const startedAt = performance.now();
  const timer = setTimeout(() => controller.abort(), options.timeBoxMs);
  const env = residentEnv(session, {
    gate: async () => !controller.signal.aborted,
    signal: controller.signal,
    stepTimeoutMs: options.stepTimeoutMs,
    random: options.random,
  });
  const results = await Promise.all(
    Array.from({ length: options.residents }, () =>
      runResident(
        {
          user: options.users.next(),
          behaviour: options.behaviour,
          answering: 'low',
          typedShare: options.typedShare,
          echoMessages: options.echoMessages,
        },
        env,
      ),
    ),
  );
  clearTimeout(timer);
  const isCutOff = controller.signal.aborted;
  controller.abort();
  const durationMs = performance.now() - startedAt;
  const isDrained = await delivery.drain(options.drainMs);
  const cpuAfter = bot.cpuMs();
  const databaseCpuAfter = await session.databaseCpu?.sample();
  const metricsAfter = await bot.metrics();

  const doneAt = results
    .flatMap((r) => r.steps.map((s) => s.doneAt))
    .filter((t): t is number => t !== undefined);
  const records = delivery.records.slice(recordsBefore);
  const attempts = records.flatMap((record) => record.attempts);
  const botUpdates = metricsBefore && metricsAfter ? metricsAfter.updates - metricsBefore.updates : undefined;
  const handled = botUpdates ?? doneAt.length;
  const timedOut = results.filter((r) => r.outcome === 'timed-out');
  return {
    residents: options.residents,
    durationMs,
    isCutOff,
    isDrained,
    updatesDone: doneAt.length,
    throughput: steadyThroughput(doneAt),
    webhookMs: attempts
      .filter((a) => a.status >= 200 && a.status < 300)
      .map((a) => a.respondedAt - a.postedAt),
    webhookFailures: attempts.filter((a) => a.status < 200 || a.status >= 300).length,
    cpuMsPerUpdate:
      cpuBefore !== undefined && cpuAfter !== undefined ? ratio(cpuAfter - cpuBefore, handled) : undefined,
    databaseCpuMsPerUpdate:
      session.databaseCpu && databaseCpuBefore && databaseCpuAfter
        ? ratio(session.databaseCpu.spentSince(databaseCpuBefore, databaseCpuAfter), handled)
        : undefined,
    statementsPerUpdate:
      metricsBefore && metricsAfter
        ? ratio(
            metricsAfter.statements - metricsBefore.statements,
            metricsAfter.updates - metricsBefore.updates,
          )
        : undefined,
    botUpdates,
    ...questionFigures(results),
    finished: results.filter((r) => r.outcome === 'finished').length,
    timedOut: timedOut.length,
    timeoutExample: timedOut[0]?.waitingFor,
  };
}

/** Updates per second between the 10th and 90th percentile of completion times. */
export function steadyThroughput(doneAt: number[]): number | undefined {
  if (doneAt.length < 10) return undefined;
  const from = percentile(doneAt, 10) as number;
  const to = percentile(doneAt, 90) as number;
  if (to <= from) return undefined;
  const inside = doneAt.filter((t) => t >= from && t <= to).length;
  return inside / ((to - from) / 1000);
}

/**
 * Time per question: the first three questions of every resident that reached them, against the last three
 * of every resident that finished (a cut-off resident's last questions are not the script's last).
 */
function questionFigures(results: TResidentResult[]) {
  const first = results.flatMap((r) => r.questionTimes.slice(0, 3));
  const last = results.filter((r) => r.outcome === 'finished').flatMap((r) => r.questionTimes.slice(-3));
  const longest = Math.max(0, ...results.map((r) => r.questionTimes.length));
  const perQuestionP50 = Array.from({ length: longest }, (_, index) => {
    const times = results.map((r) => r.questionTimes[index]).filter((t): t is number => t !== undefined);
    return median(times) ?? Number.NaN;
  });
  return {
    firstThreeP50: median(first),
    questionP50: median(results.flatMap((r) => r.questionTimes)),
    lastThreeP50: last.length >= 3 ? median(last) : undefined,
    perQuestionP50,
  };
}
