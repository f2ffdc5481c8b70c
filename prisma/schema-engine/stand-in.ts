/**
 * Stand-in for Prisma's native `schema-engine` binary.
 *
 * Why: every `prisma migrate *` / `prisma db *` command runs the native schema engine, which Prisma downloads
 * from its own host; these machines reach only the npm registry. `prisma.config.ts` points
 * PRISMA_SCHEMA_ENGINE_BINARY at this program (through `schema-engine.mjs`), which serves Prisma's Wasm
 * schema engine (`@prisma/schema-engine-wasm`, the build the CLI expects) over the binary's interface, on a
 * driver adapter for either database DATABASE_URL names: `pglite:<folder>` (directly, or through the
 * running bot's socket) or `postgresql://…`.
 *
 * Supports the binary's three modes:
 * - `--version`: prints the engine hash the CLI checks;
 * - `cli can-connect-to-database | create-database`: exit status, JSON log lines on stderr;
 * - JSON-RPC 2.0 over stdin/stdout, one message a line: the engine methods (applyMigrations, createMigration,
 *   devDiagnostic, diagnoseMigrationHistory, evaluateDataLoss, diff, dbExecute, reset, schemaPush,
 *   markMigrationApplied/RolledBack, introspect, …), `getDatabaseVersion`, `createDatabase`; text output
 *   (e.g. `migrate diff --script`) goes to the CLI as `print` requests. Diagnostics go to stderr only.
 * Works around the Wasm engine's gaps (PRISMA-OFFLINE.md): `devDiagnostic` needs the migrations table, so an
 * empty migration list is applied first; `evaluateDataLoss` needs the shadow schema a diagnose call caches.
 *
 * Not supported: `cli drop-database`; `shadowDatabaseUrl` (a shadow database is always made and dropped:
 * a new PostgreSQL database, or an in-memory PGlite); databases other than PostgreSQL/PGlite. Given a schema,
 * the Wasm engine connects as it starts, so even `migrate diff` needs DATABASE_URL's database to exist.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabaseConnection, type TDatabaseConnection } from '../../src/db/connection.ts';
import { parseDatabaseUrl } from '../../src/db/database-url.ts';
import type { TMigrationAdapterFactory } from '../../src/db/migration-adapters.ts';
import { quoteIdentifier, runAdminStatement } from '../../src/db/postgres-admin.ts';
import {
  describeEngineError,
  openSchemaEngine,
  readDatamodels,
  type SchemaEngine,
  schemaEngineHash,
} from '../../src/db/schema-engine.ts';

type TRequest = { id?: number | string; method?: string; params?: Record<string, unknown> };

/** RPC methods handed to the Wasm engine unchanged (same names and parameters). */
const ENGINE_METHODS = new Set(
  'applyMigrations createMigration dbExecute diagnoseMigrationHistory ensureConnectionValidity introspect introspectSql markMigrationApplied markMigrationRolledBack reset schemaPush'.split(
    ' ',
  ),
);

