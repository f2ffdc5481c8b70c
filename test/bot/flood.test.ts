import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TTestApp } from '../helpers/app.ts';
import { describeDatabase } from '../helpers/database.ts';
import { botTexts, createResident } from '../helpers/journey.ts';
import { deliverOutbox } from '../helpers/outbox.ts';

/** A resident writing faster than anyone types: slowed and told once, kindly; crisis language still read. */
const en = botTexts('en');
const PACE = { limit: 20, windowMs: 1500 };

let app: TTestApp;
beforeAll(async () => {
  app = await createTestApp({ floodLimit: PACE });
});
afterAll(async () => {
  await app.close();
});

describe(describeDatabase('flood control'), () => {
  it('answers the first 20, says once that it slows down, reads crisis language in the burst, then carries on', async () => {
    const resident = createResident(app, { id: 95_001, languageCode: 'en' });
    await resident.consent();
    resident.read();
    for (let index = 0; index < 18; index += 1) await resident.send('hello?');
    const within = resident.read();
    expect(within.length).toBeGreaterThanOrEqual(18);
    expect(within).not.toContain(en('flood.slow_down', { numbers: en('emergency.default'), seconds: 1.5 }));

    for (let index = 0; index < 6; index += 1) await resident.send('hello??');
    // /start and 19 more are the pace; the 21st is told, once; the rest pass quietly.
    const slowed = resident.read();
    const told = en('flood.slow_down', { numbers: en('emergency.default'), seconds: 1.5 });
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

    await setTimeout(PACE.windowMs + 100);
    await resident.send('/help');
    expect(resident.read().length).toBeGreaterThan(0);
  });
});
