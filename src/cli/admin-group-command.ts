import { parseArgs } from 'node:util';
import { runUnitOfWork } from '../db/unit-of-work.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  createGroup,
  listGroups,
  setGroupFacilitator,
  setGroupStatus,
  ZNewGroup,
} from '../services/groups.ts';

/** `admin group …`: support groups (group work). */

export const GROUP_USAGE = [
  '  group create --slug <id> --locale en|zh-CN --name <text> --description <text> --meets <text>',
  '               --needs <theme,…> --capacity <n> --facilitator <id|name> [--closed]',
  '               [--name-zh <text> --description-zh <text> --meets-zh <text>]',
  '                             a support group, offered after a screening to residents whose answers show',
  "                             one of its needs (the script's themes) in its language; --closed: never",
  "                             offered, joined only on a worker's /refer",
  '  group list                 the groups, their status, members and waiting list',
  '  group pause|resume|archive <id>',
  '                             stop offering it (members kept), offer it again, or close it',
  '  group set-facilitator <id> <worker id|name>',
  "                             hand the group to another active worker: announcements and members' replies",
];

export type TGroupAdminCommand =
  | { command: 'group-create'; input: unknown }
  | { command: 'group-list' }
  | { command: 'group-status'; slug: string; status: 'active' | 'paused' | 'archived' }
  | { command: 'group-facilitator'; slug: string; facilitator: string };

const STATUS = { pause: 'paused', resume: 'active', archive: 'archived' } as const;

/** Parses `group …`; a string is the usage problem. */
export function parseGroupAdminArgs(args: string[]): TGroupAdminCommand | string {
  const [sub, ...rest] = args;
  if (sub === 'list') return { command: 'group-list' };
  if (sub === 'pause' || sub === 'resume' || sub === 'archive') {
    const [slug, ...extra] = rest;
    if (!slug || extra.length > 0) return `group ${sub} needs the group's id.`;
    return { command: 'group-status', slug, status: STATUS[sub] };
  }
  if (sub === 'set-facilitator') {
    const [slug, facilitator, ...extra] = rest;
    if (!slug || !facilitator?.trim() || extra.length > 0)
      return "group set-facilitator needs the group's id and the worker's id or name (quoted).";
    return { command: 'group-facilitator', slug, facilitator };
  }
  if (sub !== 'create')
    return sub === undefined
      ? 'group needs create, list, pause, resume, archive or set-facilitator.'
      : `Unknown group command "${sub}".`;
  const { values } = parseArgs({
    args: rest,
    options: {
      slug: { type: 'string' },
      locale: { type: 'string' },
      name: { type: 'string' },
      'name-zh': { type: 'string' },
      description: { type: 'string' },
      'description-zh': { type: 'string' },
      meets: { type: 'string' },
      'meets-zh': { type: 'string' },
      needs: { type: 'string' },
      capacity: { type: 'string' },
      facilitator: { type: 'string' },
      closed: { type: 'boolean', default: false },
    },
  });
  const texts = (en: string | undefined, zh: string | undefined) => ({
    ...(en ? { en } : {}),
    ...(zh ? { 'zh-CN': zh } : {}),
  });
  return {
    command: 'group-create',
    input: {
      slug: values.slug,
      locale: values.locale,
      name: texts(values.name, values['name-zh']),
      description: texts(values.description, values['description-zh']),
      meets: texts(values.meets, values['meets-zh']),
      needs: (values.needs ?? '')
        .split(',')
        .map((need) => need.trim())
        .filter(Boolean),
      capacity: Number(values.capacity),
      facilitator: values.facilitator,
      isOpen: !values.closed,
    },
  };
}

export async function runGroupAdminCommand(
  command: TGroupAdminCommand,
  deps: { prisma: PrismaClient },
  io: { out: (line: string) => void; err: (line: string) => void },
  now: Date,
): Promise<number> {
  if (command.command === 'group-list') {
    const groups = await listGroups(deps);
    if (groups.length === 0) io.out('No groups.');
    for (const group of groups)
      io.out(
        `${group.slug}\t${group.status}${group.isOpen ? '' : ' (closed)'}\t${group.locale}\t${group.members}/${group.capacity} members, ${group.waiting} waiting\tneeds ${group.needs.join(',')}`,
      );
    return 0;
  }
  if (command.command === 'group-status') {
    // The change and its audit entry commit together.
    const isChanged = await runUnitOfWork(deps.prisma, () =>
      setGroupStatus(deps, { slug: command.slug, status: command.status, actor: 'admin', now }),
    );
    if (!isChanged) {
      io.err(`No group "${command.slug}".`);
      return 2;
    }
    io.out(`Group ${command.slug} is ${command.status}.`);
    return 0;
  }
  if (command.command === 'group-facilitator') {
    const changed = await runUnitOfWork(deps.prisma, () =>
      setGroupFacilitator(deps, {
        slug: command.slug,
        facilitator: command.facilitator,
        actor: 'admin',
        now,
      }),
    );
    if (changed.type === 'no-group') {
      io.err(`No group "${command.slug}".`);
      return 2;
    }
    if (changed.type === 'no-facilitator') {
      io.err(`No single active worker "${command.facilitator}" (${changed.reason}).`);
      return 2;
    }
    io.out(`Group ${command.slug} is run by worker ${changed.group.facilitatorId} from now on.`);
    return 0;
  }
  const parsed = ZNewGroup.safeParse(command.input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) io.err(`--${issue.path.join('.') || 'group'}: ${issue.message}`);
    return 2;
  }
  const created = await runUnitOfWork(deps.prisma, () =>
    createGroup(deps, { group: parsed.data, actor: 'admin', now }),
  );
  if (created.type === 'slug-taken') {
    io.err(`A group "${parsed.data.slug}" exists already.`);
    return 2;
  }
  if (created.type === 'no-facilitator') {
    io.err(`--facilitator: no single active worker "${parsed.data.facilitator}" (${created.reason}).`);
    return 2;
  }
  io.out(`Group ${created.group.slug} created; it is offered from now on.`);
  return 0;
}
