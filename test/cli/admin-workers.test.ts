import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAdminArgs, runAdminCommand } from '../../src/cli/admin-command.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { hashInvitationCode, INVITATION_TTL_MS } from '../../src/services/workers.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

const ADMIN = fileURLToPath(new URL('../../src/cli/admin.ts', import.meta.url));
/** The admin's clock in these tests. */
const NOW = new Date('2026-05-01T12:00:00Z');

let database: TTestDatabase;
let prisma: PrismaClient;
let ann: number;
let ben: number;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
  ann = (
    await prisma.worker.create({
      data: { name: 'Ann Lee', role: 'worker', telegramUserId: 9_200n, isOnCall: true },
    })
  ).id;
  ben = (await prisma.worker.create({ data: { name: 'Ben Ho', role: 'supervisor', telegramUserId: 9_201n } }))
    .id;
  await prisma.worker.create({ data: { name: 'Twin', role: 'worker', telegramUserId: 9_202n } });
  await prisma.worker.create({ data: { name: 'twin', role: 'worker', telegramUserId: 9_203n } });
});
afterAll(() => database.close());

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    { prisma, clock: () => NOW },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  return { code, out, err: err.join('\n') };
}

describe(describeDatabase('admin invite'), () => {
  it('prints a one-time code as its last line, valid 24 h; only its hash is stored', async () => {
    const { code, out } = await run(['invite', '--role', 'worker', '--name', 'Dana Wu']);
    expect(code).toBe(0);
    const invite = out.at(-1) ?? '';
    expect(invite).toMatch(/^[A-HJ-NP-Z2-9]{16}$/);
    expect(out.slice(0, -1).join('\n')).toMatch(/Dana Wu \(worker\), valid until 2026-05-02T12:00:00.000Z/);

    const row = await prisma.invitation.findUniqueOrThrow({
      where: { codeHash: hashInvitationCode(invite) },
    });
    expect(row).toMatchObject({ name: 'Dana Wu', role: 'worker', usedAt: null, workerId: null });
    expect(row.expiresAt.getTime() - NOW.getTime()).toBe(INVITATION_TTL_MS);
    expect(JSON.stringify(row)).not.toContain(invite);

    const again = await run(['invite', '--role', 'supervisor', '--name', 'Dana Wu']);
    expect(again.out.at(-1)).not.toBe(invite);
  });

  it.each([
    [['invite', '--name', 'X'], /--role worker\|supervisor/],
    [['invite', '--role', 'admin', '--name', 'X'], /--role worker\|supervisor \(got "admin"\)/],
    [['invite', '--role', 'worker'], /--name/],
    [['invite', '--role', 'worker', '--name', '  '], /--name/],
    [['invite', '--role', 'worker', '--name', 'X', '--ttl', '3'], /--ttl/],
  ])('rejects %j with exit code 2 and stores nothing', async (args, message) => {
    const before = await prisma.invitation.count();
    const result = await run(args);
    expect(result).toMatchObject({ code: 2, out: [] });
    expect(result.err).toMatch(message);
    expect(checkAdminArgs(args)).toMatch(message);
    expect(await prisma.invitation.count()).toBe(before);
  });
});

