/**
 * `npm run --silent admin -- <command>`: the admin command line. It reaches the embedded database through
 * the running bot (a unix socket in the data folder) and opens the folder itself only when no bot holds it.
 * See {@link runAdminCommand}.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, type TConfig } from '../config.ts';
import { DatabaseError, openDatabase } from '../db/client.ts';
import { createI18n } from '../i18n.ts';
import { DataKeyError, readDataKeys, type TDataKeys } from '../services/data-keys.ts';
import { createDataProtector } from '../services/data-protection.ts';
import { ADMIN_USAGE, checkAdminArgs, isAdminHelp, runAdminCommand, type TAdminIo } from './admin-command.ts';
import type { TKeySource } from './admin-keys-command.ts';

const io: TAdminIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // Help needs no configuration and no database: it works on a machine not yet set up.
  if (isAdminHelp(args)) {
    io.out(ADMIN_USAGE);
    return 0;
  }
  const usageProblem = checkAdminArgs(args);
  if (usageProblem) {
    io.err(usageProblem);
    return 2;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env, 'tool');
  const keys = await readDataKeys({
    configured: config.dataEncryptionKey,
    keyFile: config.dataKeyFile,
    logger: { warn: (_details, message) => io.err(message) },
  });
  const notices = keys ? { protector: createDataProtector(keys), i18n: createI18n() } : undefined;
  const keySource = keys ? await keySourceOf(config, keys) : undefined;
  const db = await openDatabase(config.databaseUrl);
  try {
    return await runAdminCommand(
      args,
      { prisma: db.prisma, ...(notices ? { notices } : {}), ...(keySource ? { keySource } : {}) },
      io,
    );
  } finally {
    await db.close();
  }
}

/** The keys with their text and where they are kept: `DATA_ENCRYPTION_KEY` when set, else the key file. */
async function keySourceOf(config: TConfig, keys: TDataKeys): Promise<TKeySource> {
  if (config.dataEncryptionKey !== undefined && config.dataEncryptionKey.trim() !== '')
    return { kind: 'environment', keys, text: config.dataEncryptionKey };
  return {
    kind: 'file',
    keyFile: config.dataKeyFile,
    keys,
    text: await readFile(config.dataKeyFile, 'utf8'),
  };
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof DatabaseError || error instanceof DataKeyError))
    throw error;
  io.err(error.message);
  process.exitCode = 2;
}
