/**
 * CPU the PostgreSQL server spends for one database: the backends serving its connections, read from
 * /proc (the server runs on this machine). On the embedded database that work happens inside the bot's
 * process and is already in its CPU; on PostgreSQL it would otherwise go unseen, and a bot that runs more
 * SQL would look cheaper than it is.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

/**
 * @example
 * const sampler = createPostgresCpuSampler(adminUrl, 'bench_1a2b');
 * const before = await sampler.sample();
 * // … traffic …
 * const spentMs = sampler.spentSince(before, await sampler.sample());
 */
export function createPostgresCpuSampler(adminUrl: string, databaseName: string, ticksPerSecond: number) {
  return {
    /** CPU ms so far of each backend connected to the database, by pid. */
    async sample(): Promise<Map<number, number> | undefined> {
      const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        const { rows } = await client.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [databaseName],
        );
        const cpu = new Map<number, number>();
        for (const { pid } of rows) {
          const ms = processCpuMs(pid, ticksPerSecond);
          if (ms !== undefined) cpu.set(pid, ms);
        }
        return cpu;
      } catch {
        return undefined;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    /**
     * CPU ms spent between two samples by the backends alive at the second (a backend that closed in
     * between is missed; pools keep theirs open while busy).
     */
    spentSince(before: Map<number, number>, after: Map<number, number>): number {
      let spent = 0;
      for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
      return spent;
    },
  };
}

export type TPostgresCpuSampler = ReturnType<typeof createPostgresCpuSampler>;

/** utime + stime of a process, in ms; undefined when it is gone or unreadable. */
export function processCpuMs(pid: number, ticksPerSecond: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
}
