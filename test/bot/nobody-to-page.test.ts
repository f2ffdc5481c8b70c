import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, DUTY_WORKER_TELEGRAM_ID, TEST_ALERT_CHAT_ID, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinStaff, staffPerson } from '../helpers/workers.ts';

/**
 * With nobody to page — no staff at all, or every page undeliverable — nobody is told a worker was alerted:
 * the resident hears the truth with the emergency numbers, the team's alert chat is alarmed (again at every
 * turn of the ladder), the log has an error with the case id, and `/healthz` says degraded until somebody
 * joins, goes on call or claims.
 */
const en = botTexts('en');
const zh = botTexts('zh-CN');
const pages = createI18n().getFixedT('en', 'pages');
const IMMINENT_EN = 'I want to kill myself tonight';
const IMMINENT_ZH = '我今晚就从楼上跳下去';

const alarmsSent = (app: TTestApp) => app.api.textsTo(TEST_ALERT_CHAT_ID);
const alarm = (caseId: number, level: 'imminent' | 'high', reason: 'no_staff' | 'unreachable') =>
  pages('alarm.nobody', {
    id: caseId,
    level: pages(`level.${level}`),
    reason: pages(`alarm.reason.${reason}`),
  });

async function health(app: TTestApp) {
  const response = await app.app.request('/healthz');
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function openCaseOf(app: TTestApp, residentId: string) {
  return app.prisma.case.findFirstOrThrow({ where: { residentId, status: 'waiting' } });
}

describe(describeDatabase('no staff at all'), () => {
  let app: TTestApp;
  beforeAll(async () => {
    app = await createTestApp({ staff: 'none' });
  });
  afterAll(async () => {
    await app.close();
  });
  let nextId = 55_000;

  it('crisis words: the numbers, then the truth — never "I have alerted" — an alarm, an error, and /healthz degraded', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.send(IMMINENT_EN);
    const numbers = en('emergency.default');
    expect(resident.read()).toEqual([en('crisis.imminent', { numbers }), en('crisis.nobody')]);
    const { id: caseId, nobodyPagedAt } = await openCaseOf(app, resident.residentId);
    expect(nobodyPagedAt).toBeInstanceOf(Date);

    expect(alarmsSent(app)).toEqual([alarm(caseId, 'imminent', 'no_staff')]);
    const logged = app.logLines.filter((line) => line.includes('nobody could be paged'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({ level: 50, case_id: caseId, reason: 'no-staff' });
    expect(logged.join('\n')).not.toContain('kill');

    expect(await health(app)).toEqual({
      status: 200,
      body: {
        status: 'degraded',
        database: 'up',
        problems: [
          {
            reason: expect.stringContaining('nobody to page'),
            detail: { caseIds: [caseId], since: nobodyPagedAt?.toISOString() },
          },
        ],
      },
    });
  });

  it('in Chinese too, and the alarm repeats at every turn of the ladder; the resident is told once', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'zh-hans' });
    await resident.send(IMMINENT_ZH);
    expect(resident.read()).toEqual([
      zh('crisis.imminent', { numbers: zh('emergency.default') }),
      zh('crisis.nobody'),
    ]);
    const { id: caseId } = await openCaseOf(app, resident.residentId);
    const before = alarmsSent(app).length;
    let now = Date.now();
    for (let turn = 0; turn < 2; turn += 1) {
      now += app.policy.acknowledgeTimeout.imminent + 1000;
      await sweepAndDeliver(app, new Date(now));
    }
    const aboutThisCase = alarmsSent(app)
      .slice(before)
      .filter((text) => text.includes(`#${caseId} `));
    expect(aboutThisCase).toEqual([
      alarm(caseId, 'imminent', 'no_staff'),
      alarm(caseId, 'imminent', 'no_staff'),
    ]);
    expect(resident.read()).toEqual([]);
  });

  it('a screening that reaches high: the outcome says nobody can answer now, with the numbers once', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.high);
    const told = resident.read();
    const numbers = en('emergency.default');
    expect(told).toContain(en('crisis.nobody_now', { numbers }));
    expect(told).not.toContain(en('outcome.escalated_high'));
    expect(told).not.toContain(en('outcome.numbers_reminder', { numbers }));
  });

  it('a moderate resident who asks for a worker is told honestly that nobody is available now', async () => {
    const resident = createResident(app, { id: nextId++, languageCode: 'en' });
    await resident.consent();
    await resident.answer(ROUTES.moderate);
    resident.read();
    const screening = await app.prisma.screening.findFirstOrThrow({
      where: { residentId: resident.residentId },
    });
    await resident.press(CALLBACK.callback(screening.id));
    expect(resident.read()).toEqual([en('outcome.offer_nobody', { numbers: en('emergency.default') })]);
  });

  it('somebody joins: every case that found nobody is paged at once, the resident hears a worker has it, and /healthz is ok', async () => {
    const waiting = await app.prisma.case.findMany({
      where: { status: 'waiting', nobodyPagedAt: { not: null } },
    });
    expect(waiting.length).toBeGreaterThan(0);
    const ann = await joinStaff(app, staffPerson('Annabel'), { name: 'Annabel Lee' });
    await sweepAndDeliver(app, new Date());
    const paged = ann.read().filter((text) => text.startsWith('🔔'));
    expect(paged).toHaveLength(waiting.length);
    expect(await app.prisma.case.count({ where: { nobodyPagedAt: { not: null } } })).toBe(0);
    const toldNow = app.api
      .callsOf('sendMessage')
      .filter((call) => String(call.payload.text) === en('relay.worker_found'));
    expect(toldNow.length).toBeGreaterThan(0);
    expect(await health(app)).toEqual({ status: 200, body: { status: 'ok', database: 'up' } });
  });
});

describe(describeDatabase('every page of the last rung undeliverable'), () => {
  let app: TTestApp;
  beforeAll(async () => {
    // The only member of staff has blocked the bot.
    app = await createTestApp();
    app.api.setBlocked(DUTY_WORKER_TELEGRAM_ID, true);
  });
  afterAll(async () => {
    await app.close();
  });

  it('the resident learns it once with the numbers, the team is alarmed, and /healthz is degraded', async () => {
    const resident = createResident(app, { id: 56_001, languageCode: 'en' });
    await resident.send(IMMINENT_EN);
    await deliverOutbox(app);
    // A page was written when it answered (that much was true); as soon as it failed, the truth.
    const numbers = en('emergency.default');
    expect(resident.read()).toEqual([
      en('crisis.imminent', { numbers }),
      en('crisis.escalated'),
      en('crisis.nobody_now', { numbers }),
    ]);
    const { id: caseId } = await openCaseOf(app, resident.residentId);
    expect(alarmsSent(app)).toEqual([alarm(caseId, 'imminent', 'unreachable')]);
    expect((await health(app)).body).toMatchObject({ status: 'degraded' });

    // A claim ends it.
    app.api.setBlocked(DUTY_WORKER_TELEGRAM_ID, false);
    const supervisor = await joinStaff(app, staffPerson('Caiwen'), { role: 'supervisor' });
    await sweepAndDeliver(app, new Date());
    await supervisor.press(CALLBACK.claim(caseId), supervisor.claimMessageId(caseId));
    expect((await health(app)).body).toEqual({ status: 'ok', database: 'up' });
  });
});
