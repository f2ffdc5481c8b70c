import { parseArgs } from 'node:util';
import type { i18n } from 'i18next';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { listAuditEvents, recordAuditAction } from '../services/audit.ts';
import { verifyAuditLog } from '../services/audit-chain.ts';
import { listCasesForAdmin } from '../services/cases.ts';
import type { TDataProtector } from '../services/data-protection.ts';
import { addShift, listShifts, removeShift } from '../services/rota.ts';
import {
  createInvitation,
  deactivateWorker,
  isWorkerRole,
  listPendingInvitations,
  listWorkersForAdmin,
  revokeInvitation,
  type TWorkerRole,
  WORKER_ROLES,
} from '../services/workers.ts';
import {
  ERASURES_USAGE,
  parseErasuresAdminArgs,
  runErasuresAdminCommand,
  type TErasuresAdminCommand,
} from './admin-erasures-command.ts';
import {
  GROUP_USAGE,
  parseGroupAdminArgs,
  runGroupAdminCommand,
  type TGroupAdminCommand,
} from './admin-group-command.ts';
import {
  KEYS_USAGE,
  parseKeysAdminArgs,
  runKeysAdminCommand,
  type TKeySource,
  type TKeysAdminCommand,
} from './admin-keys-command.ts';
import {
  parseScriptAdminArgs,
  runScriptAdminCommand,
  SCRIPT_USAGE,
  type TScriptAdminCommand,
} from './admin-script-command.ts';
import {
  parseTokenAdminArgs,
  runTokenAdminCommand,
  TOKEN_USAGE,
  type TTokenAdminCommand,
} from './admin-token-command.ts';

export type TAdminIo = { out: (line: string) => void; err: (line: string) => void };

/** What the admin commands need: the database, and the time (tests pass a fake clock). */
export type TAdminDeps = {
  prisma: PrismaClient;
  /** Reads a file named on the command line (`script push`); tests pass their own. */
  readText?: (file: string) => Promise<string>;
  clock?: () => Date;
  /** To write what people are told (a deactivated worker, their residents): absent without data keys. */
  notices?: { protector: TDataProtector; i18n: i18n };
  /** The data keys and where they are kept, for `keys`: absent before the bot made the first. */
  keySource?: TKeySource;
};

export const ADMIN_USAGE = [
  'Usage: npm run --silent admin -- <command> [options]',
  '',
  'Commands:',
  '  help, --help, -h           print this help (also after a command: rota add --help)',
  '  cases [--json]             list the cases: id, level, status, source, created time, script version',
  '                             (never personal content)',
  '  invite --role worker|supervisor --name "<name>"',
  '                             invite a worker: prints a one-time code (valid 24 h) as the last line;',
  '                             they send /join <code> to the bot in a private chat',
  '  invitations [--json]       the invitations not yet used nor expired: id, name, role, created, expires',
  '                             (never the code)',
  '  invitations revoke <id>    revoke an invitation not yet used: its code no longer works for /join',
  '  workers [--json]           list the workers: id, name, role, whether on call now',
  '  deactivate --worker <id|name>',
  "                             end a worker's access: no more pages or worker commands, their coming",
  '                             shifts removed, the cases they hold back in the queue and paged again',
  '  rota add --worker <id|name> --from <time> --to <time>',
  '                             put a worker on call for a shift; times are ISO 8601 with a time zone,',
  '                             e.g. 2026-05-01T09:00Z or 2026-05-01T17:00+08:00; refused if it is already',
  "                             over, a warning if it overlaps another of the worker's shifts",
  '  rota list [--all] [--json] the shifts not yet over (--all: past ones too)',
  '  rota remove <shiftId>      remove a shift',
  '  audit [--case <id>] [--actor <actor>] [--action <type>] [--since <time>] [--json]',
  '                             the audit log: who did what (to which case), and when (never message text)',
  ...SCRIPT_USAGE,
  ...TOKEN_USAGE,
  ...ERASURES_USAGE,
  ...KEYS_USAGE,
  ...GROUP_USAGE,
  "  audit verify               checks the audit log's hash chain: exit 1 naming the first entry changed,",
  '                             removed or moved',
].join('\n');

