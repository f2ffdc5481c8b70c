import { Duplex } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import {
  closeStatements,
  MESSAGE_TYPE,
  ROLLBACK_MESSAGE,
  runUnheard,
  SYNC_MESSAGE,
} from './pglite-protocol.ts';
import { holdTurns, type TSessionTurns, type TTurnHold } from './pglite-turns.ts';

/** Where PGlite answers with what the client needs before it sends more. */
const ANSWER_NOW: ReadonlySet<number> = new Set([MESSAGE_TYPE.sync, MESSAGE_TYPE.flush, MESSAGE_TYPE.query]);

/**
 * A `pg` connection to the PGlite of this process, without a socket: the client's protocol bytes go straight
 * into PGlite, an extended-query batch (up to its Sync) in one call, and the answer comes back on the same
 * stream. The link takes the session's turn for a batch and keeps it while its transaction is open, so the
 * socket's clients and this process's other connections never run inside it.
 *
 * @example
 * const pool = new pg.Pool({ user: 'postgres', database: 'postgres', stream: () => new PgliteLink(pglite, turns) });
 */
export class PgliteLink extends Duplex {
  #pending: Buffer[] = [];
  #started = false;
  /** Messages received and not yet run (a batch waiting for its Sync). */
  #batch: Buffer[] = [];
  /** Part of a batch ran (up to a Flush): the backend waits for the rest, up to its Sync. */
  #batchOpen = false;
  /** Kept while a transaction or a batch of this connection is open. */
  readonly #hold: TTurnHold;
  #left = false;
  /** The write being run, if any: leaving waits for it, so the two never hold or take the turn at once. */
  #running: Promise<void> | undefined;
  /** Statements this connection prepared: they outlive it in the shared backend unless it closes them. */
  #prepared = new Set<string>();

  constructor(
    private readonly pglite: PGlite,
    turns: TSessionTurns,
  ) {
    super();
    this.#hold = holdTurns(turns, () => this.#batchOpen || pglite.isInTransaction());
  }

  // What pg calls on a socket.
  connect(): this {
    queueMicrotask(() => this.emit('connect'));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#pending.push(chunk);
    this.#running = this.#runComplete();
    this.#running.then(() => done(), done);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#leaveAfterRunning().then(() => {
      this.push(null);
      done();
    }, done);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#leaveAfterRunning().then(
      () => done(error),
      () => done(error),
    );
  }

  async #leaveAfterRunning(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#leave();
  }

  /** Runs every complete batch received so far, in order. */
  async #runComplete(): Promise<void> {
    let buffer = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      // The startup message has no type byte; every later message does.
      const length = this.#started ? 1 + buffer.readInt32BE(offset + 1) : buffer.readInt32BE(offset);
      if (buffer.length - offset < length) break;
      const message = buffer.subarray(offset, offset + length);
      offset += length;
      if (!this.#started) {
        this.#started = true;
        await this.#run([message]);
        continue;
      }
      const type = message[0] as number;
      if (type === MESSAGE_TYPE.terminate) {
        await this.#leave();
        continue;
      }
      if (type === MESSAGE_TYPE.parse) this.#notePrepared(message);
      this.#batch.push(message);
      if (ANSWER_NOW.has(type)) await this.#run(this.#batch.splice(0));
    }
    buffer = buffer.subarray(offset);
    this.#pending = buffer.length > 0 ? [buffer] : [];
  }

  async #run(messages: Buffer[]): Promise<void> {
    const answer: Buffer[] = [];
    const input = messages.length === 1 ? (messages[0] as Buffer) : Buffer.concat(messages);
    await this.#hold.run(async () => {
      try {
        // The streaming call, as the socket server's: PGlite keeps the last output callback it was given, so a
        // plain execProtocolRaw after a socket client's call would answer into that client's socket.
        await this.pglite.runExclusive(() =>
          this.pglite.execProtocolRawStream(input, { onRawData: (chunk) => answer.push(Buffer.from(chunk)) }),
        );
      } finally {
        // A Flush leaves the batch open: the turn stays until its Sync (and while a transaction is open).
        this.#batchOpen = messages.at(-1)?.[0] === MESSAGE_TYPE.flush;
      }
    });
    if (answer.length > 0) this.push(answer.length === 1 ? answer[0] : Buffer.concat(answer));
  }

  /** Parse: type, length, the statement's name (empty for the unnamed one), its text. */
  #notePrepared(parse: Buffer): void {
    const end = parse.indexOf(0, 5);
    if (end > 5) this.#prepared.add(parse.toString('utf8', 5, end));
  }

  /**
   * The client went away: whatever it left open is rolled back, the statements it prepared (which outlive it in
   * the shared backend) are closed so the next link can prepare the same names, and the turn handed on. Other
   * connections' statements stay: a socket client's are its own.
   */
  async #leave(): Promise<void> {
    if (this.#left || !this.#started || this.pglite.closed) return;
    this.#left = true;
    this.#batch = [];
    await this.#hold.run(async () => {
      if (this.#batchOpen) {
        this.#batchOpen = false;
        await runUnheard(this.pglite, SYNC_MESSAGE);
      }
      if (this.pglite.isInTransaction()) await runUnheard(this.pglite, ROLLBACK_MESSAGE);
      if (this.#prepared.size > 0) await runUnheard(this.pglite, closeStatements([...this.#prepared]));
    });
  }
}