describe(describeDatabase('admin rota and workers'), () => {
  it('adds shifts by worker id or name, lists and removes them', async () => {
    const byName = await run([
      'rota',
      'add',
      '--worker',
      'ben ho',
      '--from',
      '2026-05-01T09:00Z',
      '--to',
      '2026-05-01T17:00Z',
    ]);
    expect(byName.code).toBe(0);
    expect(byName.out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Shift #\\d+ added: Ben Ho \\(#${ben}\\) from 2026-05-01T09:00:00.000Z to 2026-05-01T17:00:00.000Z\\.$`,
        ),
      ),
    ]);
    const byId = await run([
      'rota',
      'add',
      '--worker',
      String(ann),
      '--from',
      '2026-05-02T09:00+08:00',
      '--to',
      '2026-05-02T21:00:00+08:00',
    ]);
    expect(byId.code).toBe(0);
    expect(byId.out[0]).toContain('from 2026-05-02T01:00:00.000Z to 2026-05-02T13:00:00.000Z');

    const listed = await run(['rota', 'list']);
    expect(listed.out).toEqual([
      expect.stringMatching(
        /^#\d+\tBen Ho \(#\d+\)\t2026-05-01T09:00:00.000Z\t2026-05-01T17:00:00.000Z\tnow$/,
      ),
      expect.stringMatching(/^#\d+\tAnn Lee \(#\d+\)\t2026-05-02T01:00:00.000Z\t2026-05-02T13:00:00.000Z$/),
    ]);

    const shiftId = Number(/^Shift #(\d+)/.exec(byId.out[0] ?? '')?.[1]);
    expect(await run(['rota', 'remove', String(shiftId)])).toMatchObject({
      code: 0,
      out: [`Shift #${shiftId} removed.`],
    });
    expect((await run(['rota', 'list'])).out).toHaveLength(1);
    expect(await run(['rota', 'remove', String(shiftId)])).toMatchObject({
      code: 2,
      err: expect.stringMatching(`There is no shift #${shiftId}`),
    });
  });

  it('lists the workers and who is on call now (by rota or by /oncall)', async () => {
    const { code, out } = await run(['workers']);
    expect(code).toBe(0);
    expect(out).toEqual([
      `#${ann}\tAnn Lee\tworker\ton call now (/oncall)`,
      `#${ben}\tBen Ho\tsupervisor\ton call now (rota)`,
      expect.stringMatching(/\tTwin\tworker\tnot on call$/),
      expect.stringMatching(/\ttwin\tworker\tnot on call$/),
    ]);
    const json = JSON.parse((await run(['workers', '--json'])).out.join('\n')) as Array<
      Record<string, unknown>
    >;
    expect(json[0]).toMatchObject({ id: ann, isOnCallNow: true, isOnCallSelf: true, isOnShift: false });
    expect(JSON.stringify(json)).not.toContain('9200');
  });

  it.each([
    [
      ['rota', 'add', '--worker', 'Nobody', '--from', '2026-05-01T09:00Z', '--to', '2026-05-01T10:00Z'],
      /No worker "Nobody"/,
    ],
    [
      ['rota', 'add', '--worker', 'twin', '--from', '2026-05-01T09:00Z', '--to', '2026-05-01T10:00Z'],
      /More than one worker/,
    ],
    [
      ['rota', 'add', '--worker', 'Ann Lee', '--from', 'tomorrow', '--to', '2026-05-01T10:00Z'],
      /--from "tomorrow" is not/,
    ],
    [
      ['rota', 'add', '--worker', 'Ann Lee', '--from', '2026-05-01T09:00', '--to', '2026-05-01T10:00Z'],
      /time zone/,
    ],
    [
      ['rota', 'add', '--worker', 'Ann Lee', '--from', '2026-02-30T09:00Z', '--to', '2026-05-01T10:00Z'],
      /--from/,
    ],
    [
      ['rota', 'add', '--worker', 'Ann Lee', '--from', '2026-05-01T25:00Z', '--to', '2026-05-01T10:00Z'],
      /--from/,
    ],
    [
      ['rota', 'add', '--worker', 'Ann Lee', '--from', '2026-05-01T10:00Z', '--to', '2026-05-01T09:00Z'],
      /--to must be later/,
    ],
    [['rota', 'add', '--worker', 'Ann Lee', '--from', '2026-05-01T10:00Z'], /--to/],
    [['rota', 'add', '--from', '2026-05-01T10:00Z', '--to', '2026-05-01T11:00Z'], /--worker/],
    [['rota', 'remove', 'abc'], /shift id/],
    [['rota', 'remove'], /shift id/],
    [['rota', 'shuffle'], /Unknown rota command "shuffle"/],
    [['rota'], /rota needs add, list or remove/],
  ])('rejects %j with a clear message and exit code 2', async (args, message) => {
    const before = await prisma.rotaShift.count();
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(await prisma.rotaShift.count()).toBe(before);
  });
});

