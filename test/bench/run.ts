/**
 * `npm run bench [-- --quick] [--rtt <ms>] [--json <file>] [--only <scenario,...>]`: measures Bridgeline
 * against two reference bots (an echo bot, and a typical grammY bot doing the same screening) in the same
 * run, on the same machine, one bot process at a time, and prints one markdown table of every figure beside
 * the references, as ratios. Progress goes to stderr, the report to stdout.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TBenchContext } from './bench-context.ts';
import { REPO_DIR } from './bots.ts';
import { markReferencesNotApplicable, runDatabaseSizes, runLimits, runMemory } from './bridgeline-series.ts';
import { createUserAllocator } from './crowd.ts';
import { checkPostgres } from './databases.ts';
import { FIGURE, figureCatalogue } from './figures.ts';
import { describeMachine } from './machine.ts';
import { parseOptions, type TBenchOptions, USAGE, UsageError } from './options.ts';
import { planRun, type TPlan } from './plan.ts';
import { createRandom } from './random.ts';
import { renderReport } from './report.ts';
import { COLUMNS, createResults, type TResults } from './results.ts';
import { createUpdateFactory } from './telegram-updates.ts';
import { runPollingSeries, runWebhookSeries } from './throughput-series.ts';

/** The same residents, roles and moments every run. */
const SEED = 20_261_204;
/** A quick run must end within a minute, on a busy machine too. */
const QUICK_BUDGET_MS = 55_000;

async function main(): Promise<number> {
  let options: TBenchOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2), REPO_DIR);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }

  const startedAt = performance.now();
  const plan = planRun(options);
  const machine = describeMachine(options.botDir);
  const log = (message: string) => {
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[bench ${seconds} s] ${message}\n`);
  };
  const random = createRandom(SEED);
  const context: TBenchContext = {
    plan,
    botDir: options.botDir,
    results: createResults(),
    sessions: [],
    raw: {},
    random,
    users: createUserAllocator(random),
    updates: createUpdateFactory(),
    deadlineAt: plan.isQuick ? startedAt + QUICK_BUDGET_MS : undefined,
    postgresProblem: await checkPostgres(),
    log,
  };
  log(
    `${plan.isQuick ? 'quick' : 'full'} run, RTT ${plan.rttMs} ms, scenarios: ${[...plan.scenarios].join(', ')}`,
  );
  if (context.postgresProblem) log(`PostgreSQL columns will be empty: ${context.postgresProblem}`);
  if (existsSync(join(options.botDir, '.env'))) {
    log(`note: Bridgeline reads ${join(options.botDir, '.env')}; what the bench does not set there applies`);
  }

  // A quick run measures the crisis figures first, so that a slow machine's minute never runs out on them.
  if (plan.isQuick) await runLimits(context);
  if (plan.scenarios.has('throughput') || plan.scenarios.has('open-loop') || plan.scenarios.has('memory')) {
    await runWebhookSeries(context);
  }
  if (plan.scenarios.has('throughput')) await runPollingSeries(context);
  if (!plan.isQuick) await runLimits(context);
  await runDatabaseSizes(context);
  await runMemory(context);
  const leftOutNotes = leftOut(context.results, plan);
  markReferencesNotApplicable(context);

  const durationMs = performance.now() - startedAt;
  const report = renderReport({
    machine,
    mode: plan.isQuick ? 'quick' : 'full',
    rttMs: plan.rttMs,
    durationMs,
    sections: figureCatalogue(plan).filter((section) =>
      section.figures.some((figure) => COLUMNS.some((column) => context.results.get(figure.id, column))),
    ),
    results: context.results,
    sessions: context.sessions,
    notes: [
      'Throughput: updates/s between the moments 10% and 90% of the round’s updates were done. An update is done when the reply the resident needs has arrived and (webhook) the bot has answered the POST.',
      `Webhook deliveries go out over at most the bot's max_connections (Telegram's default 40) connections; a delivery answered other than 2xx is tried again 1, 2, 4 … s later, as Telegram does.`,
      'Time per question: from the POST of the answer (or consent) to the next question accepted by the fake Telegram; "first 3" pools every resident’s first three questions, "last 3" the last three of those who finished.',
      'CPU per update: the bot process (with the embedded database, that includes the database); on PostgreSQL, the server’s backends for the bot’s database are in the row below it.',
      'The typical bot counts the SQL statements of its storage adapter; Bridgeline reports its own through GET /metrics.',
      'Long polling: the typical bot uses grammY’s own bot.start(), which handles one update at a time (what most bots run; the echo bot would show the same, so it is not run); Bridgeline polls as it ships. Measured as in webhook mode (the same warm-up, rounds and time box), its median round against the webhook’s.',
      ...leftOutNotes,
    ],
  });
  process.stdout.write(report);
  if (options.jsonFile) {
    const json = {
      machine,
      plan: { ...plan, scenarios: [...plan.scenarios] },
      durationMs,
      figures: context.results.toJSON(),
      sessions: context.sessions,
      raw: context.raw,
    };
    await writeFile(options.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    log(`raw figures written to ${options.jsonFile}`);
  }
  const benchCpu = process.cpuUsage();
  log(
    `done in ${Math.round(durationMs / 1000)} s; the bench itself used ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s of CPU`,
  );
  return 0;
}

/** What this run leaves out on purpose, said under the table rather than as rows of empty cells. */
function leftOut(results: TResults, plan: TPlan): string[] {
  if (!plan.isQuick) return [];
  for (const database of ['pglite', 'postgres'] as const) {
    if (plan.scenarios.has('memory')) {
      results.missingAll([FIGURE.busyRss], `bridgeline:${database}`, 'full run only');
    }
  }
  const skipped = [
    plan.scenarios.has('throughput')
      ? 'long polling, repeated rounds and the warm-up round of scenario 1'
      : undefined,
    plan.scenarios.has('open-loop') ? 'scenario 2 (open loop)' : undefined,
    plan.scenarios.has('limits') ? "scenario 3's case-opening residents and second worker" : undefined,
    plan.scenarios.has('database-size') ? 'scenario 4 (database size)' : undefined,
    plan.scenarios.has('memory') ? "scenario 5's busy figure" : undefined,
  ].filter(Boolean);
  return skipped.length === 0
    ? []
    : [
        `A quick run leaves out ${skipped.join(', ')}, and uses fewer residents and shorter runs: run without --quick for those.`,
      ];
}

// Exit rather than wait for stray timers (a retry backoff, a pool's idle timeout): the report is written.
process.exit(await main());
