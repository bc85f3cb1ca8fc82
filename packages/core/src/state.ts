import { embedBatched, type Embedder } from "./embedder.js";
import type { KeywordIndex } from "./keyword/keyword-index.js";
import type { LiveGraph } from "./graph/live-graph.js";
import type { PqCodebook } from "./quantize/pq.js";
import { HubCache } from "./search/cache.js";
import { IdMap } from "./store/id-map.js";
import type { MutablePassages } from "./store/mutable-passages.js";
import { normalizeRows, type Metric } from "./util/vector.js";

/**
 * Build parameters recorded in the index file: what a rebuild and an insert need to do
 * as the build did, plus figures for inspection.
 */
export type IndexParams = {
  M: number;
  efConstruction: number;
  seed: number;
  hubShare: number;
  /** Out-degree of ordinary nodes as realised (the option, or the largest within the byte budget). */
  prunedDegree: number;
  /** The prunedDegree option (0 = sized to graphBytesPerPassage). */
  prunedDegreeOption: number;
  storedHubShare: number;
  pqSample: number;
  pqIterations: number;
  /** Passages the structures (PQ codebooks, graph) were built from. */
  trainedOn: number;
  hubs: number;
  averageDegree: number;
  graphBytesPerPassage: number;
  /** The budget the layout was chosen for (bytes a passage, or its preset name); absent in older files. */
  budget?: number | string;
  /** What the budget chose and why, in one line. */
  layout?: string;
  /** Layout options the caller gave, as JSON (kept as given when a rebuild chooses again). */
  given?: string;
  /**
   * Exact minus approximate (code) score near the top of a ranking, measured at build:
   * the search's stop rule. Absent in older files (the search then stops by patience alone).
   */
  scoreErrorMean?: number;
  scoreErrorSd?: number;
};

/** The search structures of one index generation; no embeddings but the optional stored ones. */
export interface Core {
  /** 0 only for an empty index created without vectors: the first add sets it. */
  dims: number;
  metric: Metric;
  model: string | null;
  graph: LiveGraph;
  seeds: Uint32Array;
  entry: number;
  pq: PqCodebook;
  codes: Uint8Array;
  inDegree: Uint32Array;
  storedVectors: Float32Array | null;
  hubIds: Uint32Array;
  hubVectors: Float32Array;
  params: IndexParams;
}

/** How this open index calls its embedder. */
export interface EmbedSettings {
  readonly embedder: Embedder;
  readonly batchSize: number;
  readonly timeoutMs: number;
  /** embedDocuments calls in flight at once. */
  readonly concurrency: number;
  /** Bytes of the in-memory hub cache. */
  readonly cacheBytes: number;
}

/**
 * Everything one open index holds: the structures, the passages, tombstones, the id map
 * and the hub cache. The facade owns the lock; the modules of build/, search/, update/
 * and persist/ read and change this state under it.
 */
export class IndexState {
  core: Core;
  readonly passages: MutablePassages;
  /** Tombstones: deleted nodes stay in the arrays until compaction. */
  deleted: Uint8Array;
  deletedCount = 0;
  cache!: HubCache;
  readonly ids: IdMap;
  /**
   * BM25 index of the passage texts, keyed by the same internal ids as the graph (a deleted
   * node is deleted here too); null when built with keywordIndex: false or loaded from a
   * file without one. update/keywords.ts keeps it in step.
   */
  keyword: KeywordIndex | null = null;
  /** The keyword index as saved, while it is unchanged (encoding it costs a pass over every posting). */
  keywordBytes: Uint8Array | null = null;
  /** Directory and passage file this index was loaded from or last saved to. */
  savedAt: { dir: string; passagesFile: string } | null = null;
  /**
   * The generation this index was loaded from or last saved as, and where: a save there
   * must find it still current (see persist/generations.ts).
   */
  base: { dir: string; generation: number } | null = null;

  /**
   * A created index (no modelId option) records its embedder's identity at its first add,
   * after the embedder has loaded: embedders that settle their model on loading (a folder
   * model) name it only then, and a later load compares against that name.
   */
  learnsModel = false;

  constructor(core: Core, passages: MutablePassages, readonly embed: EmbedSettings) {
    this.core = core;
    this.passages = passages;
    this.deleted = new Uint8Array(passages.count);
    this.ids = new IdMap(this);
    this.resetCache();
  }

  /** Number of live passages. */
  get size(): number {
    return this.passages.count - this.deletedCount;
  }

  /** A fresh hub cache, admitted by the current in-degrees and seeded with the stored hub vectors. */
  resetCache(): void {
    const core = this.core;
    this.cache = new HubCache(this.embed.cacheBytes, core.dims, core.inDegree);
    for (let i = 0; i < core.hubIds.length; i++) this.cache.offer(core.hubIds[i]!, core.hubVectors.subarray(i * core.dims, (i + 1) * core.dims));
  }

  /** Node ids are about to change meaning (renumbered or rebuilt): forget what was keyed by them. */
  renumbered(count: number): void {
    this.deleted = new Uint8Array(count);
    this.deletedCount = 0;
    this.ids.invalidate();
    this.resetCache();
  }

  /**
   * Embeds passage texts with this index's batch size and time-out; rows normalised for cosine.
   * `dims` 0 learns the dimensions from the first vector.
   */
  async embedTexts(texts: string[], dims: number): Promise<{ vectors: Float32Array; dims: number }> {
    const r = await embedBatched(this.embed.embedder, texts, dims, this.embed.batchSize, { timeoutMs: this.embed.timeoutMs, concurrency: this.embed.concurrency });
    if (this.core.metric === "cosine") normalizeRows(r.vectors, r.dims);
    return r;
  }
}
