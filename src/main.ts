import { existsSync } from 'node:fs';
import { type ServerType, serve } from '@hono/node-server';
import { Api, GrammyError } from 'grammy';
import { createBot, registerCommandMenu, type TBot } from './bot/index.ts';
import { startPolling, type TPolling } from './bot/polling.ts';
import { ConfigError, loadConfig, type TConfig } from './config.ts';
import { DatabaseError, openDatabase } from './db/client.ts';
import { migrateDatabase } from './db/migrate.ts';
import { releaseAbandonedRows } from './db/outbox-queue.ts';
import { createI18n } from './i18n.ts';
import { createLogger, type Logger } from './logger.ts';
import { createServer } from './server/index.ts';
import { startBackgroundWork } from './services/background-work.ts';
import { DataKeyError, loadDataKeys } from './services/data-keys.ts';
import { createDataProtector } from './services/data-protection.ts';
import { createEmergencyNumbers } from './services/emergency-numbers.ts';
import { EscalationPolicyError, loadEscalationPolicy } from './services/escalation-policy-file.ts';
import { loadRiskData, RiskDataError } from './services/load-risk-data.ts';
import { nobodyToPageProblems } from './services/nobody-to-page.ts';
import { createOutboxDispatcher } from './services/outbox-dispatcher.ts';
import { createScriptRegistry, readDefaultScript, ScriptPublishError } from './services/script-registry.ts';

/** Exit code for a problem the operator must fix before starting again (configuration, busy database). */
const EXIT_MISCONFIGURED = 2;

/**
 * The only composition root: config -> logger -> database -> services -> bot -> server.
 * Everything below takes its dependencies as arguments; only this file reads the process environment.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const policy = loadEscalationPolicy(config.escalationPolicyFile);
  warnOfMissingSettings(config, logger);

  const db = await openDatabase(config.databaseUrl, { serveSocket: true, logger });
  const { applied } = await migrateDatabase(db);
  logger.info({ database: db.kind, migrations_applied: applied.length }, 'database ready');

  const protector = createDataProtector(
    await loadDataKeys({ configured: config.dataEncryptionKey, keyFile: config.dataKeyFile, logger }),
  );
  const { crisisPatterns, grievanceLexicons } = loadRiskData();
  const scripts = createScriptRegistry(db.prisma);
  const script = await scripts.publish(readDefaultScript());
  logger.info({ script_id: script.id, script_version: script.version }, 'screening script published');

  const i18n = createI18n();
  const emergencyNumbersFor = createEmergencyNumbers(config.emergencyNumbers, i18n);
  const alertChat = config.alertChat;
  if (db.kind === 'pglite') {
    // Nobody else sends from an embedded database: what the last run left on its way goes again now.
    const released = await releaseAbandonedRows(db.prisma, new Date());
    if (released > 0) logger.warn({ rows: released }, 'messages the last run left unsent are sent again');
  }
  // The one sender of this process: every update's messages, pages and relays, most urgent first.
  const dispatcher = createOutboxDispatcher({
    prisma: db.prisma,
    protector,
    // Node's own fetch, as the bot's client uses: grammY's default HTTP client costs more per call.
    api: new Api(config.botToken ?? '', { apiRoot: config.telegramApiRoot, fetch }),
    logger,
    policy,
    i18n,
    limits: config.sendLimits,
    alertChat,
    emergencyNumbersFor,
  });
  let isAccepting = true;
  const counters = { updates: 0 };
  const bot = createBot({
    token: config.botToken ?? '',
    apiRoot: config.telegramApiRoot,
    prisma: db.prisma,
    protector,
    scripts,
    scriptId: script.id,
    crisisPatterns,
    grievanceLexicons,
    resolveOutcomes: config.resolveOutcomes,
    i18n,
    logger,
    emergencyNumbersFor,
    alertChat,
    policy,
    outboxSender: dispatcher,
    counters,
    isAccepting: () => isAccepting,
  });
  await bot.init();
  // Escalation timers, and what the outbox holds for the sweep: any instance may run them; row locks keep
  // each step and each message to one.
  const background = startBackgroundWork({
    prisma: db.prisma,
    protector,
    i18n,
    logger,
    policy,
    scripts,
    retentionMs: config.retentionMs,
    dispatcher,
    alertChat,
    emergencyNumbersFor,
  });

  const server = createServer({
    logger,
    pingDatabase: db.ping,
    readProblems: () => nobodyToPageProblems(db),
    webhook:
      config.webhook && config.botMode === 'webhook' ? { bot, secret: config.webhook.secret } : undefined,
    metrics: config.metricsToken
      ? {
          token: config.metricsToken,
          read: () => ({
            updates: counters.updates,
            statements: db.statements(),
            outbox: dispatcher.stats(),
          }),
        }
      : undefined,
  });
  const http = serve({ fetch: server.app.fetch, hostname: config.host, port: config.port });
  logger.info({ host: config.host, port: config.port, mode: config.botMode }, 'listening');

  await registerCommandMenu(bot.api, i18n, logger);
  const polling = await startReceivingUpdates(bot, config, logger);

  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing the updates in flight');
    isAccepting = false;
    server.stopAccepting();
    await polling?.stop();
    await closeHttp(http);
    await background.stop();
    // What was committed and not yet sent goes back to the outbox for the next start (or another instance).
    await dispatcher.stop();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));
}

/** Starts taking updates: registers the webhook, or starts long polling (returned, to stop it later). */
async function startReceivingUpdates(
  bot: TBot,
  config: TConfig,
  logger: Logger,
): Promise<TPolling | undefined> {
  if (config.botMode === 'webhook' && config.webhook) {
    await bot.api.setWebhook(config.webhook.url, { secret_token: config.webhook.secret });
    logger.info('webhook registered');
    return undefined;
  }
  const polling = startPolling(bot, { logger });
  polling.task.catch((error: unknown) => {
    logger.fatal({ err: error }, 'long polling stopped');
    process.exit(1);
  });
  logger.info('long polling started');
  return polling;
}

