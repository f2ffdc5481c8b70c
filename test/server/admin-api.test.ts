import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { detectCrisis } from '../../src/domain/risk/crisis.ts';
import type { TCrisisPatterns } from '../../src/domain/risk/crisis-patterns.ts';
import { createLogger } from '../../src/logger.ts';
import { createServer } from '../../src/server/index.ts';
import { createAdminToken } from '../../src/services/admin-tokens.ts';
import { applyLexiconAdditions, readLexiconAdditions } from '../../src/services/crisis-lexicon-store.ts';
import { applyPolicy, livePolicy, readStoredPolicy } from '../../src/services/escalation-policy-store.ts';
import { readDefaultScript } from '../../src/services/script-registry.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { digestEveryTable } from '../helpers/table-digest.ts';
import { YAML_CHARACTERS } from '../helpers/yaml-characters.ts';

/**
 * The admin HTTP API: every route with good input, bad input, no token and the wrong role; refusals in the one
 * error shape and audited; an OpenAPI document generated from the same schemas.
 */
let app: TTestApp;
let request: (path: string, init?: RequestInit & { token?: string | null }) => Promise<Response>;
let adminToken = '';
let supervisorToken = '';
const NOW = new Date();
let adminRequest: (path: string, init: RequestInit) => Promise<Response>;
let livePatterns: TCrisisPatterns[] = [];

