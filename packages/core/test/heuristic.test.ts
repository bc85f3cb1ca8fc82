import { describe, expect, it } from "vitest";
import { selectNeighbors } from "../src/graph/heuristic.js";
import { createBuildKernel } from "../src/graph/kernel.js";
import { dot, l2sq } from "../src/util/vector.js";
import { clustered } from "./helpers.js";

const n = 300, dims = 16, M = 8;

/** A kernel over `vectors` (its graph is never used: only its copy of the heuristic). */
function kernelFor(vectors: Float32Array, metric: 0 | 1) {
  return createBuildKernel({
    vectors, dims, metric, M, M0: 2 * M, efConstruction: 64,
    level0: new Int32Array(n * (2 * M + 1)), levels: new Uint8Array(n), upperBase: new Int32Array(n).fill(-1), upper: new Int32Array(0),
  });
}

describe("the RNG neighbour heuristic", () => {
  for (const [name, metric] of [["inner product", 0], ["l2", 1]] as const) {
    it(`chooses the same neighbours in the worker kernel and in graph/heuristic.ts when the metric is ${name}`, () => {
      const vectors = clustered(n, dims, 7, 6);
      const dist = metric === 1 ? (a: number, b: number) => l2sq(vectors, a * dims, vectors, b * dims, dims) : (a: number, b: number) => -dot(vectors, a * dims, vectors, b * dims, dims);
      const kernel = kernelFor(vectors, metric);
      let compared = 0;
      for (let base = 0; base < n; base += 7) {
        // Candidates: the 40 nearest other nodes, ascending, as a layer search hands them over.
        const cand = Array.from({ length: n }, (_, i) => i).filter((i) => i !== base).sort((a, b) => dist(base, a) - dist(base, b)).slice(0, 40);
        const cd = Float64Array.from(cand, (e) => dist(base, e));
        const ci = Int32Array.from(cand);
        for (const limit of [2, M, 2 * M]) {
          const out = new Int32Array(limit);
          const kept = selectNeighbors(ci, cd, ci.length, limit, dist, out);
          expect(Array.from(kernel.select(cd, ci, ci.length, limit))).toEqual(Array.from(out.subarray(0, kept)));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
    });
  }

  it("drops a candidate that a kept neighbour is closer to than the base node is", () => {
    // Base at 0 on a line; 1 and 2 lie on the same side, -1 on the other: 2 is covered by 1.
    const points = [0, 1, 2, -1];
    const d = (a: number, b: number) => Math.abs(points[a]! - points[b]!);
    const out: number[] = [];
    const kept = selectNeighbors([1, 3, 2], [1, 1, 2], 3, 3, d, out);
    expect(out.slice(0, kept)).toEqual([1, 3]);
  });

  it("keeps at most `limit` neighbours when every candidate is kept", () => {
    const d = () => 10;
    const out: number[] = [];
    expect(selectNeighbors([4, 5, 6], [1, 2, 3], 3, 2, d, out)).toBe(2);
    expect(out).toEqual([4, 5]);
  });
});
