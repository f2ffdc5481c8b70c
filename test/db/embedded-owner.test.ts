import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseBusyError, openDatabase } from '../../src/db/client.ts';
import { claimDataDir, inspectDataDir, SOCKET_FILE } from '../../src/db/embedded-owner.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { projectRoot, run, runPrisma } from '../helpers/prisma-cli.ts';

// PGlite-only: in the PostgreSQL project run these would only repeat.
const OWNER_FILE = 'bridgeline-owner.lock';

describe('one owner per embedded database folder', () => {
  let workDir: string;
  const holders: ChildProcessWithoutNullStreams[] = [];
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bridgeline-owner-'));
  });
  afterAll(async () => {
    for (const child of holders) child.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  });

  /** Starts another process that owns the folder, as `npm start` does. */
  async function startHolder(url: string) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/db/fixtures/hold-database.ts', url, '--serve'],
      {
        cwd: projectRoot,
      },
    );
    holders.push(child);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => (await lines.next()).value as string | undefined;
    const ready = await next();
    expect(ready).toMatch(/^ready \d+$/);
    return {
      pid: child.pid ?? -1,
      async write(count: number) {
        child.stdin.write(`write ${count}\n`);
        expect(await next()).toBe(`wrote ${count}`);
      },
      exited: new Promise<number | null>((resolve) => child.once('exit', resolve)),
      stop: () => child.stdin.end(),
      kill: () => child.kill('SIGKILL'),
    };
  }

  it('refuses a second owner, and lets tools in through the owner socket', { timeout: 60_000 }, async () => {
    const dataDir = join(workDir, 'running');
    const url = `pglite:${dataDir}`;
    const holder = await startHolder(url);

    const second = openDatabase(url, { serveSocket: true });
    await expect(second).rejects.toBeInstanceOf(DatabaseBusyError);
    await expect(second).rejects.toThrow(
      `${dataDir} is held by another Bridgeline process (pid ${holder.pid})`,
    );

    const db = await openDatabase(url);
    try {
      expect(db.via).toBe('socket');
      expect(await db.ping()).toBe(true);
      expect(await migrateDatabase(db)).toEqual({ applied: [] });
      // Both processes at once, with statements of different shapes: a Bind must never reach another
      // connection's Parse (the owner's socket server keeps each extended-query batch together).
      const ours = Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await db.prisma.resident.create({ data: { id: `tool-${i}`, locale: 'en' } });
          await db.prisma.resident.findMany({ where: { locale: 'en', id: { not: 'x' } }, take: 1 });
        }),
      );
      await Promise.all([holder.write(40), ours]);
      const [count, inTransaction] = await db.prisma.$transaction([
        db.prisma.resident.count(),
        db.prisma.resident.findMany({ where: { id: { startsWith: 'tool-' } } }),
      ]);
      expect(count).toBe(80);
      expect(inTransaction).toHaveLength(40);
    } finally {
      await db.close();
    }

    const status = await runPrisma(['migrate', 'status'], { databaseUrl: url });
    expect(status.output).toContain('Database schema is up to date');

    holder.stop();
    expect(await holder.exited).toBe(0);
    expect(existsSync(join(dataDir, OWNER_FILE))).toBe(false);
    const next = await openDatabase(url, { serveSocket: true });
    try {
      expect(next.via).toBe('direct');
      expect(await next.prisma.resident.count()).toBe(80);
    } finally {
      await next.close();
    }
  });

  it('lets a restart take over from an owner that crashed', { timeout: 60_000 }, async () => {
    const dataDir = join(workDir, 'crashed');
    const holder = await startHolder(`pglite:${dataDir}`);
    holder.kill();
    await holder.exited;
    expect(existsSync(join(dataDir, OWNER_FILE))).toBe(true);
    expect(existsSync(join(dataDir, SOCKET_FILE))).toBe(true);

    const warnings: object[] = [];
    const logger = { info: () => {}, warn: (fields: object) => warnings.push(fields) };
    const db = await openDatabase(`pglite:${dataDir}`, { serveSocket: true, logger });
    try {
      expect(db.via).toBe('direct');
      expect(await db.ping()).toBe(true);
      expect(warnings).toEqual([{ dataDir, stalePid: holder.pid }]);
    } finally {
      await db.close();
    }
  });

  it('treats an owner file as stale when its pid is gone or now names another process', async () => {
    const dataDir = join(workDir, 'stale');
    await mkdir(dataDir, { recursive: true });
    const gone = await run(process.execPath, ['-e', 'console.log(process.pid)'], { cwd: workDir });
    const deadPid = Number(gone.stdout.trim());
    await writeFile(join(dataDir, SOCKET_FILE), '');
    await writeFile(join(dataDir, OWNER_FILE), JSON.stringify({ pid: deadPid, socket: true }));
    expect(await inspectDataDir(dataDir)).toEqual({ state: 'free' });
    // A live pid started at another time is a reused pid, not the owner.
    await writeFile(
      join(dataDir, OWNER_FILE),
      JSON.stringify({ pid: process.pid, startedAt: '1', socket: false }),
    );
    expect(await inspectDataDir(dataDir)).toEqual({ state: 'free' });

    const claim = await claimDataDir(dataDir);
    expect(claim).toMatchObject({ claimed: true, stalePid: process.pid });
    expect(existsSync(join(dataDir, SOCKET_FILE))).toBe(false);
    expect(await claimDataDir(dataDir)).toEqual({
      claimed: false,
      holder: { state: 'held', pid: process.pid, socketPath: undefined },
    });
    if (claim.claimed) await claim.ownership.release();
    expect(await inspectDataDir(dataDir)).toEqual({ state: 'free' });
  });

  it('refuses a folder whose owner shares no socket, naming the holder', { timeout: 20_000 }, async () => {
    const url = `pglite:${join(workDir, 'private')}`;
    const owner = await openDatabase(url);
    try {
      await expect(openDatabase(url)).rejects.toThrow(
        new RegExp(`held by another Bridgeline process \\(pid ${process.pid}\\).*wait until it finishes`),
      );
    } finally {
      await owner.close();
    }
  });
});
