import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { embedBatched, embedderIdentity, embedQueryChecked, type Embedder } from "./embedder.js";
import {
  ClosedError,
  CorruptIndexError,
  DimensionMismatchError,
  DuplicateIdError,
  EmbedderError,
  IndexNotFoundError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  ModelMismatchError,
} from "./errors.js";
import { writeFileAtomic } from "./format/atomic.js";
import { acquireLock } from "./format/lock.js";
import { decodeIndexFile, encodeIndexFile, type IndexHeader, type SectionData } from "./format/index-file.js";
import { compressGraph, decompressGraph, neighbors, type CompressedGraph } from "./graph/csr.js";
import { buildHnsw, defaultThreads } from "./graph/hnsw-build.js";
import { ensureReachable, pruneGraph } from "./graph/prune.js";
import { reorderForLocality } from "./graph/reorder.js";
import { allocateVectors } from "./graph/simd.js";
import { buildOptionsSchema, DEFAULTS, loadOptionsSchema, parseOptions, searchOptionsSchema } from "./options.js";
import { codeSize, decodePq, encodePq, pqScore, pqTable, trainPq, type PqCodebook } from "./quantize/pq.js";
import { HubCache } from "./search/cache.js";
import { compileFilter, type SearchFilter } from "./search/filter.js";
import { exactWalkSearch, scanSearch, twoLevelSearch, type SearchContext, type WalkResult } from "./search/two-level.js";
import { MutablePassages } from "./store/mutable-passages.js";
import { FilePassageStore, MemoryPassageStore, encodePassageFile, type Metadata, type PassageRecord } from "./store/passages.js";
import { decodeHalf, encodeHalf, roundToHalf } from "./util/f16.js";
import { createRng } from "./util/rng.js";
import { ReadWriteLock } from "./util/rw-lock.js";
import { normalizeRows, score, type Metric } from "./util/vector.js";

import type { AddOptions, AddResult, BuildOptions, BuildPhase, IndexSizes, LoadOptions, PassageInput, SearchHit, SearchMode, SearchOptions, SearchResult, SearchStats } from "./types.js";
import { checkEmbedder, validatePassages, vectorsFrom } from "./validate.js";


interface Core {
  dims: number;
  metric: Metric;
  model: string | null;
  /** Compressed adjacency as built or loaded; replaced by `lists` once the index changes. */
  graph: CompressedGraph;
  lists: number[][] | null;
  maxDegree: number;
  seeds: Uint32Array;
  entry: number;
  pq: PqCodebook;
  codes: Uint8Array;
  inDegree: Uint32Array;
  storedVectors: Float32Array | null;
  hubIds: Uint32Array;
  hubVectors: Float32Array;
  params: Record<string, number | string | boolean>;
}

const CURRENT = "CURRENT";
const GENERATOR = "@leann/core 0.1.0";
/** Passages per embedder round trip when scoring every match directly (scan path). */
const SCAN_BATCH = 256;
/** Walks start from up to this many top-level nodes (scored by PQ, free). */
const SEEDS = 32;


/** Picks up to SEEDS start nodes for walks: the entry point and the highest-level nodes. */
function pickSeeds(levels: Uint8Array, entry: number): Uint32Array {
  const order = Array.from({ length: levels.length }, (_, i) => i)
    .filter((i) => levels[i]! > 0 && i !== entry)
    .sort((a, b) => levels[b]! - levels[a]! || a - b);
  return Uint32Array.from([entry, ...order.slice(0, SEEDS - 1)]);
}

/**
 * An index over passages that stores no embeddings: a pruned, compressed proximity
 * graph plus small PQ codes; search recomputes the few exact embeddings it needs
 * with the embedder.
 */
export class LeannIndex {
  private core: Core;
  private passages: MutablePassages;
  private embedder: Embedder;
  private idMap: Map<string, number> | null = null;
  private cache!: HubCache;
  private readonly cacheBytes: number;
  private readonly embedBatchSize: number;
  private readonly embedTimeoutMs: number;
  /** Tombstones: deleted nodes stay in the arrays until compaction. */
  private deleted: Uint8Array;
  private deletedCount = 0;
  /** Searches share the index; mutations hold it alone, in call order. */
  private readonly lock = new ReadWriteLock();
  private closed = false;
  /** Milliseconds spent in each build phase (only for an index built in this process). */
  buildTimings: Readonly<Record<"embed" | "graph" | "prune" | "quantize" | "total", number>> | null = null;
  /** Directory and passage file this index was loaded from or last saved to. */
  private savedAt: { dir: string; passagesFile: string } | null = null;

  private constructor(core: Core, passages: MutablePassages, embedder: Embedder, o: { cacheBytes: number; embedBatchSize: number; embedTimeoutMs: number }) {
    this.core = core;
    this.passages = passages;
    this.embedder = embedder;
    this.cacheBytes = o.cacheBytes;
    this.embedBatchSize = o.embedBatchSize;
    this.embedTimeoutMs = o.embedTimeoutMs;
    this.deleted = new Uint8Array(passages.count);
    this.resetCache();
  }

  private resetCache(): void {
    const core = this.core;
    this.cache = new HubCache(this.cacheBytes, core.dims, core.inDegree);
    for (let i = 0; i < core.hubIds.length; i++) this.cache.offer(core.hubIds[i]!, core.hubVectors.subarray(i * core.dims, (i + 1) * core.dims));
  }

  /** Number of live passages. */
  get size(): number {
    return this.passages.count - this.deletedCount;
  }
  get dimensions(): number {
    return this.core.dims;
  }
  get metric(): Metric {
    return this.core.metric;
  }
  /** The embedding model identity recorded in the index, if known. */
  get model(): string | null {
    return this.core.model;
  }
  /** Build parameters recorded in the index. */
  get params(): Readonly<Record<string, number | string | boolean>> {
    return this.core.params;
  }

