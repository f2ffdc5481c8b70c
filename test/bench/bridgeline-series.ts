/**
 * Scenarios 3-5, which only Bridgeline has: Telegram's limits with crisis messages and pages, database
 * size, and memory with many residents mid-screening. The references' cells say why they are empty.
 */
import { describeFailure, logSession, sessionOptions, type TBenchContext } from './bench-context.ts';
import { botLabel, openSession, type TBotSpec, type TSession } from './bots.ts';
import { runDatabaseSize } from './database-size.ts';
import type { TDatabaseKind } from './databases.ts';
import { FIGURE } from './figures.ts';
import { runLimitsScenario, type TLimitsFigures } from './limits.ts';
import { runMemoryScenario } from './memory.ts';
import { TELEGRAM_LIMITS } from './plan.ts';
import { COLUMNS, columnOf, type TColumn } from './results.ts';
import { formatNumber, percentile, ratio } from './stats.ts';
import { sleep } from './update-delivery.ts';

const DATABASES: readonly TDatabaseKind[] = ['pglite', 'postgres'];

const LIMITS_FIGURES = [
  FIGURE.crisisNumbersP50,
  FIGURE.crisisNumbersP99,
  FIGURE.crisisPagesP99,
  FIGURE.casePagesP99,
  FIGURE.lost,
  FIGURE.sentTwice,
  FIGURE.rateLimited,
  FIGURE.limitsWebhookFailures,
];
const SIZE_FIGURES = [
  FIGURE.sizeSmallThroughput,
  FIGURE.sizeLargeThroughput,
  FIGURE.sizeThroughputRatio,
  FIGURE.sizeSmallQuestion,
  FIGURE.sizeLargeQuestion,
  FIGURE.sizeQuestionRatio,
];

/** The references cannot have these figures: say so in each cell of the scenarios that ran. */
export function markReferencesNotApplicable(context: TBenchContext): void {
  const { plan, results } = context;
  for (const column of COLUMNS) {
    if (column.startsWith('bridgeline')) continue;
    if (plan.limits) {
      results.missingAll(
        LIMITS_FIGURES,
        column,
        'Bridgeline only: the references read no crisis language and page nobody',
      );
    }
    if (plan.databaseSize) {
      results.missingAll(SIZE_FIGURES, column, 'Bridgeline only: judged against its own smaller database');
    }
    if (plan.scenarios.has('memory')) {
      results.missingAll(
        [FIGURE.busyRss],
        column,
        'Bridgeline only (time budget): judged against its own idle RSS',
      );
    }
  }
}

function databaseName(database: TDatabaseKind): string {
  return database === 'pglite' ? 'the embedded database' : 'PostgreSQL';
}

/**
 * Scenario 3 on one database: the embedded one (the default deployment) in a full run, PostgreSQL in a quick
 * one; the other database's cells say why they are empty.
 */
export async function runLimits(context: TBenchContext): Promise<void> {
  const limits = context.plan.limits;
  if (!limits) return;
  const database = limits.database === 'postgres' && context.postgresProblem ? 'pglite' : limits.database;
  const spec: TBotSpec = { kind: 'bridgeline', database, mode: 'webhook', limits: TELEGRAM_LIMITS };
  const label = `${botLabel(spec)} under Telegram's limits`;
  const column = columnOf(spec);
  const { results } = context;
  const other = database === 'pglite' ? 'postgres' : 'pglite';
  context.results.missingAll(
    LIMITS_FIGURES,
    columnOf({ kind: 'bridgeline', database: other }),
    context.plan.isQuick
      ? `a quick run measures this on ${databaseName(database)} only`
      : `measured on ${databaseName(database)} only (the default deployment; time budget)`,
  );
  let session: TSession | undefined;
  try {
    context.log(`${label}: starting`);
    session = await openSession(spec, sessionOptions(context));
    context.log(
      `${label}: ${limits.residents} residents for ${limits.windowMs / 1000} s, then ${limits.drainMs / 1000} s for what is still owed`,
    );
    const figures = await runLimitsScenario(session, {
      botDir: context.botDir,
      ...limits,
      typedShare: context.plan.throughput.typedShare,
      users: context.users,
      random: context.random,
    });
    recordLimits(context, column, figures);
    context.raw[label] = figures;
    const stop = await session.close();
    logSession(
      context,
      session,
      `${figures.crisisSent} crisis messages, ${figures.caseOpeningSent} case-opening answers, ${figures.rateLimited} answered 429; ${stop.wasKilled ? 'had to be killed after SIGTERM' : 'stopped'}`,
    );
    session = undefined;
  } catch (error) {
    results.missingAll(LIMITS_FIGURES, column, describeFailure(context, label, error));
  } finally {
    await session?.close().catch(() => undefined);
  }
}