function closeHttp(http: ServerType): Promise<void> {
  return new Promise((resolve) => http.close(() => resolve()));
}

main().catch((error: unknown) => {
  const setupProblem = describeSetupProblem(error);
  if (setupProblem) {
    process.stderr.write(`${setupProblem}\n`);
    process.exit(EXIT_MISCONFIGURED);
  }
  process.stderr.write(
    `Bridgeline failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

/** The message for a failure the operator must fix (not a bug), or undefined for anything else. */
function describeSetupProblem(error: unknown): string | undefined {
  if (error instanceof ConfigError) return error.message;
  if (
    error instanceof DataKeyError ||
    error instanceof RiskDataError ||
    error instanceof ScriptPublishError ||
    error instanceof EscalationPolicyError
  ) {
    return `Bridgeline cannot start: ${error.message}`;
  }
  if (error instanceof DatabaseError && error.code !== 'DATABASE_MIGRATION_FAILED') {
    return `Bridgeline cannot start: ${error.message}`;
  }
  if (error instanceof GrammyError && error.error_code === 401) {
    return 'Bridgeline cannot start: Telegram rejected BOT_TOKEN (401 Unauthorized). Check the token from @BotFather.';
  }
  return undefined;
}

/**
 * Settings a service may start without but must not go live without: said loudly at every start until set.
 * The default emergency text names no country's numbers, so residents would be told to find them themselves.
 */
function warnOfMissingSettings(config: TConfig, logger: Logger): void {
  if (!config.emergencyNumbers)
    logger.warn(
      'EMERGENCY_NUMBERS is not set: residents in crisis are shown a generic text naming no local number. ' +
        "Set it to your area's emergency and crisis lines before going live.",
    );
  if (!config.alertChat)
    logger.warn(
      'ALERT_CHAT_ID is not set: when a case finds nobody to page, only this log says so. ' +
        "Set it to your team's Telegram chat.",
    );
}
