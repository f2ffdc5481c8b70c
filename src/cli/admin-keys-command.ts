import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  ACTIVE_ENTRY_ID,
  newDataKeyEntry,
  pseudonymSecretEntry,
  type TDataKeys,
  writeKeyFile,
} from '../services/data-keys.ts';
import { sealedValuesByKey } from '../services/key-rotation.ts';

/**
 * `admin keys …`: the data keys. Rotation takes two steps, because instances restart one at a time: `rotate`
 * adds a key that only OPENS data (so an instance that has it can read what the new key will seal), and once
 * every instance runs with it, `activate` makes it the key that seals everything new. Sealing with a key
 * some instance lacks would leave that instance unable to send or read what it picks up. The running bot then
 * re-seals what older keys sealed, in batches; a key that seals nothing any more can be retired. Pseudonyms
 * have their own secret (added at the first rotation, equal to what they were), so no rotation or retirement
 * changes a resident's pseudonym.
 */

export const KEYS_USAGE = [
  '  keys                       the data keys (ids only) and how many stored values each still seals',
  '  keys rotate                a new data key, for opening only until activated (restart every instance)',
  '  keys activate <keyId>      the new key seals from the next start; the bot then re-seals older values',
  '  keys retire <keyId>        drops an old key that seals nothing any more',
];

export type TKeysAdminCommand =
  | { command: 'keys-status' }
  | { command: 'keys-rotate' }
  | { command: 'keys-activate'; keyId: string }
  | { command: 'keys-retire'; keyId: string };

/** Parses `keys …`; a string is the usage problem. */
export function parseKeysAdminArgs(args: string[]): TKeysAdminCommand | string {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'status')
    return rest.length === 0 ? { command: 'keys-status' } : 'keys takes no arguments.';
  if (sub === 'rotate')
    return rest.length === 0 ? { command: 'keys-rotate' } : 'keys rotate takes no arguments.';
  if (sub === 'activate') {
    const [keyId, ...extra] = rest;
    if (!keyId || extra.length > 0) return 'keys activate needs the id of the key (see keys).';
    return { command: 'keys-activate', keyId };
  }
  if (sub === 'retire') {
    const [keyId, ...extra] = rest;
    if (!keyId || extra.length > 0) return 'keys retire needs the id of the key (see keys).';
    return { command: 'keys-retire', keyId };
  }
  return `Unknown keys command "${sub}".`;
}

/** Where the keys come from: the key file (which `keys` may rewrite), or `DATA_ENCRYPTION_KEY` (which it cannot). */
export type TKeySource = { keys: TDataKeys; text: string } & (
  | { kind: 'file'; keyFile: string }
  | { kind: 'environment' }
);

