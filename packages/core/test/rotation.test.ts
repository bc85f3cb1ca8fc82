import { describe, expect, it } from "vitest";
import { learnRotation, symmetricEigen } from "../src/quantize/rotation.js";
import { createRng } from "../src/util/rng.js";

describe("symmetricEigen", () => {
  it("returns orthonormal eigenvector rows that reconstruct the matrix, for sizes with repeated and zero eigenvalues", () => {
    const rng = createRng(5);
    for (const d of [1, 2, 7, 40]) {
      // A random symmetric matrix, and a rank-deficient one (zero and repeated eigenvalues).
      const random = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = i; j < d; j++) random[i * d + j] = random[j * d + i] = rng() - 0.5;
      const u = Float64Array.from({ length: d }, () => rng() - 0.5);
      const rankOne = Float64Array.from({ length: d * d }, (_, k) => u[Math.floor(k / d)]! * u[k % d]!);
      for (const a of [random, rankOne]) {
        const original = a.slice();
        const { values, vectors } = symmetricEigen(a, d);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
          let back = 0, dot = 0;
          for (let e = 0; e < d; e++) {
            back += vectors[e * d + i]! * values[e]! * vectors[e * d + j]!;
            dot += vectors[i * d + e]! * vectors[j * d + e]!;
          }
          expect(back).toBeCloseTo(original[i * d + j]!, 9);
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 9);
        }
      }
    }
  });

  it("learns a rotation whose rows are orthonormal and whose first axis follows the largest variance", () => {
    const dims = 8, n = 500;
    const rng = createRng(9);
    // Variance mostly along (1, 1, 0, ...) / sqrt 2.
    const v = new Float32Array(n * dims);
    for (let i = 0; i < n; i++) {
      const t = (rng() - 0.5) * 10;
      for (let k = 0; k < dims; k++) v[i * dims + k] = (rng() - 0.5) * 0.1 + (k < 2 ? t : 0);
    }
    const bounds = Uint32Array.of(0, 4, 8);
    const r = learnRotation(v, dims, bounds, Uint32Array.from({ length: n }, (_, i) => i));
    for (let a = 0; a < dims; a++) for (let b = 0; b < dims; b++) {
      let dot = 0;
      for (let k = 0; k < dims; k++) dot += r[a * dims + k]! * r[b * dims + k]!;
      expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
    }
    expect(Math.abs(r[0]!)).toBeCloseTo(Math.SQRT1_2, 2);
    expect(Math.abs(r[1]!)).toBeCloseTo(Math.SQRT1_2, 2);
  });
});
