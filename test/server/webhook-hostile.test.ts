import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer } from '../../src/server/index.ts';
import { DEFAULT_RESOLVE_OUTCOMES } from '../../src/services/case-work.ts';
import { livePolicy } from '../../src/services/escalation-policy-store.ts';
import { createTestApp, TEST_WEBHOOK_SECRET, type TTestApp } from '../helpers/app.ts';
import { describeDatabase, testDatabaseKind } from '../helpers/database.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { digestEveryTable } from '../helpers/table-digest.ts';
import {
  callbackUpdate,
  editedTextUpdate,
  groupTextUpdate,
  type TPerson,
  textUpdate,
} from '../helpers/updates.ts';

/**
 * Hostile and malformed webhook requests, generated: with the right secret, a shape Telegram never sends is
 * answered 400 and changes nothing; anything else is handled; never a 5xx, never a crash, memory flat. And on
 * every route: bodies beyond their limit refused with 413 before they are read; per-address limits that count
 * clients, behind a reverse proxy only when told to trust it.
 */
let app: TTestApp;
/** Residents who exist before the generated runs: one mid-screening, one who has only consented. */
const MID_SCREENING: TPerson = { id: 480_001, languageCode: 'en', firstName: 'Mid' };
const CONSENTED: TPerson = { id: 480_002, languageCode: 'zh-hans', firstName: '小红' };
beforeAll(async () => {
  app = await createTestApp();
  const mid = createResident(app, MID_SCREENING);
  await mid.consent();
  await mid.answer(ROUTES.high.slice(0, 4));
  await createResident(app, CONSENTED).consent();
});
afterAll(async () => {
  await app.close();
});

let nextId = 500_000;
const person = () => ({ id: nextId++, languageCode: 'en' });

/** Every row of every table, once what earlier requests set off has been sent and recorded. */
async function everyTable(): Promise<Record<string, string>> {
  await app.dispatcher.settled();
  return digestEveryTable(app.prisma);
}

function post(body: unknown, secret: string | null = TEST_WEBHOOK_SECRET, raw?: string) {
  return app.app.request('/webhook', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(secret === null ? {} : { 'X-Telegram-Bot-Api-Secret-Token': secret }),
    },
    body: raw ?? JSON.stringify(body),
  });
}

/** Sets `value` at `path` in a deep copy of `base` (creating what is missing). */
function mutate(base: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) at[last] = value;
  return copy;
}

const PATHS: readonly (readonly string[])[] = [
  ['update_id'],
  ['message'],
  ['message', 'message_id'],
  ['message', 'text'],
  ['message', 'entities'],
  ['message', 'from'],
  ['message', 'from', 'id'],
  ['message', 'from', 'language_code'],
  ['message', 'from', 'is_bot'],
  ['message', 'chat'],
  ['message', 'chat', 'id'],
  ['message', 'chat', 'type'],
  ['message', 'reply_to_message'],
  ['message', 'caption'],
  ['edited_message', 'text'],
  ['callback_query'],
  ['callback_query', 'data'],
  ['callback_query', 'from', 'id'],
  ['callback_query', 'message', 'message_id'],
  ['inline_query', 'from', 'id'],
  ['my_chat_member', 'chat', 'id'],
];

