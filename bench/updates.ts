/**
 * Updates (issue #3): build on 10/11 of a dataset, insert the remaining 1/11 (10% more), delete 10% of the
 * original passages, then compare recall@10 with a fresh build of the same final set, and storage.
 *
 *   cd bench && pnpm exec tsx updates.ts [dataset]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex } from "../packages/core/src/index.ts";
import { loadDataset } from "./lib/datasets.ts";
import { exactTopKIds } from "./lib/exact.ts";
import { CachedEmbedder, measure } from "./lib/leann.ts";
import { folderBytes } from "./lib/peers.ts";

const ds = loadDataset(process.argv[2] ?? "sotu-use-512");
const { dims, count } = ds.meta;
const embedder = new CachedEmbedder(ds, ds.meta.model);
const rows = (ids: number[]) => ids.map((i) => ds.vectors.subarray(i * dims, (i + 1) * dims));
const base = Math.round((count * 10) / 11);
const firstIds = Array.from({ length: base }, (_, i) => i);
const addIds = Array.from({ length: count - base }, (_, i) => base + i);
const deleteIds = firstIds.filter((i) => i % 10 === 3); // 10% of the original passages
const finalIds = [...firstIds.filter((i) => i % 10 !== 3), ...addIds];

const index = await LeannIndex.build(firstIds.map((i) => ds.passages[i]!), { embedder, vectors: rows(firstIds), cacheBytes: 0 });
let t = performance.now();
const added = await index.add(addIds.map((i) => ds.passages[i]!), { vectors: rows(addIds) });
const addMs = performance.now() - t;
t = performance.now();
await index.delete(deleteIds.map((i) => ds.passages[i]!.id));
const deleteMs = performance.now() - t;

// Ground truth over the final set only.
const finalVectors = new Float32Array(finalIds.length * dims);
finalIds.forEach((i, j) => finalVectors.set(ds.vectors.subarray(i * dims, (i + 1) * dims), j * dims));
const truth = exactTopKIds(finalVectors, dims, finalIds.map((i) => ds.passages[i]!.id), ds.queryVectors, 10);
const updated = await measure(index, ds, truth, {});
const fresh = await LeannIndex.build(finalIds.map((i) => ds.passages[i]!), { embedder, vectors: rows(finalIds), cacheBytes: 0 });
const baseline = await measure(fresh, ds, truth, {});

const rawText = finalIds.reduce((s, i) => s + Buffer.byteLength(ds.passages[i]!.text), 0);
const dirA = mkdtempSync(join(tmpdir(), "leann-upd-")), dirB = mkdtempSync(join(tmpdir(), "leann-fresh-"));
await index.save(dirA);
await fresh.save(dirB);
const sa = index.sizes(), sb = fresh.sizes();
const f = (x: number, d = 3) => x.toFixed(d);
console.log(`${ds.meta.name}: built on ${base}, inserted ${addIds.length} (+${f((100 * addIds.length) / base, 1)}%), deleted ${deleteIds.length} (${f((100 * deleteIds.length) / base, 1)}%) -> ${index.size} passages`);
console.log(`inserts: ${f(addMs / addIds.length, 2)} ms each, ${f(added.stats.recomputed / addIds.length, 1)} embeddings recomputed per insert (neighbour search), rebuilt: ${added.stats.rebuilt}; deletes: ${f(deleteMs, 0)} ms for ${deleteIds.length}`);
console.log(`recall@10 updated ${f(updated.recall10)} vs fresh build ${f(baseline.recall10)} (difference ${f(updated.recall10 - baseline.recall10)}); recall@3 ${f(updated.recall3)} vs ${f(baseline.recall3)}; recomputed/query ${f(updated.recomputedPerQuery, 1)} vs ${f(baseline.recomputedPerQuery, 1)}`);
console.log(`index structures: updated ${f(sa.indexTotal / index.size, 1)} B/passage vs fresh ${f(sb.indexTotal / fresh.size, 1)}; whole folder ${f(folderBytes(dirA).total / rawText)}x vs ${f(folderBytes(dirB).total / rawText)}x raw text`);
rmSync(dirA, { recursive: true, force: true });
rmSync(dirB, { recursive: true, force: true });
