/**
 * Scenarios 1 and 2 for every bot, one process after another: the closed-loop rounds (then, in the same
 * process, the open-loop run) in webhook mode, and the same closed-loop rounds in long-polling mode. The bot's
 * idle memory is read as soon as it is ready, before any traffic.
 */
import {
  describeFailure,
  hasTimeLeft,
  logSession,
  sessionOptions,
  type TBenchContext,
} from './bench-context.ts';
import { botLabel, openSession, type TBotSpec, type TSession } from './bots.ts';
import { runClosedLoopRound, type TClosedLoopOptions, type TRoundFigures } from './closed-loop.ts';
import { FIGURE } from './figures.ts';
import { runOpenLoop } from './open-loop.ts';
import { columnOf, type TColumn } from './results.ts';
import { formatNumber, medianOf, percentile, ratio } from './stats.ts';

const ALL_BOTS: TBotSpec[] = [
  { kind: 'bridgeline', database: 'pglite', mode: 'webhook' },
  { kind: 'bridgeline', database: 'postgres', mode: 'webhook' },
  { kind: 'typical', database: 'pglite', mode: 'webhook' },
  { kind: 'typical', database: 'postgres', mode: 'webhook' },
  { kind: 'echo', mode: 'webhook' },
];
// To compare two trees on a few bots quickly: BENCH_BOTS='bridgeline-pglite,typical-pglite' (kind-database).
const BOTS = process.env.BENCH_BOTS
  ? ALL_BOTS.filter((spec) =>
      process.env.BENCH_BOTS?.split(',').includes(`${spec.kind}-${spec.database ?? 'none'}`),
    )
  : ALL_BOTS;

const PROC_UNREADABLE = 'could not read /proc/<pid>';
/** What a bot's start takes on a busy machine, besides its round. */
const START_ALLOWANCE_MS = 3000;

/** About as many updates as a low screening takes (start, consent, 14 answers). */
const ECHO_MESSAGES = 16;

const CLOSED_LOOP_FIGURES = [
  FIGURE.throughput,
  FIGURE.webhookP50,
  FIGURE.webhookP95,
  FIGURE.webhookP99,
  FIGURE.cpu,
  FIGURE.databaseCpu,
  FIGURE.peakRss,
  FIGURE.statements,
  FIGURE.firstThree,
  FIGURE.lastThree,
  FIGURE.flatness,
  FIGURE.errors,
];
const OPEN_LOOP_FIGURES = [FIGURE.openP50, FIGURE.openP99, FIGURE.openDeliveryP99];

/**
 * @example
 * await runWebhookSeries(context);
 */
