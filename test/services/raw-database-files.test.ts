import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import {
  createTestDatabase,
  describeDatabase,
  type TTestDatabase,
  testDatabaseKind,
} from '../helpers/database.ts';
import { createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinOnCall, staffPerson } from '../helpers/workers.ts';

/**
 * A stolen copy of the database: the embedded database's folder, byte for byte, or a PostgreSQL dump. What
 * a resident wrote and their Telegram id must be in neither (sealed, and pseudonymised).
 */
const run = promisify(execFile);
const RESIDENT_ID = 6_120_554_873;
const WORDS = ['periwinkle-granary', 'the pills are in the drawer', 'landlord-ouzel', 'worker-xylograph'];

let folder: string | undefined;
let database: TTestDatabase;
let app: TTestApp;
beforeAll(async () => {
  if (testDatabaseKind === 'pglite') {
    // A folder on disk, as `npm start` keeps it.
    folder = await mkdtemp(join(tmpdir(), 'bridgeline-raw-'));
    const db = await openDatabase(`pglite:${folder}`);
    await migrateDatabase(db);
    database = { db, kind: 'pglite', close: () => db.close() };
  } else {
    database = await createTestDatabase();
  }
  app = await createTestApp({ database, staff: 'none' });
});
afterAll(async () => {
  await app?.close();
  await database?.close().catch(() => undefined);
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe(describeDatabase('a stolen copy of the database'), () => {
  it("holds neither a resident's words nor their Telegram id", async () => {
    const worker = await joinOnCall(app, staffPerson('Wilhelmina'), { name: 'Wilhelmina Ray' });
    const resident = createResident(app, { id: RESIDENT_ID, languageCode: 'en' });
    await resident.consent();
    await resident.send(`periwinkle-granary I cannot do this any more, the pills are in the drawer, tonight`);
    await deliverOutbox(app);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    const { CALLBACK } = await import('../../src/bot/keyboards.ts');
    await worker.press(CALLBACK.claim(row.id), worker.claimMessageId(row.id));
    await worker.send('worker-xylograph I am here with you');
    await resident.send('landlord-ouzel took the deposit and now this');
    await deliverOutbox(app);

    let haystack: Buffer;
    if (folder) {
      await app.close();
      await database.db.close();
      const files = await filesUnder(folder);
      expect(files.length).toBeGreaterThan(100);
      haystack = Buffer.concat(await Promise.all(files.map((file) => readFile(file))));
    } else {
      const dump = await run('pg_dump', ['--no-owner', database.url ?? ''], { maxBuffer: 256 * 1024 * 1024 });
      haystack = Buffer.from(dump.stdout);
      expect(dump.stdout).toContain('CREATE TABLE public."CaseMessage"');
    }
    const idBytes = Buffer.alloc(8);
    idBytes.writeBigInt64LE(BigInt(RESIDENT_ID));
    const found = [
      ...WORDS.filter((words) => haystack.includes(Buffer.from(words, 'utf8'))),
      ...(haystack.includes(Buffer.from(String(RESIDENT_ID))) ? ['Telegram id as text'] : []),
      ...(haystack.includes(idBytes) ? ['Telegram id as a 64-bit integer'] : []),
    ];
    expect(found).toEqual([]);
    // The search does see the files: a worker's name is kept in the clear (the team knows its own), and found.
    expect(haystack.includes(Buffer.from('Wilhelmina Ray'))).toBe(true);
  }, 60_000);
});
