import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer } from '../../src/server/index.ts';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { offerGroups } from '../../src/services/groups.ts';
import { openOutboxPayload } from '../../src/services/outbox.ts';
import { purgeExpired } from '../../src/services/retention.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, sentMessageId } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { messageUpdate, type TPerson } from '../helpers/updates.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** Group work: groups offered after a screening by needs and language, joined with consent, announced to, left. */
const en = botTexts('en');
const zh = botTexts('zh-CN');
const w = createI18n().getFixedT('en', 'worker');

let app: TTestApp;
let fay: TStaff;
let other: TStaff;
beforeAll(async () => {
  app = await createTestApp({ staff: 'none' });
  fay = await joinStaff(app, staffPerson('Fay'), { name: 'Fay Okonkwo' });
  other = await joinStaff(app, staffPerson('Otto'), { name: 'Otto Lind' });
  const facilitator = String((await fay.worker()).id);
  const group = (slug: string, locale: string, needs: string, capacity: string) =>
    admin([
      'group',
      'create',
      '--slug',
      slug,
      '--locale',
      locale,
      '--name',
      `Losing your home (${slug})`,
      '--name-zh',
      '失去家园互助小组',
      '--description',
      'People facing eviction or demolition, supporting each other.',
      '--meets',
      'Thursdays 7pm, Riverside community centre',
      '--needs',
      needs,
      '--capacity',
      capacity,
      '--facilitator',
      facilitator,
    ]);
  expect((await group('housing', 'en', 'housing,failed_channels', '1')).code).toBe(0);
  expect((await group('housing-zh', 'zh-CN', 'failed_channels,injustice', '10')).code).toBe(0);
  expect((await group('anger', 'en', 'revenge', '10')).code).toBe(0);
});
afterAll(async () => {
  await app.close();
});

async function admin(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    { prisma: app.prisma },
    {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    },
  );
  return { code, out, err };
}

/**
 * Answers that speak of losing one's home, unfairness and official routes that failed (level moderate):
 * some distress, no suicide item, marked grievance, the topic "my home", Riverside.
 */
const LOSING_MY_HOME = [
  ...['1', '1', '1', '1', '1', '0'],
  ...['no', 'no', 'no', 'no'],
  ...['3', '3', '5', '1', '0', 'no', 'no', '1'],
  'housing',
  '2',
  'nothing',
];

/** A resident who finishes the screening with {@link LOSING_MY_HOME}. */
async function screened(id: number) {
  const resident = createResident(app, { id, languageCode: 'en', firstName: `Resident${id}` });
  await resident.consent();
  await resident.answer(LOSING_MY_HOME);
  await deliverOutbox(app);
  return resident;
}

function offerOf(texts: readonly string[]) {
  return texts.filter((text) => text.startsWith('A group that may help:'));
}

/** A group for these tests, run by Fay, that no screening's needs match (so it is offered to no one). */
async function quietGroup(slug: string, options: { capacity?: number; isClosed?: boolean } = {}) {
  const made = await admin([
    'group',
    'create',
    '--slug',
    slug,
    '--locale',
    'en',
    '--name',
    `Circle ${slug}`,
    '--description',
    'A quiet circle.',
    '--meets',
    'Online, Sundays',
    '--needs',
    'quiet_circle',
    '--capacity',
    String(options.capacity ?? 10),
    '--facilitator',
    String((await fay.worker()).id),
    ...(options.isClosed ? ['--closed'] : []),
  ]);
  expect(made.code).toBe(0);
  return app.prisma.supportGroup.findUniqueOrThrow({ where: { slug } });
}

/** Setup only: the group offered to the resident (as a screening's end would), so that Join is theirs to press. */
async function offered(residentId: string, groupId: number) {
  await app.prisma.groupOffer.create({ data: { groupId, residentId, offeredAt: new Date() } });
}

/** A message from `person` replying to the bot's message `messageId` in their chat. */
function replyUpdate(person: TPerson, messageId: number, text: string, username?: string): Update {
  const update = messageUpdate(person, {
    text,
    reply_to_message: {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: person.id, type: 'private' },
      from: { id: app.api.botInfo.id, is_bot: true, first_name: 'Bridgeline' },
      text: '…',
    },
  });
  if (username && update.message?.from) update.message.from.username = username;
  return update;
}

/** A case for the resident, opened by their "Talk to a worker" (waiting); claimed by `claimer` when given. */
async function caseFor(resident: ReturnType<typeof createResident>, claimer?: TStaff) {
  await resident.press(CALLBACK.talkToWorker, 1);
  const row = await app.prisma.case.findFirstOrThrow({
    where: { residentId: resident.residentId, status: { in: ['waiting', 'claimed'] } },
  });
  if (claimer) {
    const worker = await claimer.worker();
    await app.prisma.case.update({
      where: { id: row.id },
      data: { status: 'claimed', claimedById: worker.id },
    });
    await app.prisma.worker.update({ where: { id: worker.id }, data: { activeCaseId: row.id } });
  }
  return row.id;
}

function membershipOf(residentId: string, groupId: number) {
  return app.prisma.groupMembership.findUniqueOrThrow({
    where: { groupId_residentId: { groupId, residentId } },
  });
}

