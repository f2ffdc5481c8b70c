/**
 * Does Bridgeline slow down as its tables fill? The same closed-loop screening runs against a database that
 * already holds a few residents' history and against one that holds many. Bridgeline migrates at start, so:
 * start it once on a fresh database (it migrates), stop it, seed, start it again and measure; stop, seed
 * up to the larger size, start again and measure.
 */
import { performance } from 'node:perf_hooks';
import { openSession, type TSession, type TSessionOptions } from './bots.ts';
import { runClosedLoopRound, type TClosedLoopOptions, type TRoundFigures } from './closed-loop.ts';
import { createDatabase, seedResidents, type TDatabaseKind } from './databases.ts';

export type TDatabaseSizeOptions = {
  database: TDatabaseKind;
  sizes: readonly [number, number];
  session: TSessionOptions;
  warmup: TClosedLoopOptions;
  round: TClosedLoopOptions;
  /** Called with each bot process, for the run log. */
  onSession?: (session: TSession) => void;
};

export type TDatabaseSizeFigures = { size: number; figures: TRoundFigures; seedMs: number }[];

/**
 * @example
 * const [small, large] = await runDatabaseSize({ database: 'postgres', sizes: [1000, 100_000], … });
 */
export async function runDatabaseSize(options: TDatabaseSizeOptions): Promise<TDatabaseSizeFigures> {
  const spec = { kind: 'bridgeline' as const, database: options.database, mode: 'webhook' as const };
  const database = await createDatabase(options.database);
  const results: TDatabaseSizeFigures = [];
  try {
    const migrating = await openSession(spec, { ...options.session, database });
    options.onSession?.(migrating);
    await migrating.close({ keepDatabase: true });
    let seeded = 0;
    for (const size of options.sizes) {
      const seedStarted = performance.now();
      await seedResidents(database, seeded + 1, size);
      const seedMs = performance.now() - seedStarted;
      seeded = size;
      const session = await openSession(spec, { ...options.session, database });
      options.onSession?.(session);
      try {
        await runClosedLoopRound(session, options.warmup);
        results.push({ size, figures: await runClosedLoopRound(session, options.round), seedMs });
      } finally {
        await session.close({ keepDatabase: true });
      }
    }
  } finally {
    await database.drop();
  }
  return results;
}
