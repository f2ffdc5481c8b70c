/**
 * "A typical grammY bot" doing Bridgeline's job the usual way, as the honest baseline: grammY,
 * @grammyjs/conversations v2 with its replay, the conversation state persisted by @grammyjs/storage-psql on
 * the same kind of database the Bridgeline run uses, hono for the webhook. No tricks either way: no caches,
 * no batching, no tuning beyond the libraries' defaults.
 *
 * It asks the shipped default script's questions (read from `conversation-scripts/default.yaml` at start)
 * and follows the script's branching (`branch` / `next`), so a resident answers the same questions here as
 * in Bridgeline. `/start` greets and asks for consent (`consent:yes`); each question is one message with
 * `q:<optionId>` buttons (or free text) and a `N / M` progress line; a press is answered with
 * answerCallbackQuery + editMessageText (the chosen answer marked) + sendMessage (the next question); the
 * end is a closing message with a `callback:<id>` button. The answers live in the conversation (the
 * plugin's replay log), stored through the storage adapter, as the plugin's documentation shows.
 *
 * Long polling is grammY's own `bot.start()`, which handles one update at a time: what the documentation
 * shows and most bots run (handling updates concurrently takes @grammyjs/runner).
 *
 * Env: BOT_TOKEN, TELEGRAM_API_ROOT, BOT_MODE (webhook | polling), PORT, HOST, WEBHOOK_SECRET, WEBHOOK_URL,
 * DATABASE_URL (`pglite:<folder>` or `postgresql://…`), EMERGENCY_NUMBERS, METRICS_TOKEN.
 * `GET /metrics` counts handled updates and the SQL statements the storage adapter ran.
 */
import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import {
  type Conversation,
  type ConversationData,
  type ConversationFlavor,
  conversations,
  createConversation,
  type VersionedState,
} from '@grammyjs/conversations';
import { PsqlAdapter } from '@grammyjs/storage-psql';
import { serve } from '@hono/node-server';
import { Bot, type Context, InlineKeyboard, webhookCallback } from 'grammy';
import { Hono } from 'hono';
import pg from 'pg';
import { parse } from 'yaml';

type TLocalized = Record<string, string>;
type TOption = { id: string; label: TLocalized; value?: number; scores?: Record<string, number> };
type TCondition = {
  any?: TCondition[];
  all?: TCondition[];
  answer?: string;
  in?: string[];
  score?: string;
  lte?: number;
  gte?: number;
};
type TQuestion = {
  id: string;
  kind: string;
  intro?: TLocalized;
  text: TLocalized;
  options?: TOption[];
  branch?: Array<{ when: TCondition; goto: string }>;
  next?: string;
};
type TScript = { questions: TQuestion[] };

type TContext = ConversationFlavor<Context>;

const env = process.env;
const mode = env.BOT_MODE === 'polling' ? 'polling' : 'webhook';
const script = parse(
  readFileSync(new URL('../../../conversation-scripts/default.yaml', import.meta.url), 'utf8'),
) as TScript;
const numbers = env.EMERGENCY_NUMBERS ?? 'Call your local emergency number.';

const TEXTS: Record<string, Record<string, string>> = {
  en: {
    welcome: `Hello, and thank you for reaching out. I can ask you a few short questions and point you to help.\n\nIn an emergency:\n${numbers}`,
    consent: 'Your answers are stored to help a social worker help you. Do you agree?',
    agree: 'I agree',
    decline: 'Not now',
    begin: "Thank you. Let's begin.",
    declined: 'That is all right. Send /start if you change your mind.',
    retry: 'Please tap one of the buttons.',
    closing: 'Thank you for answering. If you would like a social worker to call you back, tap below.',
    callback: 'Ask for a call-back',
    idle: 'Send /start to begin.',
  },
  'zh-CN': {
    welcome: `你好，谢谢你联系我们。我可以问你几个简短的问题，并为你介绍合适的帮助。\n\n紧急情况请：\n${numbers}`,
    consent: '你的回答会被保存，以便社工更好地帮助你。你同意吗？',
    agree: '我同意',
    decline: '暂不',
    begin: '谢谢你。我们开始吧。',
    declined: '没关系。如果你改变主意，请发送 /start。',
    retry: '请点击下面的一个按钮。',
    closing: '谢谢你的回答。如果你希望社工回电，请点击下面的按钮。',
    callback: '申请回电',
    idle: '发送 /start 开始。',
  },
};