function recordLimits(context: TBenchContext, column: TColumn, figures: TLimitsFigures): void {
  const { results } = context;
  const limits = context.plan.limits;
  if (!limits) return;
  const noCrisis = 'no crisis message was sent (the residents chosen for it never got that far)';
  const noNumbers = `the numbers never came for any of the ${figures.crisisSent} crisis message(s)`;
  const missingNumbers = figures.crisisSent - figures.crisisToNumbersMs.length;
  results.record(FIGURE.crisisNumbersP50, column, percentile(figures.crisisToNumbersMs, 50), {
    missing: figures.crisisSent === 0 ? noCrisis : noNumbers,
    remark: `${figures.crisisSent} of ${limits.crisisResidents} planned crisis messages sent${missingNumbers > 0 ? `, ${missingNumbers} without the numbers` : ''}`,
  });
  results.record(FIGURE.crisisNumbersP99, column, percentile(figures.crisisToNumbersMs, 99), {
    missing: figures.crisisSent === 0 ? noCrisis : noNumbers,
  });
  results.record(FIGURE.crisisPagesP99, column, percentile(figures.crisisToPagesMs, 99), {
    missing:
      figures.crisisSent === 0
        ? noCrisis
        : `no page came for any of the ${figures.crisisSent} crisis message(s)`,
    remark:
      figures.crisisToPagesMs.length < figures.crisisSent
        ? `pages for ${figures.crisisToPagesMs.length} of ${figures.crisisSent}`
        : undefined,
  });
  results.record(FIGURE.casePagesP99, column, percentile(figures.caseToPagesMs, 99), {
    missing:
      limits.highResidents === 0
        ? 'quick run: no case-opening residents (under the limits they reach the suicide-risk items only after its window)'
        : figures.caseOpeningSent === 0
          ? 'no case-opening answer was sent within the window (residents did not get that far)'
          : `no page came for any of the ${figures.caseOpeningSent} case-opening answers`,
    remark: `${figures.caseOpeningSent} of ${limits.highResidents} planned case-opening answers sent${
      figures.caseToPagesMs.length < figures.caseOpeningSent
        ? `, pages for ${figures.caseToPagesMs.length} of them`
        : ''
    }`,
  });
  const lost = figures.residentsLost + figures.pagesLost;
  const remarks = [
    lost > 0
      ? `${figures.residentsLost} resident(s) still waiting for a reply${figures.lostExample ? ` (e.g. for ${figures.lostExample})` : ''}, ${figures.pagesLost} page(s) not sent`
      : undefined,
    figures.unexpectedPages > 0
      ? `${figures.unexpectedPages} page(s) for cases no event explains`
      : undefined,
    figures.workersOnCall !== undefined && figures.workersOnCall < figures.workers
      ? `the admin command line lists ${figures.workersOnCall} of ${figures.workers} bench workers on call`
      : undefined,
  ].filter(Boolean);
  results.record(FIGURE.lost, column, lost, {
    missing: 'not counted',
    remark: remarks.join('; ') || undefined,
  });
  results.record(FIGURE.sentTwice, column, figures.sentTwice, { missing: 'not counted' });
  results.record(FIGURE.rateLimited, column, figures.rateLimited, { missing: 'not counted' });
  results.record(FIGURE.limitsWebhookFailures, column, figures.webhookFailures, { missing: 'not counted' });
}

