/**
 * Memory with many residents mid-screening: each sends `/start`, consents and answers the first question,
 * then leaves the screening open, as people do. Residents arrive as fast as the bot takes them (a fixed
 * number at work at once); the bot's resident memory is read when all have got there, or when the time box
 * ends (then the figure says how many had).
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { TSession } from './bots.ts';
import { residentEnv, type TUserAllocator } from './crowd.ts';
import { runResident } from './virtual-residents.ts';

export type TMemoryOptions = {
  residents: number;
  /** Residents at work at once. */
  concurrency: number;
  timeBoxMs: number;
  stepTimeoutMs: number;
  users: TUserAllocator;
  random: () => number;
};

export type TMemoryFigures = {
  target: number;
  /** Residents who answered the first question and got the second. */
  reached: number;
  durationMs: number;
  isCutOff: boolean;
  rssMb: number | undefined;
  peakRssMb: number | undefined;
};

/**
 * @example
 * const figures = await runMemoryScenario(session, { residents: 10_000, concurrency: 100, … });
 */
export async function runMemoryScenario(session: TSession, options: TMemoryOptions): Promise<TMemoryFigures> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const env = residentEnv(session, {
    gate: async () => !controller.signal.aborted,
    signal: controller.signal,
    stepTimeoutMs: options.stepTimeoutMs,
    random: options.random,
  });
  const startedAt = performance.now();
  const timer = setTimeout(() => controller.abort(), options.timeBoxMs);
  let started = 0;
  let reached = 0;
  const worker = async () => {
    while (started < options.residents && !controller.signal.aborted) {
      started++;
      const result = await runResident(
        { user: options.users.next(), behaviour: 'screening', answering: 'low', stopAfterAnswers: 1 },
        env,
      );
      if (result.questionTimes.length >= 2) reached++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  clearTimeout(timer);
  const isCutOff = controller.signal.aborted;
  controller.abort();
  const memory = session.bot.memory();
  return {
    target: options.residents,
    reached,
    durationMs: performance.now() - startedAt,
    isCutOff,
    rssMb: memory?.rssMb,
    peakRssMb: memory?.peakRssMb,
  };
}