function localeOf(ctx: Context): string {
  return ctx.from?.language_code?.startsWith('zh') ? 'zh-CN' : 'en';
}

function say(locale: string, key: string): string {
  return TEXTS[locale]?.[key] ?? TEXTS.en?.[key] ?? key;
}

function inLocale(text: TLocalized | undefined, locale: string): string {
  return text?.[locale] ?? text?.en ?? '';
}

/** The database the storage adapter talks to, with every statement it runs counted. */
async function openDatabase(url: string) {
  let statements = 0;
  if (url.startsWith('pglite:')) {
    const db = await PGlite.create({ dataDir: url.slice('pglite:'.length) });
    return {
      client: {
        query: (sql: string, params?: unknown[]) => {
          statements++;
          return db.query(sql, params);
        },
      },
      ping: async () => (await db.query('SELECT 1')).rows.length === 1,
      statements: () => statements,
      close: () => db.close(),
    };
  }
  const pool = new pg.Pool({ connectionString: url });
  return {
    client: {
      query: (sql: string, params?: unknown[]) => {
        statements++;
        return pool.query(sql, params);
      },
    },
    ping: async () => (await pool.query('SELECT 1')).rows.length === 1,
    statements: () => statements,
    close: () => pool.end(),
  };
}

/** The option a typed answer names: its label (any language), or its number (a scale's value). */
function matchTyped(question: TQuestion, typed: string): TOption | undefined {
  const options = question.options ?? [];
  const text = typed.trim().toLowerCase();
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    return question.kind === 'scale' ? options.find((o) => o.value === number) : options[number - 1];
  }
  return options.find((o) => Object.values(o.label).some((label) => label.toLowerCase() === text));
}

function holds(condition: TCondition, answers: Record<string, string>): boolean {
  if (condition.any) return condition.any.some((c) => holds(c, answers));
  if (condition.all) return condition.all.every((c) => holds(c, answers));
  if (condition.answer !== undefined) return (condition.in ?? []).includes(answers[condition.answer] ?? '');
  if (condition.score !== undefined) {
    const total = scoreOf(condition.score, answers);
    if (condition.lte !== undefined && total > condition.lte) return false;
    if (condition.gte !== undefined && total < condition.gte) return false;
    return true;
  }
  return false;
}

function scoreOf(indicator: string, answers: Record<string, string>): number {
  let total = 0;
  for (const question of script.questions) {
    const chosen = question.options?.find((o) => o.id === answers[question.id]);
    total += chosen?.scores?.[indicator] ?? 0;
  }
  return total;
}

/** The question after `question`: the first branch whose condition holds, else `next`, else the next one. */
function nextQuestion(question: TQuestion, answers: Record<string, string>): TQuestion | undefined {
  const target =
    question.branch?.find((b) => holds(b.when, answers))?.goto ??
    question.next ??
    script.questions[script.questions.indexOf(question) + 1]?.id;
  if (target === undefined || target === 'end') return undefined;
  return script.questions.find((q) => q.id === target);
}

