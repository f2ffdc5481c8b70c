/**
 * A seeded random source (mulberry32): the same seed gives the same sequence on every machine, so what is
 * drawn with it (a model's training order, a benchmark's residents) can be repeated exactly.
 *
 * @example
 * const random = createRandom(42);
 * random(); // 0 <= x < 1, the same sequence for the same seed
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Shuffles `items` in place (Fisher–Yates) with `random`. */
export function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
}
