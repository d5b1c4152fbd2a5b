import { seededRandom } from '@accord/plan-calc';

/** The demo's PRNG: the same plan on every machine. */
export const createRandom = seededRandom;

/**
 * A PRNG of its own for one named stream (e.g. a product and month), seeded by an FNV-1a hash of
 * the name: values drawn for one cell do not depend on what was drawn before for other cells, and
 * adding a stream never shifts the values of the existing ones.
 */
export function keyedRandom(seed: number, name: string): () => number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return createRandom(hash);
}

/** An approximately standard normal draw (sum of three uniforms, rescaled to unit variance). */
export function gaussian(random: () => number): number {
  return (random() + random() + random() - 1.5) * 2;
}

/** A quantity as planners type it: whole tens, never negative. */
export function roundToTens(value: number): number {
  return Math.max(0, Math.round(value / 10) * 10);
}
