import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationStorageKey } from '../../src/db/session-storage.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createI18n } from '../../src/i18n.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { enqueueOutbox, openOutboxPayload } from '../../src/services/outbox.ts';
import { purgeExpired } from '../../src/services/retention.ts';
import { TEST_DATA_KEY } from '../helpers/app.ts';
import { createTestDatabase, describeDatabase, type TTestDatabase } from '../helpers/database.ts';

const DAY = 24 * 60 * 60 * 1000;
const RETENTION_MS = 90 * DAY;
const NOW = new Date('2031-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

const protector = createDataProtector(parseDataKeys(TEST_DATA_KEY));
const i18n = createI18n();
let database: TTestDatabase;
let prisma: PrismaClient;
beforeAll(async () => {
  database = await createTestDatabase();
  prisma = database.db.prisma;
});
afterAll(() => database.close());

let nextResident = 1;
/** A resident whose record last changed `days` ago, with a screening from then and their conversation state. */
async function residentFrom(days: number): Promise<string> {
  const id = `retention-resident-${nextResident++}`;
  await prisma.resident.create({
    data: { id, consentStatus: 'given', chatIdSealed: protector.seal('5001', 'chat-id') },
  });
  await prisma.$executeRaw`UPDATE "Resident" SET "updatedAt" = ${daysAgo(days)} WHERE id = ${id}`;
  await prisma.screening.create({
    data: {
      residentId: id,
      scriptId: 'default',
      scriptVersion: 2,
      status: 'completed',
      stateSealed: protector.seal('{"answers":"RESIDENT WORDS"}'),
      startedAt: daysAgo(days),
      completedAt: daysAgo(days),
    },
  });
  await prisma.botSession.create({ data: { key: conversationStorageKey(id), value: { sealed: 'x' } } });
  return id;
}

/** A case with everything personal a case can hold: signals, a transcript, a note, an outbox row. */
async function caseOf(
  residentId: string,
  input: { status: string; closedDaysAgo?: number },
): Promise<number> {
  const row = await prisma.case.create({
    data: {
      residentId,
      // Opened by their screening, as a screening's case is.
      screeningId: (await prisma.screening.findFirst({ where: { residentId } }))?.id ?? null,
      level: 'high',
      source: 'screening',
      status: input.status,
      closedAt: input.closedDaysAgo === undefined ? null : daysAgo(input.closedDaysAgo),
      outcome: input.status === 'resolved' ? 'supported' : null,
      scores: { distress: { total: 15 } },
      signalsSealed: protector.seal('{"crisis":"RESIDENT WORDS"}', 'case-signals'),
      events: { create: { type: 'claimed', actor: 'worker:1', detail: { workerId: 1 } } },
      messages: { create: { direction: 'from-resident', textSealed: protector.seal('RESIDENT WORDS') } },
    },
  });
  const worker = await prisma.worker.upsert({
    where: { telegramUserId: 9_900n },
    create: { name: 'Worker', role: 'worker', telegramUserId: 9_900n },
    update: {},
  });
  await prisma.caseNote.create({
    data: { caseId: row.id, workerId: worker.id, textSealed: protector.seal('NOTE') },
  });
  await enqueueOutbox(
    { prisma, protector },
    {
      kind: 'relay-to-worker',
      caseId: row.id,
      payload: { type: 'send', chatId: 9_900, text: 'RESIDENT WORDS' },
    },
  );
  return row.id;
}

describe(describeDatabase('purgeExpired'), () => {
  it('anonymises cases closed longer than the retention period, and erases residents with nothing left', async () => {
    const gone = await residentFrom(200);
    const expiredCase = await caseOf(gone, { status: 'resolved', closedDaysAgo: 91 });

    const recent = await residentFrom(200);
    const recentCase = await caseOf(recent, { status: 'resolved', closedDaysAgo: 10 });

    const stillOpen = await residentFrom(300);
    const openCase = await caseOf(stillOpen, { status: 'claimed' });

    // Back lately, with a screening long over and no case: the old answers go, the resident stays.
    const returning = await residentFrom(200);
    await prisma.$executeRaw`UPDATE "Resident" SET "updatedAt" = ${daysAgo(3)} WHERE id = ${returning}`;

    const screenedLately = await residentFrom(5);
    await prisma.$executeRaw`UPDATE "Resident" SET "updatedAt" = ${daysAgo(400)} WHERE id = ${screenedLately}`;

    const purged = await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS });
    expect(purged).toMatchObject({ cases: 1, residents: 1, screenings: 2 });
    expect(await prisma.resident.findUnique({ where: { id: returning } })).not.toBeNull();
    expect(await prisma.screening.count({ where: { residentId: returning } })).toBe(0);

    const anonymous = await prisma.case.findUniqueOrThrow({
      where: { id: expiredCase },
      include: { messages: true, notes: true, outbox: true, events: { orderBy: { id: 'asc' } } },
    });
    expect(anonymous).toMatchObject({
      residentId: null,
      screeningId: null,
      scores: null,
      signalsSealed: null,
      level: 'high',
      status: 'resolved',
      outcome: 'supported',
      messages: [],
      notes: [],
      outbox: [],
    });
    // The audit trail stays as written: the purge adds its own entry and changes none.
    expect(anonymous.events.map((e) => [e.type, e.actor])).toEqual([
      ['claimed', 'worker:1'],
      ['purged', 'system'],
    ]);
    expect(await prisma.resident.findUnique({ where: { id: gone } })).toBeNull();
    expect(await prisma.screening.count({ where: { residentId: gone } })).toBe(0);
    expect(await prisma.botSession.findUnique({ where: { key: conversationStorageKey(gone) } })).toBeNull();

    // Within the period, open, or recently active: untouched.
    for (const [residentId, caseId] of [
      [recent, recentCase],
      [stillOpen, openCase],
    ] as const) {
      const kept = await prisma.case.findUniqueOrThrow({
        where: { id: caseId },
        include: { messages: true },
      });
      expect([kept.residentId, kept.signalsSealed === null, kept.messages.length]).toEqual([
        residentId,
        false,
        1,
      ]);
      expect(await prisma.resident.findUnique({ where: { id: residentId } })).not.toBeNull();
    }
    expect(await prisma.resident.findUnique({ where: { id: screenedLately } })).not.toBeNull();
    expect(await prisma.screening.count({ where: { residentId: screenedLately } })).toBe(1);

    // Nothing more to do on a second run.
    expect(
      await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS }),
    ).toMatchObject({
      cases: 0,
      residents: 0,
      screenings: 0,
    });
  });

  it('forgets update ids after a week, and delivered messages of no case after the retention period', async () => {
    await prisma.processedUpdate.createMany({
      data: [
        { updateId: 880_001n, processedAt: daysAgo(8) },
        { updateId: 880_002n, processedAt: daysAgo(6) },
      ],
    });
    const old = await enqueueOutbox(
      { prisma, protector },
      { kind: 'page', payload: { type: 'send', chatId: 1, text: 'x' } },
    );
    const waiting = await enqueueOutbox(
      { prisma, protector },
      { kind: 'page', payload: { type: 'send', chatId: 1, text: 'y' } },
    );
    await prisma.outboxMessage.update({
      where: { id: old },
      data: { status: 'sent', createdAt: daysAgo(91) },
    });
    await prisma.outboxMessage.update({ where: { id: waiting }, data: { createdAt: daysAgo(91) } });

    const purged = await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS });
    expect(purged).toMatchObject({ outbox: 1, processedUpdates: 1 });
    expect(
      (await prisma.processedUpdate.findMany({ where: { updateId: { gte: 880_000n } } })).map(
        (u) => u.updateId,
      ),
    ).toEqual([880_002n]);
    expect(await prisma.outboxMessage.findUnique({ where: { id: waiting } })).not.toBeNull();
  });

  it("edits what the purged case left in workers' chats into a neutral line, in their language", async () => {
    const residentId = await residentFrom(200);
    const caseId = await caseOf(residentId, { status: 'resolved', closedDaysAgo: 120 });
    const worker = await prisma.worker.create({
      data: { name: 'Chen', role: 'supervisor', telegramUserId: 9_901n, locale: 'zh-CN' },
    });
    const page = await enqueueOutbox(
      { prisma, protector },
      {
        kind: 'page',
        caseId,
        workerId: worker.id,
        payload: { type: 'send', chatId: 9_901, text: 'RESIDENT WORDS' },
      },
    );
    await prisma.outboxMessage.update({ where: { id: page }, data: { status: 'sent', sentMessageId: 77 } });

    expect(
      await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS }),
    ).toMatchObject({
      cases: 1,
      messagesBlanked: 1,
    });
    const edits = await prisma.outboxMessage.findMany({
      where: { workerId: worker.id, kind: 'page-update' },
    });
    expect(edits).toHaveLength(1);
    expect(edits[0]?.caseId).toBeNull();
    expect(openOutboxPayload(protector, edits[0]?.payloadSealed ?? '')).toEqual({
      type: 'edit',
      chatId: 9_901,
      messageId: 77,
      text: i18n.getFixedT('zh-CN', 'pages')('notices.purged', { id: caseId }),
    });
  });

  it("keeps a group's members, and erases a purged resident's group traces: places freed, the leave counted", async () => {
    const group = await prisma.supportGroup.create({
      data: {
        slug: 'retention-group',
        name: { en: 'Caring for someone' },
        description: { en: 'Carers supporting each other.' },
        meets: { en: 'Online, Tuesdays' },
        needs: ['caring'],
        locale: 'en',
        capacity: 1,
        facilitatorId: 1,
      },
    });
    const membershipOf = (residentId: string, status: string) =>
      prisma.groupMembership.create({
        data: {
          groupId: group.id,
          residentId,
          status,
          handle: `M-${residentId.slice(-3)}`,
          joinedAt: daysAgo(150),
        },
      });
    // A member who last wrote long ago is not dormant: still in the group, still reached by it.
    const member = await residentFrom(200);
    await membershipOf(member, 'member');
    // Dormant, with only an offer they turned down: purged, and the offer with them.
    const declined = await residentFrom(200);
    await prisma.groupOffer.create({
      data: { groupId: group.id, residentId: declined, offeredAt: daysAgo(150), declinedAt: daysAgo(150) },
    });

    let purged = await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS });
    expect(await prisma.resident.findUnique({ where: { id: member } })).not.toBeNull();
    expect(await prisma.groupMembership.count({ where: { residentId: member } })).toBe(1);
    expect(await prisma.resident.findUnique({ where: { id: declined } })).toBeNull();
    expect(await prisma.groupOffer.count({ where: { residentId: declined } })).toBe(0);
    expect(purged.groupMemberships).toBe(0);

    // A membership whose resident is no longer held (erased before erasure reached groups) holds the one
    // place while another waits: it goes as leaving would, the place to the waiting resident.
    const waiting = await residentFrom(1);
    await membershipOf(waiting, 'waiting');
    await prisma.groupMembership.deleteMany({ where: { residentId: member } });
    await membershipOf('retention-resident-gone', 'member');
    purged = await purgeExpired({ prisma, protector, i18n }, { now: NOW, retentionMs: RETENTION_MS });
    expect(purged.groupMemberships).toBe(1);
    expect(await prisma.groupMembership.findMany({ where: { groupId: group.id } })).toEqual([
      expect.objectContaining({ residentId: waiting, status: 'member' }),
    ]);
    const moves = await prisma.caseEvent.findMany({
      where: { type: { in: ['group.left', 'group.joined'] }, createdAt: NOW },
      orderBy: { id: 'asc' },
    });
    expect(moves.map((event) => [event.type, event.detail])).toEqual([
      ['group.left', { groupId: group.id, status: 'member' }],
      ['group.joined', { groupId: group.id, status: 'member', promoted: true }],
    ]);
    // The promoted resident is told, in the outbox.
    const told = await prisma.outboxMessage.findMany({ where: { kind: 'resident-notice' } });
    expect(told.map((row) => openOutboxPayload(protector, row.payloadSealed))).toEqual([
      expect.objectContaining({
        text: i18n.getFixedT('en')('groups.place_free', { group: 'Caring for someone' }),
      }),
    ]);
  });
});