/** A failure with the Prisma error code the CLI shows (P1001 unreachable, P1003 no such database). */
class EngineError extends Error {
  constructor(
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

const { values, positionals } = parseArgs({
  options: {
    datamodels: { type: 'string', multiple: true },
    datasource: { type: 'string' },
    version: { type: 'boolean', short: 'V' },
  },
  allowPositionals: true,
  strict: false,
});
const datasource = JSON.parse(typeof values.datasource === 'string' ? values.datasource : '{}') as {
  url?: string;
};
const url = datasource.url;

if (values.version === true) {
  process.stdout.write(`schema-engine-cli ${schemaEngineHash()}\n`);
} else if (positionals[0] === 'cli') {
  process.exitCode = await runCliCommand(positionals[1]);
} else {
  serveRpc(Array.isArray(values.datamodels) ? values.datamodels.map(String) : []);
}

/** `cli <command>` mode: the CLI reads the exit status, and on failure the JSON lines after the first. */
async function runCliCommand(command: string | undefined): Promise<number> {
  writeLog('INFO', 'schema-engine stand-in (Wasm engine)');
  try {
    if (command === 'can-connect-to-database') await canConnect();
    else if (command === 'create-database') await createDatabase();
    else throw new EngineError(`The schema-engine stand-in does not support \`cli ${command}\`.`);
    return 0;
  } catch (error) {
    const { message, errorCode } = describeEngineError(error);
    writeLog('ERROR', message, errorCode);
    return 1;
  }
}

function serveRpc(datamodelPaths: string[]): void {
  const inFlight = new Set<TRequest['id']>();
  // A panic aborts the engine from a queued task, not from the pending call: answer, and exit as the native
  // binary does (status 101).
  process.on('uncaughtException', (error) => {
    const { message } = describeEngineError(error);
    writeLog('ERROR', message);
    const data = { message, is_panic: true, meta: null };
    for (const id of inFlight)
      send({ jsonrpc: '2.0', id, error: { code: 4466, message: 'Engine panicked.', data } });
    process.exit(101);
  });
  const adapterFactory = createLazyAdapterFactory();
  // Built on the first request: given a schema, the engine connects as it starts, and a failure to connect
  // must reach the CLI as that request's error.
  let engine: Promise<SchemaEngine> | undefined;
  const getEngine = () => {
    engine ??= (async () =>
      openSchemaEngine({
        datamodels: datamodelPaths.length > 0 ? await readDatamodels(datamodelPaths) : undefined,
        adapterFactory,
        onLog: (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
      }))();
    return engine;
  };

  let pending = Promise.resolve();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    pending = pending.then(() => handleLine(getEngine, line, inFlight));
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Exit explicitly: PGlite keeps timers armed by the engine's SQL (a 10 s lock timeout) alive.
    void pending.finally(async () => {
      (await engine?.catch(() => undefined))?.free();
      await adapterFactory
        .close()
        .catch((error: unknown) => writeLog('WARN', describeEngineError(error).message));
      process.exit();
    });
  };
  lines.on('close', stop);
  // The CLI ends stdin and sends SIGTERM at once: close PGlite and release the folder before exiting.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function handleLine(
  getEngine: () => Promise<SchemaEngine>,
  line: string,
  inFlight: Set<TRequest['id']>,
) {
  let request: TRequest;
  try {
    request = JSON.parse(line) as TRequest;
  } catch {
    return send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (request.method === undefined) return; // the CLI's acknowledgement of a `print` request
  inFlight.add(request.id);
  try {
    const result = await dispatch(await getEngine(), request.method, request.params);
    send({ jsonrpc: '2.0', id: request.id, result: result ?? {} });
  } catch (error) {
    const { message, errorCode, isPanic } = describeEngineError(error);
    const data = { message, error_code: errorCode, is_panic: isPanic, meta: null };
    send({ jsonrpc: '2.0', id: request.id, error: { code: 4466, message: 'An error happened.', data } });
  } finally {
    inFlight.delete(request.id);
  }
}

// The parameters come from the CLI, which builds them for this very engine build.
// biome-ignore lint/suspicious/noExplicitAny: forwarded unchanged to the engine's typed methods.
async function dispatch(engine: SchemaEngine, method: string, params: any): Promise<unknown> {
  switch (method) {
    case 'getDatabaseVersion':
      return engine.version(params ?? null);
    case 'createDatabase':
      return { databaseName: await createDatabase() };
    case 'devDiagnostic':
      await engine.applyMigrations({
        migrationsList: { ...params.migrationsList, migrationDirectories: [] },
        filters: params.filters,
      });
      return engine.devDiagnostic(params);
    case 'evaluateDataLoss':
      await engine.diagnoseMigrationHistory({ ...params, optInToShadowDatabase: true });
      return engine.evaluateDataLoss(params);
    case 'diff': {
      const { exitCode, stdout } = await engine.diff(params);
      if (stdout)
        send({
          jsonrpc: '2.0',
          id: 'print',
          method: 'print',
          params: { content: stdout.replace(/\n$/, '') },
        });
      return { exitCode };
    }
  }
  if (!ENGINE_METHODS.has(method))
    throw new EngineError(`The schema-engine stand-in does not support \`${method}\`.`);
  return (engine[method as keyof SchemaEngine] as (params: unknown) => Promise<unknown>).call(engine, params);
}

/** Connects on first use only, so commands that need no database (diff between files) do not open one. */
function createLazyAdapterFactory(): TMigrationAdapterFactory {
  let connection: Promise<TDatabaseConnection> | undefined;
  let adapter: TMigrationAdapterFactory | undefined;
  const open = async () => {
    if (url === undefined)
      throw new EngineError('No datasource URL: set DATABASE_URL (see prisma.config.ts).');
    connection ??= openDatabaseConnection(url);
    adapter ??= (await connection).createMigrationAdapter();
    return adapter;
  };
  return {
    provider: 'postgres',
    adapterName: 'bridgeline-schema-engine-stand-in',
    connect: async () => (await open()).connect(),
    connectToShadowDb: async () => (await open()).connectToShadowDb(),
    close: async () => {
      await adapter?.close();
      await (await connection)?.close();
    },
  };
}

/** PGlite folders are created when opened (a held one is reached or reported then); PostgreSQL is asked. */
async function canConnect(): Promise<void> {
  const target = parseDatabaseUrl(url ?? '');
  if (target.kind === 'pglite') return;
  const client = new pg.Client({ connectionString: target.url });
  const { host, pathname } = new URL(target.url);
  try {
    await client.connect();
  } catch (error) {
    const missing = (error as { code?: string }).code === '3D000';
    throw missing
      ? new EngineError(`Database \`${pathname.slice(1)}\` does not exist on ${host}`, 'P1003')
      : new EngineError(`Can't reach database server at \`${host}\`: ${(error as Error).message}`, 'P1001');
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the database the URL names (PostgreSQL), or stands for the data folder (PGlite). */
async function createDatabase(): Promise<string> {
  const target = parseDatabaseUrl(url ?? '');
  if (target.kind === 'pglite') return target.dataDir;
  const name = decodeURIComponent(new URL(target.url).pathname.slice(1));
  await runAdminStatement({ connectionString: target.url }, `CREATE DATABASE ${quoteIdentifier(name)}`);
  return name;
}

function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function writeLog(level: 'INFO' | 'WARN' | 'ERROR', message: string, errorCode?: string): void {
  const fields = errorCode === undefined ? { message } : { message, error_code: errorCode };
  process.stderr.write(`${JSON.stringify({ level, fields, target: 'schema_engine::logger' })}\n`);
}
