import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

export type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where the project keeps its Prisma schema and migrations; `prisma.config.ts` names the same paths. */
export const projectPaths = {
  schema: join(projectRoot, 'prisma', 'schema.prisma'),
  migrations: join(projectRoot, 'prisma', 'migrations'),
} as const;

/** No externally managed tables or enums (`tables.external` / `enums.external` in prisma.config.ts). */
export const noSchemaFilter: SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * The engine commit hash, e.g. `0edf323e…`. The CLI accepts a schema engine only when its `--version`
 * output contains the hash it was built against; the Wasm package's version carries that hash.
 */
export function schemaEngineHash(): string {
  const { version } = JSON.parse(readFileSync(join(enginePackageDir(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return /[0-9a-f]{40}/.exec(version)?.[0] ?? version;
}

function enginePackageDir(): string {
  return dirname(fileURLToPath(import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg')));
}

let instantiated: Promise<void> | undefined;
let lastPanic: string | undefined;

type TPanicRegistry = { set_message(message: string): void };
// Node has WebAssembly, but neither the ES lib nor @types/node declares its values.
const { WebAssembly } = globalThis as unknown as {
  WebAssembly: {
    instantiate(
      bytes: Uint8Array,
      imports: object,
    ): Promise<{ instance: { exports: Record<string, unknown> } }>;
    RuntimeError: new () => Error;
  };
};
const globalWithRegistry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: TPanicRegistry };

/**
 * Instantiates Prisma's Wasm schema engine once per process. The package's own entry imports the `.wasm`
 * file as an ES module, which Node cannot do, so we instantiate it from the file with the package's JS glue
 * as its import object. The glue keeps the instance in module state, hence once per process (a compiled
 * module, not a connection).
 */
function instantiateEngine(): Promise<void> {
  instantiated ??= (async () => {
    // Prisma's Wasm modules report a panic's message here before aborting (Prisma Client installs its own).
    globalWithRegistry.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message) => {
        lastPanic = message;
      },
    };
    const bytes = await readFile(join(enginePackageDir(), 'schema_engine_bg.wasm'));
    const imports: Record<string, unknown> = { ...glue };
    for (const name of Object.keys(imports)) {
      // The engine arms timers (e.g. a 10 s migration lock timeout) that would keep a finished process alive.
      if (name.startsWith('__wbg_setTimeout_')) {
        imports[name] = (callback: () => void, ms: number) => setTimeout(callback, ms >>> 0).unref();
      }
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return instantiated;
}

export type TOpenSchemaEngineOptions = {
  /** Prisma schema files as `[path, content]` pairs; none for commands that name their schemas. */
  datamodels: [string, string][] | undefined;
  /** The database to migrate; wrapped here as the engine expects. */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Receives the engine's log lines (JSON, like the native engine's stderr). */
  onLog?: (line: string) => void;
};

/**
 * Opens Prisma's schema engine (the one behind `prisma migrate`) in this process, on a driver adapter.
 * Its methods carry the names and parameters of the engine's JSON-RPC methods. Call `free()` when done.
 *
 * @example
 * const engine = await openSchemaEngine({ datamodels, adapterFactory });
 * try { await engine.applyMigrations({ migrationsList, filters: noSchemaFilter }); } finally { engine.free(); }
 */
export async function openSchemaEngine(options: TOpenSchemaEngineOptions): Promise<SchemaEngine> {
  await instantiateEngine();
  const onLog = options.onLog ?? (() => {});
  return glue.SchemaEngine.new(
    { datamodels: options.datamodels },
    onLog,
    bindMigrationAwareSqlAdapterFactory(options.adapterFactory),
  );
}

/** Reads Prisma schema files as the `[path, content]` pairs the engine takes. */
export async function readDatamodels(paths: readonly string[]): Promise<[string, string][]> {
  return Promise.all(
    paths.map(async (path): Promise<[string, string]> => [path, await readFile(path, 'utf8')]),
  );
}

/**
 * Reads a migrations folder the way the Prisma CLI does (sorted folders, each with `migration.sql`), so
 * checksums and names recorded in `_prisma_migrations` match what `prisma migrate status` computes.
 */
export async function readMigrationsList(baseDir: string, shadowDbInitScript = ''): Promise<MigrationList> {
  const lockfilePath = 'migration_lock.toml';
  const lockfile = await readFile(join(baseDir, lockfilePath), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const folders = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    folders.map(async (path) => {
      const content = await readFile(join(baseDir, path, 'migration.sql'), 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  return {
    baseDir,
    lockfile: { path: lockfilePath, content: lockfile },
    shadowDbInitScript,
    migrationDirectories,
  };
}

/** What went wrong in an engine call, in the terms of the engine's JSON-RPC errors. */
export type TEngineErrorInfo = { message: string; errorCode: string | undefined; isPanic: boolean };

/**
 * Describes an error thrown by the Wasm engine: user-facing errors carry a Prisma code (`P3018`, …); a
 * panic surfaces as a Wasm `RuntimeError`, whose message the panic registry caught.
 */
export function describeEngineError(error: unknown): TEngineErrorInfo {
  if (error instanceof WebAssembly.RuntimeError) {
    const message = lastPanic ?? error.message;
    lastPanic = undefined;
    return { message: `The schema engine panicked: ${message}`, errorCode: undefined, isPanic: true };
  }
  const e = error as { message?: unknown; code?: unknown; error_code?: unknown; errorCode?: unknown };
  const code = [e?.error_code, e?.errorCode, e?.code].find(
    (value) => typeof value === 'string' && /^P\d{4}$/.test(value),
  );
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    errorCode: code as string | undefined,
    isPanic: false,
  };
}