describe(describeDatabase('support groups'), () => {
  it('offers the groups that match the needs and language, joins with consent, then a waiting list when full', async () => {
    const ann = await screened(98_001);
    const offers = offerOf(ann.read());
    expect(offers).toHaveLength(1);
    expect(offers[0]).toContain('Losing your home (housing)');
    expect(offers[0]).toContain('sees only a member handle and your language');
    const group = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'housing' } });
    await ann.press(CALLBACK.joinGroup(group.id));
    expect(ann.read()).toEqual([en('groups.joined', { group: 'Losing your home (housing)' })]);
    const [membership] = await app.prisma.groupMembership.findMany({ where: { groupId: group.id } });
    expect(membership).toMatchObject({ residentId: ann.residentId, status: 'member' });
    expect(JSON.stringify(membership)).not.toContain('Resident98001');

    const ben = await screened(98_002);
    expect(offerOf(ben.read())).toHaveLength(1);
    await ben.press(CALLBACK.joinGroup(group.id));
    expect(ben.read()).toEqual([en('groups.waiting', { group: 'Losing your home (housing)' })]);
  });

  it('remembers "Not now": the same group is not offered again', async () => {
    const cam = await screened(98_003);
    const group = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'housing' } });
    expect(offerOf(cam.read())).toHaveLength(1);
    await cam.press(CALLBACK.declineGroup(group.id));
    expect(cam.read()).toEqual([en('groups.declined')]);
    await cam.send('/start');
    await cam.answer(LOSING_MY_HOME);
    await deliverOutbox(app);
    expect(offerOf(cam.read())).toEqual([]);
  });

  it('announces to members only, from the bot under the group name, and only the facilitator may', async () => {
    const ann = createResident(app, { id: 98_001, languageCode: 'en' });
    const ben = createResident(app, { id: 98_002, languageCode: 'en' });
    ann.read();
    ben.read();
    await other.send('/announce housing Hello all');
    expect(other.read()).toEqual([w('groups.announce_not_facilitator', { slug: 'housing' })]);
    fay.read();
    await fay.send('/announce housing The meeting moves to Friday 6pm this week.');
    expect(fay.read()).toEqual([w('groups.announced', { members: 1, slug: 'housing' })]);
    await deliverOutbox(app);
    const said = en('groups.announcement', {
      group: 'Losing your home (housing)',
      text: 'The meeting moves to Friday 6pm this week.',
    });
    expect(ann.read()).toEqual([said]);
    expect(said).not.toContain('Fay');
    expect(ben.read()).toEqual([]);
    await fay.send('/announce nowhere Hello');
    expect(fay.read()).toEqual([w('groups.announce_no_group', { slug: 'nowhere' })]);

    // Ann replies to the announcement: it reaches Fay alone, under Ann's handle, nothing of who she is.
    const announcementId = sentMessageId(app, 98_001, said);
    const reply = messageUpdate(
      { id: 98_001, languageCode: 'en', firstName: 'Resident98001' },
      {
        text: 'Thanks, see you at the meeting.',
        reply_to_message: {
          message_id: announcementId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: 98_001, type: 'private' },
          from: { id: app.api.botInfo.id, is_bot: true, first_name: 'Bridgeline' },
          text: said,
        },
      },
    );
    expect((await app.send(reply)).status).toBe(200);
    expect(ann.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    const handle = (
      await app.prisma.groupMembership.findFirstOrThrow({ where: { residentId: ann.residentId } })
    ).handle;
    const toFay = fay.read();
    expect(toFay).toEqual([
      w('groups.member_reply', { slug: 'housing', handle, text: 'Thanks, see you at the meeting.' }),
    ]);
    expect(toFay.join('\n')).not.toMatch(/Resident98001|98001/);
    expect(ben.read()).toEqual([]);
    expect(other.read()).toEqual([]);

    // Crisis words in a reply are read as anywhere: the emergency numbers and a case.
    await app.send(
      messageUpdate(
        { id: 98_001, languageCode: 'en' },
        {
          text: 'I have the pills counted out and I am taking them all tonight',
          reply_to_message: {
            message_id: announcementId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: 98_001, type: 'private' },
            from: { id: app.api.botInfo.id, is_bot: true, first_name: 'Bridgeline' },
            text: said,
          },
        },
      ),
    );
    await deliverOutbox(app);
    expect(ann.read()[0]).toBe(en('crisis.imminent', { numbers: en('emergency.default') }));
    expect(await app.prisma.case.count({ where: { residentId: ann.residentId, level: 'imminent' } })).toBe(1);
    // The words go to the case the guard opened, never to the facilitator as a group reply; a worker is paged.
    const crisisCase = await app.prisma.case.findFirstOrThrow({
      where: { residentId: ann.residentId, level: 'imminent' },
    });
    const toStaff = [...fay.read(), ...other.read()];
    expect(toStaff.filter((text) => text.includes('pills counted out') && text.includes(handle))).toEqual([]);
    // Only the first reply is stored as one to the facilitator.
    const annMembership = await app.prisma.groupMembership.findFirstOrThrow({
      where: { residentId: ann.residentId },
    });
    expect(await app.prisma.outboxMessage.count({ where: { groupMembershipId: annMembership.id } })).toBe(1);
    expect(
      await app.prisma.outboxMessage.count({
        where: { caseId: crisisCase.id, kind: 'page', status: 'sent' },
      }),
    ).toBeGreaterThan(0);
  });

  it('/groups lists and leaves; the freed place goes to the waiting list; /delete erases memberships', async () => {
    const ann = createResident(app, { id: 98_001, languageCode: 'en' });
    const ben = createResident(app, { id: 98_002, languageCode: 'en' });
    ann.read();
    ben.read();
    const group = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'housing' } });
    await ann.send('/groups');
    expect(ann.read()).toEqual([
      en('groups.listed', {
        name: 'Losing your home (housing)',
        meets: 'Thursdays 7pm, Riverside community centre',
      }),
    ]);
    await ann.press(CALLBACK.leaveGroup(group.id));
    expect(ann.read()).toEqual([en('groups.left')]);
    expect(await app.prisma.groupMembership.count({ where: { residentId: ann.residentId } })).toBe(0);
    await deliverOutbox(app);
    expect(ben.read()).toEqual([en('groups.place_free', { group: 'Losing your home (housing)' })]);
    expect(
      await app.prisma.groupMembership.findFirstOrThrow({ where: { residentId: ben.residentId } }),
    ).toMatchObject({
      status: 'member',
    });

    await ben.send('/delete');
    await ben.press(CALLBACK.deleteYes);
    expect(await app.prisma.groupMembership.count({ where: { residentId: ben.residentId } })).toBe(0);
    expect(await app.prisma.groupOffer.count({ where: { residentId: ben.residentId } })).toBe(0);

    const listed = await admin(['group', 'list']);
    expect(listed.out[0]).toMatch(
      /^housing\tactive\ten\t0\/1 members, 0 waiting\tneeds housing,failed_channels$/,
    );
    expect((await admin(['group', 'pause', 'housing'])).code).toBe(0);
    expect((await admin(['group', 'create', '--slug', 'x'])).code).toBe(2);
  });
  it('a worker refers the resident of their case; the community picture counts groups with small cells suppressed', async () => {
    const dee = createResident(app, { id: 98_004, languageCode: 'en' });
    await dee.consent();
    await dee.send('I have the rope ready in the shed for tonight');
    await deliverOutbox(app);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: dee.residentId } });
    await app.prisma.case.update({
      where: { id: row.id },
      data: { status: 'claimed', claimedById: (await fay.worker()).id },
    });
    await app.prisma.worker.update({
      where: { id: (await fay.worker()).id },
      data: { activeCaseId: row.id },
    });
    dee.read();
    fay.read();
    await fay.send('/refer anger');
    expect(fay.read()).toEqual([w('groups.refer_referred', { slug: 'anger', id: row.id })]);
    await deliverOutbox(app);
    const [offer] = dee.read();
    expect(offer).toContain('A group that may help: Losing your home (anger)');
    const anger = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'anger' } });
    await dee.press(CALLBACK.joinGroup(anger.id));
    expect(dee.read()).toEqual([en('groups.joined', { group: 'Losing your home (anger)' })]);
    await fay.send('/refer anger');
    expect(fay.read()).toEqual([w('groups.refer_already_member', { slug: 'anger', id: '' })]);
    await fay.send('/refer nowhere');
    expect(fay.read()).toEqual([w('groups.refer_no_group', { slug: 'nowhere', id: '' })]);

    const { readGroupCounts } = await import('../../src/services/community-picture.ts');
    const { weekOf, communityCsv, buildCommunityPicture } = await import(
      '../../src/domain/community/picture.ts'
    );
    const weeks = [weekOf(new Date())];
    const counts = await readGroupCounts(app, { weeks });
    const angerCounts = counts.find((group) => group.slug === 'anger');
    expect(angerCounts).toEqual({
      slug: 'anger',
      members: { fewerThan: 5 },
      joins: [{ fewerThan: 5 }],
      leaves: [{ fewerThan: 5 }],
      offered: { fewerThan: 5 },
      accepted: { fewerThan: 5 },
    });
    const csv = communityCsv(buildCommunityPicture([], { now: new Date(), weeks: 1, themes: [] }), counts);
    expect(csv).toContain('group-members,anger,now,fewer than 5\n');
    expect(csv).not.toMatch(/,[0-4]\n/);
  });
  it('a worker resolving a case can offer the groups that fit its screening', async () => {
    expect(
      (
        await admin([
          'group',
          'create',
          '--slug',
          'channels',
          '--locale',
          'en',
          '--name',
          'Still waiting for an answer',
          '--description',
          'For people whose complaints went nowhere.',
          '--meets',
          'Online, Mondays 6pm',
          '--needs',
          'failed_channels',
          '--capacity',
          '10',
          '--facilitator',
          String((await fay.worker()).id),
        ])
      ).code,
    ).toBe(0);
    const eve = await screened(98_005);
    const screening = await app.prisma.screening.findFirstOrThrow({ where: { residentId: eve.residentId } });
    await eve.press(CALLBACK.callback(screening.id));
    await deliverOutbox(app);
    const row = await app.prisma.case.findFirstOrThrow({ where: { residentId: eve.residentId } });
    await app.prisma.case.update({
      where: { id: row.id },
      data: { status: 'claimed', claimedById: (await fay.worker()).id },
    });
    await app.prisma.worker.update({
      where: { id: (await fay.worker()).id },
      data: { activeCaseId: row.id },
    });
    eve.read();
    await fay.send('/resolve supported groups');
    await deliverOutbox(app);
    const told = eve.read();
    expect(told[0]).toBe(en('relay.case_closed', { numbers: en('emergency.default') }));
    expect(offerOf(told).map((text) => text.split('\n')[0])).toEqual([
      'A group that may help: Still waiting for an answer',
    ]);
  });

  it('a reply to an announcement reaches the facilitator alone whatever cases the member has, sealed; /delete erases it and frees the place', async () => {
    const circle = await quietGroup('circle', { capacity: 2 });
    const circleB = await quietGroup('circle-b');
    const gia = createResident(app, { id: 98_010, languageCode: 'en', firstName: 'Gia' });
    const hal = createResident(app, { id: 98_011, languageCode: 'en', firstName: 'Hal' });
    const ivy = createResident(app, { id: 98_012, languageCode: 'en', firstName: 'Ivy' });
    for (const resident of [gia, hal, ivy]) {
      await resident.consent();
      await offered(resident.residentId, circle.id);
    }
    const joining = new Date();
    for (const resident of [gia, hal, ivy]) await resident.press(CALLBACK.joinGroup(circle.id), 1);
    expect(ivy.read().at(-1)).toBe(en('groups.waiting', { group: 'Circle circle' }));
    // Joined with its time; Gia joins a second group of Fay's later.
    for (const resident of [gia, hal]) {
      const joinedAt = (await membershipOf(resident.residentId, circle.id)).joinedAt.getTime();
      expect(joinedAt).toBeGreaterThanOrEqual(joining.getTime() - 1000);
      expect(joinedAt).toBeLessThanOrEqual(Date.now());
    }
    await offered(gia.residentId, circleB.id);
    await gia.press(CALLBACK.joinGroup(circleB.id), 1);
    // Gia's case waits for a worker; Hal's is claimed by Otto.
    const giaCase = await caseFor(gia);
    const halCase = await caseFor(hal, other);
    expect(
      (
        await app.prisma.case.findMany({ where: { id: { in: [giaCase, halCase] } }, orderBy: { id: 'asc' } })
      ).map((row) => row.status),
    ).toEqual(['waiting', 'claimed']);
    await deliverOutbox(app);
    for (const person of [gia, hal, ivy, fay, other]) person.read();

    await fay.send('/announce circle Next week we meet at the library.');
    expect(fay.read()).toEqual([w('groups.announced', { members: 2, slug: 'circle' })]);
    await fay.send('/announce circle-b Circle B news.');
    fay.read();
    await deliverOutbox(app);
    const said = en('groups.announcement', {
      group: 'Circle circle',
      text: 'Next week we meet at the library.',
    });
    expect(gia.read()).toEqual([
      said,
      en('groups.announcement', { group: 'Circle circle-b', text: 'Circle B news.' }),
    ]);
    expect(hal.read()).toEqual([said]);
    expect(ivy.read()).toEqual([]);
    const handles = await Promise.all(
      [gia, hal].map(async (r) => (await membershipOf(r.residentId, circle.id)).handle),
    );
    // Members never see each other: nothing sent to one names another.
    for (const [index, resident] of [gia, hal].entries()) {
      const peer = [gia, hal][1 - index];
      const toThem = app.api.textsTo(resident.person.id).join('\n');
      for (const mark of [peer?.person.firstName, String(peer?.person.id), handles[1 - index]])
        expect(toThem).not.toContain(mark);
    }

    // Gia, whose case waits, answers the first group's announcement: Fay alone gets it, labelled with that group.
    const kept = await app.prisma.caseMessage.count({ where: { caseId: giaCase } });
    await app.send(replyUpdate(gia.person, sentMessageId(app, 98_010, said), 'Gia will bring tea.'));
    expect(gia.read()).toEqual([en('groups.reply_sent')]);
    // Hal, whose case Otto holds, answers it too: Fay gets it, Otto does not.
    await app.send(replyUpdate(hal.person, sentMessageId(app, 98_011, said), 'Hal words for Fay.'));
    expect(hal.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    expect(fay.read()).toEqual([
      w('groups.member_reply', { slug: 'circle', handle: handles[0], text: 'Gia will bring tea.' }),
      w('groups.member_reply', { slug: 'circle', handle: handles[1], text: 'Hal words for Fay.' }),
    ]);
    expect(other.read()).toEqual([]);
    expect(await app.prisma.caseMessage.count({ where: { caseId: giaCase } })).toBe(kept);

    // Stored sealed, linked to Hal's membership.
    const halMembership = await membershipOf(hal.residentId, circle.id);
    const [stored] = await app.prisma.outboxMessage.findMany({
      where: { groupMembershipId: halMembership.id },
    });
    expect(stored?.payloadSealed).not.toContain('Hal words');
    expect(JSON.stringify(openOutboxPayload(app.protector, stored?.payloadSealed ?? ''))).toContain(
      'Hal words',
    );

    // Hal erases everything: the reply's row goes, Fay's copy is blanked, his place goes to Ivy.
    await hal.send('/delete');
    await hal.press(CALLBACK.deleteYes);
    await deliverOutbox(app);
    const rows = await app.prisma.outboxMessage.findMany({
      select: { payloadSealed: true, groupMembershipId: true },
    });
    expect(rows.filter((row) => row.groupMembershipId === halMembership.id)).toEqual([]);
    expect(
      rows.some((row) =>
        JSON.stringify(openOutboxPayload(app.protector, row.payloadSealed)).includes('Hal words'),
      ),
    ).toBe(false);
    expect(
      app.api
        .callsOf('editMessageText')
        .some(
          (call) => call.payload.chat_id === fay.person.id && call.payload.text === w('groups.reply_erased'),
        ),
    ).toBe(true);
    expect(await membershipOf(ivy.residentId, circle.id)).toMatchObject({ status: 'member' });
    expect(ivy.read()).toEqual([en('groups.place_free', { group: 'Circle circle' })]);
    const moves = await app.prisma.caseEvent.findMany({
      where: { type: { in: ['group.left', 'group.joined'] }, createdAt: { gte: joining } },
      orderBy: { id: 'asc' },
    });
    expect(moves.slice(-2).map((event) => [event.type, event.detail])).toEqual([
      ['group.left', { groupId: circle.id, status: 'member' }],
      ['group.joined', { groupId: circle.id, status: 'member', promoted: true }],
    ]);
  });

  it('joins only on an offer not declined; a closed group on /refer alone; paused: not offered nor joinable; archived: ended', async () => {
    const circleB = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'circle-b' } });
    const jo = createResident(app, { id: 98_013, languageCode: 'en', firstName: 'Jo' });
    await jo.consent();
    jo.read();
    // Button data sent without an offer (forged): nothing joined.
    await jo.press(CALLBACK.joinGroup(circleB.id), 1);
    expect(jo.read()).toEqual([en('groups.unavailable')]);
    const closed = await quietGroup('circle-closed', { isClosed: true });
    await offered(jo.residentId, closed.id);
    await jo.press(CALLBACK.joinGroup(closed.id), 1);
    expect(jo.read()).toEqual([en('groups.unavailable')]);
    expect(await app.prisma.groupMembership.count({ where: { residentId: jo.residentId } })).toBe(0);

    // Fay refers Jo (her case): the closed group opens to Jo.
    await caseFor(jo, fay);
    await deliverOutbox(app);
    jo.read();
    fay.read();
    await fay.send('/refer circle-closed');
    await deliverOutbox(app);
    expect(jo.read()[0]).toContain('A group that may help: Circle circle-closed');
    await jo.press(CALLBACK.joinGroup(closed.id));
    expect(jo.read()).toEqual([en('groups.joined', { group: 'Circle circle-closed' })]);

    // "Not now" to a referral is remembered: not referred again, and its button cannot be pressed after.
    const circleC = await quietGroup('circle-c');
    await fay.send('/refer circle-c');
    await deliverOutbox(app);
    jo.read();
    await jo.press(CALLBACK.declineGroup(circleC.id));
    expect(jo.read()).toEqual([en('groups.declined')]);
    fay.read();
    await fay.send('/refer circle-c');
    expect(fay.read()).toEqual([w('groups.refer_declined', { slug: 'circle-c', id: '' })]);
    await jo.press(CALLBACK.joinGroup(circleC.id), 1);
    expect(jo.read()).toEqual([en('groups.unavailable')]);

    // Paused: offered to nobody, joined by nobody, even on an offer made before.
    const needs = { residentId: jo.residentId, needs: ['quiet_circle'], locale: 'en', now: new Date() };
    expect((await offerGroups(app, needs)).map((group) => group.slug)).toContain('circle-b');
    expect((await admin(['group', 'pause', 'circle-b'])).code).toBe(0);
    expect((await offerGroups(app, needs)).map((group) => group.slug)).not.toContain('circle-b');
    await fay.send('/refer circle-b');
    expect(fay.read()).toEqual([w('groups.refer_no_group', { slug: 'circle-b', id: '' })]);
    await jo.press(CALLBACK.joinGroup(circleB.id), 1);
    expect(jo.read()).toEqual([en('groups.unavailable')]);

    // Archived: no more announcements; its members see it as ended.
    expect((await admin(['group', 'archive', 'circle-b'])).code).toBe(0);
    await fay.send('/announce circle-b Still there?');
    expect(fay.read()).toEqual([w('groups.announce_no_group', { slug: 'circle-b' })]);

    // Resolving Jo's case with groups when none fits: Fay is told nothing was offered.
    const joCase = await app.prisma.case.findFirstOrThrow({ where: { residentId: jo.residentId } });
    fay.read();
    await fay.send('/resolve supported groups');
    expect(fay.read().at(-1)).toBe(w('groups.resolve_none', { id: joCase.id }));

    const gia = createResident(app, { id: 98_010, languageCode: 'en' });
    gia.read();
    await gia.send('/groups');
    expect(gia.read()).toEqual([
      en('groups.listed', { name: 'Circle circle', meets: 'Online, Sundays' }),
      en('groups.listed_ended', { name: 'Circle circle-b', meets: 'Online, Sundays' }),
    ]);
  });

  it('a group handed to another facilitator: replies reach them; with no active facilitator the member is told', async () => {
    const gia = createResident(app, { id: 98_010, languageCode: 'en' });
    const said = en('groups.announcement', {
      group: 'Circle circle',
      text: 'Next week we meet at the library.',
    });
    const announcement = sentMessageId(app, 98_010, said);
    expect((await admin(['group', 'set-facilitator', 'circle', 'nobody-by-that-name'])).code).toBe(2);
    expect(
      (await admin(['group', 'set-facilitator', 'circle', String((await other.worker()).id)])).code,
    ).toBe(0);
    gia.read();
    fay.read();
    other.read();
    await app.send(replyUpdate(gia.person, announcement, 'Is it still on?'));
    expect(gia.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    const handle = (
      await membershipOf(
        gia.residentId,
        (
          await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'circle' } })
        ).id,
      )
    ).handle;
    expect(other.read()).toEqual([
      w('groups.member_reply', { slug: 'circle', handle, text: 'Is it still on?' }),
    ]);
    expect(fay.read()).toEqual([]);
    await fay.send('/announce circle Hello');
    expect(fay.read()).toEqual([w('groups.announce_not_facilitator', { slug: 'circle' })]);

    // Otto leaves the service: Gia's reply is not dropped in silence.
    await app.prisma.worker.update({ where: { id: (await other.worker()).id }, data: { isActive: false } });
    await app.send(replyUpdate(gia.person, announcement, 'Hello?'));
    await deliverOutbox(app);
    expect(gia.read()).toEqual([en('groups.reply_no_facilitator', { numbers: en('emergency.default') })]);
    expect(other.read()).toEqual([]);
    expect(fay.read()).toEqual([]);
    await app.prisma.worker.update({ where: { id: (await other.worker()).id }, data: { isActive: true } });
  });

  it('a zh-CN resident is offered the zh-CN group after the screening, joins, and reads its announcement in Chinese', async () => {
    const lin = createResident(app, { id: 98_014, languageCode: 'zh-hans', firstName: '小林' });
    await lin.consent();
    await lin.answer(LOSING_MY_HOME);
    await deliverOutbox(app);
    const group = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'housing-zh' } });
    const offerText = zh('groups.offer', {
      name: '失去家园互助小组',
      description: 'People facing eviction or demolition, supporting each other.',
      meets: 'Thursdays 7pm, Riverside community centre',
    });
    expect(lin.read()).toContain(offerText);
    await lin.press(CALLBACK.joinGroup(group.id), sentMessageId(app, 98_014, offerText));
    expect(lin.read()).toEqual([zh('groups.joined', { group: '失去家园互助小组' })]);
    await fay.send('/announce housing-zh 本周四照常见面。');
    await deliverOutbox(app);
    expect(lin.read()).toEqual([
      zh('groups.announcement', { group: '失去家园互助小组', text: '本周四照常见面。' }),
    ]);
  });

  it('done when: a supervisor creates a housing group; a resident who is losing their home is offered it, joins, hears, replies unseen, and leaves', async () => {
    const hana = await joinStaff(app, staffPerson('Hana'), { name: 'Hana Sato' });
    const call = await supervisorApi('lead');
    const created = await call('POST', '/api/groups', {
      slug: 'home',
      name: { en: 'Keeping a roof', 'zh-CN': '守住家园' },
      description: { en: 'Neighbours facing the loss of their home.' },
      meets: { en: 'Wednesdays 6pm, Riverside library' },
      needs: ['housing'],
      locale: 'en',
      capacity: 12,
      facilitator: 'Hana Sato',
    });
    expect(created.status).toBe(201);
    const home = await app.prisma.supportGroup.findUniqueOrThrow({ where: { slug: 'home' } });
    expect(home.facilitatorId).toBe((await hana.worker()).id);
    // A facilitator who cannot take it is refused, and nothing changes; the API hands the group over, audited.
    expect((await call('PATCH', '/api/groups/home', { facilitator: 'Nobody Here' })).status).toBe(400);
    expect((await call('PATCH', '/api/groups/home', {})).status).toBe(400);
    const handed = await call('PATCH', '/api/groups/home', { facilitator: String((await fay.worker()).id) });
    expect(await handed.json()).toMatchObject({
      slug: 'home',
      status: 'active',
      facilitatorId: (await fay.worker()).id,
    });
    expect(
      await app.prisma.caseEvent.findFirst({
        where: { type: 'group.facilitator-changed', actor: 'token:lead' },
      }),
    ).not.toBeNull();
    expect((await call('PATCH', '/api/groups/home', { facilitator: 'Hana Sato' })).status).toBe(200);

    const person = { id: 98_020, languageCode: 'en', firstName: 'Kit' };
    const kit = createResident(app, person);
    await kit.consent();
    await kit.answer(LOSING_MY_HOME);
    await deliverOutbox(app);
    const offerText = en('groups.offer', {
      name: 'Keeping a roof',
      description: 'Neighbours facing the loss of their home.',
      meets: 'Wednesdays 6pm, Riverside library',
    });
    expect(kit.read()).toContain(offerText);
    await kit.press(CALLBACK.joinGroup(home.id), sentMessageId(app, person.id, offerText));
    expect(kit.read()).toEqual([en('groups.joined', { group: 'Keeping a roof' })]);

    await hana.send('/announce home The council meeting is on Monday; we will go together.');
    expect(hana.read().at(-1)).toBe(w('groups.announced', { members: 1, slug: 'home' }));
    await deliverOutbox(app);
    const said = en('groups.announcement', {
      group: 'Keeping a roof',
      text: 'The council meeting is on Monday; we will go together.',
    });
    expect(kit.read()).toEqual([said]);

    await app.send(
      replyUpdate(person, sentMessageId(app, person.id, said), 'I will come. Thank you.', 'kit_tenant'),
    );
    expect(kit.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    const toHana = hana.read();
    const { handle } = await membershipOf(kit.residentId, home.id);
    expect(toHana).toEqual([
      w('groups.member_reply', { slug: 'home', handle, text: 'I will come. Thank you.' }),
    ]);
    expect(toHana.join('\n')).not.toMatch(/Kit|kit_tenant|98020/);

    await kit.send('/groups');
    expect(kit.read()).toEqual([
      en('groups.listed', { name: 'Keeping a roof', meets: 'Wednesdays 6pm, Riverside library' }),
    ]);
    await kit.press(CALLBACK.leaveGroup(home.id));
    expect(kit.read()).toEqual([en('groups.left')]);
    expect(await app.prisma.groupMembership.count({ where: { residentId: kit.residentId } })).toBe(0);
  });
});