describe(describeDatabase('admin audit'), () => {
  it('prints every event with time, case, type and actor, filtered by case', async () => {
    const one = await prisma.case.create({
      data: {
        level: 'high',
        source: 'screening',
        events: {
          create: [
            { type: 'claimed', actor: `worker:${ann}` },
            { type: 'relayed', actor: 'resident', detail: { direction: 'to-worker' } },
          ],
        },
      },
    });
    const other = await prisma.case.create({
      data: {
        level: 'low',
        source: 'worker-offer',
        events: { create: { type: 'resolved', actor: `worker:${ben}` } },
      },
    });

    const all = await run(['audit']);
    expect(all.code).toBe(0);
    // The case steps, beside the admin actions earlier tests here did (rota changes: no case, shown as "-").
    expect(all.out.filter((line) => /\t#\d+\t/.test(line))).toHaveLength(3);
    expect(all.out.filter((line) => /\t-\trota\.(added|removed)\tadmin\t/.test(line)).length).toBeGreaterThan(
      0,
    );
    const rota = await run([
      'audit',
      '--action',
      'rota.added',
      '--actor',
      'admin',
      '--since',
      '2000-01-01T00:00Z',
    ]);
    expect(rota.out.length).toBeGreaterThan(0);
    expect(rota.out.every((line) => line.includes('\trota.added\tadmin\t'))).toBe(true);
    const forOne = await run(['audit', '--case', String(one.id)]);
    expect(forOne.out).toEqual([
      expect.stringMatching(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t#${one.id}\\tclaimed\\tworker:${ann}$`),
      ),
      expect.stringMatching(
        new RegExp(`\\t#${one.id}\\trelayed\\tresident\\t\\{"direction":"to-worker"\\}$`),
      ),
    ]);
    const json = JSON.parse((await run(['audit', '--case', `#${other.id}`, '--json'])).out.join('\n'));
    expect(json).toEqual([
      expect.objectContaining({ caseId: other.id, type: 'resolved', actor: `worker:${ben}` }),
    ]);
    expect(await run(['audit', '--case', '999999'])).toMatchObject({
      code: 0,
      out: ['No events for case #999999.'],
    });
    expect(await run(['audit', '--case', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--case needs/),
    });
  });
});

describe(describeDatabase('admin rota add: past and overlapping shifts'), () => {
  const add = (worker: string, from: string, to: string) =>
    run(['rota', 'add', '--worker', worker, '--from', from, '--to', to]);
  const shiftIdOf = (line: string | undefined) => Number(/^Shift #(\d+)/.exec(line ?? '')?.[1]);

  it.each([
    ['ended before now', '2026-04-30T09:00Z', '2026-04-30T17:00Z', '2026-04-30T17:00:00.000Z'],
    ['ending right now', '2026-05-01T08:00Z', '2026-05-01T12:00Z', '2026-05-01T12:00:00.000Z'],
  ])('refuses a shift %s with one line and exit code 2, adding nothing', async (_, from, to, endsAt) => {
    const before = await prisma.rotaShift.count();
    expect(await add('Ann Lee', from, to)).toEqual({
      code: 2,
      out: [],
      err: `That shift ends at ${endsAt}, already past (now 2026-05-01T12:00:00.000Z): nothing added.`,
    });
    expect(await prisma.rotaShift.count()).toBe(before);
  });

  it("warns on stderr when a shift overlaps one of the same worker's, and adds it all the same", async () => {
    const first = await add('Ann Lee', '2026-05-03T09:00Z', '2026-05-03T17:00Z');
    expect(first).toMatchObject({ code: 0, err: '' });
    const firstId = shiftIdOf(first.out[0]);

    const overlapping = await add('Ann Lee', '2026-05-03T16:00Z', '2026-05-03T20:00Z');
    expect(overlapping.code).toBe(0);
    expect(overlapping.out).toEqual([expect.stringMatching(/^Shift #\d+ added: Ann Lee/)]);
    expect(overlapping.err).toBe(
      `Warning: it overlaps Ann Lee's shift #${firstId} from 2026-05-03T09:00:00.000Z to 2026-05-03T17:00:00.000Z.`,
    );
    const secondId = shiftIdOf(overlapping.out[0]);
    expect(await prisma.rotaShift.findUnique({ where: { id: secondId } })).toMatchObject({ workerId: ann });

    // Inside both: one warning for each.
    const inside = await add('Ann Lee', '2026-05-03T16:30Z', '2026-05-03T16:45Z');
    expect(inside.code).toBe(0);
    expect(inside.err.split('\n')).toEqual([
      expect.stringContaining(`shift #${firstId} from`),
      expect.stringContaining(`shift #${secondId} from`),
    ]);
  });

  it("says nothing for a shift that only touches another, or overlaps another worker's", async () => {
    expect(await add('Ann Lee', '2026-05-04T09:00Z', '2026-05-04T17:00Z')).toMatchObject({
      code: 0,
      err: '',
    });
    expect(await add('Ann Lee', '2026-05-04T17:00Z', '2026-05-04T21:00Z')).toMatchObject({
      code: 0,
      err: '',
    });
    expect(await add('Ben Ho', '2026-05-04T10:00Z', '2026-05-04T12:00Z')).toMatchObject({ code: 0, err: '' });
  });
});

describe('npm run admin (the process)', () => {
  it('rejects a bad invite before touching any database', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), ADMIN, 'invite', '--role', 'boss', '--name', 'X'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/unreachable' },
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--role worker\|supervisor/);
  });
});
