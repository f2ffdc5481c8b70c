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
import { createLogger, type Logger, logFormatFor } from './logger.ts';
import { reachTelegram, START_CALL_TIMEOUT_MS, type TReachTelegramOptions } from './reach-telegram.ts';
import { createServer, type THealthProblem } from './server/index.ts';
import { startBackgroundWork } from './services/background-work.ts';
import { applyLexiconAdditions, readLexiconAdditions } from './services/crisis-lexicon-store.ts';
import { DataKeyError, loadDataKeys } from './services/data-keys.ts';
import { createDataProtector } from './services/data-protection.ts';
import { createEmergencyNumbers } from './services/emergency-numbers.ts';
import { EscalationPolicyError, loadEscalationPolicy } from './services/escalation-policy-file.ts';
import { applyPolicy, livePolicy, readStoredPolicy } from './services/escalation-policy-store.ts';
import { loadRiskData, RiskDataError } from './services/load-risk-data.ts';
import { nobodyToPageProblems } from './services/nobody-to-page.ts';
import { createOutboxDispatcher, SEND_CALL_TIMEOUT_S } from './services/outbox-dispatcher.ts';
import { createScriptRegistry, readDefaultScript, ScriptPublishError } from './services/script-registry.ts';
import { installShippedScript, ScriptInstallError } from './services/script-versions.ts';
import { releaseStartUpMemory } from './start-up-memory.ts';
import { createTelegramFetch } from './telegram-fetch.ts';

/** Exit code for a problem the operator must fix before starting again (configuration, busy database). */
const EXIT_MISCONFIGURED = 2;

/** How long requests under way may finish once the server stops listening. */
const HTTP_CLOSE_GRACE_MS = 2000;