/** The texts Telegram took for a chat (a call refused with 429 is not a message). */
function deliveredTo(chatId: number): string[] {
  return app.api
    .callsOf('sendMessage')
    .filter((call) => call.payload.chat_id === chatId && call.result !== undefined)
    .map((call) => String(call.payload.text));
}

/** A reply to the announcement `messageId` that is a command (Telegram marks it so). */
function commandReply(person: TPerson, messageId: number, command: string): Update {
  const update = replyUpdate(person, messageId, command);
  if (update.message) update.message.entities = [{ type: 'bot_command', offset: 0, length: command.length }];
  return update;
}

/** A member of a fresh quiet group of Fay's, with one announcement delivered: the id of it in their chat. */
async function memberWithAnnouncement(slug: string, id: number, options: { capacity?: number } = {}) {
  const group = await quietGroup(slug, options);
  const member = createResident(app, { id, languageCode: 'en', firstName: `Member${id}` });
  await member.consent();
  await offered(member.residentId, group.id);
  await member.press(CALLBACK.joinGroup(group.id), 1);
  await fay.send(`/announce ${slug} News for ${slug}.`);
  await deliverOutbox(app);
  const said = en('groups.announcement', { group: `Circle ${slug}`, text: `News for ${slug}.` });
  member.read();
  fay.read();
  return { group, member, announcement: sentMessageId(app, id, said) };
}

