/**
 * Product quantisation (quantize/pq.ts) against brute force: codes name the nearest
 * centroid in every subspace, decoding gives those centroids back, and the lookup-table
 * score of a code equals the exact score of its decoded vector.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clusteredVectors, randomUnitVectors } from "@leann/testing";
import { codeSize, decodePq, encodePq, pqScore, pqTable, trainPq, type PqCodebook } from "../../src/quantize/pq.js";

interface Case {
  n: number;
  dims: number;
  subspaces: number;
  bits: 4 | 8;
  seed: number;
}

const cases = fc.record({
  n: fc.integer({ min: 1, max: 48 }),
  dims: fc.integer({ min: 1, max: 12 }),
  // More subspaces than dims is allowed (clamped); odd counts exercise the 4-bit nibble packing.
  subspaces: fc.integer({ min: 1, max: 7 }),
  bits: fc.constantFrom<4 | 8>(4, 4, 8),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

function setup(c: Case) {
  const vectors = clusteredVectors(c.n, c.dims, c.seed, 4, 0.8);
  const pq = trainPq(vectors, c.dims, { subspaces: c.subspaces, bits: c.bits, seed: c.seed, sample: 64, iterations: 4 });
  return { vectors, pq, codes: encodePq(pq, vectors) };
}

/** The K centroids of subspace s, read back through decodePq (a code naming centroid c everywhere). */
function centroidsOf(pq: PqCodebook, s: number): Float32Array[] {
  const K = 1 << pq.bits;
  const lo = pq.bounds[s]!, hi = pq.bounds[s + 1]!;
  return Array.from({ length: K }, (_, c) => {
    const code = new Uint8Array(codeSize(pq)).fill(pq.bits === 8 ? c : c | (c << 4));
    return decodePq(pq, code, 0).slice(lo, hi);
  });
}

const sq = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return d;
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += a[i]! * b[i]!;
  return d;
};

describe("product quantisation", () => {
  it("encodes every subspace as its nearest centroid (brute force) when given any data and layout", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const { vectors, pq, codes } = setup(c);
        expect(pq.subspaces).toBe(Math.min(c.subspaces, c.dims));
        expect(codes.length).toBe(c.n * codeSize(pq));
        const cents = Array.from({ length: pq.subspaces }, (_, s) => centroidsOf(pq, s));
        for (let i = 0; i < c.n; i++) {
          const x = vectors.subarray(i * c.dims, (i + 1) * c.dims);
          const decoded = decodePq(pq, codes, i);
          for (let s = 0; s < pq.subspaces; s++) {
            const lo = pq.bounds[s]!, hi = pq.bounds[s + 1]!;
            const best = Math.min(...cents[s]!.map((cent) => sq(x.subarray(lo, hi), cent)));
            expect(sq(x.subarray(lo, hi), decoded.subarray(lo, hi))).toBeCloseTo(best, 5);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("scores a code from the table as the exact score of its decoded vector, for ip and l2", () => {
    fc.assert(
      fc.property(cases, fc.constantFrom<"ip" | "l2">("ip", "l2"), (c, metric) => {
        const { pq, codes } = setup(c);
        const q = randomUnitVectors(1, c.dims, c.seed + 1);
        const table = pqTable(pq, q, metric);
        for (let i = 0; i < c.n; i++) {
          const d = decodePq(pq, codes, i);
          const exact = metric === "ip" ? dot(q, d) : -sq(q, d);
          expect(pqScore(pq, codes, i, table)).toBeCloseTo(exact, 4);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("learns the same codebook when trained twice with the same seed", () => {
    fc.assert(
      fc.property(cases, (c) => {
        expect(setup(c).pq.centroids).toEqual(setup(c).pq.centroids);
      }),
      { numRuns: 15 },
    );
  });

  it("orders codes by table score exactly as brute force orders their decoded vectors", () => {
    const dims = 16, n = 300;
    const vectors = clusteredVectors(n, dims, 11);
    const pq = trainPq(vectors, dims, { subspaces: 8, bits: 4, seed: 3, sample: 300, iterations: 8 });
    const codes = encodePq(pq, vectors);
    const q = randomUnitVectors(1, dims, 5);
    const table = pqTable(pq, q, "ip");
    const byTable = Array.from({ length: n }, (_, i) => i).sort((a, b) => pqScore(pq, codes, b, table) - pqScore(pq, codes, a, table) || a - b);
    const exact = Array.from({ length: n }, (_, i) => dot(q, decodePq(pq, codes, i)));
    // Non-increasing exact scores down the table's ranking (up to float32 rounding of the sums).
    for (let r = 1; r < n; r++) expect(exact[byTable[r - 1]!]! + 1e-5).toBeGreaterThanOrEqual(exact[byTable[r]!]!);
  });
});
