import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { openOrRaiseCase } from '../../src/services/cases.ts';
import { createInvitation, hashInvitationCode } from '../../src/services/workers.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { createStaff, joinStaff, staffPerson } from '../helpers/workers.ts';

const i18n = createI18n();
const w = i18n.getFixedT('en', 'worker');
const wZh = i18n.getFixedT('zh-CN', 'worker');

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

/** `admin invite`, as the admin runs it: the code is the last line printed. */
async function inviteCode(role: 'worker' | 'supervisor', name: string): Promise<string> {
  const out: string[] = [];
  const code = await runAdminCommand(
    ['invite', '--role', role, '--name', name],
    { prisma: app.prisma },
    { out: (line) => out.push(line), err: () => undefined },
  );
  expect(code).toBe(0);
  return out.at(-1) ?? '';
}

let nextResidentId = 31_000;
/** A waiting case with crisis signals that quote the resident, to look for where it must not show. */
async function waitingCase(
  level: 'low' | 'moderate' | 'high' | 'imminent' = 'high',
  score = 0,
  source: 'crisis-message' | 'screening' = 'crisis-message',
) {
  const residentId = app.protector.pseudonymOf(nextResidentId++);
  await app.prisma.resident.create({ data: { id: residentId, consentStatus: 'given' } });
  const { caseId } = await openOrRaiseCase(
    { prisma: app.prisma, protector: app.protector },
    {
      residentId,
      level,
      source,
      score,
      signals:
        source === 'screening'
          ? undefined
          : {
              crisis: {
                level: 'imminent',
                kind: 'self',
                reasons: [
                  {
                    id: 'self.use-means',
                    source: 'pattern',
                    kind: 'self',
                    level: 'imminent',
                    explanation: 'Speaks of using a means of self-harm',
                    wordings: { en: 'Speaks of using a means of self-harm', 'zh-CN': '说要用手上的工具' },
                    span: { start: 0, end: 11, text: 'SECRETPILLS' },
                  },
                ],
              },
            },
    },
  );
  return caseId;
}

describe(describeDatabase('joining by invitation'), () => {
  it('turns the person who sends /join <code> into a worker with the invited name, role and their language', async () => {
    const code = await inviteCode('supervisor', 'Mei Chen');
    const person = staffPerson('Mei', 'zh-hans');
    const mei = createStaff(app, person);
    await mei.send(`/join ${code}`);
    expect(mei.read()).toEqual([wZh('join.joined', { name: 'Mei Chen', role: wZh('roles.supervisor') })]);

    const worker = await mei.worker();
    expect(worker).toMatchObject({ name: 'Mei Chen', role: 'supervisor', locale: 'zh-CN', isActive: true });
    const invitation = await app.prisma.invitation.findUniqueOrThrow({
      where: { codeHash: hashInvitationCode(code) },
    });
    expect(invitation).toMatchObject({ workerId: worker.id, usedAt: expect.any(Date) });
    // Joining is not a resident's first step: nothing of theirs is kept as a resident's.
    expect(await app.prisma.resident.count({ where: { id: app.protector.pseudonymOf(person.id) } })).toBe(0);

    await mei.send(`/join ${code}`);
    expect(mei.read()).toEqual([wZh('join.already', { name: 'Mei Chen', role: wZh('roles.supervisor') })]);
  });

  it('accepts the code in lower case or with spaces', async () => {
    const code = await inviteCode('worker', 'Lowercase Lu');
    const lu = createStaff(app, staffPerson('Lu'));
    await lu.send(`/join ${code.toLowerCase().replace(/(.{4})/g, '$1 ')}`);
    expect(lu.read()).toEqual([w('join.joined', { name: 'Lowercase Lu', role: w('roles.worker') })]);
  });

  it('answers a wrong, used or expired code clearly and makes nobody a worker', async () => {
    const stranger = createStaff(app, staffPerson('Stranger'));
    await stranger.send('/join');
    await stranger.send('/join NOTACODE');
    await stranger.send('/join ABCDEFGHJKLMNPQR');
    const used = await inviteCode('worker', 'First Taker');
    const taker = createStaff(app, staffPerson('Second'));
    await taker.send(`/join ${used}`);
    await taker.send(`/join ${used}`);
    const { code: expired } = await createInvitation(
      { prisma: app.prisma },
      { role: 'worker', name: 'Late Li', now: new Date(Date.now() - 25 * 60 * 60 * 1000) },
    );
    await stranger.send(`/join ${expired}`);

    expect(stranger.read()).toEqual([
      w('join.usage'),
      w('join.invalid'),
      w('join.invalid'),
      w('join.expired'),
    ]);
    const [first, second] = taker.read();
    expect(first).toBe(w('join.joined', { name: 'First Taker', role: w('roles.worker') }));
    expect(second).toBe(w('join.already', { name: 'First Taker', role: w('roles.worker') }));
    expect(await stranger.worker().catch(() => null)).toBeNull();

    const other = createStaff(app, staffPerson('Other'));
    await other.send(`/join ${used}`);
    expect(other.read()).toEqual([w('join.used')]);
    expect(await other.worker().catch(() => null)).toBeNull();
  });
});

