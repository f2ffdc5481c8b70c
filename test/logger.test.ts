import { Writable } from 'node:stream';
import { PrismaPg } from '@prisma/adapter-pg';
import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.ts';
import { createLogger, logFormatFor, type TLogFormat } from '../src/logger.ts';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX';

function capture(format?: TLogFormat) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', format, destination }), lines };
}

describe.each(['json', 'pretty'] as const)('the logger, %s', (format) => {
  it('never writes the bot token that a failed Bot API request quotes', () => {
    const { logger, lines } = capture(format);
    const network = new Error(
      `request to https://api.telegram.org/bot${TOKEN}/sendMessage failed, reason: ECONNRESET`,
    );
    logger.error({ err: new HttpError('Network request for sendMessage failed!', network) }, 'update failed');
    const written = lines.join('');
    expect(written).not.toContain(TOKEN);
    expect(written).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX');
    expect(written).toContain('ECONNRESET');
    expect(written).toContain('/bot[redacted]/sendMessage');
  });

  it("keeps a Bot API error's method and status, not the request it carried", () => {
    const { logger, lines } = capture(format);
    const error = new GrammyError(
      'Call to sendMessage failed!',
      { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      'sendMessage',
      { chat_id: 424242, text: 'RESIDENT WORDS' },
    );
    logger.error({ err: error }, 'send failed');
    const written = lines.join('');
    if (format === 'json')
      expect(JSON.parse(written).err).toMatchObject({ method: 'sendMessage', error_code: 403 });
    else expect(written).toMatch(/"method": "sendMessage",\n\s+"error_code": 403/);
    expect(written).not.toMatch(/RESIDENT WORDS|424242/);
  });

  it('keeps the reason of a Prisma error but not the query arguments it draws', async () => {
    const prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: 'postgresql://nobody@127.0.0.1:9/none' }),
    });
    const error = await prisma.case
      .create({
        data: { level: 'high', source: 'screening', residentId: 'RESIDENT-PSEUDONYM', noSuchField: 'SEALED' },
      } as never)
      .catch((caught: unknown) => caught);
    expect(String((error as Error).message)).toContain('RESIDENT-PSEUDONYM');

    const { logger, lines } = capture(format);
    logger.error({ err: error }, 'feature failed');
    const written = lines.join('');
    if (format === 'json') {
      const entry = JSON.parse(written);
      expect(entry.err.type).toBe('PrismaClientValidationError');
      expect(entry.err.message).toMatch(/^Unknown argument `\w+`/);
    } else {
      expect(written).toMatch(
        /"type": "PrismaClientValidationError",\n\s+"message": "Unknown argument `\w+`/,
      );
    }
    expect(written).not.toMatch(/RESIDENT-PSEUDONYM|SEALED/);
  });

  it('redacts what a resident wrote or who they are, wherever it is logged', () => {
    const { logger, lines } = capture(format);
    logger.info({ update: { update_id: 7 }, text: 'RESIDENT WORDS', from: { first_name: 'Alex' } }, 'seen');
    const written = lines.join('');
    expect(written).toContain('seen');
    expect(written).not.toMatch(/RESIDENT WORDS|Alex|update_id/);
    expect(written.match(/\[redacted\]/g)).toHaveLength(3);
  });
});

describe('log formats', () => {
  it('writes one JSON object a line for collectors, and a readable line with its fields for a person', () => {
    const json = capture('json');
    json.logger.warn({ host: 'api.telegram.org' }, 'cannot reach Telegram');
    expect(JSON.parse(json.lines.join(''))).toMatchObject({
      level: 40,
      host: 'api.telegram.org',
      msg: 'cannot reach Telegram',
    });

    const pretty = capture('pretty');
    pretty.logger.warn({ host: 'api.telegram.org' }, 'cannot reach Telegram');
    const written = pretty.lines.join('');
    expect(written).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] WARN: cannot reach Telegram\n/);
    expect(written).toContain('host: "api.telegram.org"');
    expect(written).not.toContain('\u001b['); // no colour unless asked for (a terminal)
    expect(() => JSON.parse(written)).toThrow();
  });

  it('is pretty in a terminal and JSON lines elsewhere, unless LOG_FORMAT says which', () => {
    expect(logFormatFor(undefined, true)).toBe('pretty');
    expect(logFormatFor(undefined, false)).toBe('json');
    expect(logFormatFor('json', true)).toBe('json');
    expect(logFormatFor('pretty', false)).toBe('pretty');
  });

  it('colours the pretty lines when asked to', () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    createLogger({ level: 'info', format: 'pretty', colorize: true, destination }).error('failed');
    expect(lines.join('')).toContain('\u001b[31mERROR\u001b[39m');
  });
});