/** A value of any JSON kind, with the numbers that broke bots before: fractions, huge, negative, NaN-like. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    1.5,
    1e308,
    -1,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    0,
    '',
    '0',
    '1e308',
    [],
    {},
    null,
    true,
  ),
  fc.string({ maxLength: 50 }),
);

const baseUpdate = fc.constantFrom<(id: { id: number; languageCode: string }) => Update>(
  (who) => textUpdate(who, 'hello'),
  (who) => textUpdate(who, '/start'),
  (who) => editedTextUpdate(who, 'I changed my mind'),
  (who) => callbackUpdate(who, 'consent:yes', 1),
);

describe(describeDatabase('the webhook under hostile input'), () => {
  it('answers 400 and changes no table for the shapes that once broke it, from new and existing senders', async () => {
    const cases: Array<[readonly string[], unknown]> = [
      [['message', 'from', 'id'], { id: 1 }],
      [['message', 'from', 'id'], '12345'],
      [['message', 'from', 'id'], 1.5],
      [['message', 'from', 'id'], 1e308],
      [['message', 'entities'], 'bot_command'],
      [['message', 'text'], 0],
      [['message', 'from', 'language_code'], 0],
      [['message', 'chat', 'id'], undefined],
      [['update_id'], -3],
    ];
    const before = await everyTable();
    for (const sender of [person(), MID_SCREENING, CONSENTED]) {
      // What the resident mid-screening would answer next, and a command: both would change rows if handled.
      for (const good of [textUpdate(sender, '0'), textUpdate(sender, '/delete')])
        for (const [path, value] of cases) {
          const response = await post(mutate(good, path, value));
          expect(response.status, `${path.join('.')} = ${JSON.stringify(value)}`).toBe(400);
        }
      const callback = callbackUpdate(sender, 'consent:yes', 1);
      expect((await post(mutate(callback, ['callback_query', 'data'], 1.5))).status).toBe(400);
    }
    expect((await post(null, TEST_WEBHOOK_SECRET, '{"update_id": 1, "message": ')).status).toBe(400);
    expect(await everyTable()).toEqual(before);
    // The same update, well formed, does change something: the comparison can see a change.
    expect((await post(textUpdate(MID_SCREENING, '0'))).status).toBe(200);
    expect(await everyTable()).not.toEqual(before);
  });

  it('checks the secret before reading the body: a large body with a wrong secret is 401, not 413', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect((await post(null, 'wrong', huge)).status).toBe(401);
    expect((await post(null, null, huge)).status).toBe(401);
    expect((await post(null, TEST_WEBHOOK_SECRET, huge)).status).toBe(413);
  });

  it('a Bot API 4xx about a chat is that chat’s problem: 200, and its message marked unreachable', async () => {
    const who = person();
    app.api.failNext(
      'sendMessage',
      { error_code: 400, description: 'Bad Request: chat not found' },
      { chatId: who.id },
    );
    expect((await post(textUpdate(who, '/start'))).status).toBe(200);
    await app.dispatcher.settled();
    // The send happens after the commit: what shows the 4xx was handled is the row it left.
    const rows = await app.prisma.outboxMessage.findMany({
      where: { lane: app.protector.pseudonymOf(who.id) },
    });
    const failed = rows.filter((row) => row.status !== 'sent');
    expect(failed).toEqual([
      expect.objectContaining({
        status: 'unreachable',
        attempts: 1,
        lastError: expect.stringContaining('chat not found'),
      }),
    ]);
  });

  it('never answers 5xx to generated and mutated updates; a refused one changes no table', async () => {
    const runs = testDatabaseKind === 'pglite' ? 300 : 150;
    let refused = 0;
    let known: Record<string, string> | undefined;
    await fc.assert(
      fc.asyncProperty(
        baseUpdate,
        fc.constantFrom<'new' | TPerson>('new', MID_SCREENING, CONSENTED),
        fc.array(fc.tuple(fc.constantFrom(...PATHS), hostileValue), { minLength: 1, maxLength: 3 }),
        async (make, sender, mutations) => {
          let update: unknown = make(sender === 'new' ? person() : { id: sender.id, languageCode: 'en' });
          for (const [path, value] of mutations) update = mutate(update, path, value);
          const before = known ?? (await everyTable());
          const response = await post(update);
          expect([200, 400]).toContain(response.status);
          known = undefined;
          if (response.status !== 400) return;
          refused += 1;
          known = await everyTable();
          expect(known).toEqual(before);
        },
      ),
      { numRuns: runs, seed: 20261205 },
    );
    expect(refused).toBeGreaterThan(runs / 2);
  }, 120_000);

  it('handles generated VALID updates from new and returning senders: never 5xx, never a handler error', async () => {
    const runs = testDatabaseKind === 'pglite' ? 150 : 100;
    // A few senders, again and again: the first update of each makes them a resident, the rest find one.
    const senders = [MID_SCREENING, CONSENTED, ...[1, 2, 3, 4, 5].map((n) => ({ id: 610_000 + n }))];
    const text = fc.oneof(
      fc.constantFrom(
        '/start',
        '/help',
        '/cancel',
        '/delete',
        '/language',
        '/privacy',
        '/groups',
        '/join ABCDEF',
        '/queue',
        '/claim 1',
        '/note hello',
        '/start consent',
        '0',
        '1',
        'yes',
        'no',
        'I want to die',
      ),
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 80 }),
    );
    const data = fc.oneof(
      fc.constantFrom(
        'consent:yes',
        'consent:no',
        'lang:en',
        'lang:zh-CN',
        'delete:yes',
        'delete:no',
        'cancel:discard',
        'callback:no',
        'worker:talk',
        'q:0:0',
        'q:3:yes',
        'claim:1',
        'details:1',
        'group:join:1',
        'group:leave:1',
      ),
      fc.string({ maxLength: 64 }),
    );
    const who = fc.record({
      sender: fc.constantFrom(...senders),
      languageCode: fc.option(
        fc.oneof(fc.constantFrom('en', 'zh-hans', 'zh-CN', 'fr'), fc.string({ maxLength: 35 })),
        {
          nil: undefined,
        },
      ),
      firstName: fc.string({ minLength: 1, maxLength: 64 }),
    });
    const update = fc.oneof(
      fc.tuple(who, text).map(([w, t]) => textUpdate(personOf(w), t)),
      fc.tuple(who, text).map(([w, t]) => editedTextUpdate(personOf(w), t)),
      fc.tuple(who, text).map(([w, t]) => groupTextUpdate(personOf(w), t)),
      fc
        .tuple(who, data, fc.integer({ min: 1, max: 2 ** 31 }))
        .map(([w, d, messageId]) => callbackUpdate(personOf(w), d, messageId)),
    );
    const errorsBefore = handlerErrors().length;
    await fc.assert(
      fc.asyncProperty(update, async (generated) => {
        const response = await app.send(generated);
        expect(response.status).toBe(200);
      }),
      { numRuns: runs, seed: 20261206 },
    );
    expect(handlerErrors().slice(errorsBefore)).toEqual([]);
    // They did reach the handlers: the bot answered the senders, and often.
    const answered = senders.reduce((sum, sender) => sum + app.api.textsTo(sender.id).length, 0);
    expect(answered).toBeGreaterThan(runs / 4);
  }, 120_000);

  // On both databases: what is measured is this process's memory, its database driver's included.
  it('keeps memory flat over 10,000 hostile requests (within 50 MB after a collection)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const samples = fc.sample(fc.tuple(baseUpdate, fc.constantFrom(...PATHS), hostileValue), {
      numRuns: 10_000,
      seed: 7,
    });
    // Returning senders: handled updates find a resident rather than each making one.
    const pool = Array.from({ length: 40 }, (_, index) => ({ id: 700_000 + index, languageCode: 'en' }));
    const statuses = new Map<number, number>();
    const sendOne = async (index: number) => {
      const [make, path, value] = samples[index] ?? [];
      if (!make || !path) return;
      const who = pool[index % pool.length] ?? person();
      // One in twelve valid (handled, about 16 ms each on the embedded database), the rest refused.
      const body = index % 12 === 0 ? make(who) : mutate(make(who), path, value);
      const response = await post(body);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    };
    const send = async (from: number, to: number) => {
      // Eight at a time, as a webhook under load receives them.
      let next = from;
      const lane = async () => {
        while (next < to) await sendOne(next++);
      };
      await Promise.all(Array.from({ length: 8 }, lane));
      await app.dispatcher.settled();
      app.api.reset();
    };
    const used = () => {
      gc();
      const memory = process.memoryUsage();
      // `external` includes `arrayBuffers`: the embedded database's memory and every buffer, beside the heap.
      return (memory.heapUsed + memory.external) / 1024 / 1024;
    };
    await send(0, 1000);
    const before = used();
    const rssBefore = process.memoryUsage().rss / 1024 / 1024;
    await send(1000, 10_000);
    const grown = used() - before;
    const rssGrown = process.memoryUsage().rss / 1024 / 1024 - rssBefore;
    console.log(
      `after 9,000 more hostile requests: heap+external ${grown.toFixed(1)} MB more, rss ${rssGrown.toFixed(1)} MB more; statuses ${JSON.stringify([...statuses])}`,
    );
    expect([...statuses.keys()].every((status) => status === 200 || status === 400)).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(800);
    expect(grown).toBeLessThan(50);
  }, 300_000);
});

function personOf(w: { sender: TPerson; languageCode: string | undefined; firstName: string }): TPerson {
  return {
    id: w.sender.id,
    firstName: w.firstName,
    ...(w.languageCode === undefined ? {} : { languageCode: w.languageCode }),
  };
}

/** Error-level lines the bot logged while handling: an update that answered 200 but broke a handler. */
function handlerErrors(): string[] {
  return app.logLines.filter((line) => /"level":(50|60)/.test(line));
}

