/**
 * Peer vector stores, driven with precomputed vectors (no embedder in the loop), each saved the way its users
 * save it. Every peer function has the signature
 *
 *   (vectors: Float32Array, dims: number, passages: {id, text}[], queryVectors: Float32Array, k: number, params?)
 *     => Promise<PeerResult>
 *
 * and returns build time, bytes on disk of the saved folder (and without the text where the format separates
 * it), the ids found for each query, per-query search latency by vector (p50/p95) and peak RSS.
 *
 * Peak RSS is `process.resourceUsage().maxRSS`: a process-wide high-water mark, meaningful only when the peer
 * runs alone in its process. Use `runPeerIsolated` (one child process per peer) for comparable memory numbers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, type Passage } from "./datasets.ts";
import { exactSearchOne } from "./exact.ts";

export interface PeerResult {
  peer: string;
  params: Record<string, unknown>;
  count: number;
  dims: number;
  /** Time to build the in-memory structure from the vectors (not including save). */
  buildMs: number;
  /** Time to write it to disk the way its users do (0 when nothing is saved). */
  saveMs: number;
  /** Total bytes of the saved folder (files summed). */
  bytesOnDisk: number;
  /** Bytes of the saved files that do not hold the passage text, where the format separates them; else null. */
  bytesWithoutText: number | null;
  /** What the byte numbers cover. */
  bytesNote: string;
  /** Passage ids found for each query, best first. */
  results: string[][];
  searchMsP50: number;
  searchMsP95: number;
  searchMsMean: number;
  /** Process peak RSS after the run (MB); comparable across peers only with runPeerIsolated. */
  peakRssMb: number | null;
  /** RSS when the peer started (the dataset is already loaded), MB. */
  rssStartMb: number;
  /** Files of the saved folder and their sizes. */
  files?: Record<string, number>;
}

export type PeerParams = Record<string, unknown>;

export type PeerFn = (
  vectors: Float32Array,
  dims: number,
  passages: readonly Passage[],
  queryVectors: Float32Array,
  k: number,
  params?: PeerParams,
) => Promise<PeerResult>;

// ---------------------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------------------

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Sum of file sizes under a folder, and the per-file sizes (relative paths). */
export function folderBytes(dir: string): { total: number; files: Record<string, number> } {
  const files: Record<string, number> = {};
  let total = 0;
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p, r);
      else if (e.isFile()) {
        const s = statSync(p).size;
        files[r] = s;
        total += s;
      }
    }
  };
  walk(dir, "");
  return { total, files };
}

function rows(vectors: Float32Array, dims: number): number[][] {
  const out: number[][] = [];
  for (let o = 0; o < vectors.length; o += dims) out.push(Array.from(vectors.subarray(o, o + dims)));
  return out;
}

function tempDir(peer: string): string {
  return mkdtempSync(join(tmpdir(), `leann-bench-${peer}-`));
}

/** Runs `search` once per query (after a short warm-up) and times each call. */
async function timeSearches(queries: number[][], search: (q: number[], i: number) => Promise<string[]> | string[]): Promise<{ results: string[][]; p50: number; p95: number; mean: number }> {
  const warm = Math.min(5, queries.length);
  for (let i = 0; i < warm; i++) await search(queries[i]!, i);
  const results: string[][] = [];
  const times: number[] = [];
  for (let i = 0; i < queries.length; i++) {
    const t0 = performance.now();
    const r = await search(queries[i]!, i);
    times.push(performance.now() - t0);
    results.push(r);
  }
  const sorted = times.slice().sort((a, b) => a - b);
  return { results, p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length) };
}

function finish(base: Omit<PeerResult, "peakRssMb" | "searchMsP50" | "searchMsP95" | "searchMsMean" | "results">, s: { results: string[][]; p50: number; p95: number; mean: number }): PeerResult {
  return {
    ...base,
    results: s.results,
    searchMsP50: s.p50,
    searchMsP95: s.p95,
    searchMsMean: s.mean,
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
  };
}

/** Embeddings stub for stores that insist on an embeddings object: the vectors are precomputed. */
const precomputedEmbeddings = {
  async embedDocuments(): Promise<number[][]> {
    throw new Error("bench peers pass precomputed vectors; embedDocuments must not be called");
  },
  async embedQuery(): Promise<number[]> {
    throw new Error("bench peers search by vector; embedQuery must not be called");
  },
};

