/**
 * What growing an index costs (issue #13), on real vectors (sotu-potion-64 by default):
 * 1. texts embedded per passage added, adding 1,000 passages to a 500-passage index in batches of
 *    1, 10, 100 and 1,000 (this crosses a rebuild-while-small);
 * 2. recall@10 after +10% inserts in batches of 10 and -10% deletes, against a fresh build of the
 *    same set (both against exact search); the same for an index grown from empty in batches of 100;
 * 3. build time of 10,000 passages against an embedder with 100 ms latency a call, one call at a
 *    time and at the default embedConcurrency.
 *
 *   cd bench && pnpm exec tsx update-cost.ts [dataset]
 *   LEANN_CORE=/work/main/packages/core/src/index.ts pnpm exec tsx update-cost.ts   # another tree's core ("before")
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadDataset } from "./lib/datasets.ts";
import { exactTopKIds } from "./lib/exact.ts";
import { CachedEmbedder, measure } from "./lib/leann.ts";

type Core = typeof import("../packages/core/src/index.ts");
const corePath = resolve(process.env.LEANN_CORE ?? "../packages/core/src/index.ts");
const { LeannIndex } = (await import(pathToFileURL(corePath).href)) as Core;
type Index = Awaited<ReturnType<typeof LeannIndex.build>>;

const ds = loadDataset(process.argv[2] ?? "sotu-potion-64");
const { dims, count } = ds.meta;
const rows = (ids: number[]) => ids.map((i) => ds.vectors.subarray(i * dims, (i + 1) * dims));
/** The rows `ids` of the dataset's vectors, packed. */
function gather(ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * dims);
  for (let j = 0; j < ids.length; j++) out.set(ds.vectors.subarray(ids[j]! * dims, (ids[j]! + 1) * dims), j * dims);
  return out;
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const f = (x: number, d = 3) => x.toFixed(d);
const t0 = performance.now();
console.log(`core: ${corePath}\ndataset: ${ds.meta.name} (${count} passages, ${dims}-d, ${ds.meta.queryCount} queries)`);

// 1. Texts embedded per passage added.
const BASE = 500, ADDED = 1000;
const cost: Record<string, number> = {};
for (const batch of [1, 10, 100, 1000]) {
  const embedder = new CachedEmbedder(ds, ds.meta.model);
  const index = await LeannIndex.build(range(0, BASE).map((i) => ds.passages[i]!), { embedder, vectors: rows(range(0, BASE)) });
  embedder.embedded = 0;
  const t = performance.now();
  let rebuilds = 0;
  for (let s = BASE; s < BASE + ADDED; s += batch) {
    const r = await index.add(range(s, Math.min(batch, BASE + ADDED - s)).map((i) => ds.passages[i]!));
    if (r.stats.rebuilt) rebuilds++;
  }
  cost[batch] = embedder.embedded / ADDED;
  console.log(`add ${ADDED} to ${BASE} in batches of ${batch}: ${f(cost[batch]!, 2)} texts embedded per passage added (${embedder.embedded} in total, ${rebuilds} rebuilds, ${f((performance.now() - t) / 1000, 1)} s)`);
}

// 2. Recall after +10% / -10% against a fresh build of the same set.
async function recallVsFresh(label: string, grow: (embedder: CachedEmbedder) => Promise<{ index: Index; finalIds: number[] }>) {
  const embedder = new CachedEmbedder(ds, ds.meta.model);
  const { index, finalIds } = await grow(embedder);
  const truth = exactTopKIds(gather(finalIds), dims, finalIds.map((i) => ds.passages[i]!.id), ds.queryVectors, 10);
  const updated = await measure(index, ds, truth, {});
  const fresh = await LeannIndex.build(finalIds.map((i) => ds.passages[i]!), { embedder, vectors: rows(finalIds), cacheBytes: 0 });
  const baseline = await measure(fresh, ds, truth, {});
  console.log(`${label}: recall@10 ${f(updated.recall10)} vs fresh build ${f(baseline.recall10)} (difference ${f(updated.recall10 - baseline.recall10)}); recomputed/query ${f(updated.recomputedPerQuery, 1)} vs ${f(baseline.recomputedPerQuery, 1)}`);
  return updated.recall10 - baseline.recall10;
}
const cycleN = Math.min(count, 5_500);
const base = Math.round((cycleN * 10) / 11);
await recallVsFresh(`+10% (batches of 10) / -10% on ${base}`, async (embedder) => {
  const first = range(0, base);
  const index = await LeannIndex.build(first.map((i) => ds.passages[i]!), { embedder, vectors: rows(first), cacheBytes: 0 });
  for (let s = base; s < cycleN; s += 10) await index.add(range(s, Math.min(10, cycleN - s)).map((i) => ds.passages[i]!));
  const gone = first.filter((i) => i % 10 === 3);
  await index.delete(gone.map((i) => ds.passages[i]!.id));
  return { index, finalIds: [...first.filter((i) => i % 10 !== 3), ...range(base, cycleN - base)] };
});
const GROWN = 3000;
await recallVsFresh(`grown from empty to ${GROWN} in batches of 100`, async (embedder) => {
  const index = LeannIndex.create({ embedder, cacheBytes: 0 });
  for (let s = 0; s < GROWN; s += 100) await index.add(range(s, 100).map((i) => ds.passages[i]!));
  return { index, finalIds: range(0, GROWN) };
});

// 3. Build time against an embedder with 100 ms latency a call.
class SlowEmbedder extends CachedEmbedder {
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    await new Promise((r) => setTimeout(r, 100));
    return super.embedDocuments(texts);
  }
}
const BUILD_N = Math.min(count, 10_000);
const buildMs: Record<string, number> = {};
{
  // The floor: the same build with the vectors given (no embedder at all), on this machine now.
  const t = performance.now();
  const ids = range(0, BUILD_N);
  await LeannIndex.build(ids.map((i) => ds.passages[i]!), { embedder: new CachedEmbedder(ds, ds.meta.model), vectors: rows(ids) });
  console.log(`build ${BUILD_N} with the vectors given (no embedder calls): ${f((performance.now() - t) / 1000, 1)} s`);
}
for (const [label, extra] of [["concurrency 1", { embedConcurrency: 1 }], ["default", {}]] as const) {
  const embedder = new SlowEmbedder(ds, ds.meta.model);
  const t = performance.now();
  let index: Index;
  try {
    index = await LeannIndex.build(range(0, BUILD_N).map((i) => ds.passages[i]!), { embedder, ...extra });
  } catch (err) {
    console.log(`build ${BUILD_N} with 100 ms/call, ${label}: not supported here (${(err as Error).message.split("\n")[0]})`);
    continue;
  }
  buildMs[label] = performance.now() - t;
  const embedS = (index.buildTimings?.embed ?? 0) / 1000;
  console.log(`build ${BUILD_N} with 100 ms/call, ${label}: ${f(buildMs[label]! / 1000, 1)} s (${embedder.calls} embedder calls; all embeddings in after ${f(embedS, 1)} s)`);
}
if (buildMs["concurrency 1"] && buildMs.default) console.log(`speed-up: ${f(buildMs["concurrency 1"] / buildMs.default, 2)}x`);
console.log(`total ${f((performance.now() - t0) / 1000, 0)} s`);