describe(describeDatabase('an unjoined person'), () => {
  it('pressing Claim or Details, or sending worker commands, sees no case data and changes nothing', async () => {
    const caseId = await waitingCase('imminent');
    const stranger = createStaff(app, staffPerson('Nosy'));
    const before = app.api.calls.length;
    await stranger.press(CALLBACK.claim(caseId), 1);
    await stranger.press(CALLBACK.details(caseId), 1);
    for (const command of [
      '/queue',
      `/case ${caseId}`,
      '/note hello',
      '/release',
      '/resolve supported',
      '/oncall on',
    ])
      await stranger.send(command);

    // Everything the bot said while the stranger tried: the gate's words, and nothing of the case.
    const said = app.api.calls.slice(before);
    expect(JSON.stringify(said)).not.toMatch(/SECRETPILLS|imminent|IMMINENT|HIGH/);
    expect(stranger.read()).toEqual(Array(6).fill(w('gate.not_worker')));
    const answers = said.filter((call) => call.method === 'answerCallbackQuery');
    expect(answers.map((call) => call.payload.text)).toEqual([w('gate.not_worker'), w('gate.not_worker')]);

    const row = await app.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ status: 'waiting', claimedById: null });
    expect(await app.prisma.caseEvent.count({ where: { caseId, type: { in: ['viewed', 'claimed'] } } })).toBe(
      0,
    );
  });
});

describe(describeDatabase('a worker talking to the bot'), () => {
  it('is not screened: /start shows the worker help, and crisis words open no case', async () => {
    const person = staffPerson('Ana');
    const ana = await joinStaff(app, person, { name: 'Ana Ruiz' });
    await ana.send('/start');
    expect(ana.read()).toEqual([expect.stringMatching(/^You are signed in as social worker “Ana Ruiz”/)]);
    await ana.send('I want to kill myself tonight');
    expect(ana.read()).toEqual([`${w('case.none')}\n${w('relay.not_sent')}`]);
    await ana.send({ sticker: { file_id: 's', file_unique_id: 's', type: 'regular', width: 1, height: 1 } });
    expect(ana.read()).toEqual([w('relay.not_relayed')]);
    await ana.send('/frobnicate');
    expect(ana.read()).toEqual([w('help.unknown')]);

    const pseudonym = app.protector.pseudonymOf(person.id);
    expect(await app.prisma.case.count({ where: { residentId: pseudonym } })).toBe(0);
    expect(await app.prisma.resident.count({ where: { id: pseudonym } })).toBe(0);
    expect(await app.prisma.screening.count({ where: { residentId: pseudonym } })).toBe(0);
  });

  it('/dashboard says so when the service has no dashboard (no PUBLIC_URL)', async () => {
    const di = await joinStaff(app, staffPerson('Di'));
    di.read();
    await di.send('/dashboard');
    expect(di.read()).toEqual([w('dashboard.not_set_up')]);
    expect(await app.prisma.dashboardLink.count()).toBe(0);
  });

  it('/oncall on|off sets their own on-call flag; bare /oncall tells where they stand', async () => {
    const bo = await joinStaff(app, staffPerson('Bo'));
    await bo.send('/oncall on');
    expect((await bo.worker()).isOnCall).toBe(true);
    await bo.send('/oncall');
    await bo.send('/oncall off');
    expect((await bo.worker()).isOnCall).toBe(false);
    await bo.send('/oncall sometimes');
    expect(bo.read()).toEqual([
      w('oncall.on'),
      `${w('oncall.status_on')}\n${w('oncall.usage')}`,
      w('oncall.off'),
      w('oncall.usage'),
    ]);
  });

  it('a resident who becomes a worker stops being screened', async () => {
    const person = { id: 31_900, languageCode: 'en', firstName: 'Dual' };
    const resident = createResident(app, person);
    await resident.consent();
    await resident.answer(ROUTES.high.slice(0, 3));
    resident.read();
    const staff = createStaff(app, { ...person, firstName: 'Dual', lastName: 'Role', username: 'dual_role' });
    await staff.send(`/join ${await inviteCode('worker', 'Dual Role')}`);
    await staff.send('2');
    const texts = resident.read();
    expect(texts[0]).toBe(w('join.joined', { name: 'Dual Role', role: w('roles.worker') }));
    expect(texts[1]).toBe(`${w('case.none')}\n${w('relay.not_sent')}`);
  });
});