export async function runWebhookSeries(context: TBenchContext): Promise<void> {
  const { plan, results } = context;
  const hasThroughput = plan.scenarios.has('throughput');
  const figures = [
    FIGURE.idleRss,
    ...(hasThroughput ? CLOSED_LOOP_FIGURES : []),
    ...(plan.openLoop ? OPEN_LOOP_FIGURES : []),
  ];
  for (const spec of BOTS) {
    const column = columnOf(spec);
    const label = botLabel(spec);
    if (spec.database === 'postgres' && context.postgresProblem) {
      results.missingAll(figures, column, context.postgresProblem);
      continue;
    }
    if (!hasTimeLeft(context, START_ALLOWANCE_MS + plan.throughput.timeBoxMs + plan.throughput.drainMs)) {
      results.missingAll(
        figures,
        column,
        "skipped: the quick run's minute was used up (the machine is busy?)",
      );
      continue;
    }
    let session: TSession | undefined;
    const notes: string[] = [];
    try {
      context.log(`${label}: starting`);
      session = await openSession(spec, sessionOptions(context));
      context.log(`${label}: ready in ${formatNumber(session.bot.readyMs / 1000)} s`);
      results.record(FIGURE.idleRss, column, session.bot.memory()?.rssMb, { missing: PROC_UNREADABLE });
      let isQuiet = true;
      if (hasThroughput) {
        const outcome = await measureRounds(context, session, column);
        isQuiet = outcome.isQuiet;
        notes.push(outcome.note);
      }
      if (plan.openLoop) {
        if (!isQuiet) {
          // Updates the closed loop left in flight would still be running: start afresh on the same data.
          context.log(`${label}: restarting before the open loop (updates still in flight)`);
          await session.close({ keepDatabase: true });
          logSession(context, session, notes.join('; '));
          notes.length = 0;
          const database = session.database;
          session = undefined;
          session = await openSession(spec, sessionOptions(context, database ? { database } : {})).catch(
            async (error: unknown) => {
              await database?.drop();
              throw error;
            },
          );
        }
        notes.push(await measureOpenLoop(context, session, column));
      }
      const stop = await session.close();
      notes.push(
        stop.wasKilled ? 'had to be killed after SIGTERM' : `stopped in ${formatNumber(stop.stopMs)} ms`,
      );
      logSession(context, session, notes.join('; '));
      session = undefined;
    } catch (error) {
      results.missingAll(figures, column, describeFailure(context, label, error));
      if (session)
        logSession(context, session, `failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
}

/**
 * Long polling for every bot but the echo bot (grammY's own `bot.start()` for the typical bot, Bridgeline as it ships): the same
 * warm-up and as many rounds as in webhook mode, in a process as young, and polling's median round ÷ the
 * webhook's. Median against median: one round against one swung with whichever round was the slow one (a
 * first webhook round read 160-250 updates/s over one day's runs on PostgreSQL, its later rounds 220-230).
 */
export async function runPollingSeries(context: TBenchContext): Promise<void> {
  const { plan, results } = context;
  if (!plan.throughput.hasPolling) return;
  // Not the echo bot: with grammY's `bot.start()` it handles one update at a time, as the typical bot does, so
  // it would show that again and not a floor (and the full run would pass its ten minutes).
  for (const webhookSpec of BOTS.filter((spec) => spec.kind !== 'echo')) {
    const spec: TBotSpec = { ...webhookSpec, mode: 'polling' };
    const column = columnOf(spec);
    const label = botLabel(spec);
    if (spec.database === 'postgres' && context.postgresProblem) {
      results.missingAll([FIGURE.pollingThroughput, FIGURE.pollingRatio], column, context.postgresProblem);
      continue;
    }
    let session: TSession | undefined;
    try {
      context.log(`${label}: starting`);
      session = await openSession(spec, sessionOptions(context));
      await warmUp(context, session);
      const rounds = await runRounds(context, session);
      const throughput = medianOf(rounds.map((r) => r.throughput));
      results.record(FIGURE.pollingThroughput, column, throughput, {
        missing: 'too few updates to measure',
        remark: cutOffRemark(context, rounds),
      });
      const webhook = results.value(FIGURE.throughput, column);
      results.record(FIGURE.pollingRatio, column, ratio(throughput, webhook), {
        missing: webhook === undefined ? 'no webhook throughput to compare with' : 'no polling throughput',
      });
      context.raw[label] = { rounds: rounds.map(rawRound) };
      const stop = await session.close();
      logSession(
        context,
        session,
        `${rounds.length} round(s): ${rounds.map(describeRound).join(' | ')}; ${stop.wasKilled ? 'had to be killed after SIGTERM' : `stopped in ${formatNumber(stop.stopMs)} ms`}`,
      );
      session = undefined;
    } catch (error) {
      results.missingAll(
        [FIGURE.pollingThroughput, FIGURE.pollingRatio],
        column,
        describeFailure(context, label, error),
      );
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
}

/** The warm-up round every bot process gets before the round(s) it is measured on, webhook or polling alike. */
async function warmUp(context: TBenchContext, session: TSession): Promise<void> {
  const warmup = context.plan.throughput.warmup;
  if (!warmup) return;
  context.log(`${session.label}: warm-up (${warmup.residents} residents)`);
  await runClosedLoopRound(session, roundOptions(context, session.spec, warmup.residents, warmup.timeBoxMs));
}

function roundOptions(
  context: TBenchContext,
  spec: TBotSpec,
  residents: number,
  timeBoxMs: number,
): TClosedLoopOptions {
  const t = context.plan.throughput;
  return {
    residents,
    behaviour: spec.kind === 'echo' ? 'echo' : 'screening',
    timeBoxMs,
    drainMs: t.drainMs,
    stepTimeoutMs: t.stepTimeoutMs,
    typedShare: t.typedShare,
    users: context.users,
    random: context.random,
    echoMessages: ECHO_MESSAGES,
  };
}

/**
 * The measured rounds, up to the plan's number. A round the bot could not finish says what another would:
 * the series stops there rather than pile more on.
 */
async function runRounds(context: TBenchContext, session: TSession): Promise<TRoundFigures[]> {
  const t = context.plan.throughput;
  const rounds: TRoundFigures[] = [];
  for (let i = 0; i < t.rounds; i++) {
    const round = await runClosedLoopRound(
      session,
      roundOptions(context, session.spec, t.residents, t.timeBoxMs),
    );
    rounds.push(round);
    context.log(`${session.label}: round ${i + 1}/${t.rounds}: ${describeRound(round)}`);
    if (round.isCutOff || !round.isDrained) break;
  }
  return rounds;
}

/** Warm-up, then the measured rounds; records the closed-loop figures. */
async function measureRounds(
  context: TBenchContext,
  session: TSession,
  column: TColumn,
): Promise<{ isQuiet: boolean; note: string }> {
  const { results } = context;
  const label = session.label;
  await warmUp(context, session);
  const rounds = await runRounds(context, session);
  context.raw[label] = { rounds: rounds.map(rawRound) };

  const last = rounds[rounds.length - 1];
  results.record(FIGURE.throughput, column, medianOf(rounds.map((r) => r.throughput)), {
    missing: 'too few updates to measure',
    remark: cutOffRemark(context, rounds),
  });
  const webhookMs = rounds.flatMap((r) => r.webhookMs);
  const noAnswers = { missing: 'no webhook answered 2xx' };
  results.record(FIGURE.webhookP50, column, percentile(webhookMs, 50), noAnswers);
  results.record(FIGURE.webhookP95, column, percentile(webhookMs, 95), noAnswers);
  results.record(FIGURE.webhookP99, column, percentile(webhookMs, 99), {
    ...noAnswers,
    remark: webhookMs.length < 100 ? `only ${webhookMs.length} samples` : undefined,
  });
  results.record(FIGURE.cpu, column, medianOf(rounds.map((r) => r.cpuMsPerUpdate)), {
    missing: PROC_UNREADABLE,
  });
  results.record(FIGURE.databaseCpu, column, medianOf(rounds.map((r) => r.databaseCpuMsPerUpdate)), {
    missing:
      session.spec.database === 'postgres'
        ? 'could not read the backends from pg_stat_activity and /proc'
        : session.spec.database === 'pglite'
          ? 'the embedded database runs in the bot process: counted in the row above'
          : 'no database',
  });
  results.record(FIGURE.peakRss, column, session.bot.memory()?.peakRssMb, { missing: PROC_UNREADABLE });
  results.record(FIGURE.statements, column, medianOf(rounds.map((r) => r.statementsPerUpdate)), {
    missing: 'GET /metrics answered 404 (or without counts): statements not counted',
  });
  const isEcho = session.spec.kind === 'echo';
  const echoRemark = isEcho ? 'an echo reply, not a question' : undefined;
  const firstThree = medianOf(rounds.map((r) => r.firstThreeP50));
  const lastThree = medianOf(rounds.map((r) => r.lastThreeP50));
  const noneFinished = 'no resident finished the screening within the time box';
  results.record(FIGURE.firstThree, column, firstThree, {
    missing: 'no resident got a question within the time box',
    remark: echoRemark,
  });
  results.record(FIGURE.lastThree, column, lastThree, { missing: noneFinished, remark: echoRemark });
  results.record(FIGURE.flatness, column, ratio(lastThree, firstThree), {
    missing: lastThree === undefined ? noneFinished : 'no resident got a question within the time box',
  });
  const timedOut = rounds.reduce((sum, r) => sum + r.timedOut, 0);
  const failures = rounds.reduce((sum, r) => sum + r.webhookFailures, 0);
  const example = rounds.find((r) => r.timeoutExample)?.timeoutExample;
  results.record(FIGURE.errors, column, timedOut + failures, {
    missing: 'not counted',
    remark:
      timedOut + failures > 0
        ? `${timedOut} resident(s) timed out${example ? ` (e.g. waiting for ${example})` : ''}, ${failures} webhook answer(s) not 2xx`
        : undefined,
  });
  return {
    isQuiet: last?.isDrained ?? true,
    note: `${rounds.length} round(s): ${rounds.map(describeRound).join(' | ')}`,
  };
}

async function measureOpenLoop(context: TBenchContext, session: TSession, column: TColumn): Promise<string> {
  const { plan, results } = context;
  const o = plan.openLoop;
  if (!o) return '';
  context.log(`${session.label}: open loop, ${o.ratePerSecond}/s for ${o.durationMs / 1000} s`);
  const figures = await runOpenLoop(session, {
    behaviour: session.spec.kind === 'echo' ? 'echo' : 'screening',
    ratePerSecond: o.ratePerSecond,
    durationMs: o.durationMs,
    drainMs: o.drainMs,
    stepTimeoutMs: o.durationMs + o.drainMs,
    typedShare: plan.throughput.typedShare,
    users: context.users,
    random: context.random,
  });
  const remarks: string[] = [];
  if (figures.unanswered > 0) {
    remarks.push(
      `${figures.unanswered} of ${figures.offered} offered updates unanswered ${o.drainMs / 1000} s after the load stopped (not in the percentiles)`,
    );
  }
  if (figures.webhookFailures > 0) remarks.push(`${figures.webhookFailures} webhook answer(s) not 2xx`);
  const remark = remarks.length > 0 ? remarks.join('; ') : undefined;
  results.record(FIGURE.openP50, column, figures.webhookP50, { missing: 'no webhook answered 2xx' });
  results.record(FIGURE.openP99, column, figures.webhookP99, { missing: 'no webhook answered 2xx', remark });
  results.record(FIGURE.openDeliveryP99, column, figures.deliveryP99, {
    missing: 'no update answered',
    remark,
  });
  const { webhookMs, deliveryMs, ...summary } = figures;
  context.raw[`${session.label} open loop`] = {
    ...summary,
    webhookMs: rounded(webhookMs),
    deliveryMs: rounded(deliveryMs),
  };
  const note = `open loop: ${formatNumber(figures.offeredRate)} updates/s offered to ${figures.residents} residents, p99 ${figures.webhookP99 === undefined ? 'n/a' : formatNumber(figures.webhookP99)} ms`;
  context.log(`${session.label}: ${note}`);
  return note;
}

/** Why a series' figures rest on what was done: a round its time box cut off (and the rounds not run after it). */
function cutOffRemark(context: TBenchContext, rounds: TRoundFigures[]): string | undefined {
  const t = context.plan.throughput;
  if (!rounds.some((r) => r.isCutOff)) return undefined;
  const fewer = rounds.length < t.rounds ? `; ${rounds.length} round(s) instead of ${t.rounds}` : '';
  return `its time box (${t.timeBoxMs / 1000} s) ended before all ${t.residents} residents finished: measured on what was done${fewer}`;
}

function describeRound(round: TRoundFigures): string {
  const throughput = round.throughput === undefined ? 'n/a' : formatNumber(round.throughput);
  return (
    `${round.updatesDone} updates, ${throughput}/s, ${round.finished}/${round.residents} finished` +
    `${round.isCutOff ? ', cut off' : ''}${round.timedOut > 0 ? `, ${round.timedOut} timed out` : ''}` +
    `${round.isDrained ? '' : ', updates still in flight'}`
  );
}

function rawRound(round: TRoundFigures) {
  return { ...round, webhookMs: rounded(round.webhookMs), perQuestionP50: rounded(round.perQuestionP50) };
}

function rounded(values: number[]): number[] {
  return values.map((value) => Math.round(value * 10) / 10);
}