  /**
   * Embeds the passages (unless `vectors` are given), builds the HNSW graph, prunes it,
   * trains PQ codes, and drops the vectors.
   * @throws InvalidInputError for empty or malformed passages and duplicate ids
   * @throws InvalidOptionsError for unknown or out-of-range options
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
   */
  static async build(passages: PassageInput[], options: BuildOptions): Promise<LeannIndex> {
    if (typeof options !== "object" || options === null) throw new InvalidOptionsError("LeannIndex.build(passages, options): options with an embedder are required.");
    const { embedder, vectors: given, onProgress, ...rest } = options;
    checkEmbedder(embedder, "LeannIndex.build");
    const o = parseOptions(buildOptionsSchema, rest, "LeannIndex.build");
    const records = validatePassages(passages);
    const n = records.length;
    if (n === 0) throw new InvalidInputError("LeannIndex.build: no passages given; an index needs at least one passage.");
    const metric = o.metric ?? DEFAULTS.metric;
    const batch = o.embedBatchSize ?? DEFAULTS.embedBatchSize;
    const progress = (phase: BuildPhase, done: number, total: number) => onProgress?.({ phase, done, total });

    const t0 = performance.now();
    let vectors: Float32Array, dims: number;
    // The vectors go straight into memory that graph construction uses as it is (no copies).
    const alloc = (length: number, d: number) => allocateVectors(length / d, d);
    if (given !== undefined) ({ vectors, dims } = vectorsFrom(given, n, alloc));
    else {
      ({ vectors, dims } = await embedBatched(embedder, records.map((r) => r.text), 0, batch, { timeoutMs: o.embedTimeoutMs ?? 0 }, (d) => progress("embed", d, n), alloc));
    }
    if (metric === "cosine") normalizeRows(vectors, dims);
    const embedMs = performance.now() - t0;
    const timings = { embed: embedMs, graph: 0, prune: 0, quantize: 0, total: 0 };
    const { core, order } = await LeannIndex.buildCore(vectors, dims, metric, o, progress, timings);
    core.model = o.modelId ?? embedderIdentity(embedder) ?? null;
    const ordered = Array.from(order, (i) => records[i]!);
    const index = new LeannIndex(core, new MutablePassages(new MemoryPassageStore(ordered)), embedder, {
      cacheBytes: o.cacheBytes ?? DEFAULTS.cacheBytes,
      embedBatchSize: batch,
      embedTimeoutMs: o.embedTimeoutMs ?? 0,
    });
    timings.total = performance.now() - t0;
    index.buildTimings = timings;
    return index;
  }

