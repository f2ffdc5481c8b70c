import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK } from '../../src/bot/keyboards.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createServer } from '../../src/server/index.ts';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { livePolicy } from '../../src/services/escalation-policy-store.ts';
import { loadRiskData } from '../../src/services/load-risk-data.ts';
import { createTestApp, TEST_DATA_KEY, TEST_WEBHOOK_SECRET, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
import { createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinOnCall, joinStaff, staffPerson } from '../helpers/workers.ts';

/**
 * A whole journey logged at `trace` — a resident in crisis, the page, the claim, relays both ways, a note,
 * staff and admin work through the API — and then every log line searched for what must never be there.
 */
const PUBLIC_URL = 'https://bridgeline.example.org';
const RESIDENT_ID = 7_316_402_219;
const RESIDENT_WORDS = 'quokka-lantern the pills are counted and tonight is the night';
const RELAY_WORDS = 'marzipan-harbour I am still here';
const WORKER_WORDS = 'tamarind-velvet I am with you now';
const NOTE_WORDS = 'obsidian-meadow safety plan agreed';

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp({ logLevel: 'trace', publicUrl: PUBLIC_URL, staff: 'none' });
});
afterAll(async () => {
  await app.close();
});

describe(describeDatabase('secrets and personal data in the log'), () => {
  it('holds none of the tokens, keys, secrets, words or Telegram ids after a full journey at trace', async () => {
    const worker = staffPerson('Quentin');
    const ann = await joinOnCall(app, worker, { name: 'Quentin Wardlow' });
    const supervisor = staffPerson('Sigrid');
    const sue = await joinStaff(app, supervisor, { name: 'Sigrid Vanterpool', role: 'supervisor' });

    const resident = createResident(app, { id: RESIDENT_ID, languageCode: 'en', firstName: 'Philippa' });
    await resident.consent();
    await resident.send(RESIDENT_WORDS);
    await deliverOutbox(app);
    const caseRow = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    await ann.press(CALLBACK.claim(caseRow.id), ann.claimMessageId(caseRow.id));
    await ann.send(WORKER_WORDS);
    await resident.send(RELAY_WORDS);
    await ann.send(`/note ${NOTE_WORDS}`);
    await ann.send('/dashboard');
    await sue.send('/queue');
    await deliverOutbox(app);

    // Admin work over the API, logged by the same logger.
    const created = await createAdminToken(
      { prisma: app.prisma },
      { name: 'ops', role: 'admin', now: new Date() },
    );
    if (created.type !== 'created') throw new Error('token');
    const server = createServer({
      logger: app.logger,
      pingDatabase: async () => true,
      adminApi: {
        prisma: app.prisma,
        policy: livePolicy(DEFAULT_ESCALATION_POLICY),
        crisisPatterns: [...loadRiskData().crisisPatterns],
      },
    });
    const headers = { Authorization: `Bearer ${created.token}`, 'Content-Type': 'application/json' };
    expect((await server.app.request('/api/cases', { headers })).status).toBe(200);
    await server.app.request('/api/invitations', {
      method: 'POST',
      headers,
      body: JSON.stringify({ role: 'worker', name: 'Ottoline Brisbane' }),
    });
    await server.app.request('/api/workers', { headers: { Authorization: 'Bearer wrong-token-zz9' } });

    const log = app.logLines.join('\n');
    expect(app.logLines.length).toBeGreaterThan(10);
    expect(log).toMatch(/"level":20/); // the debug lines (deliveries) are there too
    const secrets = {
      'bot token': FAKE_BOT_TOKEN,
      'bot token secret part': FAKE_BOT_TOKEN.split(':')[1] ?? '',
      'webhook secret': TEST_WEBHOOK_SECRET,
      'data key': TEST_DATA_KEY.split(':')[1] ?? '',
      'admin token': created.token,
      'a wrong token sent': 'wrong-token-zz9',
      "resident's words": 'quokka-lantern',
      "resident's relayed words": 'marzipan-harbour',
      "worker's words": 'tamarind-velvet',
      note: 'obsidian-meadow',
      "resident's Telegram id": String(RESIDENT_ID),
      "resident's name": 'Philippa',
      "worker's Telegram id": String(worker.id),
      "supervisor's Telegram id": String(supervisor.id),
      "worker's Telegram username": worker.username,
      'invited name': 'Ottoline',
    };
    const found = Object.entries(secrets).filter(([, value]) => value !== '' && log.includes(value));
    expect(found.map(([what]) => what)).toEqual([]);
  });
});
