/**
 * The echo bot: the least a grammY bot can do with an update (reply with the same text, answer a button
 * press). It is the floor every figure is read against: what grammY, hono and the Bot API round trip cost
 * before a bot does any work of its own.
 *
 * Long polling is grammY's own `bot.start()` (one update at a time), as with the typical bot.
 *
 * Env: BOT_TOKEN, TELEGRAM_API_ROOT, BOT_MODE (webhook | polling), PORT, HOST, WEBHOOK_SECRET, WEBHOOK_URL
 * (registered with setWebhook in webhook mode), METRICS_TOKEN.
 */
import { serve } from '@hono/node-server';
import { Bot, webhookCallback } from 'grammy';
import { Hono } from 'hono';

const env = process.env;
const mode = env.BOT_MODE === 'polling' ? 'polling' : 'webhook';
const bot = new Bot(env.BOT_TOKEN ?? '', {
  client: { apiRoot: env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org' },
});
let handled = 0;

bot.use(async (_ctx, next) => {
  await next();
  handled++;
});
bot.on('message:text', async (ctx) => {
  await ctx.reply(ctx.message.text);
});
bot.on('callback_query', async (ctx) => {
  await ctx.answerCallbackQuery();
});

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
// The same shape as Bridgeline's metrics, so the bench reads every bot alike; an echo bot runs no SQL.
app.get('/metrics', (c) => c.json({ updates: handled, statements: 0 }));
if (mode === 'webhook') {
  app.post('/webhook', webhookCallback(bot, 'hono', { secretToken: env.WEBHOOK_SECRET }));
}

await bot.init();
const server = serve({ fetch: app.fetch, hostname: env.HOST ?? '127.0.0.1', port: Number(env.PORT ?? 3000) });
if (mode === 'webhook') {
  await bot.api.setWebhook(env.WEBHOOK_URL ?? '', { secret_token: env.WEBHOOK_SECRET });
} else {
  void bot.start();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void (async () => {
      if (bot.isRunning()) await bot.stop();
      server.close(() => process.exit(0));
    })();
  });
}
