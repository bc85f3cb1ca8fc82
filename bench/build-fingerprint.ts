/**
 * Checksums of what a build makes, to tell a faster build that makes the same index from one that does not: per
 * dataset[:N[:threads]], the raw HNSW graph (buildHnsw, M 32, efConstruction 200, seed 42) and, from a default
 * LeannIndex.build of the same vectors, the pruned graph, the PQ codes, the codebook (and rotation) and the recorded
 * parameters. Run it on two checkouts and compare the lines (the timings differ, nothing else should).
 *
 *   pnpm exec tsx build-fingerprint.ts sotu-use-512:3000 sotu-use-384p:3000 sotu-potion-64:4000
 */
import { createHash } from "node:crypto";
import { LeannIndex } from "../packages/core/src/index.ts";
import { buildHnsw } from "../packages/core/src/graph/hnsw-build.ts";
import type { IndexState } from "../packages/core/src/state.ts";
import { loadDataset } from "./lib/datasets.ts";
import { CachedEmbedder } from "./lib/leann.ts";

const hash = (...xs: ArrayBufferView[]) => {
  const h = createHash("sha256");
  for (const x of xs) h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return h.digest("hex").slice(0, 16);
};
for (const spec of process.argv.slice(2)) {
  const [name, count, threads] = spec.split(":");
  const ds = loadDataset(name!);
  const d = ds.meta.dims, n = Math.min(ds.meta.count, Number(count ?? ds.meta.count));
  const rows = Array.from({ length: n }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));
  const g = await buildHnsw(ds.vectors.slice(0, n * d), d, { M: 32, efConstruction: 200, seed: 42, threads: Number(threads ?? 2), metric: "ip" });
  const index = await LeannIndex.build(ds.passages.slice(0, n).map((p) => ({ id: p.id, text: p.text })), { embedder: new CachedEmbedder(ds, ds.meta.model), vectors: rows, threads: Number(threads ?? 0) });
  const core = (index as unknown as { state: IndexState }).state.core;
  const graph = core.graph.frozen().graph;
  console.log(JSON.stringify({
    spec,
    hnsw: hash(g.level0, g.upper),
    hnswDistances: g.distances,
    graph: hash(graph.offsets, graph.data),
    codes: hash(core.codes),
    codebook: hash(core.pq.centroids, core.pq.rotation ?? new Uint8Array(0)),
    params: createHash("sha256").update(JSON.stringify(core.params)).digest("hex").slice(0, 16),
  }));
  await index.close();
}