describe(describeDatabase('support groups, the edges'), () => {
  it('commands typed as replies are commands; a long reply arrives whole in parts; a reply in flight at /delete never shows', async () => {
    const { group, member, announcement } = await memberWithAnnouncement('edges', 98_030);
    const { id: membershipId, handle } = await membershipOf(member.residentId, group.id);

    // /help as a reply to the announcement: the member gets help (with the numbers), the facilitator nothing.
    await app.send(commandReply(member.person, announcement, '/help'));
    await deliverOutbox(app);
    expect(member.read()).toEqual([
      [en('help.text'), en('help.emergency', { numbers: en('emergency.default') })].join('\n\n'),
    ]);
    expect(fay.read()).toEqual([]);

    // Longer than Telegram carries with the label: numbered parts, each within the limit, each linked.
    const long = Array.from({ length: 1000 }, (_, index) => `w${index}`).join(' ');
    expect(long.length).toBeGreaterThan(4096);
    await app.send(replyUpdate(member.person, announcement, long));
    expect(member.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    const parts = fay.read();
    expect(parts).toHaveLength(2);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096);
    expect(parts[0]).toContain(`Member ${handle}: (1/2) w0 `);
    expect(parts[1]).toContain(`Member ${handle}: (2/2) `);
    expect(parts[1]?.endsWith(' w999')).toBe(true);
    expect(await app.prisma.outboxMessage.count({ where: { groupMembershipId: membershipId } })).toBe(2);

    // Telegram holds Fay's chat a moment: the reply is leased to the sender when the member erases everything.
    app.api.failNext(
      'sendMessage',
      { error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 30 } },
      { chatId: fay.person.id },
    );
    await app.send(replyUpdate(member.person, announcement, 'Secret words in flight'));
    expect(
      await app.prisma.outboxMessage.count({ where: { groupMembershipId: membershipId, status: 'sending' } }),
    ).toBe(1);
    const editsBefore = app.api.callsOf('editMessageText').length;
    // `/delete` typed as a reply is the command too.
    await app.send(commandReply(member.person, announcement, '/delete'));
    expect(member.read().at(-1)).toBe(en('delete.confirm'));
    await member.press(CALLBACK.deleteYes);
    await deliverOutbox(app);
    expect(deliveredTo(fay.person.id).some((text) => text.includes('Secret words'))).toBe(false);
    expect(app.api.textsTo(fay.person.id).some((text) => text.includes('/delete'))).toBe(false);
    const blanked = app.api
      .callsOf('editMessageText')
      .slice(editsBefore)
      .filter(
        (call) => call.payload.chat_id === fay.person.id && call.payload.text === w('groups.reply_erased'),
      );
    // The two parts, and the reply that was in flight.
    expect(blanked).toHaveLength(3);
  });

  it('leaving an ended group gives nobody its place', async () => {
    const { group, member } = await memberWithAnnouncement('ended', 98_031, { capacity: 1 });
    const waiting = createResident(app, { id: 98_032, languageCode: 'en' });
    await waiting.consent();
    await offered(waiting.residentId, group.id);
    await waiting.press(CALLBACK.joinGroup(group.id), 1);
    expect(waiting.read().at(-1)).toBe(en('groups.waiting', { group: 'Circle ended' }));
    expect((await admin(['group', 'archive', 'ended'])).code).toBe(0);
    await member.press(CALLBACK.leaveGroup(group.id));
    expect(member.read()).toEqual([en('groups.left')]);
    await deliverOutbox(app);
    expect(waiting.read()).toEqual([]);
    expect(await membershipOf(waiting.residentId, group.id)).toMatchObject({ status: 'waiting' });
  });

  it('a facilitator whose access ends: members whose replies had not reached them are told, the words go nowhere', async () => {
    const pia = await joinStaff(app, staffPerson('Pia'), { name: 'Pia Holm' });
    const { group, member, announcement } = await memberWithAnnouncement('handed', 98_033);
    expect((await admin(['group', 'set-facilitator', 'handed', 'Pia Holm'])).code).toBe(0);
    pia.read();
    app.api.failNext(
      'sendMessage',
      { error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 30 } },
      { chatId: pia.person.id },
    );
    await app.send(replyUpdate(member.person, announcement, 'Words Pia never got'));
    expect(member.read()).toEqual([en('groups.reply_sent')]);
    const deactivated = await runAdminCommand(
      ['deactivate', '--worker', 'Pia Holm'],
      { prisma: app.prisma, notices: { protector: app.protector, i18n: app.i18n } },
      { out: () => {}, err: () => {} },
    );
    expect(deactivated).toBe(0);
    await deliverOutbox(app);
    expect(member.read()).toEqual([en('groups.reply_not_delivered', { numbers: en('emergency.default') })]);
    expect(deliveredTo(pia.person.id).some((text) => text.includes('Words Pia'))).toBe(false);
    expect((await membershipOf(member.residentId, group.id)).status).toBe('member');
  });

  it('a group change and its audit entry commit together (API and command line)', async () => {
    const group = await quietGroup('atomic');
    const call = await supervisorApi('lead2');
    // The audit log refuses group entries: the change it would describe must not stand either.
    await app.prisma.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION refuse_group_audit() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql`);
    await app.prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_group_audit BEFORE INSERT ON "CaseEvent"
      FOR EACH ROW WHEN (NEW.type LIKE 'group.%') EXECUTE FUNCTION refuse_group_audit()`);
    try {
      const patched = await call('PATCH', '/api/groups/atomic', {
        facilitator: String((await other.worker()).id),
        status: 'paused',
      });
      expect(patched.status).toBe(500);
      await expect(
        admin(['group', 'set-facilitator', 'atomic', String((await other.worker()).id)]),
      ).rejects.toThrow();
      await expect(admin(['group', 'pause', 'atomic'])).rejects.toThrow();
    } finally {
      await app.prisma.$executeRawUnsafe('DROP TRIGGER refuse_group_audit ON "CaseEvent"');
    }
    expect(await app.prisma.supportGroup.findUniqueOrThrow({ where: { id: group.id } })).toMatchObject({
      facilitatorId: (await fay.worker()).id,
      status: 'active',
    });
  });

  it('the outbox housekeeping keeps a group’s rows while the membership lasts: replies still answer, /delete still blanks', async () => {
    const { group, member, announcement } = await memberWithAnnouncement('kept', 98_034);
    await app.send(replyUpdate(member.person, announcement, 'Words to blank later'));
    await deliverOutbox(app);
    fay.read();
    member.read();
    const day = 86_400_000;
    await purgeExpired(
      { prisma: app.prisma, protector: app.protector, i18n: app.i18n },
      { now: new Date(Date.now() + 3 * day), retentionMs: day },
    );
    const { id: membershipId } = await membershipOf(member.residentId, group.id);
    expect(await app.prisma.outboxMessage.count({ where: { groupMembershipId: membershipId } })).toBe(1);
    // The old announcement is still known as the group's: a reply to it still reaches Fay.
    await app.send(replyUpdate(member.person, announcement, 'Still here'));
    expect(member.read()).toEqual([en('groups.reply_sent')]);
    await deliverOutbox(app);
    expect(fay.read()).toHaveLength(1);
    const before = app.api.callsOf('editMessageText').length;
    await member.send('/delete');
    await member.press(CALLBACK.deleteYes);
    await deliverOutbox(app);
    const blanked = app.api
      .callsOf('editMessageText')
      .slice(before)
      .filter(
        (call) => call.payload.chat_id === fay.person.id && call.payload.text === w('groups.reply_erased'),
      );
    expect(blanked).toHaveLength(2);
  });
});

/** The admin API as a supervisor holding a fresh token named `name` would call it: (method, path, JSON body). */
async function supervisorApi(name: string) {
  const token = await createAdminToken({ prisma: app.prisma }, { name, role: 'supervisor', now: new Date() });
  if (token.type !== 'created') throw new Error('token');
  const api = createServer({
    logger: createLogger({ level: 'silent' }),
    pingDatabase: async () => true,
    adminApi: { prisma: app.prisma, policy: DEFAULT_ESCALATION_POLICY, crisisPatterns: [] },
  });
  return (method: string, path: string, body: unknown) =>
    api.app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
}