beforeAll(async () => {
  app = await createTestApp();
  const { crisisPatterns } = await import('../../src/services/load-risk-data.ts').then((m) =>
    m.loadRiskData(),
  );
  livePatterns = [...crisisPatterns];
  const server = createServer({
    logger: createLogger({ level: 'silent' }),
    pingDatabase: async () => true,
    adminApi: {
      prisma: app.prisma,
      policy: livePolicy(DEFAULT_ESCALATION_POLICY),
      crisisPatterns: livePatterns,
      limits: { perToken: 1000, perAddress: 5000 },
      community: { scripts: app.scripts, scriptId: 'default' },
    },
  });
  request = async (path, init = {}) => {
    const { token = adminToken, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    if (rest.body !== undefined) headers.set('Content-Type', 'application/json');
    return server.app.request(path, { ...rest, headers });
  };
  adminRequest = async (path, init) => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${adminToken}`);
    return server.app.request(path, { ...init, headers });
  };
  const a = await createAdminToken({ prisma: app.prisma }, { name: 'ops', role: 'admin', now: NOW });
  const s = await createAdminToken({ prisma: app.prisma }, { name: 'lead', role: 'supervisor', now: NOW });
  if (a.type !== 'created' || s.type !== 'created') throw new Error('tokens');
  adminToken = a.token;
  supervisorToken = s.token;
});
afterAll(async () => {
  await app.close();
});

const V5 = readDefaultScript()
  .replace('version: 5', 'version: 6')
  .replace('tense, anxious or on edge', 'nervous or on edge');

/** Every route: method, path, a good body, and whether only an admin token may use it. */
const ROUTES: Array<{ method: string; path: string; body?: unknown; adminOnly: boolean }> = [
  { method: 'GET', path: '/api/scripts', adminOnly: false },
  { method: 'POST', path: '/api/scripts', body: { source: V5 }, adminOnly: true },
  { method: 'GET', path: '/api/scripts/default/5', adminOnly: false },
  {
    method: 'POST',
    path: '/api/scripts/default/5/simulate',
    body: { locale: 'en', answers: ['1'] },
    adminOnly: false,
  },
  { method: 'POST', path: '/api/scripts/default/6/publish', adminOnly: true },
  { method: 'POST', path: '/api/scripts/default/rollback', adminOnly: true },
  { method: 'GET', path: '/api/scripts/default/diff?from=5&to=6', adminOnly: false },
  { method: 'GET', path: '/api/workers', adminOnly: false },
  { method: 'POST', path: '/api/invitations', body: { role: 'worker', name: 'Ann Lee' }, adminOnly: true },
  { method: 'PATCH', path: '/api/workers/1', body: { role: 'supervisor' }, adminOnly: true },
  { method: 'POST', path: '/api/workers/999/deactivate', adminOnly: true },
  { method: 'GET', path: '/api/rota', adminOnly: false },
  {
    method: 'POST',
    path: '/api/rota',
    body: { worker: '1', from: '2099-01-01T09:00Z', to: '2099-01-01T17:00Z' },
    adminOnly: true,
  },
  { method: 'DELETE', path: '/api/rota/999', adminOnly: true },
  { method: 'GET', path: '/api/escalation-policy', adminOnly: false },
  {
    method: 'PUT',
    path: '/api/escalation-policy',
    body: { acknowledgeTimeout: { imminent: '1m', high: '2m' }, repeats: 1 },
    adminOnly: true,
  },
  { method: 'GET', path: '/api/cases', adminOnly: false },
  { method: 'GET', path: '/api/cases/999', adminOnly: false },
  { method: 'GET', path: '/api/audit', adminOnly: true },
  { method: 'GET', path: '/api/crisis-patterns', adminOnly: false },
  { method: 'GET', path: '/api/community', adminOnly: false },
  { method: 'GET', path: '/api/groups', adminOnly: false },
  {
    method: 'POST',
    path: '/api/groups',
    body: {
      slug: 'caring-api',
      locale: 'en',
      name: { en: 'Carers together' },
      description: { en: 'For people caring for someone at home.' },
      meets: { en: 'Online, Tuesdays 8pm' },
      needs: ['isolation'],
      capacity: 12,
      facilitator: '1',
    },
    adminOnly: false,
  },
  { method: 'PATCH', path: '/api/groups/caring-api', body: { status: 'paused' }, adminOnly: false },
  {
    method: 'PATCH',
    path: '/api/crisis-patterns/en/lexicons/WEAPON',
    body: { add: ['sickle'] },
    adminOnly: true,
  },
];

function call(route: (typeof ROUTES)[number], token?: string | null) {
  return request(route.path, {
    method: route.method,
    ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
    ...(token === undefined ? {} : { token }),
  });
}

describe(describeDatabase('the admin API'), () => {
  it('publishes an OpenAPI document, generated from the schemas, listing every route', async () => {
    const response = await request('/api/openapi.json', { token: null });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.0.0');
    const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    for (const route of ROUTES) {
      const path = route.path
        .replace(/\?.*$/, '')
        .replace('/default/5/', '/{id}/{version}/')
        .replace('/default/6/', '/{id}/{version}/')
        .replace(/\/default\/5$/, '/{id}/{version}')
        .replace('/default/', '/{id}/')
        .replace(/\/(1|999)(\/|$)/, '/{id}$2')
        .replace('/en/lexicons/WEAPON', '/{locale}/lexicons/{name}')
        .replace('/groups/caring-api', '/groups/{slug}')
        .replace(/^\/api/, '');
      expect(listed, `${route.method} ${path}`).toContain(`${route.method} ${path}`);
    }
  });

  it.each(ROUTES)('$method $path: 401 without a token, in the error shape, audited', async (route) => {
    const response = await call(route, null);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const refused = await app.prisma.caseEvent.findFirst({ where: { type: 'api.refused' } });
    expect(refused).toMatchObject({ actor: 'anonymous', detail: { reason: 'token-missing' } });
  });

  it('audits a flood of refusals once a minute per caller and reason, not once each', async () => {
    const before = await app.prisma.caseEvent.count({ where: { type: 'api.refused' } });
    for (let i = 0; i < 50; i += 1) await request('/api/workers', { token: 'not-a-token' });
    expect(await app.prisma.caseEvent.count({ where: { type: 'api.refused' } })).toBe(before + 1);
  });

  it('answers bad numbers and media types with 4xx in the error shape, never 5xx', async () => {
    for (const path of [
      '/api/audit?case=99999999999',
      '/api/scripts/default/diff?from=99999999999&to=1',
      '/api/cases/99999999999',
    ]) {
      const response = await request(path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const form = await adminRequest('/api/invitations', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'role=worker',
    });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(form.status).toBeLessThan(500);
    expect(await form.json()).toMatchObject({ error: { code: expect.any(String) } });
  });

  it.each(ROUTES.filter((route) => route.adminOnly))(
    '$method $path: 403 for a supervisor token, changing nothing',
    async (route) => {
      const before = await app.prisma.scriptVersion.count();
      const response = await call(route, supervisorToken);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      expect(await app.prisma.scriptVersion.count()).toBe(before);
    },
  );

  it.each(ROUTES.filter((route) => route.body !== undefined))(
    '$method $path: 400 for a body of the wrong shape',
    async (route) => {
      const response = await request(route.path, {
        method: route.method,
        body: JSON.stringify({ unexpected: [1, 2] }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; details: unknown[] } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.details.length).toBeGreaterThan(0);
    },
  );

  it.each(
    ROUTES.filter(
      (route) => route.method === 'GET' && !route.path.includes('999') && !route.path.includes('diff'),
    ),
  )('$method $path: 200 with an admin token', async (route) => {
    const response = await call(route);
    expect(response.status).toBe(200);
    expect(typeof (await response.json())).toBe('object');
  });

  it('puts every listing taken out on record, with whose token', async () => {
    await request('/api/cases', { token: supervisorToken });
    const entry = await app.prisma.caseEvent.findFirst({
      where: { type: 'data.exported' },
      orderBy: { id: 'desc' },
    });
    expect(entry).toMatchObject({ actor: 'token:lead', detail: { what: 'cases' } });
  });

  it('works a script through push, publish, rollback and diff, with errors in one shape', async () => {
    const pushed = await call(ROUTES[1] as never);
    expect(pushed.status).toBe(201);
    expect(await pushed.json()).toMatchObject({
      type: 'stored',
      scriptId: 'default',
      version: 6,
      findings: [],
    });
    expect((await request('/api/scripts/default/6/publish', { method: 'POST' })).status).toBe(200);
    const diff = (await (await request('/api/scripts/default/diff?from=5&to=6')).json()) as {
      changes: string[];
    };
    expect(diff.changes).toEqual([expect.stringContaining('nervous or on edge')]);
    const simulated = await request('/api/scripts/default/6/simulate', {
      method: 'POST',
      body: JSON.stringify({ locale: 'en', answers: ['1', '1'] }),
    });
    expect(await simulated.json()).toMatchObject({ type: 'asking', path: ['k6_on_edge', 'k6_no_hope'] });
    expect((await request('/api/scripts/default/rollback', { method: 'POST' })).status).toBe(200);
    expect(
      await app.prisma.scriptVersion.findMany({
        orderBy: { version: 'asc' },
        select: { version: true, status: true },
      }),
    ).toEqual([
      { version: 5, status: 'published' },
      { version: 6, status: 'retired' },
    ]);
    const broken = await request('/api/scripts', {
      method: 'POST',
      body: JSON.stringify({ source: 'id: [' }),
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('invalid_script');
    expect((await request('/api/scripts/default/9/publish', { method: 'POST' })).status).toBe(404);
    expect((await request('/api/scripts/Not Valid/1')).status).toBe(400);
    expect((await request('/api/scripts', { method: 'POST', body: '{not json' })).status).toBe(400);
  });

  it('manages workers and the rota, audits a case read, and answers audit queries', async () => {
    const invited = await request('/api/invitations', {
      method: 'POST',
      body: JSON.stringify({ role: 'worker', name: 'Bo Chan' }),
    });
    expect(await invited.json()).toMatchObject({ code: expect.stringMatching(/\S{6,}/) });
    const worker = await app.prisma.worker.create({
      data: { name: 'Cy Dee', role: 'worker', telegramUserId: 555_001n },
    });
    expect(
      (
        await request(`/api/workers/${worker.id}`, {
          method: 'PATCH',
          body: JSON.stringify({ role: 'supervisor' }),
        })
      ).status,
    ).toBe(200);
    expect((await app.prisma.worker.findUniqueOrThrow({ where: { id: worker.id } })).role).toBe('supervisor');
    const shift = await request('/api/rota', {
      method: 'POST',
      body: JSON.stringify({ worker: String(worker.id), from: '2099-01-01T09:00Z', to: '2099-01-01T17:00Z' }),
    });
    expect(shift.status).toBe(201);
    const backwards = await request('/api/rota', {
      method: 'POST',
      body: JSON.stringify({ worker: String(worker.id), from: '2099-01-01T17:00Z', to: '2099-01-01T09:00Z' }),
    });
    expect(backwards.status).toBe(400);
    const { shift: added } = (await shift.json()) as { shift: { id: number } };
    expect((await request(`/api/rota/${added.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(
      await app.prisma.caseEvent.findFirst({ where: { type: 'rota.removed' }, orderBy: { id: 'desc' } }),
    ).toMatchObject({
      actor: 'token:ops',
    });
    expect((await request(`/api/workers/${worker.id}/deactivate`, { method: 'POST' })).status).toBe(200);

    const row = await app.prisma.case.create({ data: { level: 'high', source: 'screening' } });
    const read = await request(`/api/cases/${row.id}`, { token: supervisorToken });
    expect(await read.json()).toMatchObject({ id: row.id, level: 'high' });
    expect(await app.prisma.caseEvent.findFirst({ where: { caseId: row.id, type: 'viewed' } })).toMatchObject(
      {
        actor: 'token:lead',
      },
    );
    const audit = (await (await request('/api/audit?action=viewed&actor=token:lead')).json()) as {
      entries: unknown[];
    };
    expect(audit.entries).toHaveLength(1);
    expect((await request('/api/audit?since=yesterday')).status).toBe(400);
    const patterns = (await (await request('/api/crisis-patterns')).json()) as {
      locales: Array<{ locale: string }>;
    };
    expect(patterns.locales.map((l) => l.locale)).toEqual(['en', 'zh-CN']);
  });

  it('refuses a revoked or an expired token with 401, and too many requests with 429', async () => {
    const quiet = { out: () => undefined, err: () => undefined };
    const made = await createAdminToken({ prisma: app.prisma }, { name: 'temp', role: 'admin', now: NOW });
    if (made.type !== 'created') throw new Error('token');
    expect((await request('/api/workers', { token: made.token })).status).toBe(200);
    expect(await runAdminCommand(['token', 'revoke', 'temp'], { prisma: app.prisma }, quiet)).toBe(0);
    expect((await request('/api/workers', { token: made.token })).status).toBe(401);
    const old = await createAdminToken(
      { prisma: app.prisma },
      { name: 'old', role: 'admin', now: NOW, expiresAt: new Date(Date.now() - 1000) },
    );
    if (old.type !== 'created') throw new Error('token');
    const expired = await request('/api/workers', { token: old.token });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toMatch(/expired/);

    // A server of its own with small limits, asked for the workers with each token in turn.
    const statusesWith = async (limits: { perToken: number; perAddress: number }, tokens: string[]) => {
      const limited = createServer({
        logger: createLogger({ level: 'silent' }),
        pingDatabase: async () => true,
        adminApi: { prisma: app.prisma, policy: {} as never, crisisPatterns: [], limits },
      });
      const statuses: number[] = [];
      for (const token of tokens) {
        const response = await limited.app.request('/api/workers', {
          headers: { Authorization: `Bearer ${token}` },
        });
        statuses.push(response.status);
      }
      return statuses;
    };
    const statuses = await statusesWith({ perToken: 3, perAddress: 100 }, Array(5).fill(adminToken));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);

    // Per address, whatever the token: a scanner with many tokens is slowed too.
    const byAddress = await statusesWith({ perToken: 100, perAddress: 2 }, [
      adminToken,
      supervisorToken,
      'made-up-token',
    ]);
    expect(byAddress).toEqual([200, 200, 429]);
  });

  it('admin token create prints the token once, stores only its hash, and list never shows it', async () => {
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => out.push(line) };
    expect(
      await runAdminCommand(
        ['token', 'create', '--name', 'night desk', '--role', 'supervisor'],
        { prisma: app.prisma },
        io,
      ),
    ).toBe(0);
    const token = out.at(-1) ?? '';
    expect(token).toMatch(/^bl_[A-Za-z0-9_-]{40,}$/);
    const row = await app.prisma.adminToken.findUniqueOrThrow({ where: { name: 'night desk' } });
    expect(JSON.stringify(row)).not.toContain(token);
    expect((await request('/api/cases', { token })).status).toBe(200);
    out.length = 0;
    expect(await runAdminCommand(['token', 'list', '--json'], { prisma: app.prisma }, io)).toBe(0);
    expect(out.join('\n')).not.toContain(token);
    expect(out.join('\n')).not.toContain(row.tokenHash);
    expect(
      await runAdminCommand(
        ['token', 'create', '--name', 'night desk', '--role', 'admin'],
        { prisma: app.prisma },
        io,
      ),
    ).toBe(2);
    expect(
      await runAdminCommand(['token', 'create', '--name', 'x', '--role', 'root'], { prisma: app.prisma }, io),
    ).toBe(2);
  });

  it('changes the escalation policy in force at once, stores it for every instance, and audits it', async () => {
    const response = await request('/api/escalation-policy', {
      method: 'PUT',
      body: JSON.stringify({ acknowledgeTimeout: { imminent: '30s', high: '3m' }, repeats: 1 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      acknowledgeTimeout: { imminent: 30_000, high: 180_000 },
      repeats: 1,
    });
    expect(await (await request('/api/escalation-policy')).json()).toMatchObject({ repeats: 1 });
    // Another instance takes it up from the database.
    const elsewhere = livePolicy(DEFAULT_ESCALATION_POLICY);
    const stored = await readStoredPolicy({ prisma: app.prisma });
    if (stored) applyPolicy(elsewhere, stored);
    expect(elsewhere).toMatchObject({ acknowledgeTimeout: { imminent: 30_000, high: 180_000 }, repeats: 1 });
    expect(await app.prisma.caseEvent.findFirst({ where: { type: 'policy.changed' } })).toMatchObject({
      actor: 'token:ops',
    });
    const tooFast = await request('/api/escalation-policy', {
      method: 'PUT',
      body: JSON.stringify({ acknowledgeTimeout: { imminent: '1s' } }),
    });
    expect(tooFast.status).toBe(400);
    expect(elsewhere.acknowledgeTimeout.imminent).toBe(30_000);
  });

  it('adds a word to a crisis word list: the live patterns read messages with it at once; the file stays', async () => {
    const message = 'I have the billhook in my coat and I am going to his office tonight';
    const en = () => livePatterns.find((set) => set.locale === 'en');
    expect(detectCrisis(message, en() as TCrisisPatterns).level).toBe('none');
    const response = await request('/api/crisis-patterns/en/lexicons/WEAPON', {
      method: 'PATCH',
      body: JSON.stringify({ add: ['billhook'] }),
    });
    expect(response.status).toBe(200);
    expect(detectCrisis(message, en() as TCrisisPatterns).level).toBe('imminent');
    const listed = (await (await request('/api/crisis-patterns')).json()) as {
      locales: Array<{ locale: string; lexicons: Record<string, string[]> }>;
    };
    expect(listed.locales.find((l) => l.locale === 'en')?.lexicons.WEAPON).toContain('billhook');
    // Another instance takes it up from the database.
    const elsewhere = [...livePatterns].map((set) => ({ ...set }));
    applyLexiconAdditions(
      elsewhere as TCrisisPatterns[],
      (await readLexiconAdditions({ prisma: app.prisma })).additions,
    );
    expect(elsewhere.find((set) => set.locale === 'en')?.lexicons.WEAPON).toContain('billhook');
    expect(await app.prisma.caseEvent.findFirst({ where: { type: 'crisis-lexicon.changed' } })).toMatchObject(
      {
        actor: 'token:ops',
      },
    );
    // A shipped term cannot be taken out here, an unknown list is refused, a bad term is a 400.
    const shipped = await request('/api/crisis-patterns/en/lexicons/WEAPON', {
      method: 'PATCH',
      body: JSON.stringify({ remove: ['knife'] }),
    });
    expect(shipped.status).toBe(409);
    const unknown = await request('/api/crisis-patterns/en/lexicons/NOPE', {
      method: 'PATCH',
      body: JSON.stringify({ add: ['x'] }),
    });
    expect(unknown.status).toBe(409);
    const bad = await request('/api/crisis-patterns/en/lexicons/WEAPON', {
      method: 'PATCH',
      body: JSON.stringify({ add: ['Two  Spaces'] }),
    });
    expect(bad.status).toBe(400);
    const removed = await request('/api/crisis-patterns/en/lexicons/WEAPON', {
      method: 'PATCH',
      body: JSON.stringify({ remove: ['billhook'] }),
    });
    expect(removed.status).toBe(200);
    expect(detectCrisis(message, en() as TCrisisPatterns).level).toBe('none');
  });

  it('answers 413 to a body far larger than any script, before reading it', async () => {
    const response = await request('/api/scripts', {
      method: 'POST',
      body: JSON.stringify({ source: 'x'.repeat(600_000) }),
    });
    expect(response.status).toBe(413);
  });
  it('gives the community picture as counts, every cell under 5 as { fewerThan: 5 }', async () => {
    const day = new Date();
    const tally = (area: string) => ({
      day,
      scriptId: 'default',
      level: 'low',
      bands: {},
      themes: ['injustice'],
      area,
    });
    await app.prisma.communityTally.createMany({
      data: [...Array.from({ length: 6 }, () => tally('riverside')), tally('harbour')],
    });
    const response = await request('/api/community', { token: supervisorToken });
    expect(response.status).toBe(200);
    const picture = (await response.json()) as {
      areas: Array<{ area: string; screenings: unknown; themes: Record<string, unknown> }>;
      themeTotals: Record<string, unknown>;
    };
    expect(picture.areas).toEqual([
      expect.objectContaining({ area: 'harbour', screenings: { fewerThan: 5 } }),
      expect.objectContaining({
        area: 'riverside',
        screenings: { count: 6 },
        // 7 - 6 would give Harbour's 1: Riverside's count beside the theme's total is hidden too.
        themes: expect.objectContaining({ injustice: { hidden: true } }),
      }),
    ]);
    expect(picture.themeTotals.injustice).toEqual({ count: 7 });
    expect(JSON.stringify(picture)).not.toMatch(/"count":[0-4]\b/);
  });
  it('never answers 5xx to generated bodies, on every route that takes one; a refused one changes no table', async () => {
    const withBody = ROUTES.filter((route) => route.body !== undefined);
    const mutated = fc
      .tuple(fc.constantFrom(...withBody), fc.jsonValue({ maxDepth: 3 }), fc.boolean())
      .map(([route, value, wholeBody]) => {
        if (wholeBody) return { route, body: value };
        // One field of the good body replaced by anything.
        const good = route.body as Record<string, unknown>;
        const keys = Object.keys(good);
        const key = keys[Math.abs(JSON.stringify(value).length) % keys.length] ?? 'x';
        return { route, body: { ...good, [key]: value } };
      });
    let refused = 0;
    let known: Record<string, string> | undefined;
    await fc.assert(
      fc.asyncProperty(mutated, async ({ route, body }) => {
        const before = known ?? (await everyTable());
        const response = await request(route.path.replace('/workers/1', '/workers/999'), {
          method: route.method,
          body: JSON.stringify(body),
        });
        expect(response.status).toBeLessThan(500);
        const answer = (await response.json()) as { error?: { code?: unknown } };
        known = undefined;
        if (response.status < 400) return;
        expect(typeof answer.error?.code).toBe('string');
        refused += 1;
        known = await everyTable();
        expect(known).toEqual(before);
      }),
      { numRuns: 200, seed: 20261205 },
    );
    expect(refused).toBeGreaterThan(100);
  }, 60_000);

  it('answers generated script YAML with findings, never 5xx; a refused script changes no table', async () => {
    const small = readFileSync(new URL('../fixtures/scripts/valid-small.yaml', import.meta.url), 'utf8');
    const punctuation = fc.constantFrom(...YAML_CHARACTERS);
    const mutation = fc.oneof(
      fc.tuple(fc.nat(), punctuation).map(([at, inserted]) => (text: string) => {
        const where = at % (text.length + 1);
        return text.slice(0, where) + inserted + text.slice(where);
      }),
      fc.tuple(fc.nat(), fc.nat({ max: 200 })).map(([at, length]) => (text: string) => {
        const where = at % (text.length + 1);
        return text.slice(0, where) + text.slice(where + length);
      }),
      fc.string({ maxLength: 60 }).map((inserted) => (text: string) => `${inserted}\n${text}`),
    );
    let refused = 0;
    let known: Record<string, string> | undefined;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(small, small, small, V5),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (base, mutations) => {
          const source = mutations.reduce((text, change) => change(text), base);
          const before = known ?? (await everyTable());
          const response = await request('/api/scripts', {
            method: 'POST',
            body: JSON.stringify({ source }),
          });
          expect([201, 400, 409]).toContain(response.status);
          const answer = (await response.json()) as {
            findings?: Array<{ code?: unknown }>;
            error?: { code?: unknown; details?: unknown };
          };
          known = undefined;
          if (response.status === 201) {
            for (const finding of answer.findings ?? []) expect(typeof finding.code).toBe('string');
            return;
          }
          expect(typeof answer.error?.code).toBe('string');
          refused += 1;
          known = await everyTable();
          expect(known).toEqual(before);
        },
      ),
      { numRuns: 40, seed: 20261206 },
    );
    expect(refused).toBeGreaterThan(8);
  }, 60_000);

  it('defines groups for admins and supervisors, lists them, pauses them, and answers bad ones clearly', async () => {
    await app.prisma.worker.upsert({
      where: { telegramUserId: 990_000_001n },
      update: {},
      create: { name: 'Duty Worker', role: 'worker', telegramUserId: 990_000_001n },
    });
    const facilitator = String((await app.prisma.worker.findFirstOrThrow({ where: { isActive: true } })).id);
    const body = {
      slug: 'housing-api',
      locale: 'zh-CN',
      name: { 'zh-CN': '失去家园互助小组' },
      description: { 'zh-CN': '面临拆迁或被迫搬家的人互相支持。' },
      meets: { 'zh-CN': '每周四晚七点，河滨社区中心' },
      needs: ['failed_channels', 'injustice'],
      capacity: 15,
      facilitator,
    };
    const post = (value: unknown) =>
      request('/api/groups', { method: 'POST', body: JSON.stringify(value), token: supervisorToken });
    expect((await post(body)).status).toBe(201);
    expect((await post(body)).status).toBe(409);
    expect((await post({ ...body, slug: 'other', facilitator: 'Nobody At All' })).status).toBe(400);
    expect((await post({ ...body, slug: 'other', capacity: 0 })).status).toBe(400);
    const listed = (await (await request('/api/groups')).json()) as {
      groups: Array<{ slug: string; status: string }>;
    };
    expect(listed.groups.map((group) => group.slug)).toContain('housing-api');
    const paused = await request('/api/groups/housing-api', {
      method: 'PATCH',
      body: JSON.stringify({ status: 'paused' }),
    });
    expect(await paused.json()).toEqual({ slug: 'housing-api', status: 'paused' });
    expect(
      (
        await request('/api/groups/nope-nope', {
          method: 'PATCH',
          body: JSON.stringify({ status: 'paused' }),
        })
      ).status,
    ).toBe(404);
  });
});

/**
 * Every table, but when each admin token was last used: authenticating a request records that, whatever
 * becomes of its body.
 */
function everyTable(): Promise<Record<string, string>> {
  return digestEveryTable(app.prisma, { AdminToken: ['lastUsedAt'] });
}