describe(describeDatabase('/queue'), () => {
  it('lists the waiting cases: imminent, high, moderate, low; then score; then waiting time', async () => {
    await app.prisma.case.updateMany({ where: { status: 'waiting' }, data: { status: 'withdrawn' } });
    const low = await waitingCase('low', 30, 'screening');
    const moderate = await waitingCase('moderate', 20, 'screening');
    const highOld = await waitingCase('high', 5, 'screening');
    const highNew = await waitingCase('high', 5, 'screening');
    const highScore = await waitingCase('high', 9, 'screening');
    const imminent = await waitingCase('imminent', 0);
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    await app.prisma.case.update({ where: { id: highOld }, data: { createdAt: minutesAgo(30) } });
    await app.prisma.case.update({ where: { id: highNew }, data: { createdAt: minutesAgo(3) } });
    const claimed = await waitingCase('imminent', 30);
    await app.prisma.case.update({ where: { id: claimed }, data: { status: 'claimed' } });

    const qi = await joinStaff(app, staffPerson('Qi'));
    await qi.send('/queue');
    const [listing] = qi.read();
    const order = [...(listing ?? '').matchAll(/^#(\d+) /gm)].map((m) => Number(m[1]));
    expect(order).toEqual([imminent, highScore, highOld, highNew, moderate, low]);
    expect(listing).toMatch(/^Waiting cases, most urgent first \(6\):/);
    expect(listing).toContain(`#${highOld} · HIGH · score 5 · waiting 30 min`);
    // A crisis case says what the detector read, not "score 0"; never the resident's words.
    expect(listing).toContain(`#${imminent} · IMMINENT · Speaks of using a means of self-harm · waiting`);
    expect(listing).not.toContain(`#${imminent} · IMMINENT · score`);
    expect(listing).not.toContain('SECRETPILLS');
    const keyboard = app.api.lastKeyboard(qi.person.id);
    expect(keyboard?.buttons.map((b) => b.data)).toEqual(
      [imminent, highScore, highOld, highNew, moderate, low].flatMap((id) => [
        CALLBACK.claim(id),
        CALLBACK.details(id),
      ]),
    );

    const zhi = await joinStaff(app, staffPerson('Zhi', 'zh-hans'));
    await zhi.send('/queue');
    const [zhListing] = zhi.read();
    expect(zhListing).toContain(`#${imminent} · 紧急 · 说要用手上的工具 · 已等待`);
    expect(zhListing).toContain(`#${highOld} · 高 · 分数 5 · 已等待 30 分钟`);

    await app.prisma.case.updateMany({ where: { status: 'waiting' }, data: { status: 'withdrawn' } });
    await qi.send('/queue');
    expect(qi.read()).toEqual([w('queue.empty')]);
  });
});
