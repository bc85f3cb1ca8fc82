/**
 * End-to-end search latency with a MiniLM-shaped encoder (issue 18): p50 wall time of a k = 10 search given the query
 * text (query embedding + every recomputation + the walk), LEANN before budgets, LEANN now (default balanced), and
 * hnswlib-node (query embedding + searchKnn over stored float vectors), all with the same encoder.
 *
 * The encoder is packages/onnx/bench/synthetic-encoder.ts: all-MiniLM-L6-v2's shapes (6 layers, hidden 384, 12 heads,
 * FFN 1536; max_seq_length 256 as MiniLM's sentence-transformers config) with RANDOM weights and potion's WordPiece
 * tokenizer, run by @leann/onnx's LocalEmbeddings on onnxruntime. Its vectors mean nothing; its cost is real. So every
 * embedder call runs the encoder on the very texts asked for (paying what MiniLM would) and then returns the dataset's
 * cached vectors for those texts (real sentence-vector geometry, so the walk and its stop rule behave as with a real
 * model). The index's own build uses the cached vectors directly (no encoder), as timing builds is not the point here.
 *
 *   pnpm exec tsx latency-e2e.ts                                  # sotu-use-384p, 10k passages, 20 check queries
 *   pnpm exec tsx latency-e2e.ts --dataset sotu-use-512 --queries 20 --before-core /tmp/old/packages/core/src/index.ts
 *   pnpm exec tsx latency-e2e.ts --only after --budget fast        # one part; updates the results file
 *   pnpm exec tsx latency-e2e.ts --only after --alpha default      # the default hybrid search (default: alpha 1)
 *
 * --before-core: the @leann/core sources from before budgets (e.g. `git archive f5e0336 packages/core/src | tar -x -C
 * /tmp/old`, plus packages/core/package.json and a node_modules link), measured with their defaults (4-bit PQ,
 * 64 subspaces = 32 B codes, graph 20 B, re-ranking in batches of 32 with patience 1). Without it, "before" is
 * approximated on the current core with the old layout (pqBits 4, pqSubspaces 64) — the new stop rule then still acts.
 * Writes results/latency-e2e-<dataset>.json.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { LocalEmbeddings } from "../packages/onnx/src/index.ts";
import { requirePotion } from "../packages/onnx/test/helpers/potion.ts";
import { MINILM_L6, syntheticEncoder } from "../packages/onnx/bench/synthetic-encoder.ts";
import { loadDataset, type Dataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";
import { CachedEmbedder } from "./lib/leann.ts";
import { percentile } from "./lib/peers.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const dataset = arg("dataset") ?? "sotu-use-384p";
const limit = Number(arg("limit") ?? 10_000);
const queryCount = Number(arg("queries") ?? 20);
const beforeCore = arg("before-core");
const only = (arg("only") ?? "before,after,hnswlib").split(",");
/** Budget of the "after" index (default: the default budget, balanced). */
const budget = arg("budget");
/**
 * The searches' alpha: 1 (default here) = dense only, the search hnswlib-node's is compared with and the one recall
 * against exact dense search measures; "default" = the engine's default hybrid search (its recall against exact
 * dense search is then not a quality measure, as the keyword side moves passages in on purpose).
 */
const alphaArg = arg("alpha") ?? "1";
const searchAlpha = alphaArg === "default" ? {} : { alpha: Number(alphaArg) };

/** Runs the synthetic encoder on the texts asked for (the cost), returns the cached vectors (the geometry). */
class PricedEmbedder {
  calls = 0;
  embedded = 0;
  encoderMs = 0;
  constructor(private readonly cached: CachedEmbedder, private readonly encoder: LocalEmbeddings, readonly model: string) {}
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    this.embedded += texts.length;
    const t0 = performance.now();
    await this.encoder.embedFlat(texts);
    this.encoderMs += performance.now() - t0;
    return this.cached.embedDocuments(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }
}

