import { createHash, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The configured data keys, by id. Only ids are visible: the key material sits in a module-private
 * WeakMap, so `JSON.stringify`, `util.inspect` and a stray `logger.info({ keys })` print ids and nothing
 * else. Build one with {@link parseDataKeys} or {@link loadDataKeys}; a hand-made object is refused.
 */
export type TDataKeys = Readonly<{
  /** Seals every new value. */
  activeKeyId: string;
  /** Every configured id, active first; the others only open data (newer keys waiting, or older ones). */
  keyIds: readonly string[];
  /**
   * The keys listed after the active one: older keys, whose values re-sealing moves to the active key. Keys
   * listed before it are newer ones added for opening only (see {@link ACTIVE_ENTRY_ID}): left as they are.
   */
  olderKeyIds: readonly string[];
  /**
   * Where pseudonyms come from: their own secret (the `pseudonyms:` entry), or, until one is set, the oldest
   * data key (which can then never be retired).
   */
  pseudonymSource: 'separate' | 'oldest-key';
  readonly [dataKeysBrand]: true;
}>;

declare const dataKeysBrand: unique symbol;

/** What `data-protection.ts` needs; derived keys only, the raw key bytes are not kept. */
export type TDataKeyMaterial = Readonly<{
  /** AES-256-GCM key per key id. */
  sealingKeys: ReadonlyMap<string, KeyObject>;
  /** HMAC key for pseudonyms: the `pseudonyms:` entry, else derived from the last (oldest) data key. */
  pseudonymKey: KeyObject;
}>;

/** `DATA_ENCRYPTION_KEY`, or the key file, cannot be used. The message never repeats key material. */
export class DataKeyError extends Error {
  override readonly name = 'DataKeyError';
  readonly code = 'DATA_KEY_INVALID';
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/**
 * The entry of the key list that holds the pseudonym secret, apart from the data keys: with it, every data key
 * can be rotated and retired while residents keep their pseudonyms. `admin keys rotate` adds it, set to what
 * the oldest key derived, so nobody's pseudonym changes.
 */
export const PSEUDONYM_ENTRY_ID = 'pseudonyms';
/**
 * The entry naming the active key when it is not the first (`active:k2`): a rotation first lists a new key
 * in front of it, usable for opening only, until every instance has it; `admin keys activate` then makes
 * it active. Otherwise one instance would seal with a key that the others cannot open yet.
 */
export const ACTIVE_ENTRY_ID = 'active';
const KEY_BYTES = 32;
// Either alphabet, optional padding; Buffer.from would otherwise skip stray characters silently.
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;
const SEALING_INFO = 'bridgeline/seal/v1';
const PSEUDONYM_INFO = 'bridgeline/pseudonym/v1';
const FORMAT_HELP =
  'Expected a comma-separated list of <keyId>:<base64 of 32 random bytes>, the key for new data first. ' +
  `Make a key with: node -e "process.stdout.write('k1:'+require('crypto').randomBytes(32).toString('base64')+'\\n')"`;

const materials = new WeakMap<TDataKeys, TDataKeyMaterial>();

/**
 * Parses `DATA_ENCRYPTION_KEY`: a comma-separated list of `<keyId>:<key>`, each key base64 (or base64url)
 * of exactly 32 bytes and each id 1-32 characters of `A-Z a-z 0-9 _ -`. A bare key without an id is
 * accepted too, and gets the id `k` + the first 8 hex digits of its SHA-256.
 *
 * - The FIRST key is active: it seals every new value, and its id is written beside each ciphertext.
 * - The others only open data sealed with them earlier.
 * - The LAST key is also the root of pseudonyms (HKDF-SHA256, info `bridgeline/pseudonym/v1`): a
 *   resident's id depends on it alone.
 *
 * - An `active:<keyId>` entry makes that key active instead of the first: keys listed before it are newer,
 *   for opening only (a rotation under way), and re-sealing moves values only off the keys listed after it.
 *
 * So to rotate (`admin keys rotate`, then `admin keys activate`), PREPEND a new key, first for opening only,
 * and keep every old one: new data uses the new key once active, old data still opens, and pseudonyms stay
 * the same. Never remove the last key (every resident would get a new
 * pseudonym); remove another old key only once nothing is sealed with it any more.
 *
 * @example
 * const keys = parseDataKeys('k2:<new base64>,k1:<old base64>');
 * keys.activeKeyId; // 'k2'
 * keys.keyIds; // ['k2', 'k1'] — pseudonyms still come from k1
 *
 * @throws {DataKeyError} naming the entry and what is wrong with it (never its key material).
 */
export function parseDataKeys(text: string): TDataKeys {
  return parseKeys(text, 'DATA_ENCRYPTION_KEY');
}

/**
 * The keys to start with: `configured` (from `DATA_ENCRYPTION_KEY`) when set; else the key file; else a
 * new key, written to the key file (mode 0600) with a loud warning to back it up. Losing the key makes
 * everything residents wrote unreadable, so a freshly made key must not go unnoticed.
 *
 * Two processes starting at once end up with the same key: the file is published with `link`, which
 * fails rather than replaces, and the loser reads the winner's file.
 *
 * @example
 * const keys = await loadDataKeys({ configured: config.dataEncryptionKey, keyFile: config.dataKeyFile, logger });
 * const protector = createDataProtector(keys);
 *
 * @throws {DataKeyError} when the configured value or the key file is not a valid key list.
 */
export async function loadDataKeys(options: {
  configured?: string | undefined;
  keyFile: string;
  logger: { warn(obj: object, msg: string): void };
}): Promise<TDataKeys> {
  const { configured, keyFile, logger } = options;
  if (configured !== undefined && configured.trim() !== '') return parseDataKeys(configured);

  const existing = await readKeyFile(keyFile, logger);
  if (existing !== undefined) return existing;

  const created = await createKeyFile(keyFile);
  const keys = parseKeys(created.text, `The data key file ${keyFile}`);
  if (!created.isOurs) return keys;
  logger.warn(
    { keyFile, keyId: keys.activeKeyId },
    `A NEW DATA ENCRYPTION KEY WAS CREATED at ${keyFile}. Everything residents write is encrypted with it: ` +
      'if this file is lost, that data can never be read again. Back it up NOW, somewhere off this machine, ' +
      'and/or move its contents into DATA_ENCRYPTION_KEY (then the file is no longer read).',
  );
  return keys;
}

/**
 * The keys, when there are any yet: configured, or in the key file the bot created on its first start. A
 * tool (the admin command line) reads them but never creates them. Undefined: no key yet, so no resident
 * data either.
 *
 * @throws {DataKeyError} when the configured value or the key file is not a valid key list.
 */
export async function readDataKeys(options: {
  configured?: string | undefined;
  keyFile: string;
  logger: { warn(obj: object, msg: string): void };
}): Promise<TDataKeys | undefined> {
  if (options.configured !== undefined && options.configured.trim() !== '')
    return parseDataKeys(options.configured);
  return readKeyFile(options.keyFile, options.logger);
}

/**
 * The derived keys behind `keys`. For `data-protection.ts` only: everything else handles ids.
 *
 * @throws {TypeError} when `keys` was not made by this module.
 */
export function dataKeyMaterialOf(keys: TDataKeys): TDataKeyMaterial {
  const material = materials.get(keys);
  if (!material) throw new TypeError('Data keys must come from parseDataKeys or loadDataKeys');
  return material;
}

function parseKeys(text: string, source: string): TDataKeys {
  function fail(problem: string): never {
    throw new DataKeyError(`${source}: ${problem}. ${FORMAT_HELP}`);
  }
  const trimmed = text.trim();
  if (trimmed === '') fail('it is empty');

  const entries = trimmed.split(',').map((entry) => entry.trim());
  const keys = new Map<string, Buffer>();
  let pseudonymSecret: Buffer | undefined;
  let namedActive: string | undefined;
  entries.forEach((entry, index) => {
    const where = entries.length === 1 ? 'the key' : `entry ${index + 1}`;
    if (entry === '') fail(`${where} is empty (a stray comma?)`);
    if (entry.startsWith(`${ACTIVE_ENTRY_ID}:`)) {
      const named = entry.slice(ACTIVE_ENTRY_ID.length + 1).trim();
      if (!KEY_ID_PATTERN.test(named)) fail(`${where} must name the active key's id`);
      if (namedActive !== undefined) fail(`${where} names the active key a second time`);
      namedActive = named;
      return;
    }

    const colon = entry.indexOf(':');
    const encoded = colon === -1 ? entry : entry.slice(colon + 1).trim();
    let keyId = colon === -1 ? undefined : entry.slice(0, colon).trim();
    // The id is echoed only once known to be an id: a mangled entry could be key material.
    if (keyId !== undefined && !KEY_ID_PATTERN.test(keyId)) {
      fail(`${where} has an invalid key id: it must be 1-32 characters of A-Z, a-z, 0-9, _ and -`);
    }
    const label = keyId === undefined ? where : `${where} (id "${keyId}")`;
    if (encoded === '') fail(`${label} has nothing after the colon`);
    if (!BASE64_PATTERN.test(encoded)) {
      fail(`${label} is not base64: only A-Z, a-z, 0-9, +, / (or -, _) and = padding may appear`);
    }
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length !== KEY_BYTES) {
      fail(`${label} must be exactly ${KEY_BYTES} bytes, but it decodes to ${bytes.length} bytes`);
    }
    if (keyId === PSEUDONYM_ENTRY_ID) {
      if (pseudonymSecret) fail(`${label} repeats the pseudonym secret`);
      pseudonymSecret = bytes;
      return;
    }
    keyId ??= `k${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`;
    if (keys.has(keyId)) fail(`${label} repeats the key id "${keyId}": each key needs its own id`);
    keys.set(keyId, bytes);
  });

  const listed = [...keys.keys()];
  const activeKeyId = namedActive ?? listed[0];
  const root = listed.length > 0 ? keys.get(listed[listed.length - 1] as string) : undefined;
  if (activeKeyId === undefined || root === undefined) return fail('it has no data key');
  if (!keys.has(activeKeyId)) fail(`the active key "${activeKeyId}" is not in the list`);
  const activeAt = listed.indexOf(activeKeyId);
  // Pseudonyms come from the last key unless they have their own secret: that key must stay the oldest.
  if (activeAt === listed.length - 1 && activeAt > 0 && !pseudonymSecret)
    fail('a key listed before the active one needs the pseudonyms entry (admin keys rotate adds it)');
  const keyIds = [activeKeyId, ...listed.filter((keyId) => keyId !== activeKeyId)];

  const material: TDataKeyMaterial = Object.freeze({
    sealingKeys: new Map([...keys].map(([id, bytes]) => [id, derive(bytes, SEALING_INFO)])),
    // The separate secret is what the oldest key derived when it was set: used as it is.
    pseudonymKey: pseudonymSecret
      ? createSecretKey(Buffer.from(pseudonymSecret))
      : derive(root, PSEUDONYM_INFO),
  });
  for (const bytes of keys.values()) bytes.fill(0);
  pseudonymSecret?.fill(0);

  const dataKeys = Object.freeze({
    activeKeyId,
    keyIds: Object.freeze(keyIds),
    olderKeyIds: Object.freeze(listed.slice(activeAt + 1)),
    pseudonymSource: pseudonymSecret ? 'separate' : 'oldest-key',
  }) as TDataKeys;
  materials.set(dataKeys, material);
  return dataKeys;
}

/**
 * The key-list entry that keeps today's pseudonyms with their own secret (`pseudonyms:<base64>`): what the
 * pseudonym key is now, whichever way it came. For `admin keys rotate` only; it prints key material.
 */
export function pseudonymSecretEntry(keys: TDataKeys): string {
  const secret = dataKeyMaterialOf(keys).pseudonymKey.export();
  return `${PSEUDONYM_ENTRY_ID}:${secret.toString('base64')}`;
}

/** A fresh data key entry whose id follows the ids in use (`k1`, `k2` … or the next free `kN`). */
export function newDataKeyEntry(keys: TDataKeys): { keyId: string; entry: string } {
  let n = keys.keyIds.length + 1;
  while (keys.keyIds.includes(`k${n}`)) n += 1;
  const keyId = `k${n}`;
  return { keyId, entry: `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}` };
}

/** One key, two independent uses: sealing and pseudonyms never share key bytes. */
function derive(key: Buffer, info: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, KEY_BYTES)));
}

