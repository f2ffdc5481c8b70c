import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../src/cli/admin-command.ts';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';
import { resealBatch, sealedValuesByKey } from '../../src/services/key-rotation.ts';
import { createTestApp, TEST_DATA_KEY, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
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

    const rotated = await admin(['keys', 'rotate']);
    expect(rotated.code).toBe(0);
    const text = await readFile(keyFile, 'utf8');
    expect(text).toMatch(/^k2:[A-Za-z0-9+/=]+,test:[A-Za-z0-9+/=]+,pseudonyms:[A-Za-z0-9+/=]+\n$/);
    const keys = parseDataKeys(text);
    expect(keys).toMatchObject({ activeKeyId: 'k2', keyIds: ['k2', 'test'], pseudonymSource: 'separate' });
    const protector = createDataProtector(keys);
    expect(protector.pseudonymOf(person.id)).toBe(resident.residentId);

    // Still sealing values: not yet.
    expect((await admin(['keys', 'retire', 'test'])).err[0]).toMatch(/still seals \d+ stored value/);
    let rounds = 0;
    for (;;) {
      const { resealed, unreadable } = await resealBatch(
        { prisma: app.prisma, protector, keys },
        { limit: 5 },
      );
      expect(unreadable).toBe(0);
      rounds += 1;
      if (resealed === 0) break;
    }
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
});
