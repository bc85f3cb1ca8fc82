import { describe, expect, it } from "vitest";
import { createRng } from "@leann/testing";
import { assignScalar, nearestCentroids } from "../src/quantize/kmeans.js";
import { createScan, MAX_SCAN_STRIDE, scanTakes, scanWasm } from "../src/quantize/scan-wasm.js";

const rowsOf = (n: number, rng: () => number, round: boolean, S = 8) => Float32Array.from({ length: n * S }, () => (round ? Math.round(rng() * 4 - 2) / 2 : rng() * 2 - 1));
const normsOf = (cents: Float64Array, K: number, S = 8) => Float64Array.from({ length: K }, (_, c) => cents.subarray(c * S, c * S + S).reduce((s, x) => s + x * x, 0));
const createScan8 = (maxRows: number, K: number) => createScan(scanWasm(8), 8, maxRows, K);

describe.runIf(createScan8(4, 4) !== undefined)("the WebAssembly nearest-centroid scan", () => {
  for (const K of [16, 256]) {
    it(`assigns the centroid the float64 scan assigns when the nearest two are not within float32 rounding, K ${K}`, () => {
      const rng = createRng(K);
      const scan = createScan8(1024, K)!;
      let compared = 0;
      for (const count of [1, 3, 4, 5, 257, 1024]) {
        const xs = rowsOf(count, rng, false);
        const cents = Float64Array.from(rowsOf(K, rng, false));
        const norms = normsOf(cents, K);
        const js = new Uint16Array(count), wasm = new Uint16Array(count);
        expect(nearestCentroids(xs, 8, count, cents, norms, K, js, true)).toBe(count);
        expect(nearestCentroids(xs, 8, count, cents, norms, K, wasm, true, scan)).toBe(count);
        for (let i = 0; i < count; i++) {
          const d = Array.from({ length: K }, (_, c) => norms[c]! - 2 * xs.subarray(i * 8, i * 8 + 8).reduce((s, x, t) => s + x * cents[c * 8 + t]!, 0)).sort((a, b) => a - b);
          if (d[1]! - d[0]! < 1e-5) continue;
          expect(wasm[i]).toBe(js[i]);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(1000);
    });
  }

  for (const S of [12, 16, 24, MAX_SCAN_STRIDE]) {
    it(`assigns what the float64 scan assigns at stride ${S} (wider subspaces, zero-padded to a multiple of 4)`, () => {
      const K = 256, rng = createRng(S);
      const scan = createScan(scanWasm(S), S, 300, K)!;
      expect(scan.stride).toBe(S);
      let compared = 0;
      for (const count of [1, 7, 300]) {
        const xs = rowsOf(count, rng, false, S);
        const cents = Float64Array.from(rowsOf(K, rng, false, S));
        // The last three values of every row zero, as the padding of a subspace S - 3 wide.
        for (const a of [xs, cents]) for (let r = 0; r < a.length / S; r++) a.fill(0, r * S + S - 3, r * S + S);
        const norms = normsOf(cents, K, S);
        const js = new Uint16Array(count), wasm = new Uint16Array(count);
        nearestCentroids(xs, S, count, cents, norms, K, js, true);
        nearestCentroids(xs, S, count, cents, norms, K, wasm, true, scan);
        for (let i = 0; i < count; i++) {
          const d = Array.from({ length: K }, (_, c) => norms[c]! - 2 * xs.subarray(i * S, i * S + S).reduce((a, x, t) => a + x * cents[c * S + t]!, 0)).sort((a, b) => a - b);
          if (d[1]! - d[0]! < 1e-4) continue;
          expect(wasm[i]).toBe(js[i]);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(250);
    });
  }

  it("takes strides that are multiples of 4 from 8 to MAX_SCAN_STRIDE only, and is not used for another stride", () => {
    expect([4, 8, 10, 12, MAX_SCAN_STRIDE, MAX_SCAN_STRIDE + 4].map(scanTakes)).toEqual([false, true, false, true, true, false]);
    expect(() => scanWasm(10)).toThrow(RangeError);
    const K = 16, rng = createRng(9);
    const scan8 = createScan8(64, K)!;
    const xs = rowsOf(64, rng, false, 12), cents = Float64Array.from(rowsOf(K, rng, false, 12));
    const a = new Uint16Array(64), b = new Uint16Array(64);
    // A stride-8 scan handed stride-12 rows: the JavaScript scan runs instead.
    nearestCentroids(xs, 12, 64, cents, normsOf(cents, K, 12), K, a, true, scan8);
    nearestCentroids(xs, 12, 64, cents, normsOf(cents, K, 12), K, b, true);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it("breaks ties toward the lower centroid index, as the JavaScript scan does", () => {
    const K = 64, rng = createRng(5);
    const scan = createScan8(512, K)!;
    // Half-integer values: every sum is exact in float32, so equal centroids give equal distances.
    const cents = Float64Array.from(rowsOf(K, rng, true));
    for (let c = 0; c < K; c += 3) cents.copyWithin(((c * 7 + 5) % K) * 8, c * 8, c * 8 + 8);
    const xs = rowsOf(512, rng, true);
    const norms = normsOf(cents, K);
    const js = new Uint16Array(512), wasm = new Uint16Array(512);
    nearestCentroids(xs, 8, 512, cents, norms, K, js, true);
    nearestCentroids(xs, 8, 512, cents, norms, K, wasm, true, scan);
    expect(Array.from(wasm)).toEqual(Array.from(js));
  });

  it("counts only the assignments that changed after the first pass", () => {
    const K = 16, rng = createRng(2);
    const scan = createScan8(64, K)!;
    const cents = Float64Array.from(rowsOf(K, rng, false));
    const xs = rowsOf(64, rng, false);
    const assign = new Uint16Array(64);
    nearestCentroids(xs, 8, 64, cents, normsOf(cents, K), K, assign, true, scan);
    const before = assign.slice();
    assign[3] = (assign[3]! + 1) % K;
    assign[9] = (assign[9]! + 1) % K;
    expect(nearestCentroids(xs, 8, 64, cents, normsOf(cents, K), K, assign, false, scan)).toBe(2);
    expect(Array.from(assign)).toEqual(Array.from(before));
  });
});

describe("the one-dimension assignment", () => {
  it("assigns every value the nearest centroid, the lowest index on ties, inside, at the edges of and outside the centroids' range", () => {
    const rng = createRng(17);
    for (const K of [2, 16, 256]) {
      for (const spread of [1e-6, 1, 1e4]) {
        // Clustered centroids with duplicates, so the grid's cells hold uneven runs.
        const cent = Float64Array.from({ length: K }, () => Math.round((rng() ** 3) * 64) / 64 * spread);
        for (let c = 0; c < K; c += 5) cent[(c * 3 + 1) % K] = cent[c]!;
        const values = Float32Array.from({ length: 3000 }, (_, i) => (i % 10 === 0 ? cent[i % K]! : (rng() * 1.4 - 0.2) * spread));
        const assign = new Uint16Array(values.length);
        expect(assignScalar(values, cent, K, assign, true)).toBe(values.length);
        for (let i = 0; i < values.length; i++) {
          let best = 0;
          for (let c = 1; c < K; c++) if (Math.abs(cent[c]! - values[i]!) < Math.abs(cent[best]! - values[i]!)) best = c;
          expect(assign[i]).toBe(best);
        }
      }
    }
  });
});
