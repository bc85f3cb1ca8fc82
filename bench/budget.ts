/**
 * The storage budget's trade (issue 18): per dataset and budget preset, the bytes a passage of the index structures,
 * the whole folder against the raw text, recall@3 (k = 3 searches) and recall@10 (k = 10) against exact search,
 * recomputations a query, and search p50 without the embedder. Cold cache: each preset's index is saved, loaded
 * fresh, and its cache holds only the hub vectors the index stores.
 *
 *   pnpm exec tsx budget.ts                                  # fiori-minilm-384 and mixed-potion-64-100k, all presets
 *   pnpm exec tsx budget.ts --datasets fiori-minilm-384 --presets balanced --queries tune
 *
 * Options: --datasets a,b (cached datasets, see README), --presets tiny,balanced,fast or bytes (e.g. 128),
 * --limit N (index only the first N passages), --queries tune|check|all (default check: the odd-numbered half of
 * the held-out queries, never used to choose constants; tune = the even half), --search '{"maxRecompute":32}',
 * --hnswlib (also time hnswlib-node's build of the same vectors, M 16 and M 32 at efConstruction 200, in this process
 * and at this load, for the build-time comparison; buildMs per phase is printed per preset).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex, type SearchOptions } from "../packages/core/src/index.ts";
import { datasetExists, loadDataset, querySplit, type Dataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";
import { CachedEmbedder } from "./lib/leann.ts";
import { hnswlibBare, percentile } from "./lib/peers.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const datasets = (arg("datasets") ?? "fiori-minilm-384,mixed-potion-64-100k").split(",");
const presets = (arg("presets") ?? "tiny,balanced,fast").split(",").map((p) => (/^\d+$/.test(p) ? Number(p) : (p as "tiny" | "balanced" | "fast")));
const limit = Number(arg("limit") ?? 0);
const which = (arg("queries") ?? "check") as "tune" | "check" | "all";
const extra = JSON.parse(arg("search") ?? "{}") as SearchOptions;
const withHnswlib = process.argv.includes("--hnswlib");

const folderBytes = (dir: string) => readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);

async function run(ds: Dataset, budget: number | "tiny" | "balanced" | "fast", truth: string[][]) {
  const d = ds.meta.dims;
  const embedder = new CachedEmbedder(ds, ds.meta.model);
  const vectors = Array.from({ length: ds.meta.count }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));
  const t0 = performance.now();
  const built = await LeannIndex.build(ds.passages.map((p) => ({ id: p.id, text: p.text })), { embedder, vectors, budget });
  const buildS = (performance.now() - t0) / 1000;
  const dir = mkdtempSync(join(tmpdir(), "leann-budget-"));
  try {
    await built.save(dir);
    const sizes = built.sizes();
    const params = built.params;
    const hubs = sizes.storedVectors > 0 ? Math.round(params.storedHubShare * ds.meta.count) : 0;
    await built.close();
    const raw = ds.passages.reduce((s, p) => s + Buffer.byteLength(p.text), 0);
    const folder = folderBytes(dir);
    const out: Record<string, number | string> = {
      budget: String(budget),
      structuresBPerPassage: Number(((sizes.indexTotal) / ds.meta.count).toFixed(1)),
      folderOverRaw: Number((folder / raw).toFixed(3)),
      buildS: Number(buildS.toFixed(1)),
      buildMs: JSON.stringify(Object.fromEntries(Object.entries(built.buildTimings ?? {}).map(([k, v]) => [k, Math.round(v)]))),
    };
    for (const k of [3, 10]) {
      // Fresh load: the cache starts with the stored hub vectors only (cold cache).
      const index = await LeannIndex.load(dir, { embedder, probe: false, cacheBytes: hubs * d * 4 });
      const found: string[][] = [];
      const ms: number[] = [];
      let recomputed = 0;
      for (let i = 0; i < ds.queries.length; i++) {
        const r = await index.search(ds.queryVectors.subarray(i * d, (i + 1) * d), { ...extra, k });
        found.push(r.hits.map((h) => h.id));
        recomputed += r.stats.recomputed;
        ms.push(r.stats.ms.search);
      }
      ms.sort((a, b) => a - b);
      await index.close();
      out[`recall@${k}`] = Number(recallAtK(found, truth, k).toFixed(3));
      out[`recomputed@${k}`] = Number((recomputed / ds.queries.length).toFixed(1));
      out[`p50ms@${k}`] = Number(percentile(ms, 50).toFixed(2));
    }
    out.layout = params.layout ?? "";
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of datasets) {
  if (!datasetExists(name)) {
    console.log(`${name}: not built, skipped (see bench/README.md)`);
    continue;
  }
  const ds = querySplit(loadDataset(name), which, limit);
  const truth = exactTopKIds(ds.vectors, ds.meta.dims, ds.passages.map((p) => p.id), ds.queryVectors, 10);
  console.log(`\n${name}: ${ds.meta.count} passages, ${ds.meta.dims}-d, ${ds.meta.queryCount} queries (${which})`);
  if (withHnswlib) {
    for (const M of [16, 32]) {
      const r = await hnswlibBare(ds.vectors, ds.meta.dims, ds.passages, ds.queryVectors, 10, { M, efConstruction: 200 });
      console.log(JSON.stringify({ peer: `hnswlib-node M ${M} efConstruction 200`, buildS: Number((r.buildMs / 1000).toFixed(1)) }));
    }
  }
  for (const budget of presets) {
    const r = await run(ds, budget, truth);
    const { layout, ...nums } = r;
    console.log(JSON.stringify(nums));
    console.log(`  ${layout}`);
  }
}