/** Exit codes: 0 done, 2 the command line (or what it names) is wrong. */
const EXIT_USAGE = 2;

const MAX_NAME_LENGTH = 100;

type TCommand =
  | { command: 'help' }
  | { command: 'cases'; json: boolean }
  | { command: 'invite'; role: TWorkerRole; name: string }
  | { command: 'invitations-list'; json: boolean }
  | { command: 'invitations-revoke'; invitationId: number }
  | { command: 'workers'; json: boolean }
  | { command: 'deactivate'; worker: string }
  | { command: 'rota-add'; worker: string; from: Date; to: Date }
  | { command: 'rota-list'; all: boolean; json: boolean }
  | { command: 'rota-remove'; shiftId: number }
  | {
      command: 'audit';
      caseId: number | undefined;
      actor: string | undefined;
      action: string | undefined;
      since: Date | undefined;
      json: boolean;
    }
  | { command: 'audit-verify' }
  | TScriptAdminCommand
  | TTokenAdminCommand
  | TErasuresAdminCommand
  | TKeysAdminCommand
  | TGroupAdminCommand;

type TParsed = { ok: true; value: TCommand } | { ok: false; message: string };

/**
 * The admin command line, without the process: parses `args`, runs the command against `prisma`, writes to
 * `io`, and returns the exit code. Opening the database (through the running bot's socket when it holds the
 * embedded folder) is the caller's job, so tests run this against a test database.
 *
 * @example
 * const code = await runAdminCommand(['invite', '--role', 'worker', '--name', 'Ann Lee'], { prisma }, processIo);
 */
export async function runAdminCommand(args: string[], deps: TAdminDeps, io: TAdminIo): Promise<number> {
  const parsed = parseAdminArgs(args);
  if (!parsed.ok) {
    io.err(parsed.message);
    return EXIT_USAGE;
  }
  const now = deps.clock?.() ?? new Date();
  const command = parsed.value;
  switch (command.command) {
    case 'help':
      io.out(ADMIN_USAGE);
      return 0;
    case 'cases':
      return listCases(command.json, deps, io);
    case 'invite':
      return invite(command, deps, io, now);
    case 'invitations-list':
      return listInvitations(command.json, deps, io, now);
    case 'invitations-revoke':
      return revoke(command.invitationId, deps, io, now);
    case 'workers':
      return listWorkers(command.json, deps, io, now);
    case 'deactivate':
      return deactivate(command.worker, deps, io, now);
    case 'rota-add':
      return addRotaShift(command, deps, io, now);
    case 'rota-list':
      return listRota(command, deps, io, now);
    case 'rota-remove':
      return removeRotaShift(command.shiftId, deps, io);
    case 'audit':
      return printAudit(command, deps, io);
    case 'audit-verify':
      return verifyAudit(deps, io);
    case 'token-create':
    case 'token-revoke':
    case 'token-list':
      return runTokenAdminCommand(command, deps, io, now);
    case 'erasures-list':
    case 'erasures-reapply':
      return runErasuresAdminCommand(command, deps, io, now);
    case 'keys-status':
    case 'keys-rotate':
    case 'keys-activate':
    case 'keys-retire':
      return runKeysAdminCommand(command, deps, io);
    case 'group-create':
    case 'group-list':
    case 'group-status':
    case 'group-facilitator':
      return runGroupAdminCommand(command, deps, io, now);
    default:
      return runScriptAdminCommand(command, deps, io, now);
  }
}

/** Checks the command line before anything opens the database, so a typo changes nothing and waits for nothing. */
export function checkAdminArgs(args: string[]): string | undefined {
  const parsed = parseAdminArgs(args);
  return parsed.ok ? undefined : parsed.message;
}

/**
 * `help`, `--help` or `-h`, alone or anywhere in a command (`rota add --help`): asks for the usage, which
 * needs no database. Arguments after `--` are values, never flags.
 */
export function isAdminHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  return args[0] === 'help' || options.some((arg) => arg === '--help' || arg === '-h');
}

