/**
 * Graph construction alone (issue 18, build time): buildHnsw at M 32, efConstruction 200 over a cached dataset's
 * first N vectors, with T threads; wall and CPU seconds (every thread of the process) and distance computations.
 * For A/B runs of the graph kernel, alternate two checkouts at the same load: one phase, less noise than a build.
 *
 *   pnpm exec tsx graph-cost.ts sotu-use-512:10000:2 sotu-potion-64:12420:1     # dataset[:N[:threads]]
 */
import { buildHnsw } from "../packages/core/src/graph/hnsw-build.ts";
import { loadDataset } from "./lib/datasets.ts";

for (const spec of process.argv.slice(2)) {
  const [name, count, threads] = spec.split(":");
  const ds = loadDataset(name!);
  const d = ds.meta.dims, n = Math.min(ds.meta.count, Number(count ?? ds.meta.count));
  const v = ds.vectors.slice(0, n * d);
  const c0 = process.cpuUsage(), w0 = performance.now();
  const g = await buildHnsw(v, d, { M: 32, efConstruction: 200, seed: 42, threads: Number(threads ?? 1), metric: "ip" });
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ spec, wallS: Number(((performance.now() - w0) / 1000).toFixed(2)), cpuS: Number(((c.user + c.system) / 1e6).toFixed(2)), distances: g.distances }));
}
