import { DEFAULT_ESCALATION_POLICY } from '../../src/domain/escalation/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { runEscalationSweep } from '../../src/services/escalation.ts';
import { deliverDueOutbox, type TDeliveryResult } from '../../src/services/outbox-sender.ts';
import type { TTestApp } from './app.ts';

const i18n = createI18n();
const logger = createLogger({ level: 'silent' });

/**
 * Delivers what the outbox holds through the app's (fake) Bot API, as the background loop would: the real
 * sender, at `now` (default: a minute ahead, so every row written so far is due).
 *
 * @example
 * await deliverOutbox(app);
 * expect(app.api.textsTo(RESIDENT_EN.id).at(-1)).toMatch(/^Social worker:/);
 */
export function deliverOutbox(app: TTestApp, now = new Date(Date.now() + 60_000)): Promise<TDeliveryResult> {
  return deliverDueOutbox(
    {
      prisma: app.prisma,
      protector: app.protector,
      api: app.bot.api,
      logger,
      i18n,
      policy: DEFAULT_ESCALATION_POLICY,
    },
    { now },
  );
}

/** One round of the background loop: page the due escalation steps, then deliver the outbox. */
export async function sweepAndDeliver(app: TTestApp, now = new Date(Date.now() + 60_000)) {
  const swept = await runEscalationSweep(
    {
      prisma: app.prisma,
      protector: app.protector,
      i18n,
      logger,
      policy: DEFAULT_ESCALATION_POLICY,
      scripts: app.scripts,
    },
    { now },
  );
  const delivered = await deliverOutbox(app, now);
  return { swept, delivered };
}
