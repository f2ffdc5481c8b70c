import { setTimeout } from 'node:timers/promises';
import {
  createConcurrentSink,
  createRunner,
  createSource,
  type RunnerHandle,
  sequentialize,
  type UpdateSupplier,
} from '@grammyjs/runner';
import { BotError, Context, GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { Prisma } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { TBot } from './index.ts';
import { checkUpdateShape } from './update-shape.ts';

export type TPollingOptions = {
  logger: Logger;
  /** Waits before each new try of an update that failed in a way time may cure. Default: 1, 2, 4, 8, 15 s. */
  retryDelaysMs?: readonly number[];
  /** Updates handled at once across chats (one chat's always one at a time). */
  concurrency?: number;
};

export type TPolling = {
  /** Stops fetching, and resolves once the updates being handled are done. */
  stop(): Promise<void>;
  /** Settles when polling ends: stopped, or failed for good (a wrong token, another poller). */
  task: Promise<void>;
};

/** The runner's signal type (grammY's abort-controller shim); Node's own signal at run time. */
type TSignal = Parameters<UpdateSupplier<Update>['supply']>[1];

const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000];
const LONG_POLL_SECONDS = 30;
/** Telegram's largest `getUpdates` batch. */
const MAX_BATCH = 100;
/**
 * How long a fetch after a quiet one waits for the updates still being handled, so that Telegram is not asked
 * for them again and again (at once, on a fast link) while they are.
 */
const SETTLE_WAIT_MS = 50;
const FETCH_RETRY_FIRST_MS = 200;
const FETCH_RETRY_MAX_MS = 15_000;

/**
 * Long polling with @grammyjs/runner: chats are handled at once, each chat's updates one after another in
 * order (the runner's `sequentialize`, keyed by chat). Every update is its own unit of work, recorded by
 * its id, so exactly-once holds across restarts and instances as in webhook mode.
 *
 * Telegram forgets an update once a later `getUpdates` offset passes it. The offset therefore never passes
 * an update still being handled: a process that dies mid-update gets it again at the next start (and the
 * update's id, recorded with its effects, makes a second delivery change nothing).
 *
 * An update that fails in a way time may cure (Telegram or the database away) is tried again after a wait,
 * before the chat's next update; anything else (a bug, a Telegram 4xx) is logged and left, blocking nobody.
 *
 * @example
 * const polling = startPolling(bot, { logger });
 * // on shutdown:
 * await polling.stop();
 */
