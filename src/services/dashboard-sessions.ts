import { createHash, randomBytes } from 'node:crypto';
import { currentClient } from '../db/unit-of-work.ts';
import type { PrismaClient, Worker } from '../generated/prisma/client.ts';

/**
 * Signing in to the workers' dashboard without passwords: the bot hands a joined worker a one-time link
 * (`/dashboard`), valid for 10 minutes and good once; opening it starts a session held in a cookie. Only hashes of
 * link tokens and session ids are stored. A session ends when it expires, at sign-out, or at once when the
 * worker's access ends.
 */

export const SIGN_IN_LINK_TTL_MS = 10 * 60 * 1000;
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** A new one-time sign-in token for a worker (in the bot's update, so it commits with the reply). */
export async function createSignInLink(
  deps: { prisma: PrismaClient },
  input: { workerId: number; now: Date },
): Promise<string> {
  const token = secret();
  await currentClient(deps.prisma).dashboardLink.create({
    data: {
      tokenHash: hash(token),
      workerId: input.workerId,
      expiresAt: new Date(input.now.getTime() + SIGN_IN_LINK_TTL_MS),
    },
  });
  return token;
}

export type TSignIn =
  | { type: 'signed-in'; sessionId: string; expiresAt: Date }
  | { type: 'refused'; reason: 'unknown' | 'used' | 'expired' | 'inactive' };

/** Spends a sign-in link (once: a second opening is refused) and starts a session. */
export async function signInWithLink(
  deps: { prisma: PrismaClient },
  input: { token: string; now: Date },
): Promise<TSignIn> {
  const link = await deps.prisma.dashboardLink.findUnique({ where: { tokenHash: hash(input.token) } });
  if (!link) return { type: 'refused', reason: 'unknown' };
  if (link.usedAt) return { type: 'refused', reason: 'used' };
  if (link.expiresAt <= input.now) return { type: 'refused', reason: 'expired' };
  const spent = await deps.prisma.dashboardLink.updateMany({
    where: { id: link.id, usedAt: null },
    data: { usedAt: input.now },
  });
  if (spent.count === 0) return { type: 'refused', reason: 'used' };
  const worker = await deps.prisma.worker.findUnique({ where: { id: link.workerId } });
  if (!worker?.isActive) return { type: 'refused', reason: 'inactive' };
  const sessionId = secret();
  const expiresAt = new Date(input.now.getTime() + SESSION_TTL_MS);
  await deps.prisma.dashboardSession.create({
    data: {
      idHash: hash(sessionId),
      workerId: worker.id,
      csrfToken: secret(),
      createdAt: input.now,
      expiresAt,
    },
  });
  return { type: 'signed-in', sessionId, expiresAt };
}

export type TDashboardSession = { worker: Worker; csrfToken: string };

/** The session a cookie names, if it is live and its worker still active; undefined otherwise. */
export async function sessionOf(
  deps: { prisma: PrismaClient },
  input: { sessionId: string | undefined; now: Date },
): Promise<TDashboardSession | undefined> {
  if (!input.sessionId) return undefined;
  const session = await deps.prisma.dashboardSession.findUnique({ where: { idHash: hash(input.sessionId) } });
  if (!session || session.endedAt || session.expiresAt <= input.now) return undefined;
  const worker = await deps.prisma.worker.findUnique({ where: { id: session.workerId } });
  if (!worker?.isActive) return undefined;
  return { worker, csrfToken: session.csrfToken };
}

/** Ends the session a cookie names (sign-out). */
export async function signOut(
  deps: { prisma: PrismaClient },
  input: { sessionId: string; now: Date },
): Promise<void> {
  await deps.prisma.dashboardSession.updateMany({
    where: { idHash: hash(input.sessionId), endedAt: null },
    data: { endedAt: input.now },
  });
}

/** Ends every session of a worker whose access ended, in the caller's transaction. */
export async function endSessionsOf(
  deps: { prisma: PrismaClient },
  input: { workerId: number; now: Date },
): Promise<void> {
  await currentClient(deps.prisma).dashboardSession.updateMany({
    where: { workerId: input.workerId, endedAt: null },
    data: { endedAt: input.now },
  });
}
