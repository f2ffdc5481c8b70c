import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { parseDatabaseUrl } from './src/db/database-url.ts';

// Prisma would download its native schema engine, which these machines cannot reach: `prisma migrate *` and
// `prisma db *` run our stand-in instead, which serves Prisma's Wasm schema engine on a driver adapter
// (prisma/schema-engine/stand-in.ts). An explicit PRISMA_SCHEMA_ENGINE_BINARY wins.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(
  new URL('./prisma/schema-engine/schema-engine.mjs', import.meta.url),
);

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: resolveDatabaseUrl(process.env.DATABASE_URL ?? 'pglite:./data/pglite') },
});

/**
 * A relative embedded folder is resolved here, against the directory prisma runs in (as `npm start`
 * resolves it), because the CLI starts the schema engine in other directories. A bad URL is passed on
 * unchanged: commands that need no database (generate) still work, the others report it.
 */
function resolveDatabaseUrl(url: string): string {
  try {
    const target = parseDatabaseUrl(url);
    return target.kind === 'pglite' ? `pglite:${target.dataDir}` : target.url;
  } catch {
    return url;
  }
}
