import pg from 'pg';

/** The same server settings, for another database on it. */
export function withDatabase(config: pg.PoolConfig, database: string): pg.PoolConfig {
  if (config.connectionString === undefined) return { ...config, database };
  const url = new URL(config.connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...config, connectionString: url.toString() };
}

/** Quotes a database name for CREATE/DROP DATABASE. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Runs a server-level statement (CREATE/DROP DATABASE) from the configured database, or from `postgres`
 * when that one does not exist (yet).
 */
export async function runAdminStatement(config: pg.PoolConfig, sql: string): Promise<void> {
  let client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: unknown }).code !== '3D000') throw error;
    client = new pg.Client(withDatabase(config, 'postgres'));
    await client.connect();
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