  private static async buildCore(
    input: Float32Array,
    dims: number,
    metric: Metric,
    o: ReturnType<typeof buildOptionsSchema.parse>,
    progress: (phase: BuildPhase, done: number, total: number) => void,
    timings: { graph: number; prune: number; quantize: number },
  ): Promise<{ core: Core; order: Uint32Array }> {
    let vectors = input;
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const d = now - t;
      t = now;
      return d;
    };
    const n = vectors.length / dims;
    const M = o.M ?? DEFAULTS.M;
    const seed = o.seed ?? DEFAULTS.seed;
    const walkMetric = metric === "l2" ? "l2" : "ip";
    const threads = o.threads || defaultThreads(n);
    const efConstruction = o.efConstruction ?? DEFAULTS.efConstruction;
    const built = await buildHnsw(vectors, dims, { M, efConstruction, seed, threads, metric: walkMetric, onProgress: (d, t) => progress("graph", d, t) });
    timings.graph = lap();
    // From here on, nodes are numbered for locality; `order` maps back to the input order.
    const { graph: g, vectors: ordered, order } = reorderForLocality(built, vectors, dims);
    vectors = ordered;
    progress("prune", 0, 1);
    const hubShare = o.hubShare ?? DEFAULTS.hubShare;
    const pruned = pruneGraph(g, vectors, dims, {
      hubShare,
      hubDegree: M,
      degree: o.prunedDegree ?? DEFAULTS.prunedDegree,
      graphBudget: o.graphBytesPerPassage ?? DEFAULTS.graphBytesPerPassage,
      metric: walkMetric,
    });
    const graph = compressGraph(pruned.adjacency);
    progress("prune", 1, 1);
    timings.prune = lap();
    progress("quantize", 0, 1);
    const subspaces = o.pqSubspaces || Math.min(64, dims);
    const bits = o.pqBits ?? DEFAULTS.pqBits;
    const pq = trainPq(vectors, dims, { subspaces, bits, seed, sample: o.pqSample ?? DEFAULTS.pqSample, iterations: o.pqIterations ?? DEFAULTS.pqIterations });
    // Codebooks are stored in half precision: round them now so the index behaves the same before and after a save.
    roundToHalf(pq.centroids);
    const codes = encodePq(pq, vectors);
    progress("quantize", 1, 1);
    timings.quantize = lap();
    let maxDegree = 0;
    for (let v = 0; v < n; v++) maxDegree = Math.max(maxDegree, pruned.adjacency.starts[v + 1]! - pruned.adjacency.starts[v]!);
    const hubCount = Math.floor((o.storedHubShare ?? DEFAULTS.storedHubShare) * n);
    const hubIds = Uint32Array.from(
      Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => pruned.inDegree[b]! - pruned.inDegree[a]! || a - b)
        .slice(0, hubCount),
    );
    const hubVectors = new Float32Array(hubCount * dims);
    hubIds.forEach((id, i) => hubVectors.set(vectors.subarray(id * dims, (id + 1) * dims), i * dims));
    const core: Core = {
      dims,
      metric,
      model: null,
      graph,
      lists: null,
      maxDegree,
      seeds: pickSeeds(g.levels, g.entry),
      entry: g.entry,
      pq,
      codes,
      inDegree: pruned.inDegree,
      storedVectors: o.storeVectors ? vectors : null,
      hubIds,
      hubVectors,
      params: {
        M,
        efConstruction,
        seed,
        hubShare,
        prunedDegree: pruned.degree,
        prunedDegreeOption: o.prunedDegree ?? DEFAULTS.prunedDegree,
        storedHubShare: o.storedHubShare ?? DEFAULTS.storedHubShare,
        pqSample: o.pqSample ?? DEFAULTS.pqSample,
        pqIterations: o.pqIterations ?? DEFAULTS.pqIterations,
        trainedOn: n,
        hubs: pruned.hubs,
        averageDegree: Number((pruned.adjacency.ids.length / n).toFixed(3)),
        graphBytesPerPassage: o.graphBytesPerPassage ?? DEFAULTS.graphBytesPerPassage,
      },
    };
    return { core, order };
  }

  /**
   * Searches by text (embedded with the embedder's embedQuery) or by a query vector.
   * @throws InvalidOptionsError for bad options (k not a positive integer, unknown keys)
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
   */
  search(query: string | ArrayLike<number>, options: SearchOptions = {}): Promise<SearchResult> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.lock.read(() => this.searchNow(query, options));
  }

  private async searchNow(query: string | ArrayLike<number>, options: SearchOptions): Promise<SearchResult> {
    const t0 = performance.now();
    const { filter, includeVectors, ...tuning } = options ?? {};
    const o = parseOptions(searchOptionsSchema, tuning, "LeannIndex.search");
    const predicate = compileFilter(filter);
    const k = o.k ?? DEFAULTS.k;
    const { dims, metric } = this.core;
    const stats: SearchStats = { recomputed: 0, cacheHits: 0, visited: 0, expanded: 0, embedderCalls: 0, path: "two-level", ms: { total: 0, embed: 0, search: 0 } };
    let q: Float32Array;
    if (typeof query === "string") {
      if (query.trim().length === 0) throw new InvalidInputError("LeannIndex.search: the query text is empty.");
      const te = performance.now();
      q = await embedQueryChecked(this.embedder, query, dims, { timeoutMs: this.embedTimeoutMs });
      stats.embedderCalls++;
      stats.ms.embed += performance.now() - te;
    } else {
      if (query === null || typeof query !== "object" || typeof query.length !== "number") {
        throw new InvalidInputError(`LeannIndex.search: query must be a string or an array of ${dims} numbers, received ${query === null ? "null" : typeof query}.`);
      }
      if (query.length !== dims) throw new DimensionMismatchError(dims, query.length, "LeannIndex.search query vector");
      q = Float32Array.from(query);
      if (!q.every(Number.isFinite)) throw new InvalidInputError("LeannIndex.search: the query vector holds NaN or infinite values.");
    }
    if (metric === "cosine") normalizeRows(q, dims);

    let mode: SearchMode = o.mode ?? (this.core.storedVectors ? "stored" : "two-level");
    if (mode === "stored" && !this.core.storedVectors) {
      throw new InvalidOptionsError('LeannIndex.search: mode "stored" needs an index built with storeVectors: true; use "two-level" or rebuild with storeVectors.');
    }
    const vectors = includeVectors ? new Map<number, Float32Array>() : undefined;
    const ctx = this.searchContext(stats, mode === "stored", vectors);
    const deleted = this.deleted;
    const metaCache = new Map<number, boolean>();
    const accept = predicate
      ? (id: number) => {
          if (deleted[id]) return false;
          let ok = metaCache.get(id);
          if (ok === undefined) {
            const p = this.passages.get(id);
            ok = predicate(p.metadata, p.id) === true;
            metaCache.set(id, ok);
          }
          return ok;
        }
      : this.deletedCount > 0
        ? (id: number) => !deleted[id]
        : undefined;
    const live = this.size;
    const walkOpts = {
      k,
      ef: Math.max(o.ef ?? DEFAULTS.ef, k),
      maxRecompute: Math.max(o.maxRecompute ?? DEFAULTS.maxRecompute, k),
      rerankShare: o.rerankShare ?? DEFAULTS.rerankShare,
      batchSize: o.batchSize ?? DEFAULTS.batchSize,
      patience: o.patience ?? DEFAULTS.patience,
    };
    let r: WalkResult | undefined;
    if (live === 0) r = { ids: [], scores: [], visited: 0, expanded: 0, exact: 0, batches: 0 };
    else if (predicate && mode !== "scan" && mode !== "exact-walk") {
      // Estimate the filter's share on an evenly spaced sample. When few passages match,
      // a walk would mostly meet non-matching nodes: score the matches directly instead.
      // A seeded random sample: a stride could line up with periodic metadata.
      const n = this.passages.count;
      const rng = createRng(n + 1);
      let seen = 0, hit = 0;
      for (let t = 0; t < Math.min(256, n); t++) {
        const i = n <= 256 ? t : Math.floor(rng() * n);
        if (deleted[i]) continue;
        seen++;
        if (accept!(i)) hit++;
      }
      const share = seen ? hit / seen : 0;
      stats.filterShare = share;
      if (share * live <= walkOpts.maxRecompute || share < 0.02) mode = "scan";
      else {
        const widen = Math.min(8, 1 / share);
        r = await twoLevelSearch(ctx, q, { ...walkOpts, ef: Math.ceil(walkOpts.ef * widen), accept });
        // The walk starved (fewer than k matches met): fall back to scoring the matches.
        if (r.ids.length < k) mode = "scan";
      }
    }
    if (!r || (mode === "scan" && stats.path !== "scan")) {
      stats.path = mode;
      if (mode === "scan") r = await scanSearch(ctx, q, { k, batchSize: SCAN_BATCH, ...(accept ? { accept } : {}) });
      else if (mode === "exact-walk") r = await exactWalkSearch(ctx, q, { k, ef: o.ef ?? DEFAULTS.ef, batchSize: o.batchSize ?? 1, ...(accept ? { accept } : {}) });
      else r = await twoLevelSearch(ctx, q, { ...walkOpts, ...(accept ? { accept } : {}) });
    } else stats.path = mode;
    stats.visited = r.visited;
    stats.expanded = r.expanded;
    const hits = r.ids.map((id, i) => {
      const p = this.passages.get(id);
      const hit: SearchHit = { id: p.id, score: r.scores[i]!, text: p.text, metadata: p.metadata };
      const v = vectors?.get(id);
      if (v) hit.vector = Array.from(v);
      return hit;
    });
    stats.ms.total = performance.now() - t0;
    stats.ms.search = stats.ms.total - stats.ms.embed;
    return { hits, stats };
  }

  private neighborsOf(): (v: number, out: Uint32Array) => number {
    const { lists, graph } = this.core;
    if (!lists) return (v, out) => Math.max(0, neighbors(graph, v, out));
    return (v, out) => {
      const l = lists[v]!;
      const c = Math.min(l.length, out.length);
      for (let i = 0; i < c; i++) out[i] = l[i]!;
      return c;
    };
  }

  private searchContext(stats: SearchStats, useStored: boolean, capture?: Map<number, Float32Array>, fresh?: Map<number, Float32Array>): SearchContext {
    const c = this.core;
    return {
      n: this.passages.count,
      dims: c.dims,
      metric: c.metric,
      neighbors: this.neighborsOf(),
      maxDegree: Math.max(1, c.maxDegree),
      seeds: c.seeds,
      pq: c.pq,
      codes: c.codes,
      exact: async (ids) => {
        const out = new Float32Array(ids.length * c.dims);
        const missing: number[] = [];
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          const v = fresh?.get(id) ?? (useStored ? c.storedVectors!.subarray(id * c.dims, (id + 1) * c.dims) : this.cache.get(id));
          if (v) {
            out.set(v, i * c.dims);
            stats.cacheHits++;
          } else missing.push(i);
        }
        if (missing.length > 0) {
          const texts = missing.map((i) => this.passages.get(ids[i]!).text);
          const te = performance.now();
          const { vectors } = await embedBatched(this.embedder, texts, c.dims, this.embedBatchSize, { timeoutMs: this.embedTimeoutMs });
          stats.ms.embed += performance.now() - te;
          stats.embedderCalls += Math.ceil(texts.length / this.embedBatchSize);
          stats.recomputed += texts.length;
          if (c.metric === "cosine") normalizeRows(vectors, c.dims);
          missing.forEach((i, j) => {
            const v = vectors.subarray(j * c.dims, (j + 1) * c.dims);
            out.set(v, i * c.dims);
            this.cache.offer(ids[i]!, v);
          });
        }
        if (capture) for (let i = 0; i < ids.length; i++) capture.set(ids[i]!, out.slice(i * c.dims, (i + 1) * c.dims));
        return out;
      },
    };
  }

  /** Runs mutations one after another, in call order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.lock.write(fn);
  }

  private closedError(): ClosedError {
    return new ClosedError("This LeannIndex was closed with close(); open it again with LeannIndex.load(dir, { embedder }).");
  }

  /** Switches the graph to its mutable form (adjacency lists). */
  private mutableLists(): number[][] {
    const c = this.core;
    if (!c.lists) {
      const adj = decompressGraph(c.graph, Math.max(1, c.maxDegree));
      c.lists = Array.from({ length: adj.starts.length - 1 }, (_, v) => Array.from(adj.ids.subarray(adj.starts[v]!, adj.starts[v + 1]!)));
    }
    return c.lists;
  }

  /**
   * Inserts passages into the live index: each new passage is embedded, its neighbours
   * are found by a search (recomputing as a search does), linked under the pruning
   * rules (ordinary degree out, back-links while the neighbour has room), and PQ-encoded
   * with the existing codebooks. An id that already exists is replaced (upsert).
   * On any failure the index is left exactly as it was.
   * @throws DuplicateIdError when an id appears twice in `passages`
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
   */
  add(passages: PassageInput[], options: AddOptions = {}): Promise<AddResult> {
    return this.exclusive(() => this.addNow(passages, options));
  }

  private async addNow(passages: PassageInput[], options: AddOptions): Promise<AddResult> {
    const records = validatePassages(passages);
    const stats = { embedded: 0, recomputed: 0, cacheHits: 0, replaced: 0, rebuilt: false };
    if (records.length === 0) return { ids: [], stats };
    const c = this.core;
    const dims = c.dims;
    let vectors: Float32Array;
    if (options?.vectors !== undefined) {
      const given = vectorsFrom(options.vectors, records.length);
      if (given.dims !== dims) throw new DimensionMismatchError(dims, given.dims, "LeannIndex.add options.vectors");
      vectors = given.vectors;
    } else {
      vectors = (await embedBatched(this.embedder, records.map((r) => r.text), dims, this.embedBatchSize, { timeoutMs: this.embedTimeoutMs })).vectors;
      stats.embedded = records.length;
    }
    if (c.metric === "cosine") normalizeRows(vectors, dims);
    // PQ codebooks (and the graph's early structure) learnt from a small first batch fit a
    // grown collection badly: while the collection is small, rebuild whenever it doubles.
    // Each passage is then re-embedded about once more in total (a geometric series).
    const trainedOn = Number(c.params.trainedOn ?? this.passages.count);
    const pqSample = Number(c.params.pqSample ?? DEFAULTS.pqSample);
    if (this.size === 0 || (trainedOn < pqSample && this.size + records.length >= 2 * trainedOn)) {
      return this.rebuildWith(records, vectors, stats);
    }
    const newCodes = encodePq(c.pq, vectors);

    // The id map must describe the index before this add (upserts look up old nodes).
    const ids = this.ids();
    // Snapshot what a rollback needs; everything else only grows and is truncated back.
    const n0 = this.passages.count;
    const lists = this.mutableLists();
    const cs = codeSize(c.pq);
    const snapshot = { codes: c.codes, deleted: this.deleted, inDegree: c.inDegree, seeds: c.seeds, entry: c.entry, maxDegree: c.maxDegree, stored: c.storedVectors };
    const linked: [number, number][] = [];
    const m = Number(c.params.prunedDegree) || 8;
    const hubDegree = Number(c.params.M) || DEFAULTS.M;
    const grow = <T extends Uint8Array | Uint32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a.subarray(0, Math.min(a.length, size)));
      return b;
    };
    c.codes = grow(c.codes, (n0 + records.length) * cs);
    c.codes.set(newCodes, n0 * cs);
    this.deleted = grow(this.deleted, n0 + records.length);
    c.inDegree = grow(c.inDegree, n0 + records.length);
    if (c.storedVectors) {
      const sv = new Float32Array((n0 + records.length) * dims);
      sv.set(c.storedVectors);
      sv.set(vectors, n0 * dims);
      c.storedVectors = sv;
    }
    const fresh = new Map<number, Float32Array>();
    const searchStats: SearchStats = { recomputed: 0, cacheHits: 0, visited: 0, expanded: 0, embedderCalls: 0, path: "two-level", ms: { total: 0, embed: 0, search: 0 } };
    try {
      for (let j = 0; j < records.length; j++) {
        const x = n0 + j;
        const vx = vectors.subarray(j * dims, (j + 1) * dims);
        this.passages.append(records[j]!);
        lists.push([]);
        fresh.set(x, vx);
        const liveBefore = x - this.deletedCount;
        if (liveBefore === 0) {
          c.seeds = Uint32Array.of(x);
          c.entry = x;
          continue;
        }
        // Neighbour candidates: a search for the new vector, keeping the exact vectors it met.
        const met = new Map<number, Float32Array>();
        const ctx = { ...this.searchContext(searchStats, c.storedVectors !== null, met, fresh), n: x + 1 };
        const deleted = this.deleted;
        const r = await twoLevelSearch(ctx, vx, {
          k: Math.max(2 * m, 16),
          ef: DEFAULTS.ef,
          maxRecompute: DEFAULTS.maxRecompute,
          rerankShare: 1,
          batchSize: DEFAULTS.batchSize,
          patience: DEFAULTS.patience,
          accept: (id) => id !== x && !deleted[id],
        });
        // RNG heuristic over the exact candidates (best first).
        const kept: number[] = [];
        for (let i = 0; i < r.ids.length && kept.length < m; i++) {
          const e = r.ids[i]!, se = r.scores[i]!;
          const ve = met.get(e)!;
          if (kept.every((s) => score(c.metric, ve, 0, met.get(s)!, 0, dims) < se)) kept.push(e);
        }
        lists[x] = kept;
        let back = 0;
        for (const u of kept) {
          if (lists[u]!.length < hubDegree) {
            lists[u]!.push(x);
            linked.push([u, x]);
            back++;
          }
        }
        if (back === 0 && kept.length > 0) {
          lists[kept[0]!]!.push(x);
          linked.push([kept[0]!, x]);
        }
        c.maxDegree = Math.max(c.maxDegree, kept.length, ...kept.map((u) => lists[u]!.length));
      }
    } catch (err) {
      // Roll back: unlink in reverse order, drop the appended nodes and records.
      for (let i = linked.length - 1; i >= 0; i--) lists[linked[i]![0]]!.pop();
      lists.length = n0;
      this.passages.truncate(n0);
      c.codes = snapshot.codes;
      this.deleted = snapshot.deleted;
      c.inDegree = snapshot.inDegree;
      c.seeds = snapshot.seeds;
      c.entry = snapshot.entry;
      c.maxDegree = snapshot.maxDegree;
      c.storedVectors = snapshot.stored;
      throw err;
    }
    stats.recomputed = searchStats.recomputed;
    stats.cacheHits = searchStats.cacheHits;
    for (const [u] of linked) c.inDegree[u]!++;
    // Upsert: the ids that existed before now point to the new nodes; retire the old ones.
    const old: number[] = [];
    records.forEach((rec, j) => {
      const prev = ids.get(rec.id);
      if (prev !== undefined && prev < n0) old.push(prev);
      ids.set(rec.id, n0 + j);
    });
    stats.replaced = old.length;
    if (old.length) this.retire(old);
    return { ids: records.map((r) => r.id), stats };
  }

  /** Rebuilds from scratch over the live passages (re-embedded) plus `records` (embedded as `vectors`). */
  private async rebuildWith(records: PassageRecord[], vectors: Float32Array, stats: AddResult["stats"]): Promise<AddResult> {
    const c = this.core;
    const dims = c.dims;
    const replacing = new Set(records.map((r) => r.id));
    const keep: PassageRecord[] = [];
    for (let i = 0; i < this.passages.count; i++) {
      if (this.deleted[i]) continue;
      const p = this.passages.get(i);
      if (replacing.has(p.id)) stats.replaced++;
      else keep.push(p);
    }
    let old: Float32Array = new Float32Array(0);
    if (keep.length > 0) {
      old = (await embedBatched(this.embedder, keep.map((r) => r.text), dims, this.embedBatchSize, { timeoutMs: this.embedTimeoutMs })).vectors;
      if (c.metric === "cosine") normalizeRows(old, dims);
    }
    stats.recomputed = keep.length;
    const all = allocateVectors(keep.length + records.length, dims);
    all.set(old, 0);
    all.set(vectors, keep.length * dims);
    const p = c.params;
    const num = (k: string, d: number) => (typeof p[k] === "number" ? (p[k] as number) : d);
    const o = parseOptions(
      buildOptionsSchema,
      {
        metric: c.metric,
        M: num("M", DEFAULTS.M),
        efConstruction: num("efConstruction", DEFAULTS.efConstruction),
        seed: num("seed", DEFAULTS.seed),
        hubShare: num("hubShare", DEFAULTS.hubShare),
        prunedDegree: num("prunedDegreeOption", DEFAULTS.prunedDegree),
        graphBytesPerPassage: num("graphBytesPerPassage", DEFAULTS.graphBytesPerPassage),
        pqSubspaces: c.pq.subspaces,
        pqBits: c.pq.bits,
        pqSample: num("pqSample", DEFAULTS.pqSample),
        pqIterations: num("pqIterations", DEFAULTS.pqIterations),
        storeVectors: c.storedVectors !== null,
        storedHubShare: num("storedHubShare", DEFAULTS.storedHubShare),
      },
      "LeannIndex.add (rebuild)",
    );
    const timings = { graph: 0, prune: 0, quantize: 0 };
    const { core, order } = await LeannIndex.buildCore(all, dims, c.metric, o, () => {}, timings);
    core.model = c.model;
    const allRecords = [...keep, ...records];
    // Nothing has changed until here: swap everything in at once.
    this.core = core;
    this.passages.rebase(new MemoryPassageStore(Array.from(order, (i) => allRecords[i]!)));
    // The passages now live in memory: the next save must write them, not reuse a file.
    this.savedAt = null;
    this.deleted = new Uint8Array(keep.length + records.length);
    this.deletedCount = 0;
    this.idMap = null;
    this.resetCache();
    stats.rebuilt = true;
    return { ids: records.map((r) => r.id), stats };
  }

  /**
   * Deletes passages by id; unknown ids are ignored. Deleted passages never appear in
   * results from the moment this resolves; their neighbours are re-linked around them.
   * Space is reclaimed by compaction (automatic past a quarter of the nodes, on save, or compact()).
   */
  delete(ids: string[]): Promise<{ deleted: number }> {
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string")) {
      return Promise.reject(new InvalidInputError(`LeannIndex.delete(ids): ids must be an array of strings, received ${JSON.stringify(ids)?.slice(0, 80)}.`));
    }
    return this.exclusive(async () => {
      const map = this.ids();
      const internal = [...new Set(ids)].map((id) => map.get(id)).filter((x): x is number => x !== undefined);
      for (const id of ids) map.delete(id);
      if (internal.length) this.retire(internal);
      return { deleted: internal.length };
    });
  }

  /** Tombstones nodes and repairs the graph around them (no embedder involved: PQ scores rank the repairs). */
  private retire(nodes: number[]): void {
    const c = this.core;
    const lists = this.mutableLists();
    const gone = new Set(nodes);
    for (const x of nodes) {
      if (this.deleted[x]) continue;
      this.deleted[x] = 1;
      this.deletedCount++;
      this.cache.invalidate(x);
    }
    const isDead = (v: number) => this.deleted[v] === 1;
    for (let u = 0; u < lists.length; u++) {
      if (isDead(u)) continue;
      const l = lists[u]!;
      if (!l.some((v) => gone.has(v))) continue;
      const target = l.length;
      const keep = l.filter((v) => !isDead(v));
      // Candidates: the live neighbours of the removed neighbours, ranked by PQ similarity to u.
      const cand = new Set<number>();
      for (const v of l) if (gone.has(v)) for (const w of lists[v]!) if (!isDead(w) && w !== u && !keep.includes(w)) cand.add(w);
      if (cand.size > 0 && keep.length < target) {
        const table = pqTable(c.pq, decodePq(c.pq, c.codes, u), c.metric === "l2" ? "l2" : "ip");
        const ranked = [...cand].sort((a, b) => pqScore(c.pq, c.codes, b, table) - pqScore(c.pq, c.codes, a, table));
        for (const w of ranked) {
          if (keep.length >= target) break;
          keep.push(w);
        }
      }
      lists[u] = keep;
    }
    for (const x of nodes) lists[x] = [];
    // Keep walks startable and every live node reachable.
    const liveSeeds = [...c.seeds].filter((s) => !isDead(s));
    if (liveSeeds.length === 0) {
      let best = -1;
      for (let v = 0; v < lists.length; v++) if (!isDead(v) && (best < 0 || lists[v]!.length > lists[best]!.length)) best = v;
      if (best >= 0) liveSeeds.push(best);
    }
    if (liveSeeds.length > 0) {
      c.seeds = Uint32Array.from(liveSeeds);
      c.entry = liveSeeds[0]!;
      const view = lists.map((l, v) => (isDead(v) ? [] : l));
      const sizes = view.map((l) => l.length);
      ensureReachable(view, c.entry, isDead);
      view.forEach((l, v) => {
        if (l.length !== sizes[v]) lists[v] = l;
      });
      for (const l of lists) if (l.length > c.maxDegree) c.maxDegree = l.length;
    }
    if (this.deletedCount > lists.length / 4) this.compactNow();
  }

  /** Reclaims the space of deleted passages now (renumbers internal ids). */
  compact(): Promise<void> {
    return this.exclusive(async () => this.compactNow());
  }

  private compactNow(): void {
    if (this.deletedCount === 0) return;
    const c = this.core;
    const lists = this.mutableLists();
    const n = lists.length;
    const keep: number[] = [];
    const remap = new Int32Array(n).fill(-1);
    for (let v = 0; v < n; v++) if (!this.deleted[v]) { remap[v] = keep.length; keep.push(v); }
    const cs = codeSize(c.pq);
    const codes = new Uint8Array(keep.length * cs);
    keep.forEach((v, i) => codes.set(c.codes.subarray(v * cs, (v + 1) * cs), i * cs));
    c.lists = keep.map((v) => lists[v]!.filter((u) => remap[u]! >= 0).map((u) => remap[u]!));
    c.codes = codes;
    if (c.storedVectors) {
      const sv = new Float32Array(keep.length * c.dims);
      keep.forEach((v, i) => sv.set(c.storedVectors!.subarray(v * c.dims, (v + 1) * c.dims), i * c.dims));
      c.storedVectors = sv;
    }
    const hubs = [...c.hubIds].map((h, i) => [remap[h]!, i] as const).filter(([h]) => h >= 0);
    const hubVectors = new Float32Array(hubs.length * c.dims);
    hubs.forEach(([, i], j) => hubVectors.set(c.hubVectors.subarray(i * c.dims, (i + 1) * c.dims), j * c.dims));
    c.hubIds = Uint32Array.from(hubs.map(([h]) => h));
    c.hubVectors = hubVectors;
    c.seeds = Uint32Array.from([...c.seeds].map((s) => remap[s]!).filter((s) => s >= 0));
    c.inDegree = new Uint32Array(keep.length);
    for (const l of c.lists) for (const u of l) c.inDegree[u]!++;
    if (c.seeds.length === 0 && keep.length > 0) {
      let best = 0;
      for (let v = 1; v < keep.length; v++) if (c.inDegree[v]! > c.inDegree[best]!) best = v;
      c.seeds = Uint32Array.of(best);
    }
    c.entry = c.seeds[0] ?? 0;
    this.passages.compact(keep);
    this.deleted = new Uint8Array(keep.length);
    this.deletedCount = 0;
    this.idMap = null;
    this.resetCache();
  }

  /** The ids of every passage in the index, in internal order. */
  listIds(): string[] {
    return [...this.ids().keys()];
  }

  /** True when a passage with this id is in the index. */
  has(id: string): boolean {
    return this.ids().has(id);
  }

  /** The passage with this id, or undefined. */
  get(id: string): PassageRecord | undefined {
    const i = this.ids().get(id);
    return i === undefined ? undefined : this.passages.get(i);
  }

  private ids(): Map<string, number> {
    if (!this.idMap) {
      this.idMap = new Map();
      for (let i = 0; i < this.passages.count; i++) if (!this.deleted[i]) this.idMap.set(this.passages.id(i), i);
    }
    return this.idMap;
  }

  /** Bytes of each part as saved. */
  sizes(): IndexSizes {
    // Read-only: an add in flight keeps working on the adjacency lists.
    const c = this.core;
    const frozen = this.currentGraph().graph;
    const graph = frozen.offsets.byteLength + frozen.data.byteLength;
    const pqCodes = c.codes.byteLength;
    const pqCodebooks = c.pq.centroids.length * 2 + c.pq.bounds.byteLength;
    const storedVectors = (c.storedVectors?.byteLength ?? 0) + c.hubVectors.byteLength + c.hubIds.byteLength;
    const total = this.encode(frozen).reduce((s, ch) => s + ch.byteLength, 0);
    return { graph, pqCodes, pqCodebooks, storedVectors, other: total - graph - pqCodes - pqCodebooks - storedVectors, indexTotal: total, passages: this.passages.bytes };
  }

  /** The graph as it would be saved: the compressed form, recompressed from the lists after updates. */
  private currentGraph(): { graph: CompressedGraph; maxDegree: number } {
    const c = this.core;
    if (!c.lists) return { graph: c.graph, maxDegree: c.maxDegree };
    const n = c.lists.length;
    const starts = new Uint32Array(n + 1);
    let total = 0;
    for (let v = 0; v < n; v++) {
      starts[v] = total;
      total += c.lists[v]!.length;
    }
    starts[n] = total;
    const ids = new Uint32Array(total);
    for (let v = 0; v < n; v++) ids.set(c.lists[v]!, starts[v]!);
    let maxDegree = 0;
    for (let v = 0; v < n; v++) maxDegree = Math.max(maxDegree, starts[v + 1]! - starts[v]!);
    return { graph: compressGraph({ starts, ids }), maxDegree };
  }

  /** Switches back to the compressed graph (only under the write lock). */
  private freeze(): void {
    const c = this.core;
    if (!c.lists) return;
    const { graph, maxDegree } = this.currentGraph();
    c.graph = graph;
    c.maxDegree = maxDegree;
    c.lists = null;
  }

  private encode(graph: CompressedGraph): Uint8Array[] {
    const c = this.core;
    const sections: Record<string, SectionData> = {
      "graph.offsets": graph.offsets,
      "graph.data": graph.data,
      seeds: c.seeds,
      "pq.bounds": c.pq.bounds,
      "pq.centroids": encodeHalf(c.pq.centroids),
      "pq.codes": c.codes,
    };
    if (c.hubIds.length > 0) {
      sections["hubs.ids"] = c.hubIds;
      sections["hubs.vectors"] = c.hubVectors;
    }
    if (c.storedVectors) sections.vectors = c.storedVectors;
    const header: Omit<IndexHeader, "sections" | "format" | "version"> = {
      count: this.passages.count,
      dims: c.dims,
      metric: c.metric,
      model: c.model,
      params: c.params,
      pq: { subspaces: c.pq.subspaces, bits: c.pq.bits },
      entry: c.entry,
      createdAt: new Date().toISOString(),
      generator: GENERATOR,
    };
    return encodeIndexFile(header, sections);
  }

  /**
   * Writes the index to `dir` crash-safely: new files for a new generation, each
   * written to a temporary name, fsynced and renamed; then the CURRENT pointer is
   * switched atomically; then the previous generation's files are removed.
   */
  save(dir: string): Promise<void> {
    if (typeof dir !== "string" || dir.length === 0) return Promise.reject(new InvalidInputError("LeannIndex.save(dir): dir must be a non-empty path."));
    return this.exclusive(async () => this.saveNow(dir));
  }

  private saveNow(dir: string): void {
    this.compactNow();
    this.freeze();
    const abs = resolve(dir);
    mkdirSync(abs, { recursive: true });
    const release = acquireLock(abs);
    try {
      this.writeGeneration(abs);
    } finally {
      release();
    }
  }

  private writeGeneration(abs: string): void {
    const prev = readCurrent(abs);
    const gen = (prev?.generation ?? 0) + 1;
    // The passage file is immutable once written: reuse it when saving again to the same place.
    let passagesFile: string;
    let rewritten = false;
    if (this.savedAt && this.savedAt.dir === abs && prev?.passages === this.savedAt.passagesFile && !this.passages.changed) passagesFile = this.savedAt.passagesFile;
    else {
      passagesFile = `passages.${gen}.leann`;
      writeFileAtomic(join(abs, passagesFile), encodePassageFile(this.passages));
      rewritten = true;
    }
    const indexFile = `index.${gen}.leann`;
    writeFileAtomic(join(abs, indexFile), this.encode(this.core.graph));
    const current: CurrentFile = { format: "leann", version: 1, generation: gen, index: indexFile, passages: passagesFile };
    writeFileAtomic(join(abs, CURRENT), [Buffer.from(JSON.stringify(current, null, 2) + "\n")]);
    this.savedAt = { dir: abs, passagesFile };
    // Read passages from the file just written: the old one may be deleted below.
    if (rewritten) this.passages.rebase(new FilePassageStore(join(abs, passagesFile)));
    // Old generations are garbage now; a crash before this point only leaves extra files.
    for (const f of readdirSync(abs)) {
      if (/^(index|passages)\.\d+\.leann$/.test(f) && f !== indexFile && f !== passagesFile) rmSync(join(abs, f), { force: true });
      else if (/\.tmp-\d+-[0-9a-f]+$/.test(f)) rmSync(join(abs, f), { force: true });
    }
  }

  /**
   * Opens an index saved with `save`. Passage text stays on disk and is read on demand.
   * @throws IndexNotFoundError when `dir` holds no index
   * @throws CorruptIndexError when a file is missing, truncated or altered
   * @throws ModelMismatchError / DimensionMismatchError when the embedder does not match
   */
  static async load(dir: string, options: LoadOptions): Promise<LeannIndex> {
    if (typeof options !== "object" || options === null) throw new InvalidOptionsError("LeannIndex.load(dir, options): options with an embedder are required.");
    checkEmbedder(options.embedder, "LeannIndex.load");
    const { embedder: _embedder, ...loadRest } = options;
    parseOptions(loadOptionsSchema, loadRest, "LeannIndex.load");
    const abs = resolve(dir);
    if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new IndexNotFoundError(`No index at ${abs}: the directory does not exist. Build one and save it there first.`);
    for (let attempt = 0; ; attempt++) {
      const cur = readCurrent(abs);
      if (!cur) throw new IndexNotFoundError(`No index at ${abs}: it has no ${CURRENT} file. Is this the directory you passed to save()?`);
      try {
        return await LeannIndex.open(abs, cur, options);
      } catch (err) {
        // A writer may have switched generations and removed the files we were opening.
        const moved = readCurrent(abs)?.generation !== cur.generation;
        if (attempt < 2 && moved && (err as LeannError).code === "CORRUPT_INDEX") continue;
        throw err;
      }
    }
  }

  private static async open(abs: string, cur: CurrentFile, options: LoadOptions): Promise<LeannIndex> {
    const indexPath = join(abs, cur.index);
    let buf: Buffer;
    try {
      buf = readFileSync(indexPath);
    } catch (err) {
      throw new CorruptIndexError(indexPath, `cannot be read (${(err as NodeJS.ErrnoException).code ?? err}); the index is incomplete. Restore it or rebuild.`, { cause: err });
    }
    const core = coreFromFile(indexPath, buf);
    const passagesPath = join(abs, cur.passages);
    let passages: FilePassageStore;
    try {
      passages = new FilePassageStore(passagesPath);
    } catch (err) {
      if (LeannError.isInstance(err)) throw err;
      throw new CorruptIndexError(passagesPath, `cannot be opened (${(err as NodeJS.ErrnoException).code ?? err}); restore it or rebuild the index.`, { cause: err });
    }
    const count = core.codes.length / codeSize(core.pq);
    if (passages.count !== count) {
      passages.close();
      throw new CorruptIndexError(passagesPath, `holds ${passages.count} passages but the index file has ${count}; the two files are from different saves. Restore or rebuild.`);
    }
    // Embedders that resolve their model lazily (a fallback model, say) know their identity after loading.
    const loadable = options.embedder as { load?: () => Promise<unknown> };
    if (typeof loadable.load === "function") {
      try {
        await loadable.load();
      } catch (err) {
        passages.close();
        if (LeannError.isInstance(err)) throw err;
        throw new EmbedderError(`The embedder failed to load its model: ${(err as Error)?.message ?? err}`, { cause: err });
      }
    }
    const id = embedderIdentity(options.embedder);
    if (core.model && id && id !== core.model && !options.allowModelMismatch) {
      passages.close();
      throw new ModelMismatchError(
        `The index at ${abs} was built with model "${core.model}", but the embedder is "${id}". Search results would be meaningless. ` +
          `Use the same model, rebuild the index, or pass allowModelMismatch: true if the two names denote the same model.`,
      );
    }
    const index = new LeannIndex(core, new MutablePassages(passages), options.embedder, {
      cacheBytes: options.cacheBytes ?? DEFAULTS.cacheBytes,
      embedBatchSize: options.embedBatchSize ?? DEFAULTS.embedBatchSize,
      embedTimeoutMs: options.embedTimeoutMs ?? 0,
    });
    index.savedAt = { dir: abs, passagesFile: cur.passages };
    if (options.probe ?? true) {
      try {
        await embedQueryChecked(options.embedder, "dimension probe", core.dims, { timeoutMs: index.embedTimeoutMs });
      } catch (err) {
        void index.close();
        throw err;
      }
    }
    return index;
  }

  /**
   * Releases the open passage file once the searches and updates in flight are done.
   * Later calls on this index reject with ClosedError.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.lock.write(async () => this.passages.close());
  }

  /** Checks structural invariants; returns the number of nodes reachable from the entry point. */
  reachableCount(): number {
    if (this.size === 0) return 0;
    const n = this.passages.count;
    const seen = new Uint8Array(n);
    const entry = this.core.entry;
    const stack = [entry];
    seen[entry] = 1;
    let widest = Math.max(1, this.core.maxDegree);
    for (const l of this.core.lists ?? []) if (l.length > widest) widest = l.length;
    const scratch = new Uint32Array(widest);
    const nb = this.neighborsOf();
    let count = this.deleted[entry] ? 0 : 1;
    while (stack.length) {
      const v = stack.pop()!;
      const c = nb(v, scratch);
      for (let j = 0; j < c; j++) {
        const u = scratch[j]!;
        if (!seen[u]) {
          seen[u] = 1;
          if (!this.deleted[u]) count++;
          stack.push(u);
        }
      }
    }
    return count;
  }
}

