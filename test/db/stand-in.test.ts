import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresServerUrl, projectRoot, run, runPrisma, standInPath } from '../helpers/prisma-cli.ts';

// These tests cover both databases themselves; in the PostgreSQL project run they would only repeat.

const migrationNames = (await readdir(join(projectRoot, 'prisma', 'migrations'), { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe('schema-engine stand-in', () => {
  let workDir: string;
  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'bridgeline-stand-in-'));
  });
  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('answers --version with the engine hash the CLI checks', async () => {
    const { code, stdout } = await run(standInPath, ['--version'], { cwd: workDir });
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^schema-engine-cli [0-9a-f]{40}$/);
  });

  it('serves migrate deploy, then migrate status, on a new PGlite folder', { timeout: 60_000 }, async () => {
    const dataDir = join(workDir, 'not', 'yet', 'there');
    const deploy = await runPrisma(['migrate', 'deploy'], { databaseUrl: `pglite:${dataDir}` });
    expect(deploy.output).toContain('All migrations have been successfully applied');
    expect(deploy.code).toBe(0);
    for (const name of migrationNames) expect(deploy.output).toContain(name);

    const status = await runPrisma(['migrate', 'status'], { databaseUrl: `pglite:${dataDir}` });
    expect(status.output).toContain('Database schema is up to date');
    expect(status.code).toBe(0);
    expect(deploy.output + status.output).not.toMatch(/binaries\.prisma\.sh|download/i);
    await expectReleased(dataDir);
  });

  it('serves migrate deploy, then migrate status, on a new PostgreSQL database', {
    timeout: 60_000,
  }, async () => {
    const name = `bridgeline_stand_in_${randomBytes(4).toString('hex')}`;
    const url = new URL(postgresServerUrl);
    url.pathname = `/${name}`;
    try {
      const deploy = await runPrisma(['migrate', 'deploy'], { databaseUrl: url.toString() });
      expect(deploy.output).toContain(`PostgreSQL database ${name} created`);
      expect(deploy.output).toContain('All migrations have been successfully applied');
      expect(deploy.code).toBe(0);

      const status = await runPrisma(['migrate', 'status'], { databaseUrl: url.toString() });
      expect(status.output).toContain('Database schema is up to date');
      expect(status.code).toBe(0);
    } finally {
      await dropDatabase(name);
    }
  });

  it('creates and applies a migration with migrate dev when the schema changed', {
    timeout: 90_000,
  }, async () => {
    const project = join(workDir, 'project');
    await cp(join(projectRoot, 'prisma', 'migrations'), join(project, 'prisma', 'migrations'), {
      recursive: true,
    });
    const schema = await readFile(join(projectRoot, 'prisma', 'schema.prisma'), 'utf8');
    await writeFile(
      join(project, 'prisma', 'schema.prisma'),
      `${schema}\nmodel Note {\n  id   Int    @id @default(autoincrement())\n  kind String @db.Char(1)\n}\n`,
    );
    await writeFile(
      join(project, 'prisma.config.ts'),
      "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'prisma/schema.prisma', datasource: { url: process.env.DATABASE_URL } });\n",
    );
    await symlink(join(projectRoot, 'node_modules'), join(project, 'node_modules'));
    const dataDir = join(workDir, 'dev-pglite');

    const dev = await runPrisma(['migrate', 'dev', '--name', 'add_note'], {
      databaseUrl: `pglite:${dataDir}`,
      cwd: project,
    });
    expect(dev.output).toContain('Your database is now in sync with your schema');
    expect(dev.code).toBe(0);
    const created = (await readdir(join(project, 'prisma', 'migrations'))).find((name) =>
      name.endsWith('_add_note'),
    );
    expect(created).toBeDefined();
    const sql = await readFile(join(project, 'prisma', 'migrations', created ?? '', 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "Note"');
    expect(sql).toContain('CHAR(1)');
  });

  it('speaks JSON-RPC: diff scripts as print requests, clear errors otherwise', async () => {
    const datamodel = 'datasource db {\n  provider = "postgresql"\n}\n\nmodel A {\n  id Int @id\n}\n';
    const filters = { externalTables: [], externalEnums: [] };
    const requests = [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'diff',
        params: {
          from: { tag: 'empty' },
          to: { tag: 'schemaDatamodel', files: [{ path: 'a.prisma', content: datamodel }] },
          script: true,
          exitCode: null,
          filters,
        },
      },
      { jsonrpc: '2.0', id: 2, method: 'noSuchMethod', params: {} },
    ];
    const { stdout } = await run(standInPath, ['--datasource', JSON.stringify({ url: postgresServerUrl })], {
      cwd: workDir,
      input: requests.map((request) => `${JSON.stringify(request)}\n`).join(''),
    });
    const messages = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(messages[0]).toMatchObject({
      method: 'print',
      params: { content: expect.stringContaining('CREATE TABLE "A"') },
    });
    expect(messages[1]).toEqual({ jsonrpc: '2.0', id: 1, result: { exitCode: 0 } });
    expect(messages[2]).toMatchObject({
      id: 2,
      error: { data: { message: expect.stringContaining('noSuchMethod') } },
    });
  });
});

/** The CLI stops the engine with SIGTERM; the stand-in still closes PGlite and gives the folder back. */
async function expectReleased(dataDir: string): Promise<void> {
  for (let waited = 0; waited < 5000 && existsSync(join(dataDir, 'bridgeline-owner.lock')); waited += 100) {
    await setTimeout(100);
  }
  expect(existsSync(join(dataDir, 'bridgeline-owner.lock'))).toBe(false);
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresServerUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
