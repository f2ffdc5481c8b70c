import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { createI18n } from '../../src/i18n.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident, sentMessageId } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { messageUpdate } from '../helpers/updates.ts';
import { joinStaff, staffPerson, type TStaff } from '../helpers/workers.ts';

/** Group work: groups offered after a screening by needs and language, joined with consent, announced to, left. */
const en = botTexts('en');
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
});
