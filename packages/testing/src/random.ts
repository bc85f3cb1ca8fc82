/**
 * Seeded randomness for tests: the same seed gives the same data on every machine, so
 * a recall threshold tuned on seeded data stays meaningful and a failure reproduces.
 *
 * This is deliberately a copy of the engine's generator (mulberry32, with the same
 * seed-0 guard as `packages/core/src/util/rng.ts`), not an import of it: the kit makes
 * the reference data, and reference data must not shift when the code under test
 * changes. Both produce the same stream today, which keeps the existing seeded
 * datasets (and their tuned thresholds) exactly as they were.
 */

/** A function returning uniform floats in [0, 1). */
export type Rng = () => number;

/** Seeded PRNG (mulberry32). Seed 0 is mapped to a fixed odd constant, as the engine does. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export const randomInt = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** One element of `xs`, uniformly. @throws {RangeError} when `xs` is empty. */
export function pick<T>(rng: Rng, xs: readonly T[]): T {
  if (xs.length === 0) throw new RangeError("pick: the list is empty; pass at least one element to choose from.");
  return xs[randomInt(rng, xs.length)]!;
}

/** A standard normal draw (Box-Muller). */
export function gaussian(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) never happens
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * `n` random unit vectors of `dims` dimensions, row-major in one Float32Array.
 * Directions are uniform on the sphere (normalised Gaussians), so no axis is favoured.
 */
export function randomUnitVectors(n: number, dims: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const row = out.subarray(i * dims, (i + 1) * dims);
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const x = gaussian(rng);
      row[j] = x;
      norm += x * x;
    }
    const inv = 1 / (Math.sqrt(norm) || 1);
    for (let j = 0; j < dims; j++) row[j]! *= inv;
  }
  return out;
}

/**
 * `n` vectors around `clusters` random centres (uniform in [-1, 1]^dims) with a uniform
 * jitter of width `spread`, row-major. Clustered data is what makes graph search and PQ
 * non-trivial: neighbourhoods are dense, and near-ties between clusters are common.
 */
export function clusteredVectors(n: number, dims: number, seed: number, clusters = 20, spread = 1.2): Float32Array {
  const rng = createRng(seed);
  const centres = new Float32Array(clusters * dims);
  for (let i = 0; i < centres.length; i++) centres[i] = rng() * 2 - 1;
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const c = randomInt(rng, clusters);
    for (let j = 0; j < dims; j++) out[i * dims + j] = centres[c * dims + j]! + (rng() - 0.5) * spread;
  }
  return out;
}

/** Splits a row-major Float32Array into `number[]` rows (the shape embedders return). */
export function rows(flat: Float32Array, dims: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += dims) out.push(Array.from(flat.subarray(i, i + dims)));
  return out;
}
