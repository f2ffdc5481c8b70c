import { Writable } from 'node:stream';
import { Api } from 'grammy';
import { describe, expect, it } from 'vitest';
import { registerCommandMenu } from '../../src/bot/index.ts';
import { createI18n } from '../../src/i18n.ts';
import { createLogger } from '../../src/logger.ts';
import { createFakeBotApi, FAKE_BOT_TOKEN } from '../helpers/fake-bot-api.ts';

function setUp() {
  const fake = createFakeBotApi();
  const lines: string[] = [];
  const logger = createLogger({
    level: 'warn',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  });
  const i18n = createI18n();
  const api = new Api(FAKE_BOT_TOKEN, { apiRoot: 'http://bot-api.test', fetch: fake.fetch });
  return { fake, api, i18n, logger, lines };
}

describe('registerCommandMenu', () => {
  it('sets the menu in English by default and in Chinese for zh', async () => {
    const { fake, api, i18n, logger } = setUp();
    await registerCommandMenu(api, i18n, logger);
    const calls = fake.callsOf('setMyCommands');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.payload).not.toHaveProperty('language_code');
    expect(calls[1]?.payload).toMatchObject({ language_code: 'zh' });
    expect(JSON.stringify(calls[1]?.payload.commands)).toMatch(/开始/);
  });

  it('logs a warning and goes on when the Bot API rejects it', async () => {
    const { fake, api, i18n, logger, lines } = setUp();
    fake.failNext('setMyCommands', { error_code: 400, description: 'Bad Request: method not supported' });
    await expect(registerCommandMenu(api, i18n, logger)).resolves.toBeUndefined();
    expect(lines.join('')).toMatch(/rejected the command menu/);
    expect(fake.callsOf('setMyCommands')).toHaveLength(2);
  });
});
