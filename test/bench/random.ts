/**
 * A seeded random source (mulberry32), so two runs of the bench pick the same residents for the same
 * roles and the same moments: differences between runs are the bot's, not the dice's.
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
