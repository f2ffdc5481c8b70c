/**
 * How much of each scenario a run does. The full run fits in ten minutes on two cores and the quick one in
 * one, with today's slow bot too: every phase has a time box, and a bot that cannot finish in it is measured
 * on what it did.
 */
import type { TDatabaseKind } from './databases.ts';
import type { TBenchOptions, TScenario } from './options.ts';

export type TPlan = {
  isQuick: boolean;
  rttMs: number;
  scenarios: ReadonlySet<TScenario>;
  throughput: {
    residents: number;
    /** Measured rounds per bot; medians are reported. A round cut off by its time box ends the series. */
    rounds: number;
    timeBoxMs: number;
    warmup: { residents: number; timeBoxMs: number } | undefined;
    drainMs: number;
    /** A webhook reply or a question that takes longer than this is an error. */
    stepTimeoutMs: number;
    typedShare: number;
    /** Long polling too, measured as webhook mode is: the same warm-up, rounds and time box. */
    hasPolling: boolean;
  };
  openLoop: { ratePerSecond: number; durationMs: number; drainMs: number } | undefined;
  limits:
    | {
        /** Quick runs use PostgreSQL (if it answers): Bridgeline starts and stops faster on it. */
        database: TDatabaseKind;
        residents: number;
        crisisResidents: number;
        highResidents: number;
        workers: number;
        windowMs: number;
        drainMs: number;
        arrivalSpreadMs: number;
      }
    | undefined;
  databaseSize: { sizes: readonly [number, number]; residents: number; timeBoxMs: number } | undefined;
  memory:
    | {
        residents: number;
        concurrency: number;
        timeBoxMs: number;
        /** How long the bot sits without traffic after start before its settled idle memory is read. */
        settleMs: number;
      }
    | undefined;
};

/** Telegram's limits as the fake emulates them in the limits scenario. */
export const TELEGRAM_LIMITS = { perSecond: 30, perChatPerSecond: 1, perChatBurst: 10 } as const;

/**
 * @example
 * const plan = planRun(options); // plan.throughput.residents === 50 for a full run
 */
export function planRun(options: TBenchOptions): TPlan {
  const has = (scenario: TScenario) => options.only.has(scenario);
  if (options.isQuick) {
    return {
      isQuick: true,
      rttMs: options.rttMs,
      scenarios: options.only,
      throughput: {
        // Few residents, so a bot as fast as the typical one finishes the screening within the time box
        // and its last questions (and flatness) are measured.
        residents: 10,
        rounds: options.rounds ?? 1,
        timeBoxMs: 6500,
        warmup: undefined,
        drainMs: 500,
        stepTimeoutMs: 15_000,
        typedShare: 0.1,
        hasPolling: false,
      },
      openLoop: undefined,
      limits: has('limits')
        ? {
            database: 'postgres',
            residents: 40,
            crisisResidents: 3,
            highResidents: 0,
            workers: 1,
            windowMs: 5000,
            // At Telegram's pace of about a message a second per chat, a chat's last replies leave 4-5 s after
            // the load stops; 3 s read as lost what was only paced. The drain ends once nothing is owed.
            drainMs: 8000,
            arrivalSpreadMs: 1500,
          }
        : undefined,
      databaseSize: undefined,
      memory: undefined,
    };
  }
  return {
    isQuick: false,
    rttMs: options.rttMs,
    scenarios: options.only,
    throughput: {
      residents: 50,
      rounds: options.rounds ?? 3,
      timeBoxMs: 12_000,
      warmup: { residents: 5, timeBoxMs: 2500 },
      drainMs: 3000,
      stepTimeoutMs: 15_000,
      typedShare: 0.1,
      hasPolling: true,
    },
    openLoop: has('open-loop') ? { ratePerSecond: 100, durationMs: 15_000, drainMs: 5000 } : undefined,
    limits: has('limits')
      ? {
          database: 'pglite',
          residents: 200,
          crisisResidents: 10,
          highResidents: 10,
          workers: 2,
          windowMs: 50_000,
          drainMs: 20_000,
          // A ramp: at 30 messages/s a crowd arriving at once would be nothing but welcome messages.
          arrivalSpreadMs: 30_000,
        }
      : undefined,
    databaseSize: has('database-size')
      ? { sizes: [1000, 100_000], residents: 50, timeBoxMs: 12_000 }
      : undefined,
    memory: has('memory')
      ? { residents: 10_000, concurrency: 100, timeBoxMs: options.memoryTimeBoxMs, settleMs: 30_000 }
      : undefined,
  };
}
