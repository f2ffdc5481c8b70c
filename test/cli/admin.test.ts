import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USAGE, checkAdminArgs, runAdminCommand } from '../../src/cli/admin-command.ts';
import { openOrRaiseCase } from '../../src/services/cases.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
  const deps = { prisma: app.prisma, protector: app.protector };
  const residentId = app.protector.pseudonymOf(8101);
  await app.prisma.resident.create({ data: { id: residentId, consentStatus: 'given' } });
  await openOrRaiseCase(deps, {
    residentId,
    level: 'imminent',
    source: 'crisis-message',
    signals: { crisis: { reasons: ['I have the pills here'] } },
  });
});
afterAll(async () => {
  await app.close();
});

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runAdminCommand(
    args,
    { prisma: app.prisma },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  ).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('admin cases', () => {
  it('prints the cases as JSON with no personal content', async () => {
    const { code, out } = await run(['cases', '--json']);
    expect(code).toBe(0);
    const cases = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(cases).toEqual([
      {
        id: expect.any(Number),
        level: 'imminent',
        status: 'waiting',
        source: 'crisis-message',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        scriptId: null,
        scriptVersion: null,
      },
    ]);
    expect(out).not.toContain(app.protector.pseudonymOf(8101));
    expect(out).not.toContain('pills');
  });

  it('prints one line per case without --json', async () => {
    const { code, out } = await run(['cases']);
    expect(code).toBe(0);
    expect(out).toMatch(/^#\d+\timminent\twaiting\tcrisis-message\t/);
  });

  it('answers a wrong command line with the usage and exit code 2', async () => {
    expect(await run([])).toMatchObject({ code: 2, err: expect.stringMatching(/^Usage:/) });
    expect(await run(['casez'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/Unknown command "casez"/),
    });
    expect(await run(['cases', '--jsn'])).toMatchObject({ code: 2, err: expect.stringMatching(/--jsn/) });
  });
});

describe('admin help', () => {
  it.each([
    [['--help']],
    [['help']],
    [['-h']],
    [['rota', 'add', '--help']],
    [['invite', '--role', 'worker', '-h']],
    [['invitations', 'revoke', '--help']],
  ])('%j prints the usage on stdout and exits 0', async (args) => {
    expect(checkAdminArgs(args)).toBeUndefined();
    expect(await run(args)).toEqual({ code: 0, out: ADMIN_USAGE, err: '' });
  });

  it('takes --help after -- as a value, not a request for help', async () => {
    expect(await run(['cases', '--', '--help'])).toMatchObject({ code: 2, out: '' });
  });
});

describe('npm run admin (the process)', () => {
  it.each([['--help'], ['-h'], ['help']])(
    '%s prints the usage on stdout, exit 0, without configuration or a database',
    (flag) => {
      const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), ADMIN, flag], {
        encoding: 'utf8',
        // No DATABASE_URL, no BOT_TOKEN: help works on a machine not yet set up.
        env: { PATH: process.env.PATH ?? '' },
        cwd: tmpdir(),
      });
      expect(result).toMatchObject({ status: 0, stdout: `${ADMIN_USAGE}\n`, stderr: '' });
    },
  );

  it('says in one line what is wrong with DATABASE_URL, never its password', () => {
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), ADMIN, 'workers'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgresql://bot:hunter2@127.0.0.1:1/bridgeline' },
      cwd: tmpdir(),
    });
    expect(result).toMatchObject({
      status: 2,
      stdout: '',
      stderr:
        'The database server at 127.0.0.1:1 refuses connections: check the host and port in DATABASE_URL, and that PostgreSQL is running there.\n',
    });
  });

  it('rejects an unknown command before touching any database', () => {
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), ADMIN, 'nonsense'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/unreachable' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Unknown command "nonsense"/);
  });
});

const ADMIN = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));
