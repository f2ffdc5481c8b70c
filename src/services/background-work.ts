import type { TCrisisPatterns } from '../domain/risk/crisis-patterns.ts';
import type { Logger } from '../logger.ts';
import { sealAuditLog } from './audit-chain.ts';
import { applyLexiconAdditions, readLexiconAdditions } from './crisis-lexicon-store.ts';
import type { TDataKeys } from './data-keys.ts';
import { runEscalationSweep, type TEscalationDeps } from './escalation.ts';
import { applyPolicy, readStoredPolicy } from './escalation-policy-store.ts';
import { resealBatch, type TResealCursor } from './key-rotation.ts';
import type { TOutboxDispatcher } from './outbox-dispatcher.ts';
import { purgeExpired } from './retention.ts';

/** The retention purge has nothing urgent to do: once an hour (and at start) is plenty. */
const PURGE_EVERY_MS = 60 * 60 * 1000;

export type TBackgroundWorkDeps = Omit<TEscalationDeps, 'outboxSender'> & {
  /** Sends the pages the sweep writes, and takes the outbox rows left for the sweep. */
  dispatcher: TOutboxDispatcher;
  /** How long a resident's words are kept after their case closes (`RETENTION_DAYS`). */
  retentionMs: number;
  /** The time each round works at; tests pass a fake clock. Default: the system clock. */
  clock?: () => Date;
  /** The live crisis patterns, recompiled when another instance changed a word list. */
  crisisPatterns?: TCrisisPatterns[];
  /** The data keys: while older keys still seal values, each round re-seals a batch with the active one. */
  keys?: Pick<TDataKeys, 'activeKeyId' | 'olderKeyIds'>;
};

/** Values re-sealed per round after a key rotation: small enough not to hold anyone up. */
const RESEAL_BATCH = 200;
/**
 * After a pass of re-sealing, the next one starts this much later: instances not yet restarted after
 * `admin keys activate` still seal with the older key, and rows being sent were skipped.
 */
const RESEAL_AGAIN_MS = 10 * 60 * 1000;

export type TBackgroundWork = {
  /** Ends the loop; resolves once the round under way (if any) has finished. */
  stop(): Promise<void>;
};

/**
 * The timers of the service, in a loop: each round sweeps due escalations (paging their next step) and then
 * hands the sender the outbox rows nobody holds (left for the sweep, or abandoned by a process that died),
 * seals the audit entries written since into the hash chain, takes up an escalation policy or crisis
 * word list another instance stored, and after a key rotation re-seals a batch of older values;
 * once an hour it also purges what the retention period no longer allows to keep. Rounds never overlap: the next starts `intervalMs` after
 * the previous ended, the first at once (so a restart pages what a crash left behind). A failing round is
 * logged and the next one tries again. Every instance may run it: the database hands each step and each
 * message to one of them.
 *
 * @example
 * const background = startBackgroundWork({ prisma, protector, i18n, logger, policy, scripts, dispatcher, retentionMs });
 * // on shutdown, before closing the database:
 * await background.stop();
 */
export function startBackgroundWork(
  deps: TBackgroundWorkDeps,
  options: { intervalMs?: number } = {},
): TBackgroundWork {
  const clock = deps.clock ?? (() => new Date());
  const log = deps.logger.child({ component: 'background-work' });
  let nextPurgeAt = 0;
  let lexiconsSeen: number | undefined;
  let resealCursor: TResealCursor | undefined;
  let nextResealAt = 0;
  let passResealed = 0;
  let passUnreadable = 0;
  return repeatWithoutOverlap(
    async () => {
      await runStep(log, 'escalation sweep', () =>
        runEscalationSweep({ ...deps, outboxSender: deps.dispatcher }, { now: clock() }),
      );
      await runStep(log, 'outbox sweep', () => deps.dispatcher.sweep(clock()));
      await runStep(log, 'audit chain', () => sealAuditLog(deps));
      await runStep(log, 'escalation policy', async () => {
        const stored = await readStoredPolicy(deps);
        if (stored) applyPolicy(deps.policy, stored);
      });
      const patterns = deps.crisisPatterns;
      if (patterns)
        await runStep(log, 'crisis word lists', async () => {
          const { additions, updatedAt } = await readLexiconAdditions(deps);
          if (updatedAt === undefined || updatedAt.getTime() === lexiconsSeen) return;
          lexiconsSeen = updatedAt.getTime();
          applyLexiconAdditions(patterns, additions);
        });
      const keys = deps.keys;
      if (keys && keys.olderKeyIds.length > 0 && clock().getTime() >= nextResealAt)
        await runStep(log, 're-sealing', async () => {
          const batch = await resealBatch({ ...deps, keys }, { limit: RESEAL_BATCH, cursor: resealCursor });
          resealCursor = batch.cursor;
          passResealed += batch.resealed;
          passUnreadable += batch.unreadable;
          if (batch.resealed > 0)
            log.info(
              { resealed: batch.resealed, active_key: keys.activeKeyId },
              'values re-sealed with the active key',
            );
          if (batch.cursor !== undefined) return;
          // A pass looked at every table: values no configured key opens were passed over, and said so.
          if (passUnreadable > 0)
            log.warn({ unreadable: passUnreadable }, 'values no configured key opens were left as they are');
          log.info({ resealed: passResealed }, 'a pass of re-sealing ended');
          passResealed = 0;
          passUnreadable = 0;
          nextResealAt = clock().getTime() + RESEAL_AGAIN_MS;
        });
      const now = clock();
      if (now.getTime() >= nextPurgeAt) {
        nextPurgeAt = now.getTime() + PURGE_EVERY_MS;
        await runStep(log, 'retention purge', async () => {
          const purged = await purgeExpired(
            { ...deps, outboxSender: deps.dispatcher },
            { now, retentionMs: deps.retentionMs },
          );
          if (Object.values(purged).some((count) => count > 0)) log.info(purged, 'retention purge');
        });
      }
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
    // The logger's error serializer keeps the kind and reason, never payloads or query arguments.
    log.error({ err: error }, `${name} failed; trying again next round`);
  }
}