/* Every route, not only the webhook: body limits, and per-address limits behind a proxy or not. */
const PUBLIC_URL = 'https://bridgeline.example.org';

/** The real server with the admin API and the dashboard, small limits, and `trustProxyHops` as given. */
function serverWith(trustProxyHops?: number) {
  return createServer({
    logger: createLogger({ level: 'silent' }),
    pingDatabase: async () => true,
    adminApi: {
      prisma: app.prisma,
      policy: livePolicy(DEFAULT_ESCALATION_POLICY),
      crisisPatterns: [],
      limits: { perToken: 1000, perAddress: 3 },
      community: { scripts: app.scripts, scriptId: 'default' },
    },
    dashboard: {
      ...app.services,
      resolveOutcomes: DEFAULT_RESOLVE_OUTCOMES,
      scriptId: 'default',
      publicUrl: PUBLIC_URL,
      signInsPerMinute: 2,
    },
    ...(trustProxyHops === undefined ? {} : { trustProxyHops }),
  }).app;
}

function fromClient(
  server: ReturnType<typeof serverWith>,
  path: string,
  forwardedFor?: string,
  init: RequestInit = {},
) {
  const headers = new Headers(init.headers);
  if (forwardedFor !== undefined) headers.set('X-Forwarded-For', forwardedFor);
  return server.request(path, { ...init, headers });
}