async function readKeyFile(
  keyFile: string,
  logger: { warn(obj: object, msg: string): void },
): Promise<TDataKeys | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(keyFile, 'r');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const { mode } = await handle.stat();
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      logger.warn(
        { keyFile, mode: octal },
        `The data key file ${keyFile} can be read by other users (mode ${octal}): run chmod 600 ${keyFile}`,
      );
    }
    return parseKeys(await handle.readFile('utf8'), `The data key file ${keyFile}`);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a new key to a temporary file, then publishes it with `link`, which (unlike `rename`) never
 * replaces a file another process published first: whoever loses reads the winner's key instead.
 */
async function createKeyFile(keyFile: string): Promise<{ text: string; isOurs: boolean }> {
  const folder = dirname(keyFile);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const text = `k1:${randomBytes(KEY_BYTES).toString('base64')}\n`;
  const temp = join(folder, `.${basename(keyFile)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    try {
      await link(temp, keyFile);
    } catch (error) {
      if (isErrorCode(error, 'EEXIST')) return { text: await readFile(keyFile, 'utf8'), isOurs: false };
      if (!isErrorCode(error, 'EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV')) throw error;
      // No hard links on this file system: an exclusive create is the next best thing.
      try {
        await writeExclusive(keyFile, text);
      } catch (fallbackError) {
        if (!isErrorCode(fallbackError, 'EEXIST')) throw fallbackError;
        return { text: await readFile(keyFile, 'utf8'), isOurs: false };
      }
    }
    await syncFolder(folder);
    return { text, isOurs: true };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Replaces the key file with `text` (`admin keys rotate` and `retire`): written beside it (mode 0600), synced,
 * then renamed over it, so a crash leaves the old list or the new one, never half of either.
 */
export async function writeKeyFile(keyFile: string, text: string): Promise<void> {
  parseKeys(text, 'The new key list');
  const folder = dirname(keyFile);
  const temp = join(folder, `.${basename(keyFile)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeExclusive(temp, text);
    await chmod(temp, 0o600);
    await rename(temp, keyFile);
    await syncFolder(folder);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function writeExclusive(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** So the new file's name survives a power cut; not every platform can open a folder, hence best effort. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort.
  }
}

function isErrorCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && 'code' in error && codes.includes(String(error.code));
}