/** Scenario 4 on both databases. */
export async function runDatabaseSizes(context: TBenchContext): Promise<void> {
  const size = context.plan.databaseSize;
  if (!size) return;
  const t = context.plan.throughput;
  for (const database of DATABASES) {
    const column = columnOf({ kind: 'bridgeline', database });
    const label = `Bridgeline (${database === 'pglite' ? 'embedded' : 'PostgreSQL'}) database size`;
    if (database === 'postgres' && context.postgresProblem) {
      context.results.missingAll(SIZE_FIGURES, column, context.postgresProblem);
      continue;
    }
    try {
      context.log(`${label}: ${formatNumber(size.sizes[0])} then ${formatNumber(size.sizes[1])} residents`);
      const round = {
        residents: size.residents,
        behaviour: 'screening' as const,
        timeBoxMs: size.timeBoxMs,
        drainMs: t.drainMs,
        stepTimeoutMs: t.stepTimeoutMs,
        typedShare: t.typedShare,
        users: context.users,
        random: context.random,
      };
      const measured = await runDatabaseSize({
        database,
        sizes: size.sizes,
        session: sessionOptions(context),
        warmup: { ...round, residents: 5, timeBoxMs: 2000 },
        round,
        onSession: (session) => logSession(context, session, 'database-size run'),
      });
      const [small, large] = measured;
      const questionP50 = (figures: (typeof measured)[number] | undefined) => figures?.figures.questionP50;
      const throughputOf = (m: (typeof measured)[number] | undefined) => m?.figures.throughput;
      const cutOff = (m: (typeof measured)[number] | undefined) =>
        m?.figures.isCutOff
          ? `time box (${size.timeBoxMs / 1000} s) ended first: measured on what was done`
          : undefined;
      const { results } = context;
      results.record(FIGURE.sizeSmallThroughput, column, throughputOf(small), {
        missing: 'too few updates to measure',
        remark: cutOff(small),
      });
      results.record(FIGURE.sizeLargeThroughput, column, throughputOf(large), {
        missing: 'too few updates to measure',
        remark: cutOff(large),
      });
      results.record(FIGURE.sizeThroughputRatio, column, ratio(throughputOf(large), throughputOf(small)), {
        missing: 'a throughput is missing',
      });
      results.record(FIGURE.sizeSmallQuestion, column, questionP50(small), {
        missing: 'no question answered',
      });
      results.record(FIGURE.sizeLargeQuestion, column, questionP50(large), {
        missing: 'no question answered',
      });
      results.record(FIGURE.sizeQuestionRatio, column, ratio(questionP50(large), questionP50(small)), {
        missing: 'a time per question is missing',
      });
      context.raw[label] = measured.map((m) => ({
        size: m.size,
        seedMs: m.seedMs,
        ...m.figures,
        webhookMs: undefined,
      }));
      context.log(
        `${label}: ${measured.map((m) => `${formatNumber(m.size)}: ${m.figures.throughput === undefined ? 'n/a' : formatNumber(m.figures.throughput)}/s (seeded in ${formatNumber(m.seedMs / 1000)} s)`).join(', ')}`,
      );
    } catch (error) {
      context.results.missingAll(SIZE_FIGURES, column, describeFailure(context, label, error));
    }
  }
}

/**
 * Scenario 5's settled idle and busy figures, each database in a fresh process (its idle figure at start comes
 * with scenario 1). Settled: V8 gives back the room start-up took only after some seconds without work (its
 * memory reducer), so the figure right after start is not what an idle bot holds.
 */
export async function runMemory(context: TBenchContext): Promise<void> {
  const memory = context.plan.memory;
  if (!memory) return;
  for (const database of DATABASES) {
    const spec: TBotSpec = { kind: 'bridgeline', database, mode: 'webhook' };
    const column = columnOf(spec);
    const label = `${botLabel(spec)} memory`;
    if (database === 'postgres' && context.postgresProblem) {
      context.results.missingAll([FIGURE.settledRss, FIGURE.busyRss], column, context.postgresProblem);
      continue;
    }
    let session: TSession | undefined;
    try {
      context.log(`${label}: starting`);
      session = await openSession(spec, sessionOptions(context, { keepTexts: false }));
      const idle = session.bot.memory()?.rssMb;
      await sleep(memory.settleMs);
      const settled = session.bot.memory()?.rssMb;
      context.results.record(FIGURE.settledRss, column, settled, { missing: 'could not read /proc/<pid>' });
      context.log(
        `${label}: idle ${idle === undefined ? 'n/a' : formatNumber(idle)} MB, ${settled === undefined ? 'n/a' : formatNumber(settled)} MB after ${memory.settleMs / 1000} s without traffic; ${formatNumber(memory.residents)} residents`,
      );
      const figures = await runMemoryScenario(session, {
        ...memory,
        stepTimeoutMs: memory.timeBoxMs,
        users: context.users,
        random: context.random,
      });
      context.results.record(FIGURE.busyRss, column, figures.rssMb, {
        missing: 'could not read /proc/<pid>',
        remark:
          figures.reached < figures.target
            ? `only ${formatNumber(figures.reached)} of ${formatNumber(figures.target)} residents got there within ${memory.timeBoxMs / 1000} s`
            : undefined,
      });
      if (context.results.value(FIGURE.idleRss, column) === undefined) {
        context.results.record(FIGURE.idleRss, column, idle, { missing: 'could not read /proc/<pid>' });
      }
      context.raw[label] = { idleRssMb: idle, settledRssMb: settled, ...figures };
      const stop = await session.close();
      logSession(
        context,
        session,
        `${formatNumber(figures.reached)} residents mid-screening in ${formatNumber(figures.durationMs / 1000)} s, RSS ${figures.rssMb === undefined ? 'n/a' : formatNumber(figures.rssMb)} MB; ${stop.wasKilled ? 'had to be killed after SIGTERM' : 'stopped'}`,
      );
      session = undefined;
    } catch (error) {
      context.results.missingAll(
        [FIGURE.settledRss, FIGURE.busyRss],
        column,
        describeFailure(context, label, error),
      );
    } finally {
      await session?.close().catch(() => undefined);
    }
  }
}
