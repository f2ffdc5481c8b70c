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
