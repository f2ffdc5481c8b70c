import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQueryable,
} from '@prisma/driver-adapter-utils';
import { ColumnTypeEnum, DriverAdapterError } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { quoteIdentifier, runAdminStatement, withDatabase } from './postgres-admin.ts';

/**
 * A driver adapter factory for Prisma's schema engine, with `close()` for everything it opened (pools,
 * shadow databases): the engine does not reliably dispose what it connects.
 */
export type TMigrationAdapterFactory = SqlMigrationAwareDriverAdapterFactory & { close(): Promise<void> };

type TCloser = () => Promise<void>;

/**
 * Schema-engine adapter over PostgreSQL (or the embedded database's socket, which speaks its protocol).
 * The shadow database is a uniquely named PostgreSQL database, or an in-memory PGlite when `shadow` says so
 * (a PGlite socket serves one database and cannot create another).
 */
export function createPgMigrationAdapter(
  config: pg.PoolConfig,
  options: { shadow: 'postgres' | 'pglite' } = { shadow: 'postgres' },
): TMigrationAdapterFactory {
  const closers = new Set<TCloser>();
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectPg(config, closers),
    connectToShadowDb: () =>
      options.shadow === 'pglite' ? connectPgliteShadow(closers) : connectPgShadow(config, closers),
    close: () => closeAll(closers),
  };
}

async function connectPg(
  config: pg.PoolConfig,
  closers: Set<TCloser>,
  onEnd?: TCloser,
): Promise<SqlDriverAdapter> {
  // One connection, as the native engine uses: its advisory lock and unlock must share a session.
  const pool = new pg.Pool({ ...config, max: 1 });
  const end: TCloser = async () => {
    if (!closers.delete(end)) return;
    await pool.end();
    await onEnd?.();
  };
  closers.add(end);
  const adapter = runScriptsWith(await new PrismaPg(pool).connect(), (script) => pool.query(script));
  readCharAsCharacter(pool, adapter);
  adapter.dispose = end;
  return adapter;
}

/**
 * adapter-pg's own shadow database reuses the main database when configured by connection string, and drops
 * it before closing its pool; this one gets a fresh name and closes first.
 */
async function connectPgShadow(config: pg.PoolConfig, closers: Set<TCloser>): Promise<SqlDriverAdapter> {
  const name = `prisma_shadow_${process.pid}_${randomBytes(4).toString('hex')}`;
  await runAdminStatement(config, `CREATE DATABASE ${quoteIdentifier(name)}`);
  return connectPg(withDatabase(config, name), closers, () =>
    runAdminStatement(config, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)}`),
  );
}

async function connectPgliteShadow(closers: Set<TCloser>): Promise<SqlDriverAdapter> {
  // Loaded here, not at start: a deployment on PostgreSQL never holds PGlite's modules (about 37 MB).
  const [{ createMemoryPglite }, { PrismaPGlite }] = await Promise.all([
    import('./pglite-cluster.ts'),
    import('pglite-prisma-adapter'),
  ]);
  const shadow = await createMemoryPglite();
  const close: TCloser = async () => {
    if (closers.delete(close)) await shadow.close();
  };
  closers.add(close);
  const adapter = runScriptsWith(await new PrismaPGlite(shadow).connect(), (script) => shadow.exec(script));
  adapter.dispose = close;
  return adapter;
}

/**
 * Runs migration scripts as one simple-protocol query, as the native engine does: pglite-prisma-adapter
 * 0.7.2 does not await its `exec`, and adapter-pg splits scripts at every `;`, even inside strings.
 */
function runScriptsWith(
  adapter: SqlDriverAdapter,
  run: (script: string) => Promise<unknown>,
): SqlDriverAdapter {
  adapter.executeScript = async (script) => {
    try {
      await run(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  };
  return adapter;
}

function toDriverAdapterError(error: unknown): unknown {
  const e = error as Partial<Record<'code' | 'severity' | 'message' | 'detail' | 'column' | 'hint', unknown>>;
  if (typeof e?.code !== 'string' || typeof e.severity !== 'string' || typeof e.message !== 'string')
    return error;
  const optional = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return new DriverAdapterError({
    kind: 'postgres',
    code: e.code,
    severity: e.severity,
    message: e.message,
    detail: optional(e.detail),
    column: optional(e.column),
    hint: optional(e.hint),
    originalCode: e.code,
    originalMessage: e.message,
  });
}

/** Result rows that held `"char"` columns, by column index; see {@link readCharAsCharacter}. */
const charColumns = new WeakMap<object, number[]>();

/**
 * adapter-pg rejects PostgreSQL's internal `"char"` type (OID 18), which the engine reads when it describes
 * a schema (e.g. `pg_constraint.contype`, which has rows for NOT NULL constraints since PostgreSQL 18). Each
 * pooled client reports such columns as text, which adapter-pg accepts, and notes them by their rows
 * array; the adapter's results then name them `Character`, as the engine reads them.
 */
function readCharAsCharacter(pool: pg.Pool, adapter: SqlDriverAdapter): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    const patched = (...args: unknown[]) => {
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: unknown, result: unknown) =>
          callback(error, error ? result : markChar(result));
        return query(...args);
      }
      const returned = query(...args);
      return returned instanceof Promise ? returned.then(markChar) : returned;
    };
    Object.assign(client, { query: patched });
  });
  const restore = <T extends SqlQueryable>(queryable: T): T => {
    const queryRaw = queryable.queryRaw.bind(queryable);
    queryable.queryRaw = async (query) => {
      const result = await queryRaw(query);
      for (const index of charColumns.get(result.rows) ?? [])
        result.columnTypes[index] = ColumnTypeEnum.Character;
      return result;
    };
    return queryable;
  };
  restore(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) => restore(await startTransaction(isolationLevel));
}

function markChar(result: unknown): unknown {
  for (const one of Array.isArray(result) ? result : [result]) {
    const { fields = [], rows } = (one ?? {}) as { fields?: { dataTypeID: number }[]; rows?: unknown[] };
    const chars = fields.filter((field) => field.dataTypeID === 18);
    if (chars.length === 0 || rows === undefined) continue;
    charColumns.set(
      rows,
      chars.map((field) => fields.indexOf(field)),
    );
    for (const field of chars) field.dataTypeID = 25;
  }
  return result;
}

async function closeAll(closers: Set<TCloser>): Promise<void> {
  for (const close of [...closers]) await close();
}
