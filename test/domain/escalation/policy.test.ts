import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ESCALATION_POLICY,
  planStep,
  stepAfterUnreachable,
  type TAudience,
  type TCaseLevel,
  ZEscalationPolicy,
} from '../../../src/domain/escalation/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('ZEscalationPolicy', () => {
  it('defaults: imminent 1 min, high 5 min, moderate and low 4 h, 2 rounds', () => {
    expect(DEFAULT_ESCALATION_POLICY).toEqual({
      acknowledgeTimeout: { imminent: MIN, high: 5 * MIN, moderate: 4 * HOUR, low: 4 * HOUR },
      repeats: 2,
    });
  });

  it.each([
    [{ acknowledgeTimeout: { high: 120 } }, { high: 120_000, imminent: MIN }],
    [{ acknowledgeTimeout: { high: '2m', imminent: '30s' } }, { high: 2 * MIN, imminent: 30_000 }],
    [{ acknowledgeTimeout: { moderate: '1.5h', low: '8 h' } }, { moderate: 1.5 * HOUR, low: 8 * HOUR }],
    [{ acknowledgeTimeout: { imminent: '45 sec' } }, { imminent: 45_000 }],
  ])('reads %j', (input, expected) => {
    expect(ZEscalationPolicy.parse(input).acknowledgeTimeout).toMatchObject(expected);
  });

  it.each([
    [{ acknowledgeTimeout: { high: '5 minutes' } }, /number of seconds, or like 90s/],
    [{ acknowledgeTimeout: { high: 2 } }, /between 10 seconds and 7 days/],
    [{ acknowledgeTimeout: { high: -1 } }, /more than 0/],
    [{ acknowledgeTimeout: { hgh: '5m' } }, /hgh/],
    [{ repeat: 3 }, /repeat/],
    [{ repeats: 1.5 }, /int/i],
    [{ repeats: -1 }, /0/],
  ])('rejects %j', (input, message) => {
    const parsed = ZEscalationPolicy.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });
});

describe('planStep', () => {
  const L1: TAudience[] = ['on-call'];
  const L2: TAudience[] = ['supervisors'];
  const BOTH: TAudience[] = ['on-call', 'supervisors'];
  const ALL: TAudience[] = ['everyone'];

  it.each<[TCaseLevel, number, TAudience[], number, boolean]>([
    // high: on-call, supervisors, repeated twice, then everyone every 5 minutes for as long as it waits
    ['high', 1, L1, 5 * MIN, false],
    ['high', 2, L2, 5 * MIN, false],
    ['high', 3, L1, 5 * MIN, false],
    ['high', 4, L2, 5 * MIN, false],
    ['high', 5, ALL, 5 * MIN, true],
    ['high', 6, ALL, 5 * MIN, true],
    ['high', 50, ALL, 5 * MIN, true],
    // imminent: levels 1 and 2 together at every step, each minute
    ['imminent', 1, BOTH, MIN, false],
    ['imminent', 2, BOTH, MIN, false],
    ['imminent', 3, ALL, MIN, true],
    ['imminent', 4, ALL, MIN, true],
    // moderate and low: the same ladder as high, 4 hours a step
    ['moderate', 1, L1, 4 * HOUR, false],
    ['moderate', 2, L2, 4 * HOUR, false],
    ['moderate', 4, L2, 4 * HOUR, false],
    ['moderate', 5, ALL, 4 * HOUR, true],
    ['low', 1, L1, 4 * HOUR, false],
    ['low', 5, ALL, 4 * HOUR, true],
  ])('%s step %i pages %j then waits %i ms', (level, step, audiences, timeoutMs, isLastRung) => {
    expect(planStep(DEFAULT_ESCALATION_POLICY, level, step)).toEqual({
      step,
      audiences,
      timeoutMs,
      isLastRung,
    });
  });

  it('follows `repeats`: 0 pages everyone at once, 3 makes three rounds', () => {
    const none = ZEscalationPolicy.parse({ repeats: 0 });
    expect(planStep(none, 'high', 1).audiences).toEqual(ALL);
    expect(planStep(none, 'imminent', 1).audiences).toEqual(ALL);
    const three = ZEscalationPolicy.parse({ repeats: 3 });
    expect([1, 2, 3, 4, 5, 6, 7].map((step) => planStep(three, 'high', step).audiences)).toEqual([
      L1,
      L2,
      L1,
      L2,
      L1,
      L2,
      ALL,
    ]);
    expect([1, 2, 3, 4].map((step) => planStep(three, 'imminent', step).audiences)).toEqual([
      BOTH,
      BOTH,
      BOTH,
      ALL,
    ]);
  });

  it('takes the timeout of the level from the policy', () => {
    const policy = ZEscalationPolicy.parse({ acknowledgeTimeout: { high: '2m' } });
    expect(planStep(policy, 'high', 1).timeoutMs).toBe(2 * MIN);
    expect(planStep(policy, 'imminent', 1).timeoutMs).toBe(MIN);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses step %s', (step) => {
    expect(() => planStep(DEFAULT_ESCALATION_POLICY, 'high', step)).toThrow(RangeError);
  });
});

describe('stepAfterUnreachable', () => {
  const policy = DEFAULT_ESCALATION_POLICY;
  it.each([
    ['high', 1, 2],
    ['high', 2, 3],
    ['high', 4, 5],
    ['moderate', 1, 2],
    ['imminent', 1, 3],
    ['imminent', 2, 3],
    ['imminent', 3, 4],
  ] as const)('%s, unreachable at step %i: page step %i next', (level, step, next) => {
    expect(stepAfterUnreachable(policy, level, step)).toBe(next);
  });

  it('always moves on to someone new, or to the last rung', () => {
    for (const level of ['low', 'moderate', 'high', 'imminent'] as const) {
      for (let step = 1; step <= 8; step++) {
        const next = stepAfterUnreachable(policy, level, step);
        expect(next).toBeGreaterThan(step);
        const plan = planStep(policy, level, next);
        expect(
          plan.isLastRung || plan.audiences.join() !== planStep(policy, level, step).audiences.join(),
        ).toBe(true);
      }
    }
  });
});
