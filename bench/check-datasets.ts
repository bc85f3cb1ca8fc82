/**
 * Sanity checks of the cached datasets: file consistency (loadDataset), vector norms, and whether exact top-10
 * neighbours of each query make sense: for SOTU datasets, the share of queries whose top-10 holds a chunk of the
 * same address (the held-out chunk's own neighbours overlap it by ~100 characters), and the share whose top-10
 * holds the chunk right before or after the held-out one.
 *
 *   pnpm exec tsx check-datasets.ts [name ...]
 */
import { readdirSync } from "node:fs";
import { DATASETS_DIR, datasetExists, loadDataset, maxNormError } from "./lib/datasets.ts";
import { exactTopK } from "./lib/exact.ts";

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : readdirSync(DATASETS_DIR).filter((n) => !n.includes(".tmp-") && !n.includes(".old-") && datasetExists(n));
for (const name of names) {
  const t0 = performance.now();
  const ds = loadDataset(name);
  const { meta } = ds;
  const k = 10;
  const top = exactTopK(ds.vectors, meta.dims, ds.queryVectors, k);
  const line = [`${name}: ${meta.count} x ${meta.dims} (${meta.model.slice(0, 60)}), ${meta.queryCount} queries`, `max |norm-1| ${Math.max(maxNormError(ds.vectors, meta.dims), maxNormError(ds.queryVectors, meta.dims)).toExponential(1)}`];
  const heldOut = (meta.selection as { heldOutIds?: string[] } | undefined)?.heldOutIds ?? (meta.heldOutIds as string[] | undefined);
  if (heldOut && name.startsWith("sotu")) {
    let sameAddress = 0;
    let adjacent = 0;
    top.forEach((row, q) => {
      const [stem, idx] = heldOut[q]!.split("#") as [string, string];
      const ids = row.map((i) => ds.passages[i]!.id);
      if (ids.some((id) => id.startsWith(`${stem}#`))) sameAddress++;
      if (ids.includes(`${stem}#${Number(idx) - 1}`) || ids.includes(`${stem}#${Number(idx) + 1}`)) adjacent++;
    });
    line.push(`top-${k} has same address ${((100 * sameAddress) / meta.queryCount).toFixed(0)}%, adjacent chunk ${((100 * adjacent) / meta.queryCount).toFixed(0)}% of queries`);
  }
  const sims = top.map((row, q) => {
    let s = 0;
    for (let d = 0; d < meta.dims; d++) s += ds.vectors[row[0]! * meta.dims + d]! * ds.queryVectors[q * meta.dims + d]!;
    return s;
  });
  line.push(`mean top-1 cosine ${(sims.reduce((a, b) => a + b, 0) / sims.length).toFixed(3)}`, `${(performance.now() - t0).toFixed(0)} ms`);
  console.log(line.join("; "));
}