function subset(ds: Dataset): Dataset {
  const d = ds.meta.dims;
  const n = Math.min(limit, ds.meta.count);
  // The odd-numbered (check) half of the held-out queries, as bench/budget.ts --queries check.
  const keep = ds.queries.map((_, i) => i).filter((i) => i % 2 === 1).slice(0, queryCount);
  const qv = new Float32Array(keep.length * d);
  keep.forEach((q, j) => qv.set(ds.queryVectors.subarray(q * d, (q + 1) * d), j * d));
  return { meta: { ...ds.meta, count: n, queryCount: keep.length }, passages: ds.passages.slice(0, n), vectors: ds.vectors.subarray(0, n * d), queries: keep.map((i) => ds.queries[i]!), queryVectors: qv };
}

const ds = subset(loadDataset(dataset));
const d = ds.meta.dims;
const ids = ds.passages.map((p) => p.id);
const truth = exactTopKIds(ds.vectors, d, ids, ds.queryVectors, 10);
const rowsOf = () => Array.from({ length: ds.meta.count }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));

const modelDir = mkdtempSync(join(tmpdir(), "leann-e2e-encoder-"));
const potion = requirePotion();
mkdirSync(join(modelDir, "onnx"));
copyFileSync(join(potion, "tokenizer.json"), join(modelDir, "tokenizer.json"));
// Vocabulary size from the tokenizer (potion's WordPiece vocabulary): every id must have an embedding row.
const tokenizer = JSON.parse(readFileSync(join(potion, "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> | unknown[] }; added_tokens?: { id: number }[] };
const vocabIds = Array.isArray(tokenizer.model.vocab) ? [tokenizer.model.vocab.length - 1] : Object.values(tokenizer.model.vocab);
const vocab = Math.max(...vocabIds, ...(tokenizer.added_tokens ?? []).map((t) => t.id)) + 1;
writeFileSync(join(modelDir, "onnx/model.onnx"), syntheticEncoder({ ...MINILM_L6, vocab }));
writeFileSync(join(modelDir, "config.json"), JSON.stringify({ model_type: "bert", vocab_size: vocab, hidden_size: 384, max_position_embeddings: 512 }));
const encoder = new LocalEmbeddings({ model: modelDir, maxLength: 256, batchSize: 32 });
await encoder.load();
await encoder.embedFlat(ds.passages.slice(0, 8).map((p) => p.text)); // warm-up: the first run allocates the arena

const results: Record<string, unknown> = { dataset, passages: ds.meta.count, dims: d, queries: ds.meta.queryCount, k: 10, loadAverageAtStart: loadavg()[0], encoder: "synthetic MiniLM-L6 shapes, random weights, maxLength 256" };

type Core = typeof import("../packages/core/src/index.ts");
async function leann(label: string, core: Core, buildOptions: Record<string, unknown>, searchOptions: Record<string, unknown> = searchAlpha) {
  const cached = new CachedEmbedder(ds, ds.meta.model);
  const built = await core.LeannIndex.build(ds.passages.map((p) => ({ id: p.id, text: p.text })), { embedder: cached, vectors: rowsOf(), ...buildOptions } as never);
  const dir = mkdtempSync(join(tmpdir(), "leann-e2e-"));
  try {
    await built.save(dir);
    const sizes = built.sizes() as { indexTotal: number };
    const layout = (built.params as { layout?: string }).layout ?? "4-bit PQ, 64 subspaces (before budgets)";
    await built.close();
    const priced = new PricedEmbedder(cached, encoder, ds.meta.model);
    const index = await core.LeannIndex.load(dir, { embedder: priced, probe: false });
    const ms: number[] = [];
    const found: string[][] = [];
    let recomputed = 0, calls = 0;
    for (let i = 0; i < ds.queries.length; i++) {
      const c0 = priced.calls;
      const t0 = performance.now();
      const r = await index.search(ds.queries[i]!.text, { k: 10, ...searchOptions } as never);
      ms.push(performance.now() - t0);
      found.push(r.hits.map((h) => h.id));
      recomputed += r.stats.recomputed;
      calls += priced.calls - c0;
    }
    await index.close();
    const out = {
      label,
      layout,
      indexBytesPerPassage: Number((sizes.indexTotal / ds.meta.count).toFixed(1)),
      recall10: Number(recallAtK(found, truth, 10).toFixed(3)),
      recomputedPerQuery: Number((recomputed / ds.queries.length).toFixed(1)),
      embedderCallsPerQuery: Number((calls / ds.queries.length).toFixed(1)),
      p50ms: Math.round(percentile([...ms].sort((a, b) => a - b), 50)),
      p95ms: Math.round(percentile([...ms].sort((a, b) => a - b), 95)),
    };
    console.log(JSON.stringify(out));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function hnswlib() {
  const mod = (await import("hnswlib-node")) as typeof import("hnswlib-node") & { default?: typeof import("hnswlib-node") };
  const HierarchicalNSW = mod.HierarchicalNSW ?? mod.default!.HierarchicalNSW;
  const index = new HierarchicalNSW("cosine", d);
  index.initIndex(ds.meta.count, 16, 200, 100);
  rowsOf().forEach((v, i) => index.addPoint(Array.from(v), i));
  index.setEf(64);
  const priced = new PricedEmbedder(new CachedEmbedder(ds, ds.meta.model), encoder, ds.meta.model);
  const ms: number[] = [];
  const found: string[][] = [];
  for (const q of ds.queries) {
    const t0 = performance.now();
    const v = await priced.embedQuery(q.text);
    const r = index.searchKnn(v, 10);
    ms.push(performance.now() - t0);
    found.push(r.neighbors.map((i) => ids[i]!));
  }
  const out = {
    label: "hnswlib-node (M 16, efConstruction 200, ef 64; stores float32 vectors)",
    indexBytesPerPassage: d * 4 + 16 * 2 * 4,
    recall10: Number(recallAtK(found, truth, 10).toFixed(3)),
    recomputedPerQuery: 0,
    p50ms: Math.round(percentile([...ms].sort((a, b) => a - b), 50)),
    p95ms: Math.round(percentile([...ms].sort((a, b) => a - b), 95)),
  };
  console.log(JSON.stringify(out));
  return out;
}

console.log(`${dataset}: ${ds.meta.count} passages, ${d}-d, ${ds.meta.queryCount} queries, k = 10; encoder: synthetic MiniLM-L6 (random weights, real cost)`);
try {
  if (only.includes("hnswlib")) results.hnswlib = await hnswlib();
  if (only.includes("after")) {
    const hybrid = alphaArg === "default" ? "-hybrid" : "";
    results[(budget ? `after-${budget}` : "after") + hybrid] = await leann(
      (budget ? `after: budget ${budget}` : "after: default budget (balanced)") + (hybrid ? ", default hybrid search" : ", alpha 1 (dense)"),
      await import("../packages/core/src/index.ts"),
      budget ? { budget: /^\d+$/.test(budget) ? Number(budget) : budget } : {},
    );
  }
  if (only.includes("before")) {
    results.before = beforeCore
      ? await leann(`before: core before budgets (${beforeCore}), its defaults`, (await import(beforeCore)) as Core, {}, {}) // it predates alpha: dense only
      : await leann("before (approximated): current core with pqBits 4, pqSubspaces 64", await import("../packages/core/src/index.ts"), { pqBits: 4, pqSubspaces: 64 });
  }
} finally {
  await encoder.dispose();
  rmSync(modelDir, { recursive: true, force: true });
}
results.loadAverageAtEnd = loadavg()[0];
mkdirSync("results", { recursive: true });
// Runs of parts (--only, --budget) update the dataset's file rather than replace it.
const file = join("results", `latency-e2e-${dataset}.json`);
const earlier = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
writeFileSync(file, JSON.stringify({ ...earlier, ...results }, null, 2) + "\n");
