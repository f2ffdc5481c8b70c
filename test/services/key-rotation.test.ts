import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector, type TDataProtector } from '../../src/services/data-protection.ts';
import { resealBatch, sealedValuesByKey, type TResealCursor } from '../../src/services/key-rotation.ts';
import { payloadContext } from '../../src/services/outbox.ts';
import { createOutboxDispatcher } from '../../src/services/outbox-dispatcher.ts';
import { createTestApp, TEST_DATA_KEY, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';
import { createResident, ROUTES } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';
import { joinOnCall, staffPerson } from '../helpers/workers.ts';

/**
 * Rotating the data keys while the service runs: a new key, older values re-sealed in batches, the old key
 * retired — and every resident keeps their pseudonym, because pseudonyms get their own secret.
 */
let app: TTestApp;
let folder: string;
let keyFile: string;
beforeAll(async () => {
  app = await createTestApp({ staff: 'none' });
  folder = await mkdtemp(join(tmpdir(), 'bridgeline-keys-'));
  keyFile = join(folder, 'data-encryption.key');
  await writeFile(keyFile, `${TEST_DATA_KEY}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await app.close();
  await rm(folder, { recursive: true, force: true });
});

async function admin(args: string[]) {
  const text = await readFile(keyFile, 'utf8');
  const keys = parseDataKeys(text);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCommand(
    args,
    { prisma: app.prisma, keySource: { kind: 'file', keyFile, keys, text } },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  );
  return { code, out, err };
}

describe(describeDatabase('data key rotation'), () => {
  it('adds a key, re-seals every stored value in batches, retires the old key, and keeps pseudonyms', async () => {
    const worker = await joinOnCall(app, staffPerson('Ravi'), { name: 'Ravi Okafor' });
    const person = { id: 97_001, languageCode: 'en' };
    const resident = createResident(app, person);
    await resident.consent();
    await resident.answer(ROUTES.high.slice(0, 8));
    await resident.send('the rope is ready in the garage for tonight');
    await deliverOutbox(app);
    const caseRow = await app.prisma.case.findFirstOrThrow({ where: { residentId: resident.residentId } });
    const { CALLBACK } = await import('../../src/bot/keyboards.ts');
    await worker.press(CALLBACK.claim(caseRow.id), worker.claimMessageId(caseRow.id));
    await worker.send('I am here. Can you move away from the garage?');
    await worker.send('/note agreed to call his sister');
    await deliverOutbox(app);

    const before = await sealedValuesByKey(app);
    expect(Object.keys(before)).toEqual(['test']);
    expect(before.test).toBeGreaterThan(8);

    // The oldest key is where pseudonyms come from: it cannot go before the first rotation.
    expect((await admin(['keys', 'retire', 'test'])).code).toBe(2);

    // Step one: the new key opens, but does not seal yet, so no instance writes what another cannot read.
    const rotated = await admin(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const added = parseDataKeys(await readFile(keyFile, 'utf8'));
    expect(added).toMatchObject({
      activeKeyId: 'test',
      keyIds: ['test', 'k2'],
      olderKeyIds: [],
      pseudonymSource: 'separate',
    });
    expect(createDataProtector(added).seal('x')).toMatch(/^v1\.test\./);
    // The entry that names the active key must name a listed key, once; and a key listed before the active one
    // cannot be where pseudonyms come from.
    const material = Buffer.alloc(32, 1).toString('base64');
    expect(() => parseDataKeys(`active:k7,k1:${material}`)).toThrow(/active key "k7" is not in the list/);
    expect(() => parseDataKeys(`active:k1,active:k1,k1:${material}`)).toThrow(/second time/);
    expect(() => parseDataKeys(`k2:${material},active:k1,k1:${material}`)).toThrow(/pseudonyms entry/);
    // Nothing to re-seal while the new key waits.
    const waiting = createDataProtector(added);
    expect(await resealBatch({ prisma: app.prisma, protector: waiting, keys: added }, { limit: 50 })).toEqual(
      {
        resealed: 0,
        unreadable: 0,
        cursor: undefined,
      },
    );
    expect((await admin(['keys', 'rotate'])).err[0]).toMatch(/k2 is waiting to be activated/);
    expect((await admin(['keys', 'activate', 'nope'])).code).toBe(2);

    // Step two, once every instance has it.
    expect((await admin(['keys', 'activate', 'k2'])).code).toBe(0);
    const text = await readFile(keyFile, 'utf8');
    expect(text).toMatch(/^k2:[A-Za-z0-9+/=]+,test:[A-Za-z0-9+/=]+,pseudonyms:[A-Za-z0-9+/=]+\n$/);
    const keys = parseDataKeys(text);
    expect(keys).toMatchObject({ activeKeyId: 'k2', keyIds: ['k2', 'test'], pseudonymSource: 'separate' });
    expect((await admin(['keys', 'activate', 'test'])).err[0]).toMatch(/older than the active key/);
    const protector = createDataProtector(keys);
    expect(protector.pseudonymOf(person.id)).toBe(resident.residentId);

    // Still sealing values: not yet.
    expect((await admin(['keys', 'retire', 'test'])).err[0]).toMatch(/still seals \d+ stored value/);
    let rounds = 0;
    let cursor: TResealCursor | undefined;
    do {
      const batch = await resealBatch({ prisma: app.prisma, protector, keys }, { limit: 5, cursor });
      expect(batch.unreadable).toBe(0);
      cursor = batch.cursor;
      rounds += 1;
    } while (cursor);
    expect(rounds).toBeGreaterThan(2);
    expect(await sealedValuesByKey(app)).toEqual({ k2: before.test });

    const retired = await admin(['keys', 'retire', 'test']);
    expect(retired).toMatchObject({ code: 0, out: ['Key test retired. Back up the keys now.'] });
    const only = parseDataKeys(await readFile(keyFile, 'utf8'));
    expect(only.keyIds).toEqual(['k2']);

    // With the new key alone: every value opens, and the resident is still who they were.
    const alone = createDataProtector(only);
    expect(alone.pseudonymOf(person.id)).toBe(resident.residentId);
    const messages = await app.prisma.caseMessage.findMany({ where: { caseId: caseRow.id } });
    expect(messages.map((message) => alone.open(message.textSealed, `case-message:${caseRow.id}`))).toContain(
      'I am here. Can you move away from the garage?',
    );
    const note = await app.prisma.caseNote.findFirstOrThrow({ where: { caseId: caseRow.id } });
    expect(alone.open(note.textSealed, `case-note:${caseRow.id}`)).toBe('agreed to call his sister');
    const status = await admin(['keys']);
    expect(status.out).toEqual([
      'Active key: k2',
      `k2\tseals ${before.test} stored value(s)`,
      'Pseudonyms: their own secret.',
    ]);
    expect((await admin(['keys', 'retire', 'k2'])).err[0]).toMatch(/active key/);
  });

  /** Two instances mid-rotation: one already seals with k9, the other has not been restarted with it. */
  const NEW_KEY = `k9:${Buffer.alloc(32, 9).toString('base64')}`;
  const updated = createDataProtector(parseDataKeys(`${NEW_KEY},${TEST_DATA_KEY}`));
  const notUpdated = createDataProtector(parseDataKeys(TEST_DATA_KEY));
  function dispatcherWith(protector: TDataProtector, options: { isOnlySender?: boolean } = {}) {
    return createOutboxDispatcher({
      ...options,
      prisma: app.prisma,
      protector,
      api: new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: app.api.fetch }),
      logger: app.logger,
      policy: app.policy,
      i18n: app.i18n,
      limits: { perSecond: 0, perChatPerSecond: 0, chatBurst: 1 },
      recordDelayMs: 1,
    });
  }
  async function outboxRow(protector: TDataProtector, text: string, status = 'pending') {
    const payload = JSON.stringify({ type: 'send', chatId: 97_500, text });
    return app.prisma.outboxMessage.create({
      data: {
        kind: 'reply',
        priority: 0,
        payloadSealed: protector.seal(payload, payloadContext),
        status,
        nextAttemptAt: new Date(Date.now() - 1000),
      },
    });
  }

  it('an instance without the new key leaves a row sealed with it for another instance, not failed', async () => {
    const oldInstance = dispatcherWith(notUpdated);
    const newInstance = dispatcherWith(updated);
    try {
      const row = await outboxRow(updated, 'sealed with k9');
      const now = new Date();
      await oldInstance.sweep(now);
      await oldInstance.idle();
      const left = await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } });
      expect(left).toMatchObject({ status: 'pending', leaseOwner: null, attempts: 0 });
      expect(left.nextAttemptAt.getTime()).toBeGreaterThan(now.getTime());
      expect(oldInstance.stats().failed).toBe(0);

      // The instance that has the key sends it when it is due again.
      await newInstance.sweep(new Date(now.getTime() + 10_000));
      await newInstance.idle();
      expect(await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
        status: 'sent',
      });
      expect(app.api.textsTo(97_500)).toContain('sealed with k9');

      // Nobody has the key for half a minute: only then is it failed for good (it holds back its chat).
      const orphan = await outboxRow(updated, 'nobody can open this');
      const later = new Date();
      await oldInstance.sweep(later);
      expect((await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: orphan.id } })).status).toBe(
        'pending',
      );
      await oldInstance.sweep(new Date(later.getTime() + 31_000));
      expect(await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: orphan.id } })).toMatchObject({
        status: 'failed',
        lastError: expect.stringMatching(/payload cannot be opened/),
      });
    } finally {
      await oldInstance.stop();
      await newInstance.stop();
    }
  });

  it('the only sender (the embedded database) fails a row it cannot open at once: nobody else could send it', async () => {
    const onlyInstance = dispatcherWith(notUpdated, { isOnlySender: true });
    try {
      const row = await outboxRow(updated, 'nobody here can open this');
      await onlyInstance.sweep(new Date());
      await onlyInstance.idle();
      expect(await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({
        status: 'failed',
        lastError: expect.stringMatching(/payload cannot be opened/),
      });
    } finally {
      await onlyInstance.stop();
    }
  });

  it('re-sealing skips a row being sent and a row changed meanwhile, and takes the first up once it is sent', async () => {
    const keys = parseDataKeys(`${NEW_KEY},${TEST_DATA_KEY}`);
    const sending = await outboxRow(notUpdated, 'on its way', 'sending');
    const changing = await outboxRow(notUpdated, 'about to change', 'sent');
    const changedTo = notUpdated.seal(
      JSON.stringify({ type: 'send', chatId: 1, text: 'changed' }),
      payloadContext,
    );
    // Another writer changes `changing` between re-sealing's read and its write.
    const racing = new Proxy(app.prisma, {
      get(target, property) {
        if (property === '$executeRaw')
          return async (...args: Parameters<typeof target.$executeRaw>) => {
            await target.outboxMessage.updateMany({
              where: { id: changing.id, payloadSealed: changing.payloadSealed },
              data: { payloadSealed: changedTo },
            });
            return target.$executeRaw(...args);
          };
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const pass = async (prisma: typeof app.prisma) => {
      let cursor: TResealCursor | undefined;
      let resealed = 0;
      do {
        const batch = await resealBatch({ prisma, protector: updated, keys }, { limit: 50, cursor });
        resealed += batch.resealed;
        cursor = batch.cursor;
      } while (cursor);
      return resealed;
    };
    expect(await pass(racing)).toBe(0);
    expect(
      (await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: sending.id } })).payloadSealed,
    ).toBe(sending.payloadSealed);
    expect(
      (await app.prisma.outboxMessage.findUniqueOrThrow({ where: { id: changing.id } })).payloadSealed,
    ).toBe(changedTo);

    await app.prisma.outboxMessage.update({ where: { id: sending.id }, data: { status: 'sent' } });
    expect(await pass(app.prisma)).toBe(2);
    const after = await app.prisma.outboxMessage.findMany({
      where: { id: { in: [sending.id, changing.id] } },
    });
    expect(after.map((row) => row.payloadSealed.split('.')[1])).toEqual(['k9', 'k9']);
  });

  it('unreadable values do not stall re-sealing: every batch moves past them, and they are counted', async () => {
    const keys = parseDataKeys(`${NEW_KEY},${TEST_DATA_KEY}`);
    // Sealed under the id `test` with other key material: no configured key opens them.
    const impostor = createDataProtector(parseDataKeys(`test:${Buffer.alloc(32, 3).toString('base64')}`));
    const unreadable = [];
    for (let index = 0; index < 12; index += 1)
      unreadable.push(await outboxRow(impostor, `lost ${index}`, 'sent'));
    const readable = [];
    for (let index = 0; index < 3; index += 1)
      readable.push(await outboxRow(notUpdated, `kept ${index}`, 'sent'));
    let cursor: TResealCursor | undefined;
    let batches = 0;
    let resealed = 0;
    let counted = 0;
    do {
      const batch = await resealBatch({ prisma: app.prisma, protector: updated, keys }, { limit: 5, cursor });
      resealed += batch.resealed;
      counted += batch.unreadable;
      cursor = batch.cursor;
      batches += 1;
    } while (cursor && batches < 20);
    expect(cursor).toBeUndefined();
    expect({ resealed, counted }).toEqual({ resealed: 3, counted: 12 });
    const rows = await app.prisma.outboxMessage.findMany({
      where: { id: { in: readable.map((row) => row.id) } },
    });
    expect(rows.map((row) => updated.open(row.payloadSealed, payloadContext))).toHaveLength(3);
    expect(rows.every((row) => row.payloadSealed.startsWith('v1.k9.'))).toBe(true);
  });
});
