import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseDataKeys } from '../../src/services/data-keys.ts';
import {
  createDataProtector,
  DataProtectionError,
  type TDataProtectionErrorCode,
} from '../../src/services/data-protection.ts';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;
const protector = createDataProtector(parseDataKeys(OLD));

function codeOf(action: () => unknown): TDataProtectionErrorCode {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataProtectionError);
    return (error as DataProtectionError).code;
  }
  throw new Error('expected a DataProtectionError');
}

/** The sealed value with one byte of its decoded payload (IV, tag or ciphertext) flipped. */
function withByteFlipped(sealed: string, index: number): string {
  const [version, keyId, data = ''] = sealed.split('.');
  const payload = Buffer.from(data, 'base64url');
  payload[index] = (payload[index] ?? 0) ^ 0x01;
  return `${version}.${keyId}.${payload.toString('base64url')}`;
}

describe('seal and open', () => {
  it.each([
    ['ASCII', 'I need help with my landlord.'],
    ['Chinese', '我需要帮助，房东不修暖气。'],
    ['emoji', '🏠💔 help 🙏🏽 👨‍👩‍👧'],
    ['an empty string', ''],
    ['4096 characters', 'x'.repeat(4000) + '房'.repeat(96)],
  ])('round-trips %s', (_name, text) => {
    const sealed = protector.seal(text, 'answer:12');
    expect(sealed).toMatch(/^v1\.old\.[A-Za-z0-9_-]+$/);
    expect(protector.open(sealed, 'answer:12')).toBe(text);
  });

  it('seals the same text differently every time', () => {
    const sealed = new Set(Array.from({ length: 20 }, () => protector.seal('same')));
    expect(sealed.size).toBe(20);
  });

  it('treats no context as the empty context', () => {
    expect(protector.open(protector.seal('a'), '')).toBe('a');
    expect(protector.open(protector.seal('a', ''))).toBe('a');
  });

  it('notices any flipped byte of IV, tag or ciphertext', () => {
    const sealed = protector.seal('short text', 'chat-id');
    const length = Buffer.from(sealed.split('.')[2] ?? '', 'base64url').length;
    expect(length).toBe(12 + 16 + 'short text'.length);
    for (let index = 0; index < length; index++) {
      expect(codeOf(() => protector.open(withByteFlipped(sealed, index), 'chat-id'))).toBe('TAMPERED');
    }
  });

  it('notices any changed character of the sealed text', () => {
    const sealed = protector.seal('short text', 'chat-id');
    for (let index = 0; index < sealed.length; index++) {
      const char = sealed[index] === 'A' ? 'B' : 'A';
      const changed = sealed.slice(0, index) + char + sealed.slice(index + 1);
      expect(['TAMPERED', 'MALFORMED', 'UNKNOWN_KEY']).toContain(
        codeOf(() => protector.open(changed, 'chat-id')),
      );
    }
  });

  it('refuses a value read as another field', () => {
    const sealed = protector.seal('12345', 'chat-id');
    expect(codeOf(() => protector.open(sealed, 'answer:1'))).toBe('TAMPERED');
    expect(codeOf(() => protector.open(sealed))).toBe('TAMPERED');
    const answer = protector.seal('yes', 'answer:1');
    expect(codeOf(() => protector.open(answer, 'answer:2'))).toBe('TAMPERED');
  });

  it('refuses a value sealed by another key under the same id', () => {
    const other = createDataProtector(parseDataKeys(`old:${randomBytes(32).toString('base64')}`));
    expect(codeOf(() => protector.open(other.seal('x')))).toBe('TAMPERED');
  });

  it('names a key that is not configured, and says to add it back', () => {
    const sealed = createDataProtector(parseDataKeys(NEW)).seal('x');
    let error: unknown;
    try {
      protector.open(sealed);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataProtectionError);
    expect((error as DataProtectionError).code).toBe('UNKNOWN_KEY');
    expect((error as DataProtectionError).message).toMatch(/"new".*Add that key back/);
  });

  it.each([
    ['empty', ''],
    ['plain text', 'hello'],
    ['another version', 'v2.old.AAAA'],
    ['too many parts', 'v1.old.AAAA.BBBB'],
    ['a bad key id', `v1.b@d.${'A'.repeat(40)}`],
    ['bad characters', `v1.old.${'A'.repeat(39)}+`],
    ['too short for IV and tag', `v1.old.${Buffer.alloc(27).toString('base64url')}`],
    ['padding', `v1.old.${Buffer.alloc(29).toString('base64')}`],
  ])('calls %s MALFORMED', (_name, sealed) => {
    expect(codeOf(() => protector.open(sealed))).toBe('MALFORMED');
  });

  it('never puts the plaintext or context in an error', () => {
    const sealed = protector.seal('my secret story', 'answer:99');
    const error = (() => {
      try {
        return protector.open(withByteFlipped(sealed, 30), 'answer:99');
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(String(error)).not.toContain('secret');
    expect(String(error)).not.toContain('answer:99');
  });
});

describe('key rotation', () => {
  it('opens data sealed with the old key and seals new data with the new one', () => {
    const before = createDataProtector(parseDataKeys(OLD));
    const sealedBefore = before.seal('written last year', 'answer:3');

    const after = createDataProtector(parseDataKeys(`${NEW},${OLD}`));
    expect(after.open(sealedBefore, 'answer:3')).toBe('written last year');
    expect(after.isSealedWithActiveKey(sealedBefore)).toBe(false);

    const sealedAfter = after.seal('written today', 'answer:3');
    expect(sealedAfter.startsWith('v1.new.')).toBe(true);
    expect(after.isSealedWithActiveKey(sealedAfter)).toBe(true);
    expect(codeOf(() => before.open(sealedAfter, 'answer:3'))).toBe('UNKNOWN_KEY');
  });

  it('keeps every pseudonym when a new key is prepended', () => {
    const before = createDataProtector(parseDataKeys(OLD));
    const after = createDataProtector(parseDataKeys(`${NEW},${OLD}`));
    for (const id of [1, 123456789, 7_000_000_000]) {
      expect(after.pseudonymOf(id)).toBe(before.pseudonymOf(id));
    }
  });

  it('calls anything unparseable not sealed with the active key', () => {
    expect(protector.isSealedWithActiveKey('nonsense')).toBe(false);
    expect(protector.isSealedWithActiveKey('')).toBe(false);
  });
});

describe('pseudonymOf', () => {
  it('is stable, differs per user and per root key, and hides the id', () => {
    const id = 5_123_456_789;
    const pseudonym = protector.pseudonymOf(id);
    expect(pseudonym).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pseudonym).not.toContain(String(id));
    expect(protector.pseudonymOf(id)).toBe(pseudonym);
    expect(protector.pseudonymOf(BigInt(id))).toBe(pseudonym);
    expect(protector.pseudonymOf(id + 1)).not.toBe(pseudonym);
    expect(createDataProtector(parseDataKeys(NEW)).pseudonymOf(id)).not.toBe(pseudonym);
  });

  it('does not depend on the key id, only on the root key bytes', () => {
    const bytes = OLD.slice('old:'.length);
    expect(createDataProtector(parseDataKeys(`renamed:${bytes}`)).pseudonymOf(7)).toBe(
      protector.pseudonymOf(7),
    );
  });

  it('refuses ids that are not exact integers', () => {
    expect(() => protector.pseudonymOf(1.5)).toThrow(RangeError);
    expect(() => protector.pseudonymOf(2 ** 60)).toThrow(RangeError);
  });
});

describe('sealNumber and openNumber', () => {
  it.each([0, 42, 2 ** 31 + 1, -1001234567890, Number.MAX_SAFE_INTEGER])('keeps %d exact', (chatId) => {
    expect(protector.openNumber(protector.sealNumber(chatId, 'chat-id'), 'chat-id')).toBe(chatId);
  });

  it('reads what seal(String(chatId)) wrote', () => {
    expect(protector.openNumber(protector.seal(String(-1001234567890), 'chat-id'), 'chat-id')).toBe(
      -1001234567890,
    );
  });

  it('refuses non-integers both ways', () => {
    expect(() => protector.sealNumber(1.5)).toThrow(RangeError);
    for (const text of ['abc', '1.5', '1e3', '', '9007199254740993', '-0', '01']) {
      expect(codeOf(() => protector.openNumber(protector.seal(text)))).toBe('MALFORMED');
    }
  });
});
