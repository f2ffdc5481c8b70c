/** Why the database layer refused or failed; `code` is stable, messages are for people. */
export type TDatabaseErrorCode =
  | 'DATABASE_URL_INVALID'
  | 'DATABASE_BUSY'
  | 'DATABASE_UNREACHABLE'
  | 'DATABASE_MIGRATION_FAILED'
  | 'DATABASE_SOCKET_PATH_TOO_LONG';

/** Base of the database layer's errors, so callers can map them by `code`. */
export class DatabaseError extends Error {
  override readonly name: string = 'DatabaseError';

  constructor(
    readonly code: TDatabaseErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** DATABASE_URL is empty, of an unsupported kind, or malformed. The message never repeats credentials. */
export class DatabaseUrlError extends DatabaseError {
  override readonly name = 'DatabaseUrlError';

  constructor(message: string) {
    super('DATABASE_URL_INVALID', message);
  }
}

/**
 * Another live process holds the embedded database folder, and this process cannot use it: it wanted to own
 * the folder (a second `npm start`), or the owner serves no socket to share it through.
 */
export class DatabaseBusyError extends DatabaseError {
  override readonly name = 'DatabaseBusyError';

  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
    reason: 'owner-running' | 'no-socket',
  ) {
    const holder = `another Bridgeline process${pid === undefined ? '' : ` (pid ${pid})`}`;
    const advice =
      reason === 'owner-running'
        ? 'Only one process can own an embedded database: stop that one first (it may be another `npm start`), or point DATABASE_URL at another folder. Command-line tools reach the database through the running bot.'
        : 'That process does not share the database (it is not the bot); wait until it finishes and try again.';
    super('DATABASE_BUSY', `The embedded database at ${dataDir} is held by ${holder}. ${advice}`);
  }
}
