import { resolve } from 'node:path';
import { DatabaseUrlError } from './errors.ts';

export { DatabaseUrlError } from './errors.ts';

/** Where the data lives: an embedded PGlite folder (absolute path) or a PostgreSQL server. */
export type TDatabaseTarget = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string };

const EXAMPLES =
  'Use pglite:<folder> (e.g. pglite:./data/pglite) or postgresql://user:password@host:5432/database.';

/**
 * Reads DATABASE_URL. `pglite:<folder>` selects the embedded database in that folder (relative paths are
 * resolved against `cwd`); `postgresql://` or `postgres://` selects a PostgreSQL server.
 *
 * @throws {DatabaseUrlError} for anything else; the message names the problem, never the credentials.
 * @example
 * parseDatabaseUrl('pglite:./data/pglite'); // { kind: 'pglite', dataDir: '/srv/bridgeline/data/pglite' }
 */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): TDatabaseTarget {
  const trimmed = url.trim();
  if (trimmed === '') {
    throw new DatabaseUrlError(`DATABASE_URL is empty. ${EXAMPLES}`);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'pglite') {
    const folder = trimmed.slice('pglite:'.length);
    if (folder.startsWith('//')) {
      throw new DatabaseUrlError(`DATABASE_URL pglite: takes a folder path, not //host. ${EXAMPLES}`);
    }
    if (folder.trim() === '') {
      throw new DatabaseUrlError(`DATABASE_URL pglite: needs a folder path after the colon. ${EXAMPLES}`);
    }
    return { kind: 'pglite', dataDir: resolve(cwd, folder) };
  }
  if (scheme === 'postgresql' || scheme === 'postgres') {
    if (!URL.canParse(trimmed) || !trimmed.slice(scheme.length + 1).startsWith('//')) {
      throw new DatabaseUrlError(`DATABASE_URL is not a valid ${scheme}:// URL. ${EXAMPLES}`);
    }
    return { kind: 'postgres', url: trimmed };
  }
  const what = scheme === undefined ? 'has no scheme' : `uses the unsupported scheme ${scheme}:`;
  throw new DatabaseUrlError(`DATABASE_URL ${what}. ${EXAMPLES}`);
}
