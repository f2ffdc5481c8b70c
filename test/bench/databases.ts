/**
 * A fresh database for every bot run, embedded or PostgreSQL, and the rows that make a database "big" for
 * the database-size figures. Seeding names only the columns it must and lets defaults fill the rest, so it
 * keeps working while the schema grows.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export type TDatabaseKind = 'pglite' | 'postgres';

export const DATABASE_LABEL: Record<TDatabaseKind, string> = { pglite: 'embedded', postgres: 'PostgreSQL' };

export const POSTGRES_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/test';

export type TBenchDatabase = {
  kind: TDatabaseKind;
  /** DATABASE_URL for the bot: `pglite:<folder>` or `postgresql://…/bench_<random>`. */
  url: string;
  /** The embedded database's folder. */
  folder?: string;
  /** Removes the folder, or drops the PostgreSQL database (with FORCE). */
  drop(): Promise<void>;
};

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function checkPostgres(adminUrl = POSTGRES_ADMIN_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL does not answer at ${adminUrl} (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A new, empty database. Embedded: a new folder holding an empty cluster (copied from a template made once
 * per PGlite version, which saves the 3-5 s of initdb a first start costs; the bot migrates it as usual).
 *
 * @example
 * const db = await createDatabase('postgres');
 * // … DATABASE_URL=db.url …
 * await db.drop();
 */
export async function createDatabase(
  kind: TDatabaseKind,
  adminUrl = POSTGRES_ADMIN_URL,
): Promise<TBenchDatabase> {
  if (kind === 'pglite') {
    const parent = await mkdtemp(join(tmpdir(), 'bridgeline-bench-'));
    const folder = join(parent, 'pglite');
    await cp(await pgliteTemplate(), folder, { recursive: true });
    return {
      kind,
      url: `pglite:${folder}`,
      folder,
      drop: () => rm(parent, { recursive: true, force: true }),
    };
  }
  const name = `bench_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

let template: Promise<string> | undefined;

function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const packageJson = fileURLToPath(
      new URL('../package.json', import.meta.resolve('@electric-sql/pglite')),
    );
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    const folder = join(tmpdir(), `bridgeline-bench-pglite-${version}-template`);
    if (existsSync(join(folder, 'PG_VERSION'))) return folder;
    const making = `${folder}.${randomBytes(4).toString('hex')}`;
    const db = await PGlite.create({ dataDir: making });
    await db.close();
    await rename(making, folder).catch(async () => {
      // Another bench made it first.
      await rm(making, { recursive: true, force: true });
    });
    return folder;
  })();
  return template;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * SQL for residents `first`..`last` who each finished one screening a while ago: the resident (consent
 * given), a completed screening with a dummy sealed state, two delivered outbox messages, and three handled
 * update ids (a week's worth is what the bot keeps). Nothing that needs the bot's keys: the rows are only
 * there to make tables and indexes as large as a busy service's.
 */
export function seedSql(first: number, last: number): string {
  const series = `generate_series(${first}, ${last}) AS n`;
  return `
BEGIN;
INSERT INTO "Resident" ("id", "locale", "consentStatus", "consentVersion", "consentAt", "chatIdSealed", "updatedAt")
  SELECT 'bench-seed-' || n, CASE WHEN n % 10 = 0 THEN 'zh-CN' ELSE 'en' END, 'given', '1',
         now() - interval '3 days', 'bench:sealed-placeholder-' || n, now() - interval '2 days'
  FROM ${series};
INSERT INTO "Screening" ("id", "residentId", "scriptId", "scriptVersion", "status", "stateSealed", "level", "completedAt")
  SELECT 'bench-seed-screening-' || n, 'bench-seed-' || n, 'default', 2, 'completed',
         'bench:sealed-placeholder-' || repeat('x', 600), 'low', now() - interval '2 days'
  FROM ${series};
INSERT INTO "OutboxMessage" ("kind", "payloadSealed", "status", "sentAt")
  SELECT 'resident-notice', 'bench:sealed-placeholder-' || repeat('y', 200), 'sent', now() - interval '2 days'
  FROM ${series}, generate_series(1, 2);
INSERT INTO "ProcessedUpdate" ("updateId")
  SELECT 9000000000 + n * 3 + k FROM ${series}, generate_series(0, 2) AS k;
COMMIT;
`;
}

/**
 * After a seed, the tables are left as a long-running service's would be: vacuumed, frozen, analysed and
 * checkpointed. Left to PostgreSQL, the autovacuum of 700,000 new rows and the checkpoint after them would run
 * during the measurement that follows and take CPU from it. One statement each: VACUUM cannot run in a
 * transaction block.
 */
const SETTLE_STATEMENTS = ['VACUUM (FREEZE, ANALYZE)', 'CHECKPOINT'];

/**
 * Adds seeded residents `first`..`last` to a database whose schema exists (the bot has migrated it) and
 * that no bot process holds (the embedded folder is opened here directly).
 */
export async function seedResidents(db: TBenchDatabase, first: number, last: number): Promise<void> {
  const sql = seedSql(first, last);
  if (db.kind === 'postgres') {
    await withClient(db.url, async (client) => {
      await client.query(sql);
      for (const statement of SETTLE_STATEMENTS) await client.query(statement);
    });
    return;
  }
  const embedded = await PGlite.create({ dataDir: db.folder ?? '' });
  try {
    await embedded.exec(sql);
    for (const statement of SETTLE_STATEMENTS) await embedded.exec(statement);
  } finally {
    await embedded.close();
  }
}
