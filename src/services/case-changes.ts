/**
 * "Something about the cases changed": a signal inside one process, so that a dashboard's live stream looks
 * again at once instead of at its next poll. Case events are the one place every change to a case is written
 * (opened, raised, claimed, released, resolved, erased …), so `recordCaseEvents` raises it once the
 * transaction that wrote them has committed. Other instances behind a load balancer do not hear it: their
 * streams still poll, once a second. Only events that change a queue raise it (see `recordCaseEvents`).
 */
export type TCaseChanges = {
  /** Says that cases changed (after the commit that changed them). */
  notify(): void;
  /** How many changes have been said so far: read before looking, so that one made meanwhile is not missed. */
  version(): number;
  /**
   * Resolves at the next change (at once if there was one since `since`), or after `timeoutMs`, or when
   * `signal` aborts, whichever comes first.
   */
  next(timeoutMs: number, options?: { signal?: AbortSignal; since?: number }): Promise<void>;
};

/**
 * A signal of its own (tests); the process-wide one is {@link caseChanges}.
 *
 * @example
 * const changes = createCaseChanges();
 * setTimeout(() => changes.notify(), 10);
 * await changes.next(1000); // after about 10 ms
 */
export function createCaseChanges(): TCaseChanges {
  const waiting = new Set<() => void>();
  let changes = 0;
  return {
    notify() {
      changes += 1;
      const wake = [...waiting];
      waiting.clear();
      for (const resolve of wake) resolve();
    },
    version: () => changes,
    next(timeoutMs, options = {}) {
      const { signal, since } = options;
      if ((since !== undefined && since !== changes) || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        waiting.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}

/** This process's signal: raised by `recordCaseEvents`, heard by the dashboard's live streams. */
export const caseChanges: TCaseChanges = createCaseChanges();
