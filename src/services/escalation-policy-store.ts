import { type TEscalationPolicy, ZEscalationPolicy } from '../domain/escalation/index.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { recordAuditAction } from './audit.ts';
import { readSetting, writeSetting } from './settings.ts';

/**
 * The escalation policy an admin set at run time (the admin API), kept in the database so every instance and
 * every restart follows it; it takes precedence over `ESCALATION_POLICY_FILE` and the defaults. Each process
 * holds one live policy object that every part reads at the moment it decides; `applyPolicy` changes it in
 * place, and the background loop reads the stored one each round, so another instance's change reaches this
 * one within a second.
 */

/** A policy every part of the process shares and reads at decision time (see above). */
export function livePolicy(initial: TEscalationPolicy): TEscalationPolicy {
  return { acknowledgeTimeout: { ...initial.acknowledgeTimeout }, repeats: initial.repeats };
}

export function applyPolicy(live: TEscalationPolicy, next: TEscalationPolicy): void {
  Object.assign(live.acknowledgeTimeout, next.acknowledgeTimeout);
  live.repeats = next.repeats;
}

/** The stored policy, or undefined when no admin set one (or what is stored no longer reads). */
export async function readStoredPolicy(deps: {
  prisma: PrismaClient;
}): Promise<TEscalationPolicy | undefined> {
  const stored = await readSetting(deps, 'escalation-policy');
  if (!stored) return undefined;
  const parsed = ZEscalationPolicy.safeParse(stored.value);
  return parsed.success ? parsed.data : undefined;
}

/** Stores a policy as the one in force (audited) and applies it to this process at once. */
export async function storePolicy(
  deps: { prisma: PrismaClient },
  input: { policy: TEscalationPolicy; live: TEscalationPolicy; actor: string; now: Date },
): Promise<void> {
  // Stored as the file would say it (seconds), so the same schema reads it back.
  const value = {
    acknowledgeTimeout: Object.fromEntries(
      Object.entries(input.policy.acknowledgeTimeout).map(([level, ms]) => [level, ms / 1000]),
    ),
    repeats: input.policy.repeats,
  };
  await writeSetting(deps, { key: 'escalation-policy', value, now: input.now });
  await recordAuditAction(deps, {
    type: 'policy.changed',
    actor: input.actor,
    now: input.now,
    detail: value,
  });
  applyPolicy(input.live, input.policy);
}
