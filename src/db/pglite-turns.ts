export type TTurnRelease = () => void;

/** Turns on the one PGlite session: first come, first served. */
export type TSessionTurns = { take(): Promise<TTurnRelease> };

/**
 * @example
 * const release = await turns.take();
 * try { ... } finally { release(); }
 */
export function createSessionTurns(): TSessionTurns {
  let last: Promise<void> = Promise.resolve();
  return {
    async take() {
      let free!: () => void;
      const mine = new Promise<void>((resolve) => {
        free = resolve;
      });
      const before = last;
      last = before.then(() => mine);
      await before;
      return free;
    },
  };
}

export type TTurnHold = {
  /** Runs `work` holding the turn (taking it first if not held); hands it on after, unless work is left open. */
  run<T>(work: () => Promise<T>): Promise<T>;
  isHeld(): boolean;
};

/**
 * One user's hold on the turn: kept across calls while `isOpen()` says its work left something open (a
 * transaction, an extended-query batch waiting for its Sync), so nobody else runs inside it.
 *
 * @example
 * const hold = holdTurns(turns, () => pglite.isInTransaction());
 * await hold.run(() => pglite.execProtocolRawStream(message, { onRawData }));
 */
export function holdTurns(turns: TSessionTurns, isOpen: () => boolean): TTurnHold {
  let release: TTurnRelease | undefined;
  return {
    async run(work) {
      release ??= await turns.take();
      try {
        return await work();
      } finally {
        if (!isOpen()) {
          const handOn = release;
          release = undefined;
          handOn?.();
        }
      }
    },
    isHeld: () => release !== undefined,
  };
}
