import type { Api } from 'grammy';
import type { Logger } from '../logger.ts';
import { runEscalationSweep, type TEscalationDeps } from './escalation.ts';
import { deliverDueOutbox } from './outbox-sender.ts';

export type TBackgroundWorkDeps = TEscalationDeps & {
  api: Api;
  /** The time each round works at; tests pass a fake clock. Default: the system clock. */
  clock?: () => Date;
};

export type TBackgroundWork = {
  /** Ends the loop; resolves once the round under way (if any) has finished. */
  stop(): Promise<void>;
};

/**
 * The timers of the service, in a loop: each round sweeps due escalations (enqueueing pages) and then
 * delivers the outbox (pages, relays, notices). Rounds never overlap: the next starts `intervalMs` after
 * the previous ended, the first at once (so a restart pages what a crash left behind). A failing round is
 * logged and the next one tries again. Every instance may run it: the database hands each step and each
 * message to one of them.
 *
 * @example
 * const background = startBackgroundWork({ prisma, protector, i18n, logger, policy, api: bot.api });
 * // on shutdown, before closing the database:
 * await background.stop();
 */
export function startBackgroundWork(
  deps: TBackgroundWorkDeps,
  options: { intervalMs?: number } = {},
): TBackgroundWork {
  const clock = deps.clock ?? (() => new Date());
  const log = deps.logger.child({ component: 'background-work' });
  return repeatWithoutOverlap(
    async () => {
      await runStep(log, 'escalation sweep', () => runEscalationSweep(deps, { now: clock() }));
      // A fresh time: pages the sweep just enqueued go out in the same round.
      await runStep(log, 'outbox delivery', () => deliverDueOutbox(deps, { now: clock() }));
    },
    { intervalMs: options.intervalMs ?? 1000 },
  );
}

/**
 * Runs `task` now and again `intervalMs` after each run ends, until `stop()`. `task` must not throw (it
 * would end the loop); `startBackgroundWork` catches and logs inside.
 *
 * @example
 * const loop = repeatWithoutOverlap(() => tick(), { intervalMs: 1000 });
 * await loop.stop();
 */
export function repeatWithoutOverlap(
  task: () => Promise<void>,
  options: { intervalMs: number },
): TBackgroundWork {
  let isStopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const run = () => {
    timer = undefined;
    if (isStopped) return;
    current = task().then(() => {
      if (!isStopped) timer = setTimeout(run, options.intervalMs);
    });
  };
  run();

  return {
    stop() {
      isStopped = true;
      if (timer !== undefined) clearTimeout(timer);
      return current;
    },
  };
}

async function runStep(log: Logger, name: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    // Name and message only: no payload, no query parameters.
    log.error(
      { error: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : String(error) },
      `${name} failed; trying again next round`,
    );
  }
}
