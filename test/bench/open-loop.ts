/**
 * Open-loop load: updates are offered at a fixed rate whatever the bot's speed, as a city's residents would
 * write whether or not the bot keeps up. Each tick hands the next send to a resident whose prompt has
 * arrived (and whose previous update the bot has answered); when none is ready, a new resident arrives with
 * `/start`. So the offered rate holds, and a slow bot shows as a growing queue and a long tail, not as a
 * politely lower rate.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { TSession } from './bots.ts';
import { residentEnv, type TUserAllocator } from './crowd.ts';
import { percentile } from './stats.ts';
import { sleep } from './update-delivery.ts';
import { runResident, type TResidentPlan, type TResidentResult } from './virtual-residents.ts';

export type TOpenLoopOptions = {
  /** Echo residents just keep writing; screening residents answer their questions. */
  behaviour: 'screening' | 'echo';
  ratePerSecond: number;
  durationMs: number;
  /** After the offering stops, how long replies and webhook answers may still come. */
  drainMs: number;
  stepTimeoutMs: number;
  typedShare: number;
  users: TUserAllocator;
  random: () => number;
};

export type TOpenLoopFigures = {
  offered: number;
  /** Updates offered per second, as achieved by the bench. */
  offeredRate: number;
  residents: number;
  /** Webhook: POST to answer, ms, each 2xx answer. */
  webhookMs: number[];
  /** Webhook: from the moment Telegram had the update (queueing for a connection included) to the answer. */
  deliveryMs: number[];
  webhookFailures: number;
  /** Offered updates the bot had not answered when the drain ended. */
  unanswered: number;
  webhookP50: number | undefined;
  webhookP99: number | undefined;
  deliveryP99: number | undefined;
};

/**
 * @example
 * const figures = await runOpenLoop(session, { ratePerSecond: 100, durationMs: 20_000, … });
 */
export async function runOpenLoop(session: TSession, options: TOpenLoopOptions): Promise<TOpenLoopFigures> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const ready: Array<(isGo: boolean) => void> = [];
  let isOffering = true;
  const residents: Array<Promise<TResidentResult>> = [];
  const recordsBefore = session.delivery.records.length;

  const shared = residentEnv(session, {
    gate: () => Promise.resolve(false),
    signal: controller.signal,
    stepTimeoutMs: options.stepTimeoutMs,
    random: options.random,
  });
  const waitTurn = () =>
    isOffering ? new Promise<boolean>((resolve) => ready.push(resolve)) : Promise.resolve(false);
  const arrive = () => {
    let isFirst = true;
    const plan: TResidentPlan = {
      user: options.users.next(),
      behaviour: options.behaviour,
      answering: 'low',
      typedShare: options.typedShare,
      echoMessages: 1_000_000,
    };
    // The new resident's first update uses the tick that brought it.
    const gate = () => {
      if (!isFirst) return waitTurn();
      isFirst = false;
      return Promise.resolve(isOffering);
    };
    residents.push(runResident(plan, { ...shared, gate }));
  };

  const startedAt = performance.now();
  let offered = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - startedAt;
      if (elapsed >= options.durationMs) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * options.ratePerSecond) - offered;
      for (let i = 0; i < due; i++) {
        offered++;
        const next = ready.shift();
        if (next) next(true);
        else arrive();
      }
    }, 5);
  });
  const offeringMs = performance.now() - startedAt;
  isOffering = false;
  for (const next of ready.splice(0)) next(false);

  const drained = session.delivery.drain(options.drainMs);
  const residentsDone = Promise.all(residents);
  await Promise.race([residentsDone, sleep(options.drainMs)]);
  controller.abort();
  await residentsDone;
  await drained;

  const records = session.delivery.records.slice(recordsBefore);
  const attempts = records.flatMap((record) => record.attempts);
  const webhookMs = attempts
    .filter((a) => a.status >= 200 && a.status < 300)
    .map((a) => a.respondedAt - a.postedAt);
  const deliveryMs = records
    .filter((record) => record.respondedAt !== undefined)
    .map((record) => (record.respondedAt as number) - record.offeredAt);
  return {
    offered,
    offeredRate: offered / (offeringMs / 1000),
    residents: residents.length,
    webhookMs,
    deliveryMs,
    webhookFailures: attempts.filter((a) => a.status < 200 || a.status >= 300).length,
    unanswered:
      session.delivery.mode === 'webhook' ? records.filter((r) => r.respondedAt === undefined).length : 0,
    webhookP50: percentile(webhookMs, 50),
    webhookP99: percentile(webhookMs, 99),
    deliveryP99: percentile(deliveryMs, 99),
  };
}