/**
 * The only composition root: config -> logger -> database -> services -> bot -> server.
 * Everything below takes its dependencies as arguments; only this file reads the process environment.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig(process.env);
  const isTerminal = process.stdout.isTTY === true;
  const logger = createLogger({
    level: config.logLevel,
    format: logFormatFor(config.logFormat, isTerminal),
    colorize: isTerminal,
  });
  // One live policy for the whole process: what the file says, then what an admin set through the API.
  const policy = livePolicy(loadEscalationPolicy(config.escalationPolicyFile));
  warnOfMissingSettings(config, logger);

  const db = await openDatabase(config.databaseUrl, { serveSocket: true, logger });
  const { applied } = await migrateDatabase(db);
  const storedPolicy = await readStoredPolicy(db);
  if (storedPolicy) applyPolicy(policy, storedPolicy);
  logger.info({ database: db.kind, migrations_applied: applied.length }, 'database ready');

  const keys = await loadDataKeys({
    configured: config.dataEncryptionKey,
    keyFile: config.dataKeyFile,
    logger,
  });
  const protector = createDataProtector(keys);
  const { crisisPatterns, crisisModels, grievanceLexicons } = loadRiskData();
  // Words admins added to the patterns' lists through the API, over the shipped files. Only when there are
  // any: recompiling every pattern takes a third of a second of the start.
  const lexicons = await readLexiconAdditions(db);
  if (lexicons.updatedAt !== undefined) applyLexiconAdditions(crisisPatterns, lexicons.additions);
  const scripts = createScriptRegistry(db.prisma);
  const shipped = await installShippedScript(db, {
    source: readDefaultScript(),
    now: new Date(),
    published: (scriptId) => scripts.latest(scriptId),
  });
  const script = shipped.script;
  logger.info({ script_id: script.id, script_version: script.version }, 'screening script published');
  if (shipped.file === 'draft-differs')
    logger.warn(
      { script_id: script.id, file_version: shipped.fileVersion },
      `conversation-scripts/default.yaml version ${shipped.fileVersion} differs from the draft of that version an admin stored: the draft is left as it is`,
    );
  if (shipped.file === 'stored-as-draft')
    logger.warn(
      { script_id: script.id, file_version: shipped.fileVersion, published_version: script.version },
      `conversation-scripts/default.yaml has a newer version, stored as a draft: version ${script.version} stays published until an admin publishes it (npm run --silent admin -- script publish ${script.id} ${shipped.fileVersion})`,
    );

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
    // undici's request, not fetch: the sender makes every Bot API call, and fetch costs four times the CPU.
    // A call gives up well within the outbox lease, so a lease never runs out under a call still going.
    api: new Api(config.botToken ?? '', {
      apiRoot: config.telegramApiRoot,
      fetch: createTelegramFetch(),
      timeoutSeconds: SEND_CALL_TIMEOUT_S,
    }),
    instance: config.instanceId,
    // Nobody else sends from an embedded database: a message this process cannot open fails at once.
    isOnlySender: db.kind === 'pglite',
    logger,
    policy,
    i18n,
    limits: config.sendLimits,
    alertChat,
    emergencyNumbersFor,
  });
  // What this instance's last life held mid-send (it crashed) goes again now, not after the lease.
  const reclaimed = await dispatcher.reclaimEarlierLife();
  if (reclaimed > 0) logger.warn({ rows: reclaimed }, 'messages this instance left mid-send are sent again');
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
    crisisModels,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
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

  // Said by /healthz while Telegram cannot be reached at start.
  let telegramProblem: THealthProblem | undefined;
  const server = createServer({
    logger,
    pingDatabase: db.ping,
    adminApi: {
      prisma: db.prisma,
      policy,
      crisisPatterns,
      notices: { protector, i18n },
      community: { scripts, scriptId: script.id },
    },
    ...(config.publicUrl
      ? {
          dashboard: {
            prisma: db.prisma,
            protector,
            i18n,
            logger,
            policy,
            scripts,
            alertChat,
            emergencyNumbersFor,
            outboxSender: dispatcher,
            resolveOutcomes: config.resolveOutcomes,
            scriptId: script.id,
            publicUrl: config.publicUrl,
          },
        }
      : {}),
    readProblems: async () => {
      const problems = await nobodyToPageProblems(db);
      return telegramProblem ? [telegramProblem, ...problems] : problems;
    },
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
    trustProxyHops: config.trustProxyHops,
  });
  // What start-up used once goes back before traffic comes, not 10-30 s into it.
  const released = await releaseStartUpMemory();
  logger.debug(released, 'start-up memory released (heap bytes before and after, per thread)');
  // Listening before Telegram is reached, so /healthz can say that it is not.
  const http = serve({ fetch: server.app.fetch, hostname: config.host, port: config.port }, (info) =>
    logger.info({ host: config.host, port: info.port, mode: config.botMode }, 'listening'),
  );

  let polling: TPolling | undefined;
  let background: ReturnType<typeof startBackgroundWork> | undefined;
  // Aborted by SIGTERM/SIGINT: a start still waiting for Telegram gives up, and the process stops cleanly.
  const starting = new AbortController();
  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, 'stopping: finishing the updates in flight');
    starting.abort();
    isAccepting = false;
    server.stopAccepting();
    await polling?.stop();
    await closeHttp(http);
    await background?.stop();
    // What was committed and not yet sent goes back to the outbox for the next start (or another instance).
    await dispatcher.stop();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));

  const reach: TReachTelegramOptions = {
    apiRoot: config.telegramApiRoot,
    logger,
    signal: starting.signal,
    onUnreachable: (reason) => {
      telegramProblem = {
        reason: 'telegram-unreachable',
        detail: {
          host: new URL(config.telegramApiRoot).host,
          since: telegramProblem?.detail.since ?? new Date().toISOString(),
          error: reason,
        },
      };
    },
  };
  try {
    bot.botInfo = await reachTelegram((signal) => bot.api.getMe(signal), reach);
    telegramProblem = undefined;
    // Escalation timers, and what the outbox holds for the sweep: any instance may run them; row locks keep
    // each step and each message to one.
    background = startBackgroundWork({
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
      crisisPatterns,
      keys,
    });
    // Optional, and made with a timeout: a Telegram that stops answering here must not hold the start.
    const startApi = new Api(config.botToken ?? '', {
      apiRoot: config.telegramApiRoot,
      fetch,
      timeoutSeconds: START_CALL_TIMEOUT_MS / 1000,
    });
    await registerCommandMenu(startApi, i18n, logger);
    starting.signal.throwIfAborted();
    polling = await startReceivingUpdates(bot, config, logger, reach);
    telegramProblem = undefined;
  } catch (error) {
    // Stopping while starting: `stop` closes what was opened and exits.
    if (starting.signal.aborted) return;
    throw error;
  }
}

/** Starts taking updates: registers the webhook, or starts long polling (returned, to stop it later). */
async function startReceivingUpdates(
  bot: TBot,
  config: TConfig,
  logger: Logger,
  reach: TReachTelegramOptions,
): Promise<TPolling | undefined> {
  const { webhook } = config;
  if (config.botMode === 'webhook' && webhook) {
    await reachTelegram(
      (signal) => bot.api.setWebhook(webhook.url, { secret_token: webhook.secret }, signal),
      reach,
    );
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

/** Stops listening; after a short grace, cuts what is still open (a dashboard's live event stream never ends). */
function closeHttp(http: ServerType): Promise<void> {
  const grace = setTimeout(() => {
    if ('closeAllConnections' in http) http.closeAllConnections();
  }, HTTP_CLOSE_GRACE_MS);
  return new Promise((resolve) =>
    http.close(() => {
      clearTimeout(grace);
      resolve();
    }),
  );
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
    error instanceof ScriptInstallError ||
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
  if (error instanceof GrammyError && error.method === 'setWebhook' && error.error_code === 400) {
    return `Bridgeline cannot start: Telegram refused WEBHOOK_URL (${error.description}).`;
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
