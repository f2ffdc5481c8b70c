import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TBotContext } from '../../src/bot/context.ts';
import { createFloodGuard } from '../../src/bot/features/flood-guard.ts';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';

/** A resident writing faster than anyone types: slowed and told once, kindly; crisis language still read. */
const en = botTexts('en');
const PACE = { limit: 20, windowMs: 60_000 };

/**
 * The guard reads `Date.now`: shifted forward instead of waited for, so the window can be long enough that a
 * busy machine typing the burst slowly still types it within the window.
 */
let shiftMs = 0;
const realNow = Date.now.bind(Date);
let app: TTestApp;
beforeAll(async () => {
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + shiftMs);
  app = await createTestApp({ floodLimit: PACE });
});
afterAll(async () => {
  await app.close();
  vi.restoreAllMocks();
});

describe(describeDatabase('flood control'), () => {
  it('answers the first 20, says once that it slows down, reads crisis language in the burst, then carries on', async () => {
    const resident = createResident(app, { id: 95_001, languageCode: 'en' });
    await resident.consent();
    resident.read();
    for (let index = 0; index < 18; index += 1) await resident.send('hello?');
    const within = resident.read();
    expect(within.length).toBeGreaterThanOrEqual(18);
    expect(within).not.toContain(en('flood.slow_down', { numbers: en('emergency.default'), seconds: 60 }));

    for (let index = 0; index < 6; index += 1) await resident.send('hello??');
    // /start and 19 more are the pace; the 21st is told, once; the rest pass quietly.
    const slowed = resident.read();
    const told = en('flood.slow_down', { numbers: en('emergency.default'), seconds: 60 });
    expect(slowed.at(-1)).toBe(told);
    expect(slowed.filter((text) => text === told)).toHaveLength(1);
    expect(slowed.length).toBeLessThanOrEqual(3);

    // Still over the pace: crisis language is read and acted on all the same.
    await resident.send('I have the pills here and I am taking them all tonight');
    await deliverOutbox(app);
    expect(resident.read()[0]).toBe(en('crisis.imminent', { numbers: en('emergency.default') }));
    expect(
      await app.prisma.case.count({ where: { residentId: resident.residentId, level: 'imminent' } }),
    ).toBe(1);

    shiftMs += PACE.windowMs + 100;
    await resident.send('/help');
    expect(resident.read().length).toBeGreaterThan(0);
  });
});

describe('flood control with the default settings', () => {
  it('lets 20 messages in 10 s through, tells the 21st once, passes over the rest, and lets one through 10 s on', async () => {
    let clock = 1_000_000;
    // The guard as the bot builds it when nothing is configured (`createBot` passes no limit), on a fake clock.
    const guard = createFloodGuard({ now: () => clock }).middleware();
    const told: string[] = [];
    let handled = 0;
    const write = async (residentId: string) => {
      const ctx = {
        update: {
          update_id: 1,
          message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, text: 'hello?' },
        },
        residentId,
        logger: { warn: () => undefined },
        outbox: { reply: async (text: string) => void told.push(text) },
        t: (key: string, options: { seconds: number }) => `${key}:${options.seconds}`,
        emergencyNumbers: '999',
      } as unknown as TBotContext;
      await guard(ctx, async () => {
        handled += 1;
      });
    };
    // 20 in 9.5 s: all handled.
    for (let index = 0; index < 20; index += 1) {
      await write('resident-a');
      clock += 500;
    }
    clock -= 500;
    expect({ handled, told }).toEqual({ handled: 20, told: [] });
    // The 21st within the same 10 s: told once, kindly, with the real window; then passed over quietly.
    clock += 400;
    await write('resident-a');
    await write('resident-a');
    expect({ handled, told }).toEqual({ handled: 20, told: ['flood.slow_down:10'] });
    // Someone else is not slowed by it.
    await write('resident-b');
    expect(handled).toBe(21);
    // Ten seconds after the burst, the pace is back within the limit.
    clock += 10_000;
    await write('resident-a');
    expect(handled).toBe(22);
  });
});
