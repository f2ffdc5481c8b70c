import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataKeyError,
  loadDataKeys,
  parseDataKeys,
  pseudonymSecretEntry,
} from '../../src/services/data-keys.ts';
import { createDataProtector } from '../../src/services/data-protection.ts';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64url');

function errorOf(text: string): DataKeyError {
  try {
    parseDataKeys(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DataKeyError);
    return error as DataKeyError;
  }
  throw new Error('expected parseDataKeys to throw');
}

function fakeLogger() {
  const warnings: { obj: object; msg: string }[] = [];
  return { warnings, warn: (obj: object, msg: string) => warnings.push({ obj, msg }) };
}

describe('parseDataKeys', () => {
  it('makes the first key active and keeps the rest for reading', () => {
    const keys = parseDataKeys(` k2:${KEY_B} , k1:${KEY_A} `);
    expect(keys.activeKeyId).toBe('k2');
    expect(keys.keyIds).toEqual(['k2', 'k1']);
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it('gives a bare key an id from its hash, the same every time', () => {
    const keys = parseDataKeys(KEY_A);
    expect(keys.activeKeyId).toMatch(/^k[0-9a-f]{8}$/);
    expect(parseDataKeys(KEY_A).activeKeyId).toBe(keys.activeKeyId);
    expect(parseDataKeys(`new:${KEY_B},${KEY_A}`).keyIds).toEqual(['new', keys.activeKeyId]);
  });

  it('accepts base64 with and without padding, and base64url', () => {
    const bytes = randomBytes(32);
    for (const encoded of [
      bytes.toString('base64'),
      bytes.toString('base64').replace(/=+$/, ''),
      bytes.toString('base64url'),
    ]) {
      expect(parseDataKeys(`id_-1:${encoded}`).activeKeyId).toBe('id_-1');
    }
  });

  const short = randomBytes(16).toString('base64');
  const long = randomBytes(48).toString('base64');
  it.each([
    ['empty', '   ', /is empty/],
    ['a stray comma', `k1:${KEY_A},,k2:${KEY_B}`, /entry 2 is empty/],
    ['an empty id', `:${KEY_A}`, /invalid key id/],
    ['an id with spaces', `my key:${KEY_A}`, /invalid key id/],
    ['an id of 33 characters', `${'a'.repeat(33)}:${KEY_A}`, /invalid key id/],
    ['nothing after the colon', 'k1:', /"k1".*nothing after the colon/],
    ['a short key', `k1:${short}`, /"k1".*exactly 32 bytes.*16 bytes/],
    ['a long key', `k1:${KEY_A},k2:${long}`, /entry 2 \(id "k2"\).*48 bytes/],
    ['a short bare key', short, /the key must be exactly 32 bytes/],
    ['bad base64', `k1:${KEY_A.slice(0, 20)}*${KEY_A.slice(21)}`, /"k1"\) is not base64/],
    ['a key split by a space', `k1:${KEY_A.slice(0, 20)} ${KEY_A.slice(20)}`, /not base64/],
    ['a duplicate id', `k1:${KEY_A},k1:${KEY_B}`, /entry 2 \(id "k1"\) repeats the key id "k1"/],
    ['a duplicate bare key', `${KEY_A},${KEY_A}`, /repeats the key id/],
  ])('refuses %s, explaining how to make a key', (_name, text, pattern) => {
    const error = errorOf(text);
    expect(error.code).toBe('DATA_KEY_INVALID');
    expect(error.message).toMatch(pattern);
    expect(error.message).toMatch(/^DATA_ENCRYPTION_KEY: /);
    expect(error.message).toContain("randomBytes(32).toString('base64')");
    for (const secret of [KEY_A, KEY_B, short, long, KEY_A.slice(0, 20), KEY_A.slice(21)]) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('keeps pseudonyms with their own secret: the same as before it was set, whatever data keys follow', () => {
    const before = parseDataKeys(`k1:${KEY_A}`);
    const separate = parseDataKeys(`k2:${KEY_B},k1:${KEY_A},${pseudonymSecretEntry(before)}`);
    expect(separate).toMatchObject({ keyIds: ['k2', 'k1'], pseudonymSource: 'separate' });
    const retired = parseDataKeys(`k2:${KEY_B},${pseudonymSecretEntry(before)}`);
    const id = 123_456_789;
    expect(createDataProtector(separate).pseudonymOf(id)).toBe(createDataProtector(before).pseudonymOf(id));
    expect(createDataProtector(retired).pseudonymOf(id)).toBe(createDataProtector(before).pseudonymOf(id));
    // Without it, the oldest key: dropping that one would change everyone's pseudonym.
    expect(createDataProtector(parseDataKeys(`k2:${KEY_B}`)).pseudonymOf(id)).not.toBe(
      createDataProtector(before).pseudonymOf(id),
    );
    expect(errorOf(pseudonymSecretEntry(before)).message).toContain('it has no data key');
    expect(
      errorOf(`k1:${KEY_A},${pseudonymSecretEntry(before)},${pseudonymSecretEntry(before)}`).message,
    ).toContain('repeats the pseudonym secret');
  });

  it('never prints key bytes when serialised or inspected', () => {
    const keys = parseDataKeys(`k2:${KEY_B},k1:${KEY_A}`);
    const protector = createDataProtector(keys);
    const shown = [
      JSON.stringify(keys),
      inspect(keys, { depth: 10, showHidden: true }),
      JSON.stringify(protector),
      inspect(protector, { depth: 10, showHidden: true }),
      String(keys),
    ].join('\n');
    for (const key of [KEY_A, KEY_B]) {
      const bytes = Buffer.from(key, 'base64');
      for (const spelling of [bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')]) {
        expect(shown).not.toContain(spelling.replace(/=+$/, ''));
      }
    }
    expect(JSON.parse(JSON.stringify(keys))).toEqual({
      activeKeyId: 'k2',
      keyIds: ['k2', 'k1'],
      olderKeyIds: ['k1'],
      pseudonymSource: 'oldest-key',
    });
  });

  it('refuses a hand-made key set', () => {
    const fake = { activeKeyId: 'k1', keyIds: ['k1'] } as unknown as Parameters<
      typeof createDataProtector
    >[0];
    expect(() => createDataProtector(fake)).toThrow(TypeError);
  });
});

describe('loadDataKeys', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgeline-keys-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file once, warns loudly once, and reuses it silently', async () => {
    const keyFile = join(dir, 'nested', 'data', 'data-encryption.key');
    const logger = fakeLogger();

    const first = await loadDataKeys({ keyFile, logger });
    expect(first.keyIds).toEqual(['k1']);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(logger.warnings).toHaveLength(1);
    const [warning] = logger.warnings;
    expect(warning?.msg).toContain(keyFile);
    expect(warning?.msg).toMatch(/NEW DATA ENCRYPTION KEY/);
    expect(warning?.msg).toMatch(/can never be read again/);
    expect(warning?.msg).toMatch(/Back it up NOW/);
    expect(warning?.msg).toContain('DATA_ENCRYPTION_KEY');

    const fileText = await readFile(keyFile, 'utf8');
    expect(fileText).toMatch(/^k1:[A-Za-z0-9+/]{43}=\n$/);
    const secret = fileText.trim().slice(3);
    expect(JSON.stringify(logger.warnings)).not.toContain(secret);

    const second = await loadDataKeys({ keyFile, logger });
    expect(logger.warnings).toHaveLength(1);
    const sealed = createDataProtector(first).seal('hello');
    expect(createDataProtector(second).open(sealed)).toBe('hello');
    expect(await readdir(join(dir, 'nested', 'data'))).toEqual(['data-encryption.key']);
  });

  it('prefers the configured keys and then touches no file', async () => {
    const keyFile = join(dir, 'data-encryption.key');
    const logger = fakeLogger();
    const keys = await loadDataKeys({ configured: `k9:${KEY_A}`, keyFile, logger });
    expect(keys.activeKeyId).toBe('k9');
    expect(logger.warnings).toEqual([]);
    expect(await readdir(dir)).toEqual([]);

    await writeFile(keyFile, `k1:${KEY_B}\n`, { mode: 0o600 });
    expect((await loadDataKeys({ configured: `k9:${KEY_A}`, keyFile, logger })).activeKeyId).toBe('k9');
  });

  it('treats a blank configured value as absent', async () => {
    const keyFile = join(dir, 'data-encryption.key');
    await writeFile(keyFile, `k7:${KEY_B}\n`, { mode: 0o600 });
    const keys = await loadDataKeys({ configured: '  ', keyFile, logger: fakeLogger() });
    expect(keys.activeKeyId).toBe('k7');
  });

  it('ends with one key when two first starts race', async () => {
    const keyFile = join(dir, 'data-encryption.key');
    const logger = fakeLogger();
    const [a, b] = await Promise.all([loadDataKeys({ keyFile, logger }), loadDataKeys({ keyFile, logger })]);
    if (!a || !b) throw new Error('expected two key sets');
    expect(logger.warnings).toHaveLength(1);
    expect(createDataProtector(b).open(createDataProtector(a).seal('same key'))).toBe('same key');
    expect(createDataProtector(a).pseudonymOf(42)).toBe(createDataProtector(b).pseudonymOf(42));
    expect(await readdir(dir)).toEqual(['data-encryption.key']);
  });

  it.skipIf(process.platform === 'win32')('warns when others can read the key file', async () => {
    const keyFile = join(dir, 'data-encryption.key');
    await writeFile(keyFile, `k1:${KEY_A}\n`);
    await chmod(keyFile, 0o644);
    const logger = fakeLogger();
    await loadDataKeys({ keyFile, logger });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.msg).toContain(`chmod 600 ${keyFile}`);
    expect(JSON.stringify(logger.warnings)).not.toContain(KEY_A);
  });

  it('names the key file when its contents are invalid, without repeating them', async () => {
    const keyFile = join(dir, 'data-encryption.key');
    const content = `k1:${randomBytes(20).toString('base64')}`;
    await writeFile(keyFile, content, { mode: 0o600 });
    const error = await loadDataKeys({ keyFile, logger: fakeLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataKeyError);
    expect((error as DataKeyError).message).toContain(`The data key file ${keyFile}: `);
    expect((error as DataKeyError).message).toContain('20 bytes');
    expect((error as DataKeyError).message).not.toContain(content.slice(3));
  });
});