function usageError(message: string): TParsed {
  return { ok: false, message: `${message}\n\n${ADMIN_USAGE}` };
}

function parseAdminArgs(args: string[]): TParsed {
  const [command, ...rest] = args;
  if (command === undefined) return { ok: false, message: ADMIN_USAGE };
  if (isAdminHelp(args)) return { ok: true, value: { command: 'help' } };
  try {
    switch (command) {
      case 'cases':
      case 'workers': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } } });
        return { ok: true, value: { command, json: values.json } };
      }
      case 'invite':
        return parseInvite(rest);
      case 'invitations':
        return parseInvitations(rest);
      case 'deactivate': {
        const { values } = parseArgs({ args: rest, options: { worker: { type: 'string' } } });
        const worker = values.worker?.trim() ?? '';
        if (worker === '') return usageError('deactivate needs --worker <id|name>.');
        return { ok: true, value: { command: 'deactivate', worker } };
      }
      case 'rota':
        return parseRota(rest);
      case 'audit':
        return parseAudit(rest);
      case 'token': {
        const token = parseTokenAdminArgs(rest);
        return typeof token === 'string' ? usageError(token) : { ok: true, value: token };
      }
      case 'group': {
        const group = parseGroupAdminArgs(rest);
        return typeof group === 'string' ? usageError(group) : { ok: true, value: group };
      }
      case 'keys': {
        const keys = parseKeysAdminArgs(rest);
        return typeof keys === 'string' ? usageError(keys) : { ok: true, value: keys };
      }
      case 'erasures': {
        const erasures = parseErasuresAdminArgs(rest);
        return typeof erasures === 'string' ? usageError(erasures) : { ok: true, value: erasures };
      }
      case 'script': {
        const script = parseScriptAdminArgs(rest);
        return typeof script === 'string' ? usageError(script) : { ok: true, value: script };
      }
      default:
        return usageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    // parseArgs: an unknown option, a missing value, a stray argument.
    return usageError((error as Error).message);
  }
}

function parseInvite(args: string[]): TParsed {
  const { values } = parseArgs({
    args,
    options: { role: { type: 'string' }, name: { type: 'string' } },
  });
  if (!isWorkerRole(values.role)) {
    return usageError(
      `invite needs --role ${WORKER_ROLES.join('|')} (got ${JSON.stringify(values.role ?? '')}).`,
    );
  }
  const name = values.name?.trim() ?? '';
  if (name === '') return usageError('invite needs --name "<the worker\'s name>".');
  if (name.length > MAX_NAME_LENGTH) return usageError(`--name is at most ${MAX_NAME_LENGTH} characters.`);
  return { ok: true, value: { command: 'invite', role: values.role, name } };
}

/** `invitations [--json]` lists, `invitations revoke <id>` revokes (as `rota remove <id>`). */
function parseInvitations(args: string[]): TParsed {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const [sub, ...rest] = positionals;
  if (sub === undefined || sub === 'list') {
    if (rest.length > 0) return usageError(`Unexpected argument "${rest[0]}".`);
    return { ok: true, value: { command: 'invitations-list', json: values.json } };
  }
  if (sub !== 'revoke') return usageError(`Unknown invitations command "${sub}".`);
  const [id, ...extra] = rest;
  if (values.json) return usageError('invitations revoke takes no --json.');
  if (id === undefined || extra.length > 0 || !/^\d{1,9}$/.test(id)) {
    return usageError('invitations revoke needs one invitation id (a number; see invitations).');
  }
  return { ok: true, value: { command: 'invitations-revoke', invitationId: Number(id) } };
}

