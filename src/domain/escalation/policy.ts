import { z } from 'zod';

/**
 * The escalation policy, modelled on PagerDuty / Grafana OnCall: who is paged at each step of a waiting
 * case, and how long each step waits for someone to claim before the next one.
 *
 * The ladder, for every level but imminent (`repeats` = 2):
 *
 * | step | pages                  | then waits          |
 * | ---- | ---------------------- | ------------------- |
 * | 1    | on-call (level 1)      | acknowledge timeout |
 * | 2    | supervisors (level 2)  | acknowledge timeout |
 * | 3    | on-call                | acknowledge timeout |
 * | 4    | supervisors            | acknowledge timeout |
 * | 5, 6 … | everyone             | acknowledge timeout |
 *
 * Imminent pages levels 1 and 2 together at every step (`repeats` steps of both), then everyone.
 * "Everyone" is the last rung, and it repeats: while the case waits, every active worker and supervisor is
 * paged again each timeout, so a waiting case is never forgotten. Paging stops only when the case stops
 * waiting (claimed, resolved, withdrawn).
 */

/** Case levels, lowest first (a case is never `none`). */
export const CASE_LEVELS = ['low', 'moderate', 'high', 'imminent'] as const;
export type TCaseLevel = (typeof CASE_LEVELS)[number];

/** Who a step pages: level 1 (on call now), level 2 (supervisors), or every active member of staff. */
export const AUDIENCES = ['on-call', 'supervisors', 'everyone'] as const;
export type TAudience = (typeof AUDIENCES)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** Shorter than this and a person cannot read the page and press Claim; longer and a case is forgotten. */
const MIN_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 7 * 24 * HOUR_MS;
const MAX_REPEATS = 20;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  m: MINUTE_MS,
  min: MINUTE_MS,
  h: HOUR_MS,
};

/**
 * A duration: a number of seconds, or text such as `90s`, `5m`, `5 min`, `1.5h`. Milliseconds once parsed.
 *
 * @example ZDuration.parse('5m') // 300000
 */
export const ZDuration = z
  .union([
    z.number().positive('must be more than 0 seconds'),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?\s*(s|sec|m|min|h)$/, 'must be a number of seconds, or like 90s, 5m, 4h'),
  ])
  .transform((value) => {
    if (typeof value === 'number') return Math.round(value * 1000);
    const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(value);
    return Math.round(Number(match?.[1]) * (UNIT_MS[match?.[2] ?? ''] ?? Number.NaN));
  })
  .refine((ms) => ms >= MIN_TIMEOUT_MS && ms <= MAX_TIMEOUT_MS, 'must be between 10 seconds and 7 days');

/**
 * The policy file (`ESCALATION_POLICY_FILE`, YAML), every key optional:
 *
 * ```yaml
 * acknowledgeTimeout: { imminent: 1m, high: 5m, moderate: 4h, low: 4h }
 * repeats: 2   # rounds of level 1 then level 2 before everyone is paged
 * ```
 *
 * Unknown keys are errors, so a typo cannot silently leave a default in force.
 */
export const ZEscalationPolicy = z.strictObject({
  acknowledgeTimeout: z
    .strictObject({
      imminent: ZDuration.default(MINUTE_MS),
      high: ZDuration.default(5 * MINUTE_MS),
      moderate: ZDuration.default(4 * HOUR_MS),
      low: ZDuration.default(4 * HOUR_MS),
    })
    .prefault({}),
  repeats: z.number().int().min(0).max(MAX_REPEATS).default(2),
});

/** Acknowledge timeouts in milliseconds per level, and the number of level-1/level-2 rounds. */
export type TEscalationPolicy = z.output<typeof ZEscalationPolicy>;

/** The policy with every default: imminent 1 min, high 5 min, moderate and low 4 h; 2 rounds. */
export const DEFAULT_ESCALATION_POLICY: TEscalationPolicy = Object.freeze(ZEscalationPolicy.parse({}));

/** One step of the ladder: whom to page now, and how long to wait for a claim before the next step. */
export type TEscalationStep = {
  step: number;
  audiences: readonly TAudience[];
  timeoutMs: number;
  /** The "everyone" rung, which repeats each timeout while the case waits; there is nobody further. */
  isLastRung: boolean;
};

const BOTH_LEVELS: readonly TAudience[] = Object.freeze(['on-call', 'supervisors']);
const ON_CALL: readonly TAudience[] = Object.freeze(['on-call']);
const SUPERVISORS: readonly TAudience[] = Object.freeze(['supervisors']);
const EVERYONE: readonly TAudience[] = Object.freeze(['everyone']);

/**
 * Whom step `step` (1-based; a case's `escalationStep` is the step last paged, so the next is `+ 1`) pages
 * for a case of `level`, and how long it waits. Pure: the sweeper asks it at every due step.
 *
 * @example
 * planStep(DEFAULT_ESCALATION_POLICY, 'high', 2) // { step: 2, audiences: ['supervisors'], timeoutMs: 300000, … }
 * planStep(DEFAULT_ESCALATION_POLICY, 'imminent', 1).audiences // ['on-call', 'supervisors']
 */
export function planStep(policy: TEscalationPolicy, level: TCaseLevel, step: number): TEscalationStep {
  if (!Number.isInteger(step) || step < 1)
    throw new RangeError(`An escalation step is 1 or more, not ${step}`);
  const timeoutMs = policy.acknowledgeTimeout[level];
  const ladderSteps = level === 'imminent' ? policy.repeats : 2 * policy.repeats;
  if (step > ladderSteps) return { step, audiences: EVERYONE, timeoutMs, isLastRung: true };
  const audiences = level === 'imminent' ? BOTH_LEVELS : step % 2 === 1 ? ON_CALL : SUPERVISORS;
  return { step, audiences, timeoutMs, isLastRung: false };
}

/**
 * The step to page at once when someone paged at `step` cannot be reached: the next step that reaches
 * people `step` did not. An imminent case pages both levels at every step, so for it that is "everyone".
 *
 * @example
 * stepAfterUnreachable(DEFAULT_ESCALATION_POLICY, 'high', 1) // 2: the supervisors
 * stepAfterUnreachable(DEFAULT_ESCALATION_POLICY, 'imminent', 1) // 3: everyone (with 2 repeats)
 */
export function stepAfterUnreachable(policy: TEscalationPolicy, level: TCaseLevel, step: number): number {
  const reached = planStep(policy, level, step).audiences.join();
  let next = step + 1;
  for (;;) {
    const plan = planStep(policy, level, next);
    if (plan.isLastRung || plan.audiences.join() !== reached) return next;
    next += 1;
  }
}

export function isCaseLevel(value: unknown): value is TCaseLevel {
  return typeof value === 'string' && (CASE_LEVELS as readonly string[]).includes(value);
}
