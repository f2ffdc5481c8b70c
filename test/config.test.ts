import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const TOKEN = '123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345';

function problemsOf(env: Record<string, string>, purpose: 'bot' | 'tool' = 'bot'): readonly string[] {
  try {
    loadConfig(env, purpose);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the one-machine defaults with only BOT_TOKEN set', () => {
    const config = loadConfig({ BOT_TOKEN: TOKEN });
    expect(config).toMatchObject({
      botMode: 'polling',
      telegramApiRoot: 'https://api.telegram.org',
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: 'pglite:./data/pglite',
      logLevel: 'info',
      webhook: undefined,
      emergencyNumbers: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('requires BOT_TOKEN to run the bot, but not for tools', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^BOT_TOKEN is required/)]);
    expect(problemsOf({}, 'tool')).toEqual([]);
  });

  it("reads PUBLIC_URL (the dashboard's address) without a trailing slash, and refuses one that is not a URL", () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN }).publicUrl).toBeUndefined();
    expect(loadConfig({ BOT_TOKEN: TOKEN, PUBLIC_URL: 'https://bl.example.org/' }).publicUrl).toBe(
      'https://bl.example.org',
    );
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, PUBLIC_URL: 'bl.example.org' })).toThrow(/PUBLIC_URL/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN, PORT: '' }).port).toBe(3000);
  });

  it('keeps what residents said 90 days after their case closes unless RETENTION_DAYS says otherwise', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN }).retentionMs).toBe(90 * 24 * 60 * 60 * 1000);
    expect(loadConfig({ BOT_TOKEN: TOKEN, RETENTION_DAYS: '30' }).retentionMs).toBe(30 * 24 * 60 * 60 * 1000);
  });

  it.each([
    [{ BOT_TOKEN: 'not-a-token' }, /^BOT_TOKEN must look like/],
    [{ PORT: 'eighty' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ BOT_MODE: 'push' }, /^BOT_MODE must be one of: polling, webhook/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ DATABASE_URL: 'mysql://localhost/db' }, /^DATABASE_URL uses the unsupported scheme mysql:/],
    [{ TELEGRAM_API_ROOT: 'ftp://example' }, /^TELEGRAM_API_ROOT /],
    [{ EMERGENCY_NUMBERS: '{"en": 5' }, /^EMERGENCY_NUMBERS must be plain text, or a JSON object/],
    [{ RETENTION_DAYS: '0' }, /^RETENTION_DAYS /],
    [{ RETENTION_DAYS: 'forever' }, /^RETENTION_DAYS /],
  ])('names the variable and the fix for %o', (env, message) => {
    expect(problemsOf({ BOT_TOKEN: TOKEN, ...env })).toEqual([expect.stringMatching(message)]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ BOT_MODE: 'webhook', PORT: '-1', BOT_TOKEN: TOKEN });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/WEBHOOK_URL is required when BOT_MODE=webhook/);
    expect(problems.join('\n')).toMatch(/WEBHOOK_SECRET is required when BOT_MODE=webhook/);
  });

  it('accepts a complete webhook setup and strips a trailing slash from the API root', () => {
    const config = loadConfig({
      BOT_TOKEN: TOKEN,
      BOT_MODE: 'webhook',
      WEBHOOK_URL: 'https://bot.example.org/webhook',
      WEBHOOK_SECRET: 's3cret_token-1',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/',
    });
    expect(config.webhook).toEqual({ url: 'https://bot.example.org/webhook', secret: 's3cret_token-1' });
    expect(config.telegramApiRoot).toBe('http://127.0.0.1:8081');
  });

  it('takes an http:// WEBHOOK_URL only with a self-hosted Bot API server, and says why otherwise', () => {
    const webhook = {
      BOT_TOKEN: TOKEN,
      BOT_MODE: 'webhook',
      WEBHOOK_URL: 'http://bot.internal:8080/webhook',
      WEBHOOK_SECRET: 's3cret',
    };
    expect(loadConfig({ ...webhook, TELEGRAM_API_ROOT: 'http://bot-api.internal:8081' }).webhook?.url).toBe(
      'http://bot.internal:8080/webhook',
    );
    const problems = [
      problemsOf(webhook),
      problemsOf({ ...webhook, TELEGRAM_API_ROOT: 'https://api.telegram.org/' }),
      problemsOf({ ...webhook, BOT_MODE: 'polling' }),
    ];
    for (const found of problems) {
      expect(found).toEqual([
        expect.stringMatching(
          /^WEBHOOK_URL must be an https:\/\/ URL: api\.telegram\.org delivers webhooks over HTTPS only .*self-hosted Bot API server .*TELEGRAM_API_ROOT/,
        ),
      ]);
    }
    expect(problemsOf({ ...webhook, WEBHOOK_URL: 'ftp://bot.internal/webhook' })).toEqual([
      expect.stringMatching(/^WEBHOOK_URL must be an https:\/\/ URL$/),
    ]);
  });

  it('reads LOG_FORMAT (pretty or json); unset leaves the choice to the terminal', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN }).logFormat).toBeUndefined();
    expect(loadConfig({ BOT_TOKEN: TOKEN, LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ BOT_TOKEN: TOKEN, LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(problemsOf({ BOT_TOKEN: TOKEN, LOG_FORMAT: 'xml' })).toEqual([
      expect.stringMatching(/^LOG_FORMAT must be one of: pretty, json/),
    ]);
  });

  it('rejects a webhook secret Telegram would refuse', () => {
    const problems = problemsOf({
      BOT_TOKEN: TOKEN,
      BOT_MODE: 'webhook',
      WEBHOOK_URL: 'https://bot.example.org/webhook',
      WEBHOOK_SECRET: 'has spaces!',
    });
    expect(problems).toEqual([expect.stringMatching(/^WEBHOOK_SECRET must be 1-256 characters/)]);
  });

  it('reads emergency numbers as one text or one per locale', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN, EMERGENCY_NUMBERS: 'Call 999' }).emergencyNumbers).toEqual({
      '*': 'Call 999',
    });
    expect(
      loadConfig({ BOT_TOKEN: TOKEN, EMERGENCY_NUMBERS: '{"en":"Call 999","zh-CN":"请拨打 999"}' })
        .emergencyNumbers,
    ).toEqual({ en: 'Call 999', 'zh-CN': '请拨打 999' });
  });

  it("reads the team's alert chat and its language; refuses what is not a chat id", () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN }).alertChat).toBeUndefined();
    expect(loadConfig({ BOT_TOKEN: TOKEN, ALERT_CHAT_ID: '-1001234567890' }).alertChat).toEqual({
      chatId: -1_001_234_567_890,
      locale: 'en',
    });
    expect(loadConfig({ BOT_TOKEN: TOKEN, ALERT_CHAT_ID: '42', ALERT_LOCALE: 'zh-CN' }).alertChat).toEqual({
      chatId: 42,
      locale: 'zh-CN',
    });
    expect(problemsOf({ BOT_TOKEN: TOKEN, ALERT_CHAT_ID: '@team' })).toEqual([
      expect.stringMatching(/^ALERT_CHAT_ID must be a Telegram chat id/),
    ]);
    expect(problemsOf({ BOT_TOKEN: TOKEN, ALERT_LOCALE: 'fr' })).toEqual([
      expect.stringMatching(/^ALERT_LOCALE /),
    ]);
  });

  it('words the error for a person, with no stack trace in the message', () => {
    try {
      loadConfig({});
    } catch (error) {
      expect((error as Error).message).toMatch(/^Bridgeline cannot start: the configuration has 1 problem/);
      expect((error as Error).message).toMatch(/\.env\.example/);
      expect((error as Error).message).not.toMatch(/at .*\.ts:\d+/);
    }
  });
});
