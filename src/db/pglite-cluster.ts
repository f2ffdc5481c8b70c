import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/**
 * A new PGlite cluster runs initdb, which takes 3-5 s on two cores; loading a dump of an empty cluster takes
 * about 0.6 s. Shadow databases (`prisma migrate dev`, `migrate diff`) and test databases start from such a
 * dump, kept in the system temp folder per PGlite version and in memory once read.
 */
let emptyCluster: Promise<Blob> | undefined;

/** The installed PGlite version: a data folder or dump is only good for the version that wrote it. */
export function pgliteVersion(): string {
  const packageJson = fileURLToPath(new URL('../package.json', import.meta.resolve('@electric-sql/pglite')));
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

function cachePath(): string {
  return join(tmpdir(), `bridgeline-pglite-${pgliteVersion()}-empty-cluster.tar`);
}

/** An in-memory PGlite holding an empty cluster, seeded from the cached dump (made on first use). */
export async function createMemoryPglite(): Promise<PGlite> {
  return PGlite.create({ loadDataDir: await loadEmptyCluster(), postgresqlconf: EMBEDDED_SETTINGS });
}

/**
 * PostgreSQL's memory settings for the embedded database, which lives in the bot's own process. Its default
 * shared buffers (128 MB) would be most of the bot's memory; a community team's data is a few megabytes,
 * and the operating system caches the files under it anyway.
 */
const EMBEDDED_SETTINGS = ['shared_buffers = 16MB', 'wal_buffers = 1MB', 'temp_buffers = 1MB'];

/**
 * Opens (or creates) a PGlite folder. A new folder is seeded from the cached empty cluster when one exists
 * already; otherwise PGlite runs initdb. Creates missing parent folders, which PGlite does not.
 */
export async function openPgliteFolder(dataDir: string): Promise<PGlite> {
  await mkdir(dataDir, { recursive: true });
  const options = { dataDir, postgresqlconf: EMBEDDED_SETTINGS };
  if (existsSync(join(dataDir, 'PG_VERSION')) || !existsSync(cachePath())) return PGlite.create(options);
  const dump = await readCachedCluster();
  return dump === undefined ? PGlite.create(options) : PGlite.create({ ...options, loadDataDir: dump });
}

function loadEmptyCluster(): Promise<Blob> {
  emptyCluster ??= (async () => {
    const cached = await readCachedCluster();
    if (cached !== undefined) return cached;
    const fresh = await PGlite.create();
    try {
      const dump = await fresh.dumpDataDir('none');
      await writeCachedCluster(dump);
      return dump;
    } finally {
      await fresh.close();
    }
  })();
  emptyCluster.catch(() => {
    emptyCluster = undefined;
  });
  return emptyCluster;
}

async function readCachedCluster(): Promise<Blob | undefined> {
  const bytes = await readFile(cachePath()).catch(() => undefined);
  return bytes === undefined ? undefined : new Blob([bytes]);
}

/** Written under a temporary name and renamed, so concurrent processes never read half a file. */
async function writeCachedCluster(dump: Blob): Promise<void> {
  const temporary = `${cachePath()}.${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temporary, new Uint8Array(await dump.arrayBuffer()));
    await rename(temporary, cachePath());
  } catch {
    await rm(temporary, { force: true });
  }
}