export function startPolling(bot: TBot, options: TPollingOptions): TPolling {
  const log = options.logger.child({ component: 'polling' });
  const retryDelays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  /** Fetched and not yet handled, by update id. */
  const handling = new Map<number, Promise<void>>();
  const settle = new Map<number, () => void>();
  /** The first update id not fetched yet. */
  let frontier = 0;
  /**
   * The last fetch brought nothing new: the next one first waits a little for what is in hand. Kept across
   * calls, since a fetch that brings nothing returns to the runner (which may be stopping) before the next.
   */
  let isQuiet = false;

  const supplier: UpdateSupplier<Update> = {
    async supply(batchSize, signal) {
      await bot.init();
      for (;;) {
        // While updates keep coming, fetch again at once: each fetch is a round trip they would wait behind.
        const oldest = lowestKey(handling);
        if (isQuiet && oldest !== undefined)
          await Promise.race([handling.get(oldest), setTimeout(SETTLE_WAIT_MS)]);
        // Never past an update still being handled: Telegram sends again what it has not been told is done.
        const offset = lowestKey(handling) ?? frontier;
        const limit = Math.max(1, Math.min(frontier - offset + batchSize, MAX_BATCH));
        const updates = await fetchUpdates({ offset, limit }, signal);
        const fresh = updates.filter((update) => update.update_id >= frontier).slice(0, batchSize);
        isQuiet = fresh.length === 0;
        if (fresh.length === 0 && updates.length >= MAX_BATCH && handling.size > 0) {
          // A whole batch of updates still being handled, and the next ones only come after them: wait for
          // the oldest to finish rather than confirm it unfinished (a crash would then lose it).
          await handling.get(lowestKey(handling) ?? -1);
          continue;
        }
        const last = fresh.at(-1);
        if (last !== undefined) frontier = last.update_id + 1;
        for (const update of fresh) {
          handling.set(update.update_id, new Promise((resolve) => settle.set(update.update_id, resolve)));
        }
        return fresh;
      }
    },
  };

  async function fetchUpdates(args: { offset: number; limit: number }, signal: TSignal): Promise<Update[]> {
    let waitMs = FETCH_RETRY_FIRST_MS;
    for (;;) {
      try {
        // While updates are being handled Telegram answers at once (they are not confirmed yet): no long poll.
        const timeout = lowestKey(handling) === undefined ? LONG_POLL_SECONDS : 0;
        return await bot.api.getUpdates({ ...args, timeout }, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        // A wrong token, or another process polling (or a webhook set): nothing a retry would change.
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 409))
          throw error;
        const retryAfter = error instanceof GrammyError ? error.parameters.retry_after : undefined;
        const delay = retryAfter === undefined ? waitMs : retryAfter * 1000;
        log.warn({ err: error, retry_in_ms: delay }, 'fetching updates failed: trying again');
        await setTimeout(delay, undefined, { signal: signal as unknown as AbortSignal }).catch(
          () => undefined,
        );
        if (signal.aborted) throw error;
        waitMs = Math.min(waitMs * 2, FETCH_RETRY_MAX_MS);
      }
    }
  }

  const inChatOrder = sequentialize<Update>((update) => chatKeyOf(bot, update));
  const sink = createConcurrentSink<Update>(
    {
      consume: (update) =>
        inChatOrder(update, () => handleWithRetries(update)).finally(() => {
          settle.get(update.update_id)?.();
          settle.delete(update.update_id);
          handling.delete(update.update_id);
        }),
    },
    async (error) => log.error({ err: error }, 'update handling failed outside the bot'),
    { concurrency: options.concurrency ?? 200 },
  );

  async function handleWithRetries(update: Update): Promise<void> {
    const updateLog = log.child({ update_id: update.update_id });
    // The webhook answers such an update 400; here it is passed over (and confirmed with the rest), said once.
    const shape = checkUpdateShape(update);
    if (!shape.ok) {
      updateLog.warn({ where: shape.where }, 'update passed over: not a shape Telegram sends');
      return;
    }
    let failure: unknown;
    try {
      await bot.handleUpdate(update);
      return;
    } catch (error) {
      failure = unwrap(error);
    }
    for (const [attempt, delayMs] of retryDelays.entries()) {
      // The chat waits for this, so only what may pass with time is tried again.
      if (!mayPassWithTime(failure)) break;
      updateLog.warn(
        { err: failure, retry_in_ms: delayMs, attempt: attempt + 1 },
        'update failed: trying again',
      );
      await setTimeout(delayMs);
      try {
        await bot.handleUpdate(update);
        updateLog.info('update handled on a new try');
        return;
      } catch (error) {
        failure = unwrap(error);
      }
    }
    updateLog.error({ err: failure }, 'update failed for good');
  }

  const runner: RunnerHandle = createRunner(createSource(supplier), sink);
  runner.start();
  const task = (async () => {
    await bot.api.deleteWebhook();
    await runner.task();
  })();
  return {
    task,
    async stop() {
      if (runner.isRunning()) await runner.stop();
      await Promise.all([...handling.values()]);
    },
  };
}

function lowestKey(map: ReadonlyMap<number, unknown>): number | undefined {
  let lowest: number | undefined;
  for (const key of map.keys()) if (lowest === undefined || key < lowest) lowest = key;
  return lowest;
}

/** The chat an update belongs to (its sender when it has no chat): its updates are handled in order. */
function chatKeyOf(bot: TBot, update: Update): string | undefined {
  const ctx = new Context(update, bot.api, bot.botInfo);
  const id = ctx.chat?.id ?? ctx.from?.id;
  return id === undefined ? undefined : String(id);
}

function unwrap(error: unknown): unknown {
  return error instanceof BotError ? error.error : error;
}

/** Prisma's codes for a database that is away, busy or timed out: worth another try. */
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034']);

/**
 * A failure another try may not meet: Telegram unreachable, rate-limited or failing on its side, or the
 * database away or busy. A Telegram 4xx (blocked, bad request) or a bug fails the same way every time.
 */
export function mayPassWithTime(error: unknown): boolean {
  if (error instanceof HttpError) return true;
  if (error instanceof GrammyError) return error.error_code === 429 || error.error_code >= 500;
  if (error instanceof Prisma.PrismaClientKnownRequestError) return TRANSIENT_PRISMA_CODES.has(error.code);
  return (
    error instanceof Prisma.PrismaClientInitializationError ||
    (error instanceof Error && error.name === 'DriverAdapterError')
  );
}
