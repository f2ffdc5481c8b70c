import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { dataKeyMaterialOf, KEY_ID_PATTERN, type TDataKeys } from './data-keys.ts';

/** Why a sealed value could not be opened; `code` is stable, messages are for people. */
export type TDataProtectionErrorCode = 'UNKNOWN_KEY' | 'TAMPERED' | 'MALFORMED';

/** A sealed value cannot be opened. The message never contains the value or its plaintext. */
export class DataProtectionError extends Error {
  override readonly name = 'DataProtectionError';

  constructor(
    readonly code: TDataProtectionErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type TDataProtector = Readonly<{
  /** The resident's stable id: HMAC-SHA256 of their Telegram user id, base64url (43 characters). */
  pseudonymOf(telegramUserId: number | bigint): string;
  /** Encrypts `plaintext` for the field named by `context`; see {@link createDataProtector}. */
  seal(plaintext: string, context?: string): string;
  /** Decrypts what `seal` made for the same `context`; throws {@link DataProtectionError}. */
  open(sealed: string, context?: string): string;
  /** Whether `sealed` names the active key; `false` means a re-encryption job should rewrite it. Unverified. */
  isSealedWithActiveKey(sealed: string): boolean;
  /** Seals an integer (a chat id) as its exact decimal text. */
  sealNumber(value: number, context?: string): string;
  /** Opens what `sealNumber` sealed; throws `MALFORMED` if it is not a safe integer. */
  openNumber(sealed: string, context?: string): number;
}>;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;
const INTEGER_PATTERN = /^(?:0|-?[1-9]\d*)$/;

/**
 * Seals what residents write (AES-256-GCM) and names residents by pseudonym (HMAC-SHA256), so a copy of
 * the database alone reveals neither.
 *
 * A sealed value reads `v1.<keyId>.<base64url(iv | tag | ciphertext)>`: the key id lets keys rotate
 * (see `parseDataKeys`), and a fresh random IV makes equal texts seal differently. `context` names the
 * field (`'chat-id'`, `'answer:<caseId>'`) and is authenticated with the ciphertext, so a value copied
 * into another field or row fails to open instead of showing up there. No context is the same as `''`.
 *
 * @example
 * const protector = createDataProtector(keys);
 * const residentId = protector.pseudonymOf(ctx.from.id);
 * const sealed = protector.seal(answer, `answer:${caseId}`);
 * protector.open(sealed, `answer:${caseId}`); // the answer again
 * protector.open(sealed, 'answer:7'); // throws DataProtectionError TAMPERED
 */
export function createDataProtector(keys: TDataKeys): TDataProtector {
  const { sealingKeys, pseudonymKey } = dataKeyMaterialOf(keys);
  const activeKeyId = keys.activeKeyId;
  const activeKey = sealingKeys.get(activeKeyId);
  if (!activeKey) throw new TypeError(`Data keys lack their active key "${activeKeyId}"`);
  const sealingKey = activeKey;

  function seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', sealingKey, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(additionalData(activeKeyId, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
    return `${VERSION}.${activeKeyId}.${payload}`;
  }

  function open(sealed: string, context = ''): string {
    const { keyId, payload } = parseSealed(sealed);
    const key = sealingKeys.get(keyId);
    if (!key) {
      throw new DataProtectionError(
        'UNKNOWN_KEY',
        `This value was sealed with data key "${keyId}", which is not configured. Add that key back to ` +
          'DATA_ENCRYPTION_KEY (after the active key; or restore the data key file) to read it.',
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, payload.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(payload.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      const plaintext = Buffer.concat([
        decipher.update(payload.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
      return plaintext.toString('utf8');
    } catch (error) {
      throw new DataProtectionError(
        'TAMPERED',
        `A value sealed with data key "${keyId}" failed its integrity check: it was altered, it belongs to ` +
          'another field than the one read, or the key with that id is not the one that sealed it.',
        { cause: error },
      );
    }
  }

  return Object.freeze({
    pseudonymOf(telegramUserId: number | bigint): string {
      return createHmac('sha256', pseudonymKey)
        .update(`telegram-user:${integerText(telegramUserId)}`)
        .digest('base64url');
    },
    seal,
    open,
    isSealedWithActiveKey(sealed: string): boolean {
      try {
        return parseSealed(sealed).keyId === activeKeyId;
      } catch {
        return false;
      }
    },
    sealNumber(value: number, context?: string): string {
      return seal(integerText(value), context);
    },
    openNumber(sealed: string, context?: string): number {
      const text = open(sealed, context);
      const value = Number(text);
      if (!INTEGER_PATTERN.test(text) || !Number.isSafeInteger(value)) {
        throw new DataProtectionError('MALFORMED', 'The sealed value is not an integer');
      }
      return value;
    },
  });
}

/** Binds the format version, key id and field to the ciphertext. Key ids hold no `.`, so this is unambiguous. */
function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8');
}

function parseSealed(sealed: string): { keyId: string; payload: Buffer } {
  const parts = typeof sealed === 'string' ? sealed.split('.') : [];
  const [version, keyId, encoded] = parts;
  if (parts.length !== 3 || version !== VERSION || keyId === undefined || encoded === undefined) {
    throw new DataProtectionError('MALFORMED', `Not a sealed value (expected ${VERSION}.<keyId>.<data>)`);
  }
  if (!KEY_ID_PATTERN.test(keyId) || !BASE64URL_PATTERN.test(encoded)) {
    throw new DataProtectionError('MALFORMED', 'A sealed value has an invalid key id or data');
  }
  const payload = Buffer.from(encoded, 'base64url');
  // Only the canonical spelling opens, so that changing any character is noticed.
  if (payload.length < IV_BYTES + TAG_BYTES || payload.toString('base64url') !== encoded) {
    throw new DataProtectionError('MALFORMED', 'A sealed value is truncated or mangled');
  }
  return { keyId, payload };
}

function integerText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString(10);
  if (!Number.isSafeInteger(value)) throw new RangeError('Expected a safe integer id');
  return String(value);
}
