import type { PGlite } from '@electric-sql/pglite';

const code = (letter: string) => letter.charCodeAt(0);

/** Frontend message types (the first byte of every message after the startup one). */
export const MESSAGE_TYPE = {
  parse: code('P'),
  close: code('C'),
  sync: code('S'),
  flush: code('H'),
  query: code('Q'),
  terminate: code('X'),
} as const;

/** Frontend messages of an extended-query batch (Parse, Bind, Describe, Execute, Close, Flush); Sync ends it. */
export const BATCH_MESSAGE_TYPES: ReadonlySet<number> = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map(code));

/** Ends an extended-query batch: after an error the backend skips every message until one. */
export const SYNC_MESSAGE = new Uint8Array([MESSAGE_TYPE.sync, 0, 0, 0, 4]);

/** A frontend message: its type, its length (which counts itself), then its body. */
function frontendMessage(type: number, body: Buffer): Buffer {
  const message = Buffer.alloc(5 + body.length);
  message[0] = type;
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return message;
}

/** A simple-protocol Query message for `sql`. */
export function simpleQuery(sql: string): Uint8Array {
  return frontendMessage(MESSAGE_TYPE.query, Buffer.from(`${sql}\0`, 'utf8'));
}

export const ROLLBACK_MESSAGE = simpleQuery('ROLLBACK');

/** Close messages for these prepared statements, then a Sync. Closing one that does not exist is no error. */
export function closeStatements(names: readonly string[]): Uint8Array {
  // A Close's body: 'S' (a statement, not a portal), then the statement's name.
  const closes = names.map((name) => frontendMessage(MESSAGE_TYPE.close, Buffer.from(`S${name}\0`, 'utf8')));
  return Buffer.concat([...closes, SYNC_MESSAGE]);
}

/**
 * Runs protocol messages whose answer nobody reads. Never `pglite.exec` or `query` once the socket or a link
 * has used the session: PGlite keeps the last streaming call's output callback, and a plain call would answer
 * into that connection's stream (a stray ReadyForQuery in another client's socket).
 */
export async function runUnheard(pglite: PGlite, message: Uint8Array): Promise<void> {
  await pglite.runExclusive(() => pglite.execProtocolRawStream(message, { onRawData: () => {} }));
}