function parseRota(args: string[]): TParsed {
  const [sub, ...rest] = args;
  if (sub === 'add') {
    const { values } = parseArgs({
      args: rest,
      options: { worker: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
    });
    const worker = values.worker?.trim() ?? '';
    if (worker === '') return usageError('rota add needs --worker <id|name>.');
    const from = parseTime('--from', values.from);
    if (typeof from === 'string') return usageError(from);
    const to = parseTime('--to', values.to);
    if (typeof to === 'string') return usageError(to);
    if (to <= from) return usageError('--to must be later than --from.');
    return { ok: true, value: { command: 'rota-add', worker, from, to } };
  }
  if (sub === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: { all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
    return { ok: true, value: { command: 'rota-list', all: values.all, json: values.json } };
  }
  if (sub === 'remove') {
    const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0 || !/^\d{1,9}$/.test(id)) {
      return usageError('rota remove needs one shift id (a number; see rota list).');
    }
    return { ok: true, value: { command: 'rota-remove', shiftId: Number(id) } };
  }
  return usageError(sub === undefined ? 'rota needs add, list or remove.' : `Unknown rota command "${sub}".`);
}

function parseAudit(args: string[]): TParsed {
  if (args[0] === 'verify') {
    if (args.length > 1) return usageError('audit verify takes no options.');
    return { ok: true, value: { command: 'audit-verify' } };
  }
  const { values } = parseArgs({
    args,
    options: {
      case: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.case !== undefined && !/^\d{1,9}$/.test(values.case.trim().replace(/^#/, ''))) {
    return usageError(`--case needs a case id (a number), not ${JSON.stringify(values.case)}.`);
  }
  const caseId = values.case === undefined ? undefined : Number(values.case.trim().replace(/^#/, ''));
  const since = values.since === undefined ? undefined : parseTime('--since', values.since);
  if (typeof since === 'string') return usageError(since);
  return {
    ok: true,
    value: {
      command: 'audit',
      caseId,
      actor: values.actor?.trim() || undefined,
      action: values.action?.trim() || undefined,
      since,
      json: values.json,
    },
  };
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * An ISO 8601 time with its time zone, checked for real calendar dates: a shift given in local time would
 * mean something else on a server in another zone, so the zone is required.
 */
function parseTime(option: string, value: string | undefined): Date | string {
  const example = 'e.g. 2026-05-01T09:00Z or 2026-05-01T17:00+08:00';
  if (value === undefined) return `rota add needs ${option} <time> (ISO 8601 with a time zone, ${example}).`;
  const match = ISO_TIME.exec(value.trim());
  const parsed = match ? new Date(value.trim().replace(' ', 'T')) : undefined;
  const [, year, month, day, hour, minute, second] = match ?? [];
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const isRealDate =
    parsed !== undefined &&
    !Number.isNaN(parsed.getTime()) &&
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second ?? 0) < 60;
  if (!isRealDate || parsed === undefined) {
    return `${option} ${JSON.stringify(value)} is not a valid ISO 8601 time with a time zone (${example}).`;
  }
  return parsed;
}

async function listCases(json: boolean, deps: TAdminDeps, io: TAdminIo): Promise<number> {
  const cases = await listCasesForAdmin(deps.prisma);
  await recordAuditAction(deps, {
    type: 'data.exported',
    actor: 'admin',
    now: deps.clock?.() ?? new Date(),
    detail: { what: 'cases' },
  });
  if (json) {
    io.out(JSON.stringify(cases, null, 2));
    return 0;
  }
  if (cases.length === 0) {
    io.out('No cases.');
    return 0;
  }
  for (const c of cases) {
    const script = c.scriptId ? `${c.scriptId}@${c.scriptVersion}` : '-';
    io.out(`#${c.id}\t${c.level}\t${c.status}\t${c.source}\t${c.createdAt}\t${script}`);
  }
  return 0;
}

async function invite(
  command: Extract<TCommand, { command: 'invite' }>,
  deps: TAdminDeps,
  io: TAdminIo,
  now: Date,
): Promise<number> {
  const invitation = await createInvitation(deps, { role: command.role, name: command.name, now });
  io.out(
    `Invitation #${invitation.id} for ${command.name} (${command.role}), valid until ${invitation.expiresAt.toISOString()}.`,
  );
  io.out('Give them this one-time code; they send /join <code> to the bot in a private chat:');
  // The last line is the code alone, for scripts.
  io.out(invitation.code);
  return 0;
}

async function listInvitations(json: boolean, deps: TAdminDeps, io: TAdminIo, now: Date): Promise<number> {
  const invitations = await listPendingInvitations(deps.prisma, now);
  if (json) {
    io.out(JSON.stringify(invitations, null, 2));
    return 0;
  }
  if (invitations.length === 0) {
    io.out('No pending invitations.');
    return 0;
  }
  for (const i of invitations) {
    io.out(`#${i.id}\t${i.name}\t${i.role}\tcreated ${i.createdAt}\texpires ${i.expiresAt}`);
  }
  return 0;
}

async function revoke(invitationId: number, deps: TAdminDeps, io: TAdminIo, now: Date): Promise<number> {
  const outcome = await revokeInvitation(deps, { invitationId, now });
  switch (outcome.type) {
    case 'revoked': {
      const { name, role } = outcome.invitation;
      io.out(`Invitation #${invitationId} for ${name} (${role}) revoked: its code no longer works.`);
      return 0;
    }
    case 'unknown':
      io.err(`There is no invitation #${invitationId}. See: npm run --silent admin -- invitations`);
      return EXIT_USAGE;
    case 'used': {
      const by = outcome.workerId === null ? '' : ` (worker #${outcome.workerId})`;
      io.err(
        `Invitation #${invitationId} was already used${by}: nothing to revoke; to end their access, use deactivate.`,
      );
      return EXIT_USAGE;
    }
    case 'expired':
      io.err(
        `Invitation #${invitationId} expired at ${outcome.expiresAt.toISOString()}: its code no longer works anyway.`,
      );
      return EXIT_USAGE;
  }
}

async function listWorkers(json: boolean, deps: TAdminDeps, io: TAdminIo, now: Date): Promise<number> {
  const workers = await listWorkersForAdmin(deps.prisma, now);
  if (json) {
    io.out(JSON.stringify(workers, null, 2));
    return 0;
  }
  if (workers.length === 0) {
    io.out('No workers. Invite one with: invite --role worker --name "<name>"');
    return 0;
  }
  for (const w of workers) {
    const why = [w.isOnShift ? 'rota' : '', w.isOnCallSelf ? '/oncall' : ''].filter(Boolean).join(', ');
    const onCall = w.isOnCallNow ? `on call now (${why})` : 'not on call';
    io.out(`#${w.id}\t${w.name}\t${w.role}\t${w.isActive ? onCall : 'inactive'}`);
  }
  return 0;
}

/** A `--worker <id|name>` that names nobody, or more than one person. */
function refuseWorkerRef(
  ref: string,
  found: { type: 'unknown-worker' } | { type: 'ambiguous-worker'; ids: number[] },
  io: TAdminIo,
): number {
  io.err(
    found.type === 'unknown-worker'
      ? `No worker "${ref}". See: npm run --silent admin -- workers`
      : `More than one worker is called "${ref}" (#${found.ids.join(', #')}): give the id.`,
  );
  return EXIT_USAGE;
}

async function deactivate(ref: string, deps: TAdminDeps, io: TAdminIo, now: Date): Promise<number> {
  const outcome = await deactivateWorker(deps, { worker: ref, now });
  switch (outcome.type) {
    case 'unknown-worker':
    case 'ambiguous-worker':
      return refuseWorkerRef(ref, outcome, io);
    case 'already-inactive':
      io.out(`Worker #${outcome.workerId} is already inactive: nothing changed.`);
      return 0;
    case 'deactivated': {
      const { worker, releasedCaseIds, removedShifts } = outcome;
      io.out(`Worker #${worker.id} ${worker.name} (${worker.role}) deactivated.`);
      io.out(`Coming shifts removed: ${removedShifts}.`);
      io.out(
        releasedCaseIds.length === 0
          ? 'They held no cases.'
          : `Back in the queue and paged again: #${releasedCaseIds.join(', #')}.`,
      );
      return 0;
    }
  }
}

async function addRotaShift(
  command: Extract<TCommand, { command: 'rota-add' }>,
  deps: TAdminDeps,
  io: TAdminIo,
  now: Date,
): Promise<number> {
  const added = await addShift(deps.prisma, {
    worker: command.worker,
    startsAt: command.from,
    endsAt: command.to,
    now,
  });
  switch (added.type) {
    case 'unknown-worker':
    case 'ambiguous-worker':
      return refuseWorkerRef(command.worker, added, io);
    case 'inactive-worker':
      io.err(`Worker #${added.workerId} is no longer active; invite them again first.`);
      return EXIT_USAGE;
    case 'already-over':
      io.err(
        `That shift ends at ${command.to.toISOString()}, already past (now ${now.toISOString()}): nothing added.`,
      );
      return EXIT_USAGE;
    case 'added': {
      const s = added.shift;
      io.out(`Shift #${s.id} added: ${s.workerName} (#${s.workerId}) from ${s.startsAt} to ${s.endsAt}.`);
      for (const o of added.overlaps) {
        io.err(`Warning: it overlaps ${o.workerName}'s shift #${o.id} from ${o.startsAt} to ${o.endsAt}.`);
      }
      return 0;
    }
  }
}

async function listRota(
  command: Extract<TCommand, { command: 'rota-list' }>,
  deps: TAdminDeps,
  io: TAdminIo,
  now: Date,
): Promise<number> {
  const shifts = await listShifts(deps.prisma, { now, includePast: command.all });
  if (command.json) {
    io.out(JSON.stringify(shifts, null, 2));
    return 0;
  }
  if (shifts.length === 0) {
    io.out(command.all ? 'No shifts.' : 'No shifts now or ahead.');
    return 0;
  }
  for (const s of shifts) {
    io.out(`#${s.id}\t${s.workerName} (#${s.workerId})\t${s.startsAt}\t${s.endsAt}${s.isNow ? '\tnow' : ''}`);
  }
  return 0;
}

async function removeRotaShift(shiftId: number, deps: TAdminDeps, io: TAdminIo): Promise<number> {
  if (!(await removeShift(deps.prisma, shiftId))) {
    io.err(`There is no shift #${shiftId}. See: npm run --silent admin -- rota list --all`);
    return EXIT_USAGE;
  }
  io.out(`Shift #${shiftId} removed.`);
  return 0;
}

async function printAudit(
  command: Extract<TCommand, { command: 'audit' }>,
  deps: TAdminDeps,
  io: TAdminIo,
): Promise<number> {
  await recordAuditAction(deps, {
    type: 'data.exported',
    actor: 'admin',
    now: deps.clock?.() ?? new Date(),
    detail: { what: 'audit' },
  });
  const events = await listAuditEvents(deps.prisma, {
    caseId: command.caseId,
    actor: command.actor,
    type: command.action,
    since: command.since,
  });
  if (command.json) {
    io.out(JSON.stringify(events, null, 2));
    return 0;
  }
  if (events.length === 0) {
    io.out(command.caseId === undefined ? 'No events.' : `No events for case #${command.caseId}.`);
    return 0;
  }
  for (const e of events) {
    const detail = e.detail === null || e.detail === undefined ? '' : `\t${JSON.stringify(e.detail)}`;
    io.out(`${e.createdAt}\t${e.caseId === null ? '-' : `#${e.caseId}`}\t${e.type}\t${e.actor}${detail}`);
  }
  return 0;
}

/** `audit verify`: 0 when the chain holds, 1 naming where it breaks. */
async function verifyAudit(deps: TAdminDeps, io: TAdminIo): Promise<number> {
  const { sealed, pending, problem, head } = await verifyAuditLog(deps);
  if (!problem) {
    io.out(
      `The audit log holds: ${sealed} entries chained${pending > 0 ? `, ${pending} written meanwhile` : ''}.`,
    );
    // The chain cannot show its own end cut off: compare this with the head noted last time.
    if (head) io.out(`Head: position ${head.chainSeq}, hash ${head.hash}`);
    return 0;
  }
  const entry = problem.entryId === undefined ? 'no entry' : `entry ${problem.entryId}`;
  const what = {
    missing: 'an entry is missing there (removed)',
    changed: `${entry} does not match its hash (changed)`,
    'out-of-order': `${entry} belongs elsewhere in the chain (moved or swapped)`,
  }[problem.problem];
  io.err(`The audit log is broken at position ${problem.chainSeq}: ${what}.`);
  return 1;
}