export async function runKeysAdminCommand(
  command: TKeysAdminCommand,
  deps: { prisma: PrismaClient; keySource?: TKeySource },
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  const source = deps.keySource;
  if (!source) {
    io.err('There are no data keys yet: the bot creates the first at its first start.');
    return 2;
  }
  const { keys } = source;
  const sealed = await sealedValuesByKey(deps);
  if (command.command === 'keys-status') {
    io.out(`Active key: ${keys.activeKeyId}`);
    for (const keyId of keys.keyIds) {
      const waits = keyId !== keys.activeKeyId && !keys.olderKeyIds.includes(keyId);
      io.out(
        `${keyId}\tseals ${sealed[keyId] ?? 0} stored value(s)${waits ? ', for opening only until activated' : ''}`,
      );
    }
    for (const [keyId, count] of Object.entries(sealed))
      if (!keys.keyIds.includes(keyId))
        io.out(`${keyId}\tseals ${count} stored value(s), and is NOT configured`);
    io.out(
      keys.pseudonymSource === 'separate'
        ? 'Pseudonyms: their own secret.'
        : `Pseudonyms: from the oldest key (${keys.keyIds.at(-1)}), until the first keys rotate.`,
    );
    return 0;
  }

  const entries = source.text
    .split(/[,\s]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (command.command === 'keys-rotate') {
    const waiting = keys.keyIds.filter(
      (keyId) => keyId !== keys.activeKeyId && !keys.olderKeyIds.includes(keyId),
    );
    if (waiting.length > 0) {
      io.err(`Key ${waiting.join(', ')} is waiting to be activated: run keys activate ${waiting[0]} first.`);
      return 2;
    }
    const added = newDataKeyEntry(keys);
    const next = [
      added.entry,
      `${ACTIVE_ENTRY_ID}:${keys.activeKeyId}`,
      ...entries.filter((entry) => !entry.startsWith(`${ACTIVE_ENTRY_ID}:`)),
      ...(keys.pseudonymSource === 'separate' ? [] : [pseudonymSecretEntry(keys)]),
    ];
    const done = await saveKeys(source, next, io);
    if (done !== 0) return done;
    io.out(
      `Key ${added.keyId} added for opening only: ${keys.activeKeyId} still seals. Restart EVERY instance with ` +
        `the new keys, then run: keys activate ${added.keyId}. Pseudonyms keep their own secret. Back up the keys now.`,
    );
    return 0;
  }

  if (command.command === 'keys-activate') {
    const { keyId } = command;
    if (!keys.keyIds.includes(keyId)) {
      io.err(`No data key "${keyId}" is configured.`);
      return 2;
    }
    if (keyId === keys.activeKeyId) {
      io.err(`"${keyId}" is already the active key.`);
      return 2;
    }
    if (keys.olderKeyIds.includes(keyId)) {
      io.err(`"${keyId}" is older than the active key: run keys rotate for a new one.`);
      return 2;
    }
    const own = entries.find((entry) => entry.startsWith(`${keyId}:`));
    if (own === undefined) {
      io.err(`"${keyId}" has no "${keyId}:" entry (a key given without an id): edit the keys by hand.`);
      return 2;
    }
    const next = [
      own,
      ...entries.filter((entry) => entry !== own && !entry.startsWith(`${ACTIVE_ENTRY_ID}:`)),
    ];
    const done = await saveKeys(source, next, io);
    if (done !== 0) return done;
    io.out(
      `Key ${keyId} is active from each instance's next start: it seals everything new, and the bot re-seals ` +
        `the ${Object.values(sealed).reduce((sum, count) => sum + count, 0)} stored value(s) in batches while ` +
        'it runs. Instances not yet restarted still open it. Back up the keys now.',
    );
    return 0;
  }

  const { keyId } = command;
  if (!keys.keyIds.includes(keyId)) {
    io.err(`No data key "${keyId}" is configured.`);
    return 2;
  }
  if (keyId === keys.activeKeyId) {
    io.err(`"${keyId}" is the active key: rotate first.`);
    return 2;
  }
  if (keys.pseudonymSource !== 'separate' && keyId === keys.keyIds.at(-1)) {
    io.err(`"${keyId}" is where pseudonyms come from: rotate once first, which gives them their own secret.`);
    return 2;
  }
  if ((sealed[keyId] ?? 0) > 0) {
    io.err(
      `"${keyId}" still seals ${sealed[keyId]} stored value(s): let the running bot re-seal them (see keys), then retire it.`,
    );
    return 2;
  }
  const kept = entries.filter((entry) => !entry.startsWith(`${keyId}:`));
  if (kept.length === entries.length) {
    io.err(`"${keyId}" has no "${keyId}:" entry to drop (a key given without an id): edit the keys by hand.`);
    return 2;
  }
  const done = await saveKeys(source, kept, io);
  if (done === 0) io.out(`Key ${keyId} retired. Back up the keys now.`);
  return done;
}

/** The key file is rewritten; `DATA_ENCRYPTION_KEY` cannot be, so its new value is printed for the operator. */
async function saveKeys(
  source: TKeySource,
  entries: readonly string[],
  io: { out: (line: string) => void },
): Promise<number> {
  if (source.kind === 'file') {
    await writeKeyFile(source.keyFile, `${entries.join(',')}\n`);
    return 0;
  }
  io.out('Set DATA_ENCRYPTION_KEY to this value on every instance (it is secret), then restart them:');
  io.out(entries.join(','));
  return 0;
}
