import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, openDatabase } from '../../src/db/client.ts';
import { describeConnectionFailure } from '../../src/db/connection-failure.ts';
import { withDatabase } from '../../src/db/postgres-admin.ts';

/** A server database to aim wrong names at, e.g. postgresql://postgres@127.0.0.1:5432/test (trust auth). */
const serverUrl = process.env.TEST_POSTGRES_URL;

/** What openDatabase says about `url`: it must fail with one sentence. */
async function refusal(url: string): Promise<string> {
  const error: unknown = await openDatabase(url).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  expect((error as DatabaseError).code).toBe('DATABASE_UNREACHABLE');
  const { message } = error as Error;
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/prisma|invocation|Raw query/i);
  return message;
}

function urlTo(database: string, user?: string): string {
  if (serverUrl === undefined) throw new Error('TEST_POSTGRES_URL is not set');
  const url = new URL(withDatabase({ connectionString: serverUrl }, database).connectionString ?? serverUrl);
  if (user !== undefined) url.username = user;
  return url.toString();
}

describe('a DATABASE_URL that does not lead to a database', () => {
  it('a port nobody listens on: the server refuses, without the password', async () => {
    const message = await refusal('postgresql://bot:hunter2@127.0.0.1:1/bridgeline');
    expect(message).toBe(
      'The database server at 127.0.0.1:1 refuses connections: check the host and port in DATABASE_URL, and that PostgreSQL is running there.',
    );
  });

  describe.skipIf(serverUrl === undefined)('on the local PostgreSQL (TEST_POSTGRES_URL)', () => {
    it('a database name that does not exist', async () => {
      const name = `bridgeline_missing_${randomBytes(3).toString('hex')}`;
      const { host } = new URL(urlTo(name));
      expect(await refusal(urlTo(name))).toBe(
        `The database server at ${host} has no database "${name}": check the name in DATABASE_URL, or create that database.`,
      );
    });

    it('a user that does not exist, with a password that is never shown', async () => {
      const url = new URL(urlTo('test', 'nobody_here'));
      url.password = 'hunter2';
      const message = await refusal(url.toString());
      expect(message).toBe(
        `The database server at ${url.host} refuses user "nobody_here" on database "test" (role "nobody_here" does not exist): check the user in DATABASE_URL, and the server's pg_hba.conf.`,
      );
      expect(message).not.toContain('hunter2');
    });
  });

  describe('a server that asks for a password and refuses it', () => {
    let server: Server;
    let port: number;
    const passwords: string[] = [];
    beforeAll(async () => {
      server = createPasswordRefusingServer(passwords);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('says the password of that user was refused, never what it was', async () => {
      const message = await refusal(`postgresql://bot:hunter2%21@127.0.0.1:${port}/bridgeline`);
      expect(passwords).toContain('hunter2!');
      expect(message).toBe(
        `The database server at 127.0.0.1:${port} refused the password of user "bot": check the user and password in DATABASE_URL.`,
      );
      expect(message).not.toMatch(/hunter2/);
    });
  });
});

/** Errors shaped as Prisma and pg give them, for failures this machine cannot produce on demand. */
describe('describeConnectionFailure', () => {
  const prismaError = (cause: object) =>
    Object.assign(new Error('\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed.'), {
      code: 'P2010',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
    });
  const nodeError = (code: string, message: string) =>
    Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
  const url = 'postgresql://bot:s3cret@db.example:6543/bridgeline';

  it.each([
    [
      'an unknown host',
      prismaError({ kind: 'DatabaseNotReachable', host: 'db.example' }),
      'The database host db.example in DATABASE_URL does not exist (no such name in DNS): check its spelling.',
    ],
    [
      'no DNS answer',
      nodeError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db.example'),
      'The database host db.example in DATABASE_URL could not be looked up (DNS did not answer): check the network, or use an IP address.',
    ],
    [
      'no route',
      nodeError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.9:6543'),
      'The database server at db.example:6543 cannot be reached (no route to it): check the host in DATABASE_URL and the network.',
    ],
    [
      'a timeout',
      prismaError({ kind: 'SocketTimeout' }),
      'The database server at db.example:6543 did not answer in time: check the host and port in DATABASE_URL, and any firewall between.',
    ],
    [
      'a missing password',
      new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'),
      'The database server at db.example:6543 asks user "bot" for a password, and DATABASE_URL gives none.',
    ],
    [
      'TLS',
      prismaError({ kind: 'TlsConnectionError', reason: 'self-signed certificate' }),
      'Cannot set up TLS with the database server at db.example:6543 (self-signed certificate): check sslmode in DATABASE_URL.',
    ],
    [
      'any other refusal, in the server’s words',
      prismaError({
        kind: 'postgres',
        originalCode: '57P03',
        originalMessage: 'the database system is starting up',
      }),
      'The database server at db.example:6543 refused the connection: the database system is starting up.',
    ],
    [
      'anything else, on one line and without the password',
      new Error('something odd about s3cret\nand more'),
      'Cannot reach the database "bridgeline" at db.example:6543: and more.',
    ],
  ])('%s', (_, error, expected) => {
    expect(describeConnectionFailure(error, url)).toBe(expected);
  });

  it('never repeats the password, even when the driver does', () => {
    const message = describeConnectionFailure(new Error('login with s3cret failed'), url);
    expect(message).toBe('Cannot reach the database "bridgeline" at db.example:6543: login with *** failed.');
  });
});

/**
 * Speaks just enough of PostgreSQL's protocol to ask for a cleartext password and refuse it, as a server
 * with `password` authentication does for a wrong one. Records the passwords it was sent.
 */
function createPasswordRefusingServer(passwords: string[]): Server {
  const message = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  return createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let isStarted = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!isStarted) {
        // The startup message: length, protocol, parameters. Answer: AuthenticationCleartextPassword.
        if (buffered.length < 4 || buffered.length < buffered.readInt32BE(0)) return;
        buffered = buffered.subarray(buffered.readInt32BE(0));
        isStarted = true;
        socket.write(message('R', Buffer.from([0, 0, 0, 3])));
        return;
      }
      // PasswordMessage: 'p', length, the password ending in NUL.
      if (buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) return;
      passwords.push(buffered.subarray(5, buffered.readInt32BE(1)).toString('utf8'));
      const fields = 'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "bot"\0\0';
      socket.end(message('E', Buffer.from(fields)));
    });
  });
}
