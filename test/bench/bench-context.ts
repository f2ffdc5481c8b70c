/**
 * What the scenario runners share for one bench run: the plan, where figures go, the run-wide sources of
 * users and update ids (never reused, since a restarted bot keeps its database), and the progress log.
 */
import { performance } from 'node:perf_hooks';
import { BotStartError } from './bot-process.ts';
import type { TSession, TSessionOptions } from './bots.ts';
import type { TUserAllocator } from './crowd.ts';
import type { TPlan } from './plan.ts';
import type { TSessionLog } from './report.ts';
import type { TResults } from './results.ts';
import type { TUpdateFactory } from './telegram-updates.ts';

export type TBenchContext = {
  plan: TPlan;
  botDir: string;
  results: TResults;
  sessions: TSessionLog[];
  /** Everything measured, for `--json`. */
  raw: Record<string, unknown>;
  random: () => number;
  users: TUserAllocator;
  updates: TUpdateFactory;
  /** A quick run's whole budget ends here (`performance.now()`); a bot that would not fit is skipped. */
  deadlineAt: number | undefined;
  /** Why PostgreSQL cannot be used this run, if it cannot. */
  postgresProblem: string | undefined;
  log: (message: string) => void;
};

/** The session options every bot process of this run shares, with `extra` on top (a kept database). */
export function sessionOptions(
  context: TBenchContext,
  extra: Partial<TSessionOptions> = {},
): TSessionOptions {
  return { rttMs: context.plan.rttMs, updates: context.updates, botDir: context.botDir, ...extra };
}

/** Whether a quick run's minute still has `ms` left; a full run always has. */
export function hasTimeLeft(context: TBenchContext, ms: number): boolean {
  return context.deadlineAt === undefined || context.deadlineAt - performance.now() >= ms;
}

/** The short reason a scenario could not be measured, for the table; the details go to the log. */
export function describeFailure(context: TBenchContext, label: string, error: unknown): string {
  if (error instanceof BotStartError) {
    context.log(`${error.message}. Its last output:\n${error.output.slice(-3000)}`);
    return `${label} did not start: ${error.message.replace(`${label} did not start: `, '')} (its output is in the log)`;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.log(`${label} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
  return `${label}: the run failed (${message.split('\n')[0]?.slice(0, 160)})`;
}

/** Notes what a bot process did, for the report's list of processes. */
export function logSession(context: TBenchContext, session: TSession, note: string): void {
  const errors = session.bot.loggedErrors();
  const logged =
    errors.count === 0
      ? ''
      : `; it logged ${errors.count} error(s), e.g. ${errors.examples.map((e) => `"${e}"`).join(', ')}`;
  context.sessions.push({ label: session.label, readyMs: session.bot.readyMs, note: `${note}${logged}` });
}