async function screening(conversation: Conversation<TContext, Context>, ctx: Context): Promise<void> {
  const locale = localeOf(ctx);
  const answers: Record<string, string> = {};
  const total = script.questions.length;
  let question = script.questions[0];
  let asked = 0;
  while (question) {
    asked++;
    const text = [inLocale(question.intro, locale), inLocale(question.text, locale), `${asked} / ${total}`]
      .filter(Boolean)
      .join('\n\n');
    const options = question.options ?? [];
    const keyboard =
      options.length > 0
        ? InlineKeyboard.from(
            options.map((o) => [InlineKeyboard.text(inLocale(o.label, locale), `q:${o.id}`)]),
          )
        : undefined;
    const sent = await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});

    for (;;) {
      const answer = await conversation.waitFor(['callback_query:data', 'message:text']);
      if (answer.callbackQuery) {
        await answer.answerCallbackQuery();
        const data = answer.callbackQuery.data ?? '';
        const option = options.find((o) => `q:${o.id}` === data);
        if (answer.callbackQuery.message?.message_id !== sent.message_id || !option) continue;
        await answer.editMessageText(`${text}\n\n✓ ${inLocale(option.label, locale)}`);
        answers[question.id] = option.id;
        break;
      }
      const typed = answer.message?.text ?? '';
      const option = matchTyped(question, typed);
      if (option) {
        await ctx.api.editMessageText(
          sent.chat.id,
          sent.message_id,
          `${text}\n\n✓ ${inLocale(option.label, locale)}`,
        );
        answers[question.id] = option.id;
        break;
      }
      if (question.kind === 'free_text') {
        answers[question.id] = typed;
        break;
      }
      await answer.reply(say(locale, 'retry'));
    }
    question = nextQuestion(question, answers);
  }
  await ctx.reply(say(locale, 'closing'), {
    reply_markup: new InlineKeyboard().text(say(locale, 'callback'), `callback:${ctx.chatId}-${asked}`),
  });
}

const database = await openDatabase(env.DATABASE_URL ?? '');
// The adapter stores whatever it is given as JSON; its factory is typed `unknown`, the plugin wants to know.
const storage = (await PsqlAdapter.create({
  client: database.client as unknown as pg.Client,
  tableName: 'bench_conversations',
})) as PsqlAdapter<VersionedState<ConversationData>>;

const bot = new Bot<TContext>(env.BOT_TOKEN ?? '', {
  client: { apiRoot: env.TELEGRAM_API_ROOT ?? 'https://api.telegram.org' },
});
let handled = 0;
bot.use(async (_ctx, next) => {
  await next();
  handled++;
});
bot.use(conversations<TContext, Context>({ storage }));
bot.use(createConversation(screening, 'screening'));

bot.command('start', async (ctx) => {
  const locale = localeOf(ctx);
  await ctx.conversation.exitAll();
  await ctx.reply(say(locale, 'welcome'));
  await ctx.reply(say(locale, 'consent'), {
    reply_markup: new InlineKeyboard()
      .text(say(locale, 'agree'), 'consent:yes')
      .text(say(locale, 'decline'), 'consent:no'),
  });
});
bot.callbackQuery('consent:yes', async (ctx) => {
  await ctx.answerCallbackQuery();
  await ctx.editMessageReplyMarkup();
  await ctx.reply(say(localeOf(ctx), 'begin'));
  await ctx.conversation.enter('screening');
});
bot.callbackQuery('consent:no', async (ctx) => {
  await ctx.answerCallbackQuery();
  await ctx.editMessageReplyMarkup();
  await ctx.reply(say(localeOf(ctx), 'declined'));
});
bot.on('callback_query', async (ctx) => {
  await ctx.answerCallbackQuery();
});
bot.on('message', async (ctx) => {
  await ctx.reply(say(localeOf(ctx), 'idle'));
});

const app = new Hono();
app.get('/healthz', async (c) => {
  const isUp = await database.ping().catch(() => false);
  return c.json({ status: isUp ? 'ok' : 'degraded' }, isUp ? 200 : 503);
});
app.get('/metrics', (c) => c.json({ updates: handled, statements: database.statements() }));
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
      server.close();
      await database.close();
      process.exit(0);
    })();
  });
}
