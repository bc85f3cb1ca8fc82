/**
 * The Python LEANN's search, reproduced: a best-first walk on an unpruned HNSW level-0 graph
 * (every node keeps up to M = 32 neighbours) that recomputes every node it visits. Prints
 * recall against recomputations per query, to compare with our defaults (bench/core.ts).
 *
 *   cd bench && pnpm exec tsx unpruned-walk.ts [dataset]
 */
import { LeannIndex } from "../packages/core/src/index.ts";
import { loadDataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";
import { CachedEmbedder } from "./lib/leann.ts";

const ds = loadDataset(process.argv[2] ?? "sotu-use-512");
const d = ds.meta.dims, n = ds.meta.count;
const truth = exactTopKIds(ds.vectors, d, ds.passages.map((p) => p.id), ds.queryVectors, 10);
const rows = Array.from({ length: n }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));
const embedder = new CachedEmbedder(ds, ds.meta.model);
const index = await LeannIndex.build(ds.passages, { embedder, vectors: rows, cacheBytes: 0, prunedDegree: 32, hubShare: 1 });
console.log(`${ds.meta.name}: unpruned graph, average degree ${index.params.averageDegree}, ${(index.sizes().graph / n).toFixed(1)} B/passage`);
for (const ef of [16, 32, 64, 128]) {
  const found: string[][] = [];
  let recomputed = 0;
  for (let i = 0; i < ds.queries.length; i++) {
    const r = await index.search(ds.queryVectors.subarray(i * d, (i + 1) * d), { k: 10, mode: "exact-walk", ef });
    found.push(r.hits.map((h) => h.id));
    recomputed += r.stats.recomputed;
  }
  console.log(`  exact-walk ef ${ef}: recall@10 ${recallAtK(found, truth, 10).toFixed(3)}  recall@3 ${recallAtK(found, truth, 3).toFixed(3)}  recomputed/query ${(recomputed / ds.queries.length).toFixed(1)}`);
}
