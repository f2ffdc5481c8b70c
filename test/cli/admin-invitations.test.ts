import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAdminArgs, runAdminCommand } from '../../src/cli/admin-command.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { joinWithInvitation } from '../../src/services/workers.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

/** The admin's clock in these tests. */
const NOW = new Date('2026-05-01T12:00:00Z');
const HOUR = 60 * 60 * 1000;

let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

async function run(args: string[], now = NOW) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    { prisma, clock: () => now },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  return { code, out, err: err.join('\n') };
}

/** Invites through the command line, as an admin would: the id and the code it printed. */
async function invite(name: string, role = 'worker', now = NOW): Promise<{ id: number; code: string }> {
  const { code, out } = await run(['invite', '--role', role, '--name', name], now);
  expect(code).toBe(0);
  const id = Number(/^Invitation #(\d+)/.exec(out[0] ?? '')?.[1]);
  return { id, code: out.at(-1) ?? '' };
}

function join(code: string, telegramUserId: number, now = NOW) {
  return joinWithInvitation({ prisma }, { code, telegramUserId, locale: 'en', now });
}

describe(describeDatabase('admin invitations'), () => {
  it('lists the pending invitations, never their codes; used and expired ones are not pending', async () => {
    const old = await invite('Old Timer', 'worker', new Date(NOW.getTime() - 25 * HOUR));
    const used = await invite('Used Up');
    expect(await join(used.code, 9_301)).toMatchObject({ type: 'joined' });
    const eve = await invite('Eve Ng', 'supervisor');
    const fay = await invite('Fay Po');

    const listed = await run(['invitations']);
    expect(listed).toMatchObject({ code: 0, err: '' });
    expect(listed.out).toEqual([
      `#${eve.id}\tEve Ng\tsupervisor\tcreated 2026-05-01T12:00:00.000Z\texpires 2026-05-02T12:00:00.000Z`,
      `#${fay.id}\tFay Po\tworker\tcreated 2026-05-01T12:00:00.000Z\texpires 2026-05-02T12:00:00.000Z`,
    ]);
    expect(listed.out.join('\n')).not.toContain(`#${old.id}\t`);

    const json = await run(['invitations', 'list', '--json']);
    expect(JSON.parse(json.out.join('\n'))).toEqual([
      {
        id: eve.id,
        name: 'Eve Ng',
        role: 'supervisor',
        createdAt: '2026-05-01T12:00:00.000Z',
        expiresAt: '2026-05-02T12:00:00.000Z',
      },
      expect.objectContaining({ id: fay.id, name: 'Fay Po' }),
    ]);
    for (const text of [listed.out.join('\n'), json.out.join('\n')]) {
      expect(text).not.toContain(eve.code);
      expect(text).not.toContain(fay.code);
      expect(text).not.toMatch(/codeHash|[0-9a-f]{64}/);
    }

    await run(['invitations', 'revoke', String(eve.id)]);
    await run(['invitations', 'revoke', String(fay.id)]);
    expect(await run(['invitations'])).toMatchObject({ code: 0, out: ['No pending invitations.'] });
  });

  it('revokes a pending invitation: its code no longer lets anyone /join', async () => {
    const gus = await invite('Gus Tan');
    const other = await invite('Hal Wu');

    const revoked = await run(['invitations', 'revoke', String(gus.id)]);
    expect(revoked).toEqual({
      code: 0,
      out: [`Invitation #${gus.id} for Gus Tan (worker) revoked: its code no longer works.`],
      err: '',
    });
    expect(await join(gus.code, 9_302)).toEqual({ type: 'invalid' });
    expect(await prisma.worker.count({ where: { telegramUserId: 9_302n } })).toBe(0);
    // Another invitation is untouched.
    expect(await join(other.code, 9_303)).toMatchObject({ type: 'joined' });
  });

  it('refuses an unknown, used or expired invitation with exit code 2 and changes nothing', async () => {
    const used = await invite('Ivy Lo');
    const joined = await join(used.code, 9_304);
    expect(joined.type).toBe('joined');
    const workerId = joined.type === 'joined' ? joined.worker.id : 0;
    const expired = await invite('Jo Ma', 'worker', new Date(NOW.getTime() - 24 * HOUR));
    const before = await prisma.invitation.findMany({ orderBy: { id: 'asc' } });

    expect(await run(['invitations', 'revoke', '999999'])).toMatchObject({
      code: 2,
      out: [],
      err: 'There is no invitation #999999. See: npm run --silent admin -- invitations',
    });
    expect(await run(['invitations', 'revoke', String(used.id)])).toMatchObject({
      code: 2,
      out: [],
      err: `Invitation #${used.id} was already used (worker #${workerId}): nothing to revoke; to end their access, use deactivate.`,
    });
    expect(await run(['invitations', 'revoke', String(expired.id)])).toMatchObject({
      code: 2,
      out: [],
      err: `Invitation #${expired.id} expired at 2026-05-01T12:00:00.000Z: its code no longer works anyway.`,
    });
    expect(await prisma.invitation.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('revokes once: a second revoke finds nothing', async () => {
    const kim = await invite('Kim Yu');
    expect((await run(['invitations', 'revoke', String(kim.id)])).code).toBe(0);
    expect(await run(['invitations', 'revoke', String(kim.id)])).toMatchObject({
      code: 2,
      err: expect.stringMatching(`There is no invitation #${kim.id}`),
    });
  });

  it.each([
    [['invitations', 'revoke'], /invitations revoke needs one invitation id/],
    [['invitations', 'revoke', 'abc'], /invitations revoke needs one invitation id/],
    [['invitations', 'revoke', '1', '2'], /invitations revoke needs one invitation id/],
    [['invitations', 'revoke', '1', '--json'], /takes no --json/],
    [['invitations', 'cancel', '1'], /Unknown invitations command "cancel"/],
    [['invitations', 'list', 'extra'], /Unexpected argument "extra"/],
    [['invitations', '--all'], /--all/],
  ])('rejects %j with exit code 2 before touching the database', async (args, message) => {
    expect(checkAdminArgs(args)).toMatch(message);
    const before = await prisma.invitation.count();
    const result = await run(args);
    expect(result).toMatchObject({ code: 2, out: [] });
    expect(result.err).toMatch(message);
    expect(await prisma.invitation.count()).toBe(before);
  });
});
