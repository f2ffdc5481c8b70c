import { parseArgs } from 'node:util';
import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  createAdminToken,
  isTokenRole,
  listAdminTokens,
  revokeAdminToken,
  TOKEN_ROLES,
} from '../services/admin-tokens.ts';

/** `admin token …`: tokens for the admin HTTP API. A token is printed once, at creation; only its hash is kept. */

export const TOKEN_USAGE = [
  '  token create --name <name> --role admin|supervisor [--expires <time>]',
  '                             a token for the admin HTTP API, printed once as the last line',
  '  token revoke <name>        the token stops working at once',
  '  token list [--json]        names, roles and dates (never a token)',
];

export type TTokenAdminCommand =
  | { command: 'token-create'; name: string; role: 'admin' | 'supervisor'; expiresAt: Date | undefined }
  | { command: 'token-revoke'; name: string }
  | { command: 'token-list'; json: boolean };

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** Parses `token …`; a string is the usage problem. */
export function parseTokenAdminArgs(args: string[]): TTokenAdminCommand | string {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      expires: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (sub === 'create') {
    const name = values.name?.trim() ?? '';
    if (!NAME.test(name)) return 'token create needs --name <name> (letters, digits, space . _ -; up to 64).';
    if (!isTokenRole(values.role)) return `token create needs --role ${TOKEN_ROLES.join('|')}.`;
    const expiresAt = values.expires === undefined ? undefined : new Date(values.expires);
    if (expiresAt !== undefined && Number.isNaN(expiresAt.getTime()))
      return `--expires ${JSON.stringify(values.expires)} is not a time (e.g. 2027-01-01T00:00Z).`;
    return { command: 'token-create', name, role: values.role, expiresAt };
  }
  if (sub === 'revoke') {
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) return "token revoke needs the token's name.";
    return { command: 'token-revoke', name };
  }
  if (sub === 'list') return { command: 'token-list', json: values.json };
  return sub === undefined ? 'token needs create, revoke or list.' : `Unknown token command "${sub}".`;
}

export async function runTokenAdminCommand(
  command: TTokenAdminCommand,
  deps: { prisma: PrismaClient },
  io: { out: (line: string) => void; err: (line: string) => void },
  now: Date,
): Promise<number> {
  switch (command.command) {
    case 'token-create': {
      if (command.expiresAt && command.expiresAt <= now) {
        io.err('--expires is in the past: the token would never work.');
        return 2;
      }
      const created = await createAdminToken(deps, {
        name: command.name,
        role: command.role,
        now,
        ...(command.expiresAt ? { expiresAt: command.expiresAt } : {}),
      });
      if (created.type === 'name-taken') {
        io.err(
          `A token named "${command.name}" exists already (a revoked one keeps its name): choose another name.`,
        );
        return 2;
      }
      io.out(`Token "${command.name}" (${command.role}) created. Keep it secret; it is shown only now:`);
      io.out(created.token);
      return 0;
    }
    case 'token-revoke':
      if (!(await revokeAdminToken(deps, { name: command.name, now }))) {
        io.err(`No active token named "${command.name}".`);
        return 2;
      }
      io.out(`Token "${command.name}" revoked.`);
      return 0;
    case 'token-list': {
      const tokens = await listAdminTokens(deps);
      if (command.json) io.out(JSON.stringify(tokens, null, 2));
      else if (tokens.length === 0) io.out('No tokens.');
      else
        for (const t of tokens)
          io.out(
            `${t.name}\t${t.role}\tcreated ${t.createdAt.toISOString()}${t.expiresAt ? `\texpires ${t.expiresAt.toISOString()}` : ''}${t.revokedAt ? `\trevoked ${t.revokedAt.toISOString()}` : ''}`,
          );
      return 0;
    }
  }
}
