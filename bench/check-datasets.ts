/**
 * Sanity checks of the cached datasets: file consistency (loadDataset), vector norms, and whether exact top-10
 * neighbours of each query make sense: for chunked datasets whose held-out ids are `<document>#<chunk index>` (SOTU,
 * mixed), the share of queries whose top-10 holds a chunk of the same document (the held-out chunk's own
 * neighbours overlap it by ~100 characters) against chance, and the share whose top-10 holds the chunk right before
 * or after the held-out one; for mixed datasets (`<source>/<path>#i`) also the share of top-10 results from the
 * query's own source against that source's share of the index.
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
  if (heldOut && heldOut.every((id) => /#\d+$/.test(id))) {
    // Ids are `<document>#<chunk index>` (SOTU: document = address; mixed: `<source>/<relative path>`).
    const doc = (id: string): string => id.slice(0, id.lastIndexOf("#"));
    const src = (id: string): string => id.slice(0, id.indexOf("/"));
    const perDoc = new Map<string, number>();
    const perSrc = new Map<string, number>();
    for (const p of ds.passages) {
      perDoc.set(doc(p.id), (perDoc.get(doc(p.id)) ?? 0) + 1);
      if (p.id.includes("/")) perSrc.set(src(p.id), (perSrc.get(src(p.id)) ?? 0) + 1);
    }
    let sameDoc = 0;
    let adjacent = 0;
    let chance = 0;
    let sameSrc = 0;
    let srcChance = 0;
    top.forEach((row, q) => {
      const held = heldOut[q]!;
      const d = doc(held);
      const idx = Number(held.slice(held.lastIndexOf("#") + 1));
      const ids = row.map((i) => ds.passages[i]!.id);
      if (ids.some((id) => doc(id) === d)) sameDoc++;
      if (ids.includes(`${d}#${idx - 1}`) || ids.includes(`${d}#${idx + 1}`)) adjacent++;
      chance += 1 - Math.pow(1 - (perDoc.get(d) ?? 0) / meta.count, k);
      if (perSrc.size > 0) {
        sameSrc += ids.filter((id) => src(id) === src(held)).length / k;
        srcChance += (perSrc.get(src(held)) ?? 0) / meta.count;
      }
    });
    const pct = (x: number): string => `${((100 * x) / meta.queryCount).toFixed(0)}%`;
    line.push(`top-${k} has same ${name.startsWith("sotu") ? "address" : "file"} ${pct(sameDoc)} (chance ${pct(chance)}), adjacent chunk ${pct(adjacent)} of queries`);
    if (perSrc.size > 0) line.push(`same source ${pct(sameSrc)} of top-${k} results (chance ${pct(srcChance)})`);
  }
  const sims = top.map((row, q) => {
    let s = 0;
    for (let d = 0; d < meta.dims; d++) s += ds.vectors[row[0]! * meta.dims + d]! * ds.queryVectors[q * meta.dims + d]!;
    return s;
  });
  line.push(`mean top-1 cosine ${(sims.reduce((a, b) => a + b, 0) / sims.length).toFixed(3)}`, `${(performance.now() - t0).toFixed(0)} ms`);
  console.log(line.join("; "));
}
