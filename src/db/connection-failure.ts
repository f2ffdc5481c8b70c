import { parseDatabaseUrl } from './database-url.ts';

/** What adapter-pg reports for a failed connection (Prisma keeps it in `meta.driverAdapterError.cause`). */
type TDriverCause = {
  kind: string;
  originalCode?: string;
  originalMessage?: string;
  port?: unknown;
  reason?: unknown;
  cause?: unknown;
  message?: unknown;
};

/** Where DATABASE_URL points, as far as a message may say: never the password. */
type TTarget =
  | {
      kind: 'postgres';
      /** `host:port`, or the unix socket folder named by `?host=/…`. */
      server: string;
      isSocket: boolean;
      hostname: string;
      user: string;
      database: string;
      password: string;
    }
  | { kind: 'pglite'; dataDir: string };

/**
 * Why the database did not answer its first query, in one sentence that names the part of DATABASE_URL to
 * check (host, port, database, user, password), instead of Prisma's several lines. It names the server,
 * user and database, never the password.
 *
 * @example
 * describeConnectionFailure(error, 'postgresql://bot:secret@db:5432/bridgeline');
 * // 'The database server at db:5432 has no database "bridgeline": check the name in DATABASE_URL, or create that database.'
 */
export function describeConnectionFailure(error: unknown, url: string): string {
  const target = targetOf(url);
  const text = scrub(shortText(error), target);
  if (target.kind === 'pglite') return `Cannot reach the embedded database at ${target.dataDir}: ${text}.`;
  const { server, isSocket, hostname, user, database } = target;
  const cause = driverCause(error);
  const code = cause?.originalCode ?? errorCode(error);
  const serverSaid = scrub(String(cause?.originalMessage ?? text), target);

  // adapter-pg reports an unknown host and a refused port alike; only the refusal carries a port.
  const isUnknownHost =
    code === 'ENOTFOUND' || (cause?.kind === 'DatabaseNotReachable' && cause.port === undefined && !isSocket);
  if (isUnknownHost)
    return `The database host ${hostname} in DATABASE_URL does not exist (no such name in DNS): check its spelling.`;
  if (code === 'EAI_AGAIN')
    return `The database host ${hostname} in DATABASE_URL could not be looked up (DNS did not answer): check the network, or use an IP address.`;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || cause?.kind === 'DatabaseNotReachable')
    return `The database server at ${server} refuses connections: check the host and port in DATABASE_URL, and that PostgreSQL is running there.`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return `The database server at ${server} cannot be reached (no route to it): check the host in DATABASE_URL and the network.`;
  if (code === 'ETIMEDOUT' || cause?.kind === 'SocketTimeout')
    return `The database server at ${server} did not answer in time: check the host and port in DATABASE_URL, and any firewall between.`;
  if (code === 'ECONNRESET' || cause?.kind === 'ConnectionClosed' || /connection terminated/i.test(text))
    return `The database server at ${server} closed the connection before answering: check that the port in DATABASE_URL is PostgreSQL's, and the server's log.`;
  if (code === '3D000' || cause?.kind === 'DatabaseDoesNotExist')
    return `The database server at ${server} has no database "${database}": check the name in DATABASE_URL, or create that database.`;
  if (code === '28P01' || cause?.kind === 'AuthenticationFailed')
    return `The database server at ${server} refused the password of user "${user}": check the user and password in DATABASE_URL.`;
  if (/client password must be a string/i.test(text))
    return `The database server at ${server} asks user "${user}" for a password, and DATABASE_URL gives none.`;
  if (code === '28000' || cause?.kind === 'DatabaseAccessDenied')
    return `The database server at ${server} refuses user "${user}" on database "${database}" (${withoutStop(serverSaid)}): check the user in DATABASE_URL, and the server's pg_hba.conf.`;
  if (cause?.kind === 'TlsConnectionError')
    return `Cannot set up TLS with the database server at ${server} (${withoutStop(scrub(String(cause.reason ?? text), target))}): check sslmode in DATABASE_URL.`;
  if (code === '53300' || cause?.kind === 'TooManyConnections')
    return `The database server at ${server} accepts no more connections (${withoutStop(serverSaid)}): try again later, or raise its max_connections.`;
  if (cause?.originalMessage !== undefined)
    return `The database server at ${server} refused the connection: ${withoutStop(serverSaid)}.`;
  return `Cannot reach the database "${database}" at ${server}: ${text}.`;
}

function targetOf(url: string): TTarget {
  const parsed = parseDatabaseUrl(url);
  if (parsed.kind === 'pglite') return { kind: 'pglite', dataDir: parsed.dataDir };
  const u = new URL(parsed.url);
  const socketDir = u.searchParams.get('host') ?? '';
  const hostname = u.hostname === '' ? 'localhost' : u.hostname;
  const port = u.searchParams.get('port') ?? (u.port === '' ? '5432' : u.port);
  const user = decode(u.username) || 'the default user';
  const isSocket = socketDir.startsWith('/');
  return {
    kind: 'postgres',
    server: isSocket ? `the socket in ${socketDir}` : `${hostname}:${port}`,
    isSocket,
    hostname,
    user,
    database: decode(u.pathname.slice(1)) || user,
    password: decode(u.password),
  };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function driverCause(error: unknown): TDriverCause | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: unknown } } } | null)?.meta;
  const direct = error instanceof Error && error.name === 'DriverAdapterError' ? error.cause : undefined;
  const cause = meta?.driverAdapterError?.cause ?? direct;
  return typeof cause === 'object' && cause !== null && typeof (cause as TDriverCause).kind === 'string'
    ? (cause as TDriverCause)
    : undefined;
}

/** Node's own code on a raw socket or DNS error (those adapter-pg passes through unchanged). */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? code : undefined;
}

/** The driver's own words out of Prisma's `Invalid … invocation: … Message: `…`` text, on one line. */
function shortText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /Message: `([^`]*)`/.exec(message)?.[1];
  const lines = (quoted ?? message).split('\n').map((line) => line.trim());
  return withoutStop(lines.filter(Boolean).at(-1) ?? 'no answer');
}

function withoutStop(text: string): string {
  return text.replace(/[.\s]+$/, '');
}

/** Belt and braces: a driver message that repeats the password loses it. */
function scrub(text: string, target: TTarget): string {
  if (target.kind !== 'postgres' || target.password === '') return text;
  return text.replaceAll(target.password, '***').replaceAll(encodeURIComponent(target.password), '***');
}
