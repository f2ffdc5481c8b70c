import { runEscalationSweep } from '../../src/services/escalation.ts';
import type { TTestApp } from './app.ts';

/**
 * Sends everything the outbox holds through the app's (fake) Bot API, as the running bot would in time:
 * what waits for a retry is tried now, and the rows left for the sweep (due by `now`, default a minute
 * ahead) are taken too. Resolves once nothing is left to send.
 *
 * @example
 * await deliverOutbox(app);
 * expect(app.api.textsTo(RESIDENT_EN.id).at(-1)).toMatch(/^Social worker:/);
 */
export async function deliverOutbox(app: TTestApp, now = new Date(Date.now() + 60_000)): Promise<void> {
  for (;;) {
    await app.dispatcher.idle({ retryNow: true });
    if ((await app.dispatcher.sweep(now)) === 0) break;
  }
  await app.dispatcher.idle({ retryNow: true });
}

/** One round of the background loop: page the due escalation steps, then send what the outbox holds. */
export async function sweepAndDeliver(app: TTestApp, now = new Date(Date.now() + 60_000)) {
  const swept = await runEscalationSweep(app.services, { now });
  await deliverOutbox(app, now);
  return { swept };
}
