import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { claimCase } from '../../src/services/claim-case.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

const w = createI18n().getFixedT('en', 'worker');

let app: TTestApp;
let dana: TStaff;
let eli: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  dana = await joinStaff(app, staffPerson('Dana'), { name: 'Dana Park' });
  eli = await joinStaff(app, staffPerson('Eli'), { name: 'Eli Moss' });
  for (const staff of [dana, eli]) {
    await staff.send('/oncall on');
    staff.read();
  }
});
afterAll(async () => {
  await app.close();
});

async function admin(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    { prisma: app.prisma, notices: { protector: app.protector, i18n: app.i18n } },
    {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    },
  );
  return { code, out, err };
}

describe(describeDatabase('admin deactivate'), () => {
  it("ends a worker's access and puts the cases they held back in the queue, paged again at once", async () => {
    const resident = createResident(app, { id: 45_001, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    const { id: caseId } = await app.prisma.case.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    await sweepAndDeliver(app);
    await dana.press(CALLBACK.claim(caseId), dana.claimMessageId(caseId));
    await deliverOutbox(app);
    const danaRow = await dana.worker();
    await app.prisma.rotaShift.create({
      data: {
        workerId: danaRow.id,
        startsAt: new Date(Date.now() + 3_600_000),
        endsAt: new Date(Date.now() + 7_200_000),
      },
    });
    for (const staff of [dana, eli]) staff.read();

    // The resident writes; it has not reached her yet when she is deactivated (Telegram failed it, and it
    // waits to be tried again). It must not reach her any more, and must reach whoever claims the case next.
    // An edit blanking her chat still goes.
    app.api.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    await resident.send('Are you still there? Please answer.');
    const [queued] = await app.prisma.outboxMessage.findMany({
      where: { caseId, workerId: danaRow.id, kind: 'relay-to-worker', status: 'sending' },
    });
    expect(queued).toBeDefined();
    // (Only the attempt Telegram refused.)
    expect(dana.read()).toHaveLength(1);
    const blanking = await app.prisma.outboxMessage.create({
      data: { kind: 'page-update', workerId: danaRow.id, payloadSealed: 'sealed' },
    });

    const done = await admin(['deactivate', '--worker', 'dana park']);
    expect(done.code).toBe(0);
    expect(done.out).toEqual([
      `Worker #${danaRow.id} Dana Park (worker) deactivated.`,
      'Coming shifts removed: 1.',
      `Back in the queue and paged again: #${caseId}.`,
    ]);
    const row = await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect([row.status, row.claimedById]).toEqual(['waiting', null]);
    expect(await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: queued?.id } })).toMatchObject({
      status: 'failed',
      lastError: 'dropped: worker deactivated',
    });
    expect(await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: blanking.id } })).toMatchObject({
      status: 'pending',
    });
    const released = await app.prisma.caseEvent.findFirstOrThrow({ where: { caseId, type: 'released' } });
    expect(released).toMatchObject({
      actor: 'admin',
      detail: { reason: 'worker-deactivated', workerId: danaRow.id },
    });

    // The next round pages whoever is on call now: Eli, not Dana; Eli claims and reads what Dana never got.
    // Dana is told her access ended; the resident, that their request went back (never who had it).
    await app.prisma.outboxMessage.update({ where: { id: blanking.id }, data: { status: 'failed' } });
    resident.read();
    await sweepAndDeliver(app);
    expect(dana.read()).toEqual([w('access.ended', { count: 1 })]);
    expect(resident.read()).toEqual([
      botTexts('en')('relay.released', { numbers: botTexts('en')('emergency.default') }),
    ]);
    expect(() => eli.claimMessageId(caseId)).not.toThrow();
    eli.read();
    await eli.press(CALLBACK.claim(caseId), eli.claimMessageId(caseId));
    await deliverOutbox(app);
    expect(eli.read()).toContain(
      w('relay.from_resident_kept', { id: caseId, text: 'Are you still there? Please answer.' }),
    );
    expect(dana.read()).toEqual([]);
    expect(await app.prisma.worker.findUniqueOrThrow({ where: { id: danaRow.id } })).toMatchObject({
      isActive: false,
      isOnCall: false,
      activeCaseId: null,
    });

    // Her worker commands no longer answer as staff.
    await dana.send('/queue');
    expect(dana.read().join('\n')).not.toMatch(/Waiting cases/);

    expect(await admin(['deactivate', '--worker', String(danaRow.id)])).toMatchObject({
      code: 0,
      out: [`Worker #${danaRow.id} is already inactive: nothing changed.`],
    });
  });

  it('names what is wrong with the command line, and changes nothing', async () => {
    expect(await admin(['deactivate'])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/^deactivate needs --worker/)],
    });
    expect(await admin(['deactivate', '--worker', 'Nobody Here'])).toMatchObject({
      code: 2,
      err: ['No worker "Nobody Here". See: npm run --silent admin -- workers'],
    });
    expect(await app.prisma.worker.count({ where: { isActive: true } })).toBeGreaterThan(0);
  });

  it('a claim that lands as the worker is deactivated is refused, and the case keeps waiting', async () => {
    const frank = await joinStaff(app, staffPerson('Frank'), { name: 'Frank Lo' });
    const stale = await frank.worker();
    const resident = createResident(app, { id: 45_002, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    const { id: caseId } = await app.prisma.case.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });

    // The bot read Frank as a worker at the start of his update; the deactivation commits before his claim.
    expect((await admin(['deactivate', '--worker', String(stale.id)])).code).toBe(0);
    const outcome = await claimCase(
      {
        prisma: app.prisma,
        protector: app.protector,
        i18n: createI18n(),
        emergencyNumbersFor: () => 'the emergency numbers',
      },
      { caseId, worker: stale, now: new Date() },
    );
    expect(outcome).toEqual({ type: 'no-longer-worker', caseId });
    expect(await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      status: 'waiting',
      claimedById: null,
    });
  });
});
