import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';

/** Who an admin API token speaks for: `admin` may change things; `supervisor` may read. */
export const TOKEN_ROLES = ['admin', 'supervisor'] as const;
export type TTokenRole = (typeof TOKEN_ROLES)[number];

export function isTokenRole(value: unknown): value is TTokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

/** The actor an API request is audited as. */
export function tokenActor(name: string): string {
  return `token:${name}`;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type TCreateTokenOutcome = { type: 'created'; token: string } | { type: 'name-taken' };

/**
 * A new API token: 32 random bytes, shown to the admin once; only its hash is stored. Audited.
 *
 * @example const { token } = await createAdminToken({ prisma }, { name: 'ops', role: 'admin', now });
 */
export async function createAdminToken(
  deps: { prisma: PrismaClient },
  input: { name: string; role: TTokenRole; now: Date; expiresAt?: Date },
): Promise<TCreateTokenOutcome> {
  const existing = await deps.prisma.adminToken.findUnique({ where: { name: input.name } });
  if (existing) return { type: 'name-taken' };
  const token = `bl_${randomBytes(32).toString('base64url')}`;
  const row = await deps.prisma.adminToken
    .create({
      data: {
        name: input.name,
        role: input.role,
        tokenHash: hashToken(token),
        createdAt: input.now,
        ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
      },
    })
    // Two creations of one name at once: the second finds it taken.
    .catch((error: unknown) =>
      (error as { code?: string }).code === 'P2002' ? undefined : Promise.reject(error),
    );
  if (!row) return { type: 'name-taken' };
  await recordAuditAction(deps, {
    type: 'token.created',
    actor: 'admin',
    now: input.now,
    detail: { tokenId: row.id, role: input.role },
  });
  return { type: 'created', token };
}

/** Revokes a token by name; false when there is none (or it was revoked already). */
export async function revokeAdminToken(
  deps: { prisma: PrismaClient },
  input: { name: string; now: Date },
): Promise<boolean> {
  const { count } = await deps.prisma.adminToken.updateMany({
    where: { name: input.name, revokedAt: null },
    data: { revokedAt: input.now },
  });
  if (count > 0)
    await recordAuditAction(deps, {
      type: 'token.revoked',
      actor: 'admin',
      now: input.now,
      detail: { name: input.name },
    });
  return count > 0;
}

export type TTokenCheck =
  | { ok: true; name: string; role: TTokenRole }
  | { ok: false; reason: 'missing' | 'unknown' | 'revoked' | 'expired' };

/** Whether a presented token opens the API now, and as whom. */
export async function checkAdminToken(
  deps: { prisma: PrismaClient },
  input: { token: string | undefined; now: Date },
): Promise<TTokenCheck> {
  if (!input.token) return { ok: false, reason: 'missing' };
  const row = await deps.prisma.adminToken.findUnique({ where: { tokenHash: hashToken(input.token) } });
  if (!row || !isTokenRole(row.role)) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  if (row.expiresAt && row.expiresAt <= input.now) return { ok: false, reason: 'expired' };
  // When it was last used: a token nobody uses any more is one to revoke.
  await deps.prisma.adminToken.update({ where: { id: row.id }, data: { lastUsedAt: input.now } });
  return { ok: true, name: row.name, role: row.role };
}

/** The tokens, for `admin token list`: names, roles and dates, never a hash. */
export async function listAdminTokens(deps: { prisma: PrismaClient }) {
  return deps.prisma.adminToken.findMany({
    select: { name: true, role: true, createdAt: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
    orderBy: { name: 'asc' },
  });
}