const rssNow = (): number => mb(process.memoryUsage().rss);

// ---------------------------------------------------------------------------------------------------------
// LangChain HNSWLib (@langchain/community/vectorstores/hnswlib over hnswlib-node)
// ---------------------------------------------------------------------------------------------------------

/**
 * LangChain's HNSWLib built with `addVectors` and saved with `.save(dir)` (hnswlib.index + docstore.json + args.json).
 * params: space ("cosine" default, as `fromDocuments` uses), efSearch (optional: `store.index.setEf`; hnswlib's default
 * ef is 10, and searchKnn uses max(ef, k)). LangChain exposes no M / efConstruction: its `initIndex(n)` always uses
 * hnswlib's defaults (M 16, efConstruction 200), even re-initialising an empty index passed in `args.index`.
 */
export const langchainHnswlib: PeerFn = async (vectors, dims, passages, queryVectors, k, params = {}) => {
  const { HNSWLib } = await import("@langchain/community/vectorstores/hnswlib");
  const { Document } = await import("@langchain/core/documents");
  const space = (params.space as "cosine" | "ip" | "l2" | undefined) ?? "cosine";
  const vecs = rows(vectors, dims);
  const docs = passages.map((p) => new Document({ pageContent: p.text, metadata: { id: p.id } }));
  const queries = rows(queryVectors, dims);
  const rssStartMb = rssNow();
  const t0 = performance.now();
  const store = new HNSWLib(precomputedEmbeddings as never, { space, numDimensions: dims });
  await store.addVectors(vecs, docs);
  const buildMs = performance.now() - t0;
  if (typeof params.efSearch === "number") store.index.setEf(params.efSearch);
  const dir = tempDir("langchain-hnswlib");
  try {
    const t1 = performance.now();
    await store.save(dir);
    const saveMs = performance.now() - t1;
    const { total, files } = folderBytes(dir);
    const s = await timeSearches(queries, async (q) => (await store.similaritySearchVectorWithScore(q, k)).map(([d]) => d.metadata.id as string));
    return finish(
      {
        peer: "langchain-hnswlib",
        params: { space, M: 16, efConstruction: 200, ef: store.index.getEf(), note: "LangChain HNSWLib fixes M/efConstruction to hnswlib defaults" },
        count: passages.length,
        dims,
        buildMs,
        saveMs,
        bytesOnDisk: total,
        bytesWithoutText: total - (files["docstore.json"] ?? 0),
        bytesNote: "save(dir): hnswlib.index (graph + float32 vectors) + args.json + docstore.json (text + metadata {id}); without text = all but docstore.json",
        rssStartMb,
        files,
      },
      s,
    );
  } finally {
    if (!params.keep) rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * Bare hnswlib-node HierarchicalNSW at given M / efConstruction (a fair "graph build time"), saved with writeIndexSync.
 * params: M (16), efConstruction (200), efSearch (default max(10, k) as hnswlib), space ("cosine"), seed (100).
 */
export const hnswlibBare: PeerFn = async (vectors, dims, passages, queryVectors, k, params = {}) => {
  const mod = (await import("hnswlib-node")) as typeof import("hnswlib-node") & { default?: typeof import("hnswlib-node") };
  const HierarchicalNSW = mod.HierarchicalNSW ?? mod.default!.HierarchicalNSW; // CommonJS addon: named export only via default under ESM
  const M = (params.M as number | undefined) ?? 16;
  const efConstruction = (params.efConstruction as number | undefined) ?? 200;
  const space = (params.space as "cosine" | "ip" | "l2" | undefined) ?? "cosine";
  const seed = (params.seed as number | undefined) ?? 100;
  const vecs = rows(vectors, dims);
  const queries = rows(queryVectors, dims);
  const rssStartMb = rssNow();
  const t0 = performance.now();
  const index = new HierarchicalNSW(space, dims);
  index.initIndex(passages.length, M, efConstruction, seed);
  for (let i = 0; i < vecs.length; i++) index.addPoint(vecs[i]!, i);
  const buildMs = performance.now() - t0;
  if (typeof params.efSearch === "number") index.setEf(params.efSearch);
  const dir = tempDir("hnswlib");
  try {
    const t1 = performance.now();
    index.writeIndexSync(join(dir, "hnswlib.index"));
    const saveMs = performance.now() - t1;
    const { total, files } = folderBytes(dir);
    const s = await timeSearches(queries, (q) => index.searchKnn(q, k).neighbors.map((i) => passages[i]!.id));
    return finish(
      {
        peer: "hnswlib-node",
        params: { space, M, efConstruction, ef: index.getEf(), seed },
        count: passages.length,
        dims,
        buildMs,
        saveMs,
        bytesOnDisk: total,
        bytesWithoutText: total,
        bytesNote: "writeIndexSync: graph + float32 vectors, no text",
        rssStartMb,
        files,
      },
      s,
    );
  } finally {
    if (!params.keep) rmSync(dir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------------------
// LangChain MemoryVectorStore (@langchain/classic/vectorstores/memory)
// ---------------------------------------------------------------------------------------------------------

/**
 * MemoryVectorStore filled with `addVectors`. It has no save API: its "save" is `JSON.stringify(store.memoryVectors)`,
 * which is what is measured (bytes of that UTF-8 string; nothing is written). Without text = the same JSON with
 * every `content` emptied.
 */
export const langchainMemory: PeerFn = async (vectors, dims, passages, queryVectors, k) => {
  const { MemoryVectorStore } = await import("@langchain/classic/vectorstores/memory");
  const { Document } = await import("@langchain/core/documents");
  const vecs = rows(vectors, dims);
  const docs = passages.map((p) => new Document({ pageContent: p.text, metadata: { id: p.id } }));
  const queries = rows(queryVectors, dims);
  const rssStartMb = rssNow();
  const t0 = performance.now();
  const store = new MemoryVectorStore(precomputedEmbeddings as never);
  await store.addVectors(vecs, docs);
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  const json = JSON.stringify(store.memoryVectors);
  const saveMs = performance.now() - t1;
  const bytes = Buffer.byteLength(json, "utf8");
  const withoutText = Buffer.byteLength(JSON.stringify(store.memoryVectors.map((m) => ({ ...m, content: "" }))), "utf8");
  const s = await timeSearches(queries, async (q) => (await store.similaritySearchVectorWithScore(q, k)).map(([d]) => d.metadata.id as string));
  return finish(
    {
      peer: "langchain-memory",
      params: { similarity: "cosine (default)" },
      count: passages.length,
      dims,
      buildMs,
      saveMs,
      bytesOnDisk: bytes,
      bytesWithoutText: withoutText,
      bytesNote: "no save API: bytes of JSON.stringify(store.memoryVectors) (text + number[] embeddings + metadata); without text = same with content emptied",
      rssStartMb,
    },
    s,
  );
};

// ---------------------------------------------------------------------------------------------------------
// LlamaIndex VectorStoreIndex over SimpleVectorStore, persisted to a folder
// ---------------------------------------------------------------------------------------------------------

/**
 * LlamaIndex (`llamaindex` 0.12): TextNodes carrying their precomputed embeddings (a pass-through embed model keeps
 * them), indexed with `VectorStoreIndex.init({ nodes, storageContext })` over the default SimpleVectorStore, persisted
 * as vector_store.json + doc_store.json (the text) + index_store.json. Search by vector:
 * `vectorStore.query({ queryEmbedding, similarityTopK })`.
 * params.persist:
 *   "once" (default): in-memory storageContext, then `persist(path)` on the three stores once (saveMs).
 *   "persistDir": `storageContextFromDefaults({ persistDir })`, the documented way; the stores then rewrite their
 *      whole JSON file after every node added (quadratic: ~33 s for 678 passages here), all inside buildMs.
 */
export const llamaindexSimple: PeerFn = async (vectors, dims, passages, queryVectors, k, params = {}) => {
  const li = await import("llamaindex");
  const { VectorStoreIndex, storageContextFromDefaults, TextNode, BaseEmbedding, Settings, VectorStoreQueryMode, ModalityType } = li;
  class PrecomputedEmbedding extends BaseEmbedding {
    constructor() {
      super(async (nodes) => nodes); // keep node.embedding as given
    }
    async getTextEmbedding(): Promise<number[]> {
      throw new Error("bench peers pass precomputed vectors");
    }
  }
  Settings.embedModel = new PrecomputedEmbedding();
  const persistMode = (params.persist as string | undefined) ?? "once";
  const vecs = rows(vectors, dims);
  const queries = rows(queryVectors, dims);
  const nodes = passages.map((p, i) => new TextNode({ id_: p.id, text: p.text, embedding: vecs[i]! }));
  const dir = tempDir("llamaindex");
  type Persistable = { persist(path?: string): Promise<void> | void };
  try {
    const rssStartMb = rssNow();
    const t0 = performance.now();
    const storageContext = await storageContextFromDefaults(persistMode === "persistDir" ? { persistDir: dir } : {});
    const index = await VectorStoreIndex.init({ nodes, storageContext });
    const buildMs = performance.now() - t0;
    const vs = index.vectorStores[ModalityType.TEXT] as unknown as Persistable & { query: (q: unknown) => Promise<{ ids: string[] }> };
    const t1 = performance.now();
    if (persistMode !== "persistDir") {
      await vs.persist(join(dir, "vector_store.json"));
      // SimpleDocumentStore.persist() is a silent no-op in llamaindex 0.12.1 (it checks `kvStore instanceof
      // BaseInMemoryKVStore`, which SimpleKVStore is not): persist through the stores' key-value stores instead.
      await (storageContext.docStore as unknown as { kvStore: Persistable }).kvStore.persist(join(dir, "doc_store.json"));
      await (storageContext.indexStore as unknown as { kvStore: Persistable }).kvStore.persist(join(dir, "index_store.json"));
    }
    const saveMs = performance.now() - t1;
    const { total, files } = folderBytes(dir);
    const s = await timeSearches(queries, async (q) => (await vs.query({ queryEmbedding: q, similarityTopK: k, mode: VectorStoreQueryMode.DEFAULT })).ids);
    return finish(
      {
        peer: "llamaindex-simple",
        params: { vectorStore: "SimpleVectorStore (default)", persist: persistMode },
        count: passages.length,
        dims,
        buildMs,
        saveMs,
        bytesOnDisk: total,
        bytesWithoutText: files["vector_store.json"] ?? null,
        bytesNote:
          "vector_store.json (number[] embeddings) + doc_store.json (nodes with text) + index_store.json (IndexDict.nodesDict: the nodes again, text included); without text = vector_store.json",
        rssStartMb,
        files,
      },
      s,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------------------
// LanceDB embedded table
// ---------------------------------------------------------------------------------------------------------

/**
 * LanceDB (`@lancedb/lancedb`) table {id, text, vector} in a temporary folder, searched with
 * `table.vectorSearch(q).distanceType("cosine").limit(k)`.
 * params: index: "auto" (IVF_PQ when count >= indexMinRows, default 5000) | "none" | "ivf_pq" | "ivf_flat" | "hnsw_sq";
 * numPartitions, numSubVectors (Lance defaults when unset), nprobes (Lance default), refineFactor;
 * measureWithoutText (true: builds a second table without the text column to measure its bytes).
 */
export const lancedb: PeerFn = async (vectors, dims, passages, queryVectors, k, params = {}) => {
  const lance = await import("@lancedb/lancedb");
  const vecs = rows(vectors, dims);
  const queries = rows(queryVectors, dims);
  const indexMinRows = (params.indexMinRows as number | undefined) ?? 5000;
  let indexKind = (params.index as string | undefined) ?? "auto";
  if (indexKind === "auto") indexKind = passages.length >= indexMinRows ? "ivf_pq" : "none";
  const dir = tempDir("lancedb");
  try {
    const rssStartMb = rssNow();
    const t0 = performance.now();
    const db = await lance.connect(dir);
    const table = await db.createTable(
      "passages",
      passages.map((p, i) => ({ id: p.id, text: p.text, vector: vecs[i]! })),
      { mode: "overwrite" },
    );
    const createMs = performance.now() - t0;
    const opts: Record<string, unknown> = { distanceType: "cosine" };
    if (params.numPartitions !== undefined) opts.numPartitions = params.numPartitions;
    if (params.numSubVectors !== undefined) opts.numSubVectors = params.numSubVectors;
    if (indexKind === "ivf_pq") await table.createIndex("vector", { config: lance.Index.ivfPq(opts) });
    else if (indexKind === "ivf_flat") await table.createIndex("vector", { config: lance.Index.ivfFlat(opts) });
    else if (indexKind === "hnsw_sq") await table.createIndex("vector", { config: lance.Index.hnswSq(opts) });
    const buildMs = performance.now() - t0; // data is written as it is added: no separate save
    const { total, files } = folderBytes(dir);
    let withoutText: number | null = null;
    if (params.measureWithoutText ?? true) {
      const t2 = await db.createTable("no_text", passages.map((p, i) => ({ id: p.id, vector: vecs[i]! })), { mode: "overwrite" });
      if (indexKind === "ivf_pq") await t2.createIndex("vector", { config: lance.Index.ivfPq(opts) });
      else if (indexKind === "ivf_flat") await t2.createIndex("vector", { config: lance.Index.ivfFlat(opts) });
      else if (indexKind === "hnsw_sq") await t2.createIndex("vector", { config: lance.Index.hnswSq(opts) });
      withoutText = folderBytes(join(dir, "no_text.lance")).total;
      t2.close();
    }
    const s = await timeSearches(queries, async (q) => {
      let query = table.vectorSearch(q).distanceType("cosine").limit(k).select(["id", "_distance"]);
      if (typeof params.nprobes === "number") query = query.nprobes(params.nprobes);
      if (typeof params.refineFactor === "number") query = query.refineFactor(params.refineFactor);
      const r = await query.toArray();
      return r.map((row: { id: string }) => row.id);
    });
    table.close();
    db.close();
    return finish(
      {
        peer: "lancedb",
        params: { index: indexKind, createTableMs: Math.round(createMs), ...opts, nprobes: params.nprobes ?? "default", refineFactor: params.refineFactor ?? null },
        count: passages.length,
        dims,
        buildMs,
        saveMs: 0,
        bytesOnDisk: total,
        bytesWithoutText: withoutText,
        bytesNote: "the table folder (Lance data files: float32 vectors + text + id, manifests, index if any); without text = same table built without the text column",
        rssStartMb,
        files: Object.fromEntries(Object.entries(files).filter(([f]) => !f.startsWith("no_text"))),
      },
      s,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// ---------------------------------------------------------------------------------------------------------
// Exact brute force
// ---------------------------------------------------------------------------------------------------------

/** Brute-force inner product over the Float32Array (the ground truth, and a flat-scan latency baseline). */
export const exactFlat: PeerFn = async (vectors, dims, passages, queryVectors, k) => {
  const rssStartMb = rssNow();
  const queries = rows(queryVectors, dims);
  const s = await timeSearches(queries, (q) => exactSearchOne(vectors, dims, Float32Array.from(q), k).map((i) => passages[i]!.id));
  return finish(
    {
      peer: "exact",
      params: { metric: "inner product (normalised vectors)" },
      count: passages.length,
      dims,
      buildMs: 0,
      saveMs: 0,
      bytesOnDisk: vectors.byteLength,
      bytesWithoutText: vectors.byteLength,
      bytesNote: "raw float32 vectors only (count x dims x 4), no text, nothing saved",
      rssStartMb,
    },
    s,
  );
};

export const PEERS: Record<string, PeerFn> = {
  exact: exactFlat,
  "hnswlib-node": hnswlibBare,
  "langchain-hnswlib": langchainHnswlib,
  "langchain-memory": langchainMemory,
  "llamaindex-simple": llamaindexSimple,
  lancedb,
};

/**
 * Runs one peer on a cached dataset in its own child process (so peakRssMb is that peer's own high-water mark).
 * Options: limit (use only the first N passages), queryLimit.
 */
export async function runPeerIsolated(
  peer: string,
  dataset: string,
  k: number,
  params: PeerParams = {},
  opts: { limit?: number; queryLimit?: number } = {},
): Promise<PeerResult> {
  if (!PEERS[peer]) throw new Error(`unknown peer ${peer}; known: ${Object.keys(PEERS).join(", ")}`);
  const outDir = mkdtempSync(join(tmpdir(), "leann-bench-result-"));
  const outFile = join(outDir, "result.json");
  const job = JSON.stringify({ peer, dataset, k, params, limit: opts.limit, queryLimit: opts.queryLimit, outFile });
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(BENCH_DIR, "lib", "peer-worker.ts"), job], {
        cwd: BENCH_DIR,
        stdio: ["ignore", "inherit", "inherit"],
        env: { LANCEDB_LOG: "error", ...process.env }, // Lance's Rust WARN lines otherwise flood the output
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`peer ${peer} worker exited with ${code ?? signal}`))));
    });
    return JSON.parse(readFileSync(outFile, "utf8")) as PeerResult;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Used by peer-worker.ts. */
export function writeResult(path: string, r: PeerResult): void {
  writeFileSync(path, JSON.stringify(r));
}