interface CurrentFile {
  format: "leann";
  version: number;
  generation: number;
  index: string;
  passages: string;
}

function readCurrent(dir: string): CurrentFile | null {
  const path = join(dir, CURRENT);
  if (!existsSync(path)) return null;
  let cur: CurrentFile;
  try {
    cur = JSON.parse(readFileSync(path, "utf8")) as CurrentFile;
  } catch {
    throw new CorruptIndexError(path, "is not valid JSON. It names the index generation to open; restore it or rebuild the index.");
  }
  const safe = (f: unknown) => typeof f === "string" && /^(index|passages)\.\d+\.leann$/.test(f);
  if (cur?.format !== "leann" || !Number.isSafeInteger(cur.generation) || !safe(cur.index) || !safe(cur.passages)) {
    throw new CorruptIndexError(path, "does not name a valid index generation; restore it or rebuild the index.");
  }
  if (cur.version !== 1) throw new CorruptIndexError(path, `has version ${cur.version}; this library reads version 1. Upgrade @leann/core.`);
  return cur;
}

/** Validates every structure of a decoded index file (lengths, ranges) before use. */
function coreFromFile(file: string, buf: Uint8Array): Core {
  const { header: h, sections } = decodeIndexFile(file, buf);
  const fail = (what: string): never => {
    throw new CorruptIndexError(file, `${what}. Restore the index or rebuild it.`);
  };
  const n = h.count;
  if (!Number.isSafeInteger(n) || n < 0) fail(`passage count ${n} is invalid`);
  if (!Number.isSafeInteger(h.dims) || h.dims < 1) fail(`dimensions ${h.dims} are invalid`);
  if (!["cosine", "ip", "l2"].includes(h.metric)) fail(`metric ${JSON.stringify(h.metric)} is unknown`);
  const get = <T extends SectionData>(name: string, type: new (...a: never[]) => T, optional = false): T => {
    const s = sections.get(name);
    if (!s) {
      if (optional) return new (type as unknown as new (n: number) => T)(0);
      fail(`section "${name}" is missing`);
    }
    if (!(s instanceof type)) fail(`section "${name}" has the wrong element type`);
    return s as T;
  };
  const offsets = get("graph.offsets", Uint32Array);
  const data = get("graph.data", Uint8Array);
  if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== data.length) fail("graph offsets do not match the node count or the data length");
  let maxDegree = 0;
  for (let v = 0; v < n; v++) {
    if (offsets[v + 1]! < offsets[v]!) fail(`graph offsets decrease at node ${v}`);
    maxDegree = Math.max(maxDegree, offsets[v + 1]! - offsets[v]!);
  }
  const seeds = get("seeds", Uint32Array);
  if ((n > 0 && seeds.length === 0) || seeds.some((s) => s >= n)) fail("seed nodes are missing or out of range");
  const bits = h.pq?.bits, subspaces = h.pq?.subspaces;
  if ((bits !== 4 && bits !== 8) || !Number.isSafeInteger(subspaces) || subspaces < 1 || subspaces > h.dims) fail("PQ parameters are invalid");
  const bounds = get("pq.bounds", Uint32Array);
  const centroids = decodeHalf(get("pq.centroids", Uint16Array));
  const codes = get("pq.codes", Uint8Array);
  const pq: PqCodebook = { dims: h.dims, subspaces, bits, bounds, centroids };
  if (bounds.length !== subspaces + 1 || bounds[0] !== 0 || bounds[subspaces] !== h.dims) fail("PQ subspace bounds are invalid");
  for (let s = 0; s < subspaces; s++) if (bounds[s + 1]! <= bounds[s]!) fail("PQ subspace bounds are not increasing");
  if (centroids.length !== h.dims * (1 << bits)) fail("PQ codebook size does not match the dimensions");
  if (codes.length !== n * codeSize(pq)) fail("PQ code table size does not match the passage count");
  const hubIds = get("hubs.ids", Uint32Array, true);
  const hubVectors = get("hubs.vectors", Float32Array, true);
  if (hubVectors.length !== hubIds.length * h.dims || hubIds.some((x) => x >= n)) fail("hub cache section is inconsistent");
  const vectors = sections.get("vectors");
  if (vectors && (!(vectors instanceof Float32Array) || vectors.length !== n * h.dims)) fail("stored vectors do not match the passage count");
  if (!Number.isSafeInteger(h.entry) || h.entry < 0 || (n > 0 && h.entry >= n)) fail("entry point is out of range");
  const graph = { offsets, data };
  // Decode every list once: ids in range, well-formed varints. Also yields in-degrees.
  const inDegree = new Uint32Array(n);
  const scratch = new Uint32Array(Math.max(1, maxDegree));
  let realMax = 0;
  for (let v = 0; v < n; v++) {
    const c = neighbors(graph, v, scratch);
    if (c < 0) fail(`neighbour list of node ${v} is malformed`);
    realMax = Math.max(realMax, c);
    for (let j = 0; j < c; j++) inDegree[scratch[j]!]!++;
  }
  return {
    dims: h.dims,
    metric: h.metric,
    model: typeof h.model === "string" ? h.model : null,
    graph,
    lists: null,
    maxDegree: realMax,
    seeds,
    entry: h.entry,
    pq,
    codes,
    inDegree,
    storedVectors: (vectors as Float32Array | undefined) ?? null,
    hubIds,
    hubVectors,
    params: h.params ?? {},
  };
}
