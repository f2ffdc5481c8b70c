import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox, sweepAndDeliver } from '../helpers/outbox.ts';
import { joinOnCall, staffPerson, type TStaff } from '../helpers/workers.ts';

/**
 * A page a worker already holds shows the case as it is: when the case's level, scores or signals change
 * while it waits, each page is edited in place (in its worker's language, Claim and Details kept), and a
 * higher level also pages again, since an edit makes no sound.
 */
const i18n = createI18n();
const p = i18n.getFixedT('en', 'pages');
const pZh = i18n.getFixedT('zh-CN', 'pages');

/**
 * The high route, with a "yes" to the first suicide item: a high case opens mid-screening; the grievance
 * questions after it (the low route's) change its scores.
 */
const OPENS_MIDWAY = [...ROUTES.high.slice(0, 6), 'yes', 'no', 'no', 'no', 'no', ...ROUTES.low.slice(10)];

let app: TTestApp;
let ann: TStaff;
let cai: TStaff;
beforeAll(async () => {
  app = await createTestApp();
  ann = await joinOnCall(app, staffPerson('Annabel'));
  cai = await joinOnCall(app, staffPerson('Caiwen', 'zh-hans'), { role: 'supervisor' });
});
afterAll(async () => {
  await app.close();
});

let nextPersonId = 49_000;
const quiet = { out: () => undefined, err: () => undefined };

/** The latest text each of `staff`'s messages with a Claim button for `caseId` was sent or edited to. */
function pageEdits(staff: TStaff, caseId: number) {
  const pageId = staff.claimMessageId(caseId);
  return app.api.calls.filter(
    (call) =>
      call.method === 'editMessageText' &&
      call.payload.chat_id === staff.person.id &&
      call.payload.message_id === pageId,
  );
}

describe(describeDatabase('a page of a waiting case'), () => {
  it('is edited to the scores once the screening that opened the case midway finishes', async () => {
    const resident = createResident(app, { id: nextPersonId++, languageCode: 'en', firstName: 'Res' });
    await resident.consent();
    await resident.answer(OPENS_MIDWAY.slice(0, 7));
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    await sweepAndDeliver(app);
    const [firstPage] = ann.read().filter((text) => text.startsWith('🔔'));
    expect(firstPage).toContain(`Case #${row.id}`);
    expect(pageEdits(ann, row.id)).toEqual([]);

    await resident.answer(OPENS_MIDWAY.slice(7));
    const done = await app.prisma.screening.findFirstOrThrow({ where: { residentId: resident.residentId } });
    expect(done.status).toBe('completed');
    await deliverOutbox(app);

    const [edit] = pageEdits(ann, row.id);
    const edited = String(edit?.payload.text);
    expect(edited).toContain(`Case #${row.id}`);
    expect(edited).toContain(p('scores.heading'));
    expect(firstPage).toContain('• Grievance: 0 ');
    expect(edited).toContain('• Grievance: 8 ');
    // Still a page: Claim and Details stay.
    expect(JSON.stringify(edit?.payload.reply_markup)).toContain(`claim:${row.id}`);
    const [zhEdit] = pageEdits(cai, row.id);
    expect(String(zhEdit?.payload.text)).toContain(pZh('scores.heading'));
  });

  it('is edited to the new level when crisis words raise it, and the raise pages again', async () => {
    const resident = createResident(app, { id: nextPersonId++, languageCode: 'en', firstName: 'Res' });
    await resident.consent();
    await resident.answer(OPENS_MIDWAY.slice(0, 7));
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    await sweepAndDeliver(app);
    ann.read();
    const oldPageId = ann.claimMessageId(row.id);

    await resident.send('I am going to end my life tonight');
    await deliverOutbox(app);
    const edits = app.api.calls.filter(
      (call) =>
        call.method === 'editMessageText' &&
        call.payload.chat_id === ann.person.id &&
        call.payload.message_id === oldPageId,
    );
    expect(edits.map((call) => String(call.payload.text).split('\n')[0])).toEqual([
      p('page.title', { id: row.id, level: p('level.imminent') }),
    ]);
    // Why it reached her stays as it was: on call at the first step of the high ladder.
    expect(String(edits[0]?.payload.text).split('\n')[2]).toBe(
      p('page.paged_as', { audience: p('audience.on_call'), step: 1 }),
    );
    // A new page too, with a sound: the old one was only edited.
    expect(
      ann
        .read()
        .filter((text) => text.startsWith(p('page.title', { id: row.id, level: p('level.imminent') }))),
    ).toHaveLength(1);
    expect(ann.claimMessageId(row.id)).not.toBe(oldPageId);
  });

  it('is left alone for a worker whose access has ended', async () => {
    const resident = createResident(app, { id: nextPersonId++, languageCode: 'en', firstName: 'Res' });
    await resident.consent();
    await resident.answer(OPENS_MIDWAY.slice(0, 7));
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    await sweepAndDeliver(app);
    // Caiwen leaves the team while the case waits.
    const { id: caiId } = await cai.worker();
    await runAdminCommand(['deactivate', '--worker', String(caiId)], { prisma: app.prisma }, quiet);

    await resident.answer(OPENS_MIDWAY.slice(7));
    await deliverOutbox(app);
    expect(pageEdits(ann, row.id)).toHaveLength(1);
    expect(pageEdits(cai, row.id)).toEqual([]);
  });
});