const signIn = (server: ReturnType<typeof serverWith>, forwardedFor?: string) =>
  fromClient(server, '/dashboard/sign-in', forwardedFor, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: PUBLIC_URL },
    body: 'token=not-a-real-link',
  });

describe(describeDatabase('request limits on every route'), () => {
  it('refuses a body beyond its route’s limit with 413 on /api and /dashboard, changing nothing', async () => {
    const server = serverWith();
    const before = await digestEveryTable(app.prisma);
    const script = await server.request('/api/scripts', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer whatever' },
      body: JSON.stringify({ source: 'x'.repeat(600 * 1024) }),
    });
    expect(script.status).toBe(413);
    expect(await script.json()).toMatchObject({ error: { code: 'too_large' } });
    const form = await server.request('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: PUBLIC_URL },
      body: `token=${'x'.repeat(100 * 1024)}`,
    });
    expect(form.status).toBe(413);
    expect(await digestEveryTable(app.prisma)).toEqual(before);
    // Within the limits, the same routes read the body and answer for themselves.
    expect((await signIn(server)).status).toBe(401);
  });

  it('by default counts the socket’s address: X-Forwarded-For is ignored, whoever sends it', async () => {
    const server = serverWith();
    const statuses = [];
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'])
      statuses.push((await fromClient(server, '/api/workers', client)).status);
    // One address (this process) for all four: the fourth is over the limit of 3.
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await signIn(serverWith(0), '198.51.100.1')).status).toBe(401);
  });

  it('behind TRUST_PROXY_HOPS=1, counts each client the proxy names, and a client cannot pick its own', async () => {
    const server = serverWith(1);
    const a = [];
    for (let index = 0; index < 4; index += 1)
      a.push((await fromClient(server, '/api/workers', '203.0.113.1')).status);
    expect(a).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy has its own count.
    expect((await fromClient(server, '/api/workers', '203.0.113.2')).status).toBe(401);
    // What a client writes itself comes before what the proxy appends: it is not read.
    expect((await fromClient(server, '/api/workers', '198.51.100.9, 203.0.113.1')).status).toBe(429);

    // Dashboard sign-ins likewise: two attempts a minute per client.
    const dashboard = serverWith(1);
    const signIns = [];
    for (let index = 0; index < 3; index += 1) signIns.push((await signIn(dashboard, '192.0.2.7')).status);
    expect(signIns).toEqual([401, 401, 429]);
    expect((await signIn(dashboard, '192.0.2.8')).status).toBe(401);
  });
});
