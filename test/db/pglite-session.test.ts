import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { socketPathOf } from '../../src/db/embedded-owner.ts';
import { PgliteLink } from '../../src/db/pglite-link.ts';
import { createPgliteSession, type TPgliteSession } from '../../src/db/pglite-session.ts';
import { serveOnSocket, type TSocketServer } from '../../src/db/pglite-socket.ts';
import { createSessionTurns } from '../../src/db/pglite-turns.ts';
import { PrismaClient } from '../../src/generated/prisma/client.ts';

// One PGlite, shared the way the bot shares it: this process through the session's adapter (linked
// connections), local tools through the socket. Both must see each other's work only once it is committed.
describe('the embedded database shared by this process and its socket', () => {
  let workDir: string;
  let pglite: PGlite;
  let session: TPgliteSession;
  let server: TSocketServer;
  let prisma: PrismaClient;
  const socketClient = async () => {
    const client = new pg.Client({ host: workDir, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };
  const count = async (client: pg.Client) =>
    Number((await client.query('SELECT count(*)::int AS n FROM probe')).rows[0].n);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bridgeline-session-'));
    pglite = await PGlite.create();
    await pglite.exec('CREATE TABLE probe (id int PRIMARY KEY)');
    session = createPgliteSession(pglite);
    server = await serveOnSocket(session.socket, socketPathOf(workDir));
    prisma = new PrismaClient({ adapter: session.adapter });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await server.stop();
    await session.close();
    await pglite.close();
    await rm(workDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await prisma.$executeRaw`DELETE FROM probe`;
  });

  it("keeps a socket client's query out of this process's open transaction", async () => {
    const tool = await socketClient();
    const events: string[] = [];
    const transaction = prisma
      .$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO probe (id) VALUES (${1})`;
        events.push('inserted');
        await setTimeout(150);
        throw new Error('changed my mind');
      })
      .catch(() => events.push('rolled back'));
    while (!events.includes('inserted')) await setTimeout(5);
    // One PGlite session: run now, this SELECT would see the uncommitted row.
    const seen = await count(tool);
    events.push('tool read');
    await transaction;
    expect(seen).toBe(0);
    expect(events).toEqual(['inserted', 'rolled back', 'tool read']);
    await tool.end();
  });

  it("keeps this process's statements out of a socket client's open transaction", async () => {
    const tool = await socketClient();
    await tool.query('BEGIN');
    await tool.query('INSERT INTO probe (id) VALUES (2)');
    // A Prisma query starts when awaited: `then` starts it now, while the tool's transaction is open.
    const read = prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM probe WHERE id = ${2}`.then(
      (rows) => rows,
    );
    await setTimeout(100);
    await tool.query('ROLLBACK');
    expect((await read)[0]?.n).toBe(0);
    await tool.end();
  });

  it("rolls back what a socket client left open, and this process's work goes on", async () => {
    const tool = await socketClient();
    await tool.query('BEGIN');
    await tool.query('INSERT INTO probe (id) VALUES (3)');
    await tool.end();
    expect(await prisma.$queryRaw`SELECT count(*)::int AS n FROM probe`).toEqual([{ n: 0 }]);
    await prisma.$executeRaw`INSERT INTO probe (id) VALUES (${4})`;
    const next = await socketClient();
    expect(await count(next)).toBe(1);
    await next.end();
  });

  it('goes on when a socket client is killed while its message waits for the turn', async () => {
    for (const send of [
      (tool: pg.Client) => tool.query('BEGIN'),
      (tool: pg.Client) => tool.query('SELECT $1::int', [1]),
    ]) {
      const tool = await socketClient();
      tool.on('error', () => {});
      const transaction = prisma.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO probe (id) VALUES (${5})`;
        await setTimeout(200);
      });
      await setTimeout(50);
      send(tool).catch(() => {});
      await setTimeout(50);
      // Killed (Ctrl-C) while waiting: left to run later, its message would hold the session for good.
      (tool as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await transaction;
      const after = await Promise.race([
        prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM probe`,
        setTimeout(3000, 'stuck'),
      ]);
      expect(after).toEqual([{ n: 1 }]);
      const next = await socketClient();
      expect(await count(next)).toBe(1);
      await next.end();
      await prisma.$executeRaw`DELETE FROM probe`;
    }
  });

  it('answers each side on its own stream, prepared statements included', async () => {
    const tool = await socketClient();
    for (let round = 0; round < 3; round += 1) {
      const [mine, theirs] = await Promise.all([
        prisma.$queryRaw<{ who: string }[]>`SELECT ${'process'}::text AS who`,
        tool.query('SELECT $1::text AS who', ['tool']),
      ]);
      expect(mine).toEqual([{ who: 'process' }]);
      expect(theirs.rows).toEqual([{ who: 'tool' }]);
    }
    await tool.end();
  });
});

describe('PgliteLink', () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = await PGlite.create();
    await pglite.exec('CREATE TABLE probe (id int PRIMARY KEY)');
  });
  afterAll(async () => {
    await pglite.close();
  });

  it('rolls back a transaction its client left open and drops its prepared statements', async () => {
    const turns = createSessionTurns();
    const linked = () =>
      new pg.Client({ user: 'postgres', database: 'postgres', stream: () => new PgliteLink(pglite, turns) });
    const first = linked();
    await first.connect();
    await first.query('BEGIN');
    await first.query({ name: 'probe_insert', text: 'INSERT INTO probe (id) VALUES ($1)', values: [1] });
    await first.end();

    // The next connection prepares the same name in the same backend, and sees nothing of the first's work.
    const second = linked();
    await second.connect();
    await second.query({ name: 'probe_insert', text: 'INSERT INTO probe (id) VALUES ($1)', values: [2] });
    expect((await second.query('SELECT id FROM probe')).rows).toEqual([{ id: 2 }]);
    await second.end();
  });

  it("closes only its own prepared statements when it leaves: another connection's stay", async () => {
    const turns = createSessionTurns();
    const linked = () =>
      new pg.Client({ user: 'postgres', database: 'postgres', stream: () => new PgliteLink(pglite, turns) });
    const [leaving, staying] = [linked(), linked()];
    await Promise.all([leaving.connect(), staying.connect()]);
    await leaving.query({ name: 'leaving_read', text: 'SELECT $1::int AS n', values: [1] });
    await staying.query({ name: 'staying_read', text: 'SELECT $1::int AS n', values: [2] });
    await leaving.end();
    expect(
      (await staying.query({ name: 'staying_read', text: 'SELECT $1::int AS n', values: [3] })).rows,
    ).toEqual([{ n: 3 }]);
    await staying.end();
  });

  it('rolls back and hands the turn on when destroyed while its statement waits for the turn', async () => {
    const turns = createSessionTurns();
    const client = new pg.Client({
      user: 'postgres',
      database: 'postgres',
      stream: () => new PgliteLink(pglite, turns),
    });
    client.on('error', () => {});
    await client.connect();
    const someoneElse = await turns.take();
    client.query('BEGIN').catch(() => {});
    await setTimeout(10);
    // A query still running: pg destroys the stream.
    client.end().catch(() => {});
    await setTimeout(10);
    someoneElse();
    const next = await Promise.race([turns.take(), setTimeout(2000, 'stuck' as const)]);
    expect(next).not.toBe('stuck');
    expect(pglite.isInTransaction()).toBe(false);
    if (next !== 'stuck') next();
  });
});
