import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { PGlite, protocol } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketPathOf } from '../../src/db/embedded-owner.ts';
import { createPgliteSession } from '../../src/db/pglite-session.ts';
import { serveOnSocket, type TSocketServer } from '../../src/db/pglite-socket.ts';

/** A bare protocol client, to send an extended-query batch in two halves with a pause between. */
function createRawClient(socketPath: string) {
  const socket: Socket = connect(socketPath);
  const parser = new protocol.Parser();
  const received: { name: string; fields?: unknown[] }[] = [];
  socket.on('data', (chunk) => {
    parser.parse(chunk, (message) => received.push(message as (typeof received)[number]));
  });
  const waitFor = async (name: string, count = 1) => {
    while (received.filter((message) => message.name === name).length < count) await setTimeout(5);
  };
  return { socket, received, waitFor };
}

describe('serveOnSocket', () => {
  let workDir: string;
  let pglite: PGlite;
  let server: TSocketServer;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bridgeline-socket-'));
    pglite = await PGlite.create();
    server = await serveOnSocket(createPgliteSession(pglite).socket, socketPathOf(workDir));
  });
  afterAll(async () => {
    await server.stop();
    await pglite.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("keeps a client's Parse/Bind/Execute/Sync together while another client queries", async () => {
    const raw = createRawClient(socketPathOf(workDir));
    raw.socket.write(protocol.serialize.startup({ user: 'postgres', database: 'postgres' }));
    await raw.waitFor('readyForQuery');
    raw.socket.write(
      Buffer.concat([
        protocol.serialize.parse({ text: "SELECT 'mine' AS owner" }),
        protocol.serialize.bind({}),
      ]),
    );
    await raw.waitFor('bindComplete');

    // Meanwhile another connection runs its own unnamed statement, which would replace the raw client's.
    const other = new pg.Client({ host: workDir, user: 'postgres', database: 'postgres' });
    const otherQuery = other.connect().then(() => other.query('SELECT $1::text AS owner', ['theirs']));
    await setTimeout(200);

    raw.socket.write(Buffer.concat([protocol.serialize.execute({}), protocol.serialize.sync()]));
    await raw.waitFor('readyForQuery', 2);
    const row = raw.received.find((message) => message.name === 'dataRow');
    expect(row?.fields).toEqual(['mine']);
    expect((await otherQuery).rows).toEqual([{ owner: 'theirs' }]);
    raw.socket.end();
    await other.end();
  });

  it('ends the batch of a client that leaves mid-way, so the next one is not ignored', async () => {
    const raw = createRawClient(socketPathOf(workDir));
    raw.socket.write(protocol.serialize.startup({ user: 'postgres', database: 'postgres' }));
    await raw.waitFor('readyForQuery');
    // A failing Parse puts the backend into "skip until Sync"; the client then disappears.
    raw.socket.write(protocol.serialize.parse({ text: 'SELEC nonsense' }));
    await raw.waitFor('error');
    raw.socket.destroy();
    await setTimeout(50);

    const next = new pg.Client({ host: workDir, user: 'postgres', database: 'postgres' });
    await next.connect();
    expect((await next.query('SELECT $1::int + 1 AS two', [1])).rows).toEqual([{ two: 2 }]);
    await next.end();
  });
});
