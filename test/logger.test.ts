import { Writable } from 'node:stream';
import { PrismaPg } from '@prisma/adapter-pg';
import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.ts';
import { createLogger } from '../src/logger.ts';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

describe('the logger', () => {
  it('never writes the bot token that a failed Bot API request quotes', () => {
    const { logger, lines } = capture();
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
    const { logger, lines } = capture();
    const error = new GrammyError(
      'Call to sendMessage failed!',
      { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      'sendMessage',
      { chat_id: 424242, text: 'RESIDENT WORDS' },
    );
    logger.error({ err: error }, 'send failed');
    const entry = JSON.parse(lines.join(''));
    expect(entry.err).toMatchObject({ method: 'sendMessage', error_code: 403 });
    expect(JSON.stringify(entry)).not.toMatch(/RESIDENT WORDS|424242/);
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

    const { logger, lines } = capture();
    logger.error({ err: error }, 'feature failed');
    const entry = JSON.parse(lines.join(''));
    expect(entry.err.type).toBe('PrismaClientValidationError');
    expect(entry.err.message).toMatch(/^Unknown argument `\w+`/);
    expect(JSON.stringify(entry)).not.toMatch(/RESIDENT-PSEUDONYM|SEALED/);
  });
});
