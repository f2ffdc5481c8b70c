import { readFile } from 'node:fs/promises';
import type { i18n } from 'i18next';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { TDataProtector } from '../services/data-protection.ts';
import { listErasures, reapplyErasures } from '../services/erasures.ts';

/** `admin erasures …`: the list of erased residents (pseudonyms only), and applying it again after a restore. */

export const ERASURES_USAGE = [
  '  erasures                   every erased pseudonym and when (one per line): keep it with the backups',
  '  erasures reapply <file>    after restoring a backup: erases again whoever the file lists',
];

export type TErasuresAdminCommand =
  | { command: 'erasures-list' }
  | { command: 'erasures-reapply'; file: string };

/** Parses `erasures …`; a string is the usage problem. */
export function parseErasuresAdminArgs(args: string[]): TErasuresAdminCommand | string {
  const [sub, ...rest] = args;
  if (sub === undefined) return { command: 'erasures-list' };
  if (sub === 'reapply') {
    const [file, ...extra] = rest;
    if (!file || extra.length > 0) return 'erasures reapply needs the file an earlier `erasures` wrote.';
    return { command: 'erasures-reapply', file };
  }
  return `Unknown erasures command "${sub}".`;
}

export async function runErasuresAdminCommand(
  command: TErasuresAdminCommand,
  deps: {
    prisma: PrismaClient;
    readText?: (file: string) => Promise<string>;
    notices?: { protector: TDataProtector; i18n: i18n };
  },
  io: { out: (line: string) => void; err: (line: string) => void },
  now: Date,
): Promise<number> {
  if (command.command === 'erasures-list') {
    for (const erasure of await listErasures(deps))
      io.out(`${erasure.pseudonym}\t${erasure.erasedAt.toISOString()}`);
    return 0;
  }
  if (!deps.notices) {
    io.err('erasures reapply needs the data keys (DATA_ENCRYPTION_KEY or the key file), as the bot has.');
    return 2;
  }
  const read = deps.readText ?? ((file: string) => readFile(file, 'utf8'));
  const text = await read(command.file).catch(() => undefined);
  if (text === undefined) {
    io.err(`Cannot read ${command.file}.`);
    return 2;
  }
  const outcome = await reapplyErasures(
    { prisma: deps.prisma, ...deps.notices },
    { pseudonyms: text.split('\n'), now },
  );
  io.out(
    `Erased again: ${outcome.erasedAgain}; already gone: ${outcome.alreadyGone}` +
      (outcome.refused.length > 0 ? `; not pseudonyms, left alone: ${outcome.refused.length}` : ''),
  );
  return outcome.refused.length > 0 ? 1 : 0;
}
