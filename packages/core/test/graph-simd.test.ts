import { describe, expect, it } from "vitest";
import { buildHnsw } from "../src/graph/hnsw-build.js";
import { pruneGraph } from "../src/graph/prune.js";
import { allocateVectors, simdAvailable, simdVectors } from "../src/graph/simd.js";
import { normalizeRows } from "../src/util/vector.js";
import { clustered } from "./helpers.js";

describe.runIf(simdAvailable())("the batched WebAssembly distances", () => {
  it("returns the very f32 of one dot call a row when rows are scored four and two at a time", () => {
    const n = 40, dims = 48;
    const table = allocateVectors(n, dims);
    table.set(clustered(n, dims, 5, 3));
    const k = simdVectors(table, dims)!;
    const rowBytes = dims * 4;
    // The memory's last page is scratch: ids, then results.
    const at = k.memory.buffer.byteLength - 4096;
    const ids = new Int32Array(k.memory.buffer, at, 16), out = new Float32Array(k.memory.buffer, at + 64, 16);
    let checked = 0;
    for (let q = 0; q < n; q += 3) {
      for (let count = 0; count <= 11; count++) {
        for (let j = 0; j < count; j++) ids[j] = (q * 7 + j * 13) % n;
        k.dots(q * rowBytes, at, count, at + 64, rowBytes, dims);
        for (let j = 0; j < count; j++) expect(out[j]).toBe(k.dot(q * rowBytes, ids[j]! * rowBytes, dims));
        for (const de of [-0.9, -0.5, 0, 0.5]) {
          let first = -1;
          for (let j = 0; j < count && first < 0; j++) if (-k.dot(q * rowBytes, ids[j]! * rowBytes, dims) < de) first = j;
          expect(k.firstCloser(q * rowBytes, at, count, rowBytes, dims, de, at + 128)).toBe(first);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  for (const metric of ["ip", "l2"] as const) {
    it(`builds the same graph with them as with one distance a call when the metric is ${metric}`, async () => {
      const n = 600, dims = 32;
      const vectors = clustered(n, dims, 9, 11);
      if (metric === "ip") normalizeRows(vectors, dims);
      const opts = { M: 8, efConstruction: 48, seed: 5, threads: 1, metric };
      const a = await buildHnsw(vectors, dims, { ...opts, batch: false });
      const b = await buildHnsw(vectors, dims, opts);
      expect(Buffer.from(b.level0.buffer).equals(Buffer.from(a.level0.buffer))).toBe(true);
      expect(Buffer.from(b.upper.buffer).equals(Buffer.from(a.upper.buffer))).toBe(true);
      expect(b.distances).toBe(a.distances);
      expect(b.entry).toBe(a.entry);
    });
  }
});

describe.runIf(simdAvailable())("pruning with the SIMD dot", () => {
  it("keeps the lists that float64 distances keep when no two neighbours are equally near", async () => {
    const n = 800, dims = 48;
    const vectors = clustered(n, dims, 4, 10);
    normalizeRows(vectors, dims);
    const g = await buildHnsw(vectors, dims, { M: 12, efConstruction: 64, seed: 3, threads: 1, metric: "ip" });
    const opts = { hubShare: 0.02, hubDegree: 12, degree: 0, graphBudget: 12, metric: "ip" as const };
    const float64 = pruneGraph(g, vectors, dims, { ...opts, simd: false });
    const simd = pruneGraph(g, vectors, dims, opts);
    expect(simd.degree).toBe(float64.degree);
    expect(Array.from(simd.adjacency.starts)).toEqual(Array.from(float64.adjacency.starts));
    expect(Array.from(simd.adjacency.ids)).toEqual(Array.from(float64.adjacency.ids));
  });
});
