/** The bench's seeded random source: the project's own, so runs pick the same residents and moments. */
export { createRandom } from '../../src/domain/random.ts';
