/** The public types of the index API (options, results, statistics). */
import type { Embedder } from "./embedder.js";
import type { SearchFilter } from "./search/filter.js";
import type { Metadata } from "./store/passages.js";
import type { Metric } from "./util/vector.js";

export type { Metric } from "./util/vector.js";
export type { Metadata, PassageRecord } from "./store/passages.js";
export type { FilterOperator, MetadataFilter, MetadataFilters, SearchFilter } from "./search/filter.js";

/** A passage to index. Without an id, a random UUID is assigned. */
export interface PassageInput {
  id?: string;
  text: string;
  metadata?: Metadata;
}

export type BuildPhase = "embed" | "graph" | "prune" | "quantize";
export interface BuildProgress {
  phase: BuildPhase;
  done: number;
  total: number;
}

export interface BuildOptions {
  /** The embedding model: anything with LangChain's `embedDocuments` (and optionally `embedQuery`). */
  embedder: Embedder;
  /** Vectors the caller already has, one per passage (none are stored unless storeVectors). */
  vectors?: ArrayLike<number>[];
  metric?: Metric;
  M?: number;
  efConstruction?: number;
  seed?: number;
  /** Worker threads for graph construction; 0 or absent = automatic. */
  threads?: number;
  hubShare?: number;
  prunedDegree?: number;
  graphBytesPerPassage?: number;
  pqSubspaces?: number;
  pqBits?: 4 | 8;
  /** Learn a rotation before PQ (OPQ). Absent: the budget decides; off when pqBits or pqSubspaces is given. */
  pqRotation?: boolean;
  /**
   * Bytes a passage the index structures may use (graph, codes, stored hub vectors, shared codebooks), or a preset:
   * "tiny" (64), "balanced" (128; 96 up to 64 dimensions; the default), "fast" (192). The build chooses the code layout, graph budget and
   * stored hub share from it (`params.layout` says what and why); the detailed options override its choice.
   */
  budget?: number | "tiny" | "balanced" | "fast";
  pqSample?: number;
  pqIterations?: number;
  embedBatchSize?: number;
  /** Fail an embedder call that takes longer than this with EmbedderTimeoutError (ms; default 60,000; 0 = never). */
  embedTimeoutMs?: number;
  /** embedDocuments calls in flight at once while building and adding (default 4). */
  embedConcurrency?: number;
  storeVectors?: boolean;
  storedHubShare?: number;
  cacheBytes?: number;
  /** Model identity recorded in the index; by default taken from the embedder (`model`, `modelName`). */
  modelId?: string;
  onProgress?: (p: BuildProgress) => void;
}

/** Options of LeannIndex.create: those of build, without vectors or progress (there is nothing to build yet). */
export type CreateOptions = Omit<BuildOptions, "vectors" | "onProgress">;

export interface LoadOptions {
  embedder: Embedder;
  /** Open even if the embedder's identity differs from the one recorded at build time. */
  allowModelMismatch?: boolean;
  /** Embed a probe text on open to check the embedder's dimensions (default true). */
  probe?: boolean;
  /**
   * Take the directory's writer lock before reading it and hold it until close() (default
   * false): no other process can save there in between, so a load -> change -> save
   * sequence cannot lose another writer's changes nor fail with ConcurrentWriteError.
   * Another process's save (or locked load) meanwhile fails with LockedError.
   */
  lock?: boolean;
  cacheBytes?: number;
  embedBatchSize?: number;
  /** Fail an embedder call that takes longer than this with EmbedderTimeoutError (ms; default 60,000; 0 = never). The model's load() gets 10 times as long. */
  embedTimeoutMs?: number;
  /** embedDocuments calls in flight at once while adding (default 4). */
  embedConcurrency?: number;
}

export type SearchMode = "two-level" | "exact-walk" | "stored" | "scan";

export interface SearchOptions {
  k?: number;
  ef?: number;
  maxRecompute?: number;
  rerankShare?: number;
  batchSize?: number;
  patience?: number;
  /** "two-level" (default), "exact-walk" (recompute every node visited, as the Python LEANN does),
   *  "stored" (use stored vectors: needs storeVectors), "scan" (exact scores of every passage). */
  mode?: SearchMode;
  /** Only passages that pass are returned; applied inside the walk (see the README). */
  filter?: SearchFilter;
  /** Return each hit's exact embedding in `vector` (as recomputed). */
  includeVectors?: boolean;
}

export interface SearchHit {
  id: string;
  /** Higher = more similar: cosine similarity, inner product, or negative squared L2 distance. */
  score: number;
  text: string;
  metadata: Metadata;
  vector?: number[];
}

export interface SearchStats {
  /** Embeddings computed by the embedder for this search (the query not included). */
  recomputed: number;
  /** Exact vectors served by the hub cache or stored vectors instead of the embedder. */
  cacheHits: number;
  /** Nodes scored (approximately or exactly). */
  visited: number;
  /** Nodes whose neighbour lists were read. */
  expanded: number;
  /** Calls to the embedder (the query embedding included). */
  embedderCalls: number;
  /** Which search ran ("scan" also when a selective filter made scoring the matches directly cheaper). */
  path: SearchMode;
  /** With a filter: the estimated share of passages that match it. */
  filterShare?: number;
  /** Milliseconds: total, embedding (query + recomputation), and the rest. */
  ms: { total: number; embed: number; search: number };
}

export interface SearchResult {
  hits: SearchHit[];
  stats: SearchStats;
}

export interface AddOptions {
  /** Vectors the caller already has, one per passage. */
  vectors?: ArrayLike<number>[];
}

export interface AddResult {
  ids: string[];
  /**
   * `embedded`: the new passages' embeddings computed (0 with `vectors`); `recomputed`: old
   * passages re-embedded, only by a rebuild-while-small and at most as many as the add brings
   * (inserts choose neighbours from the vectors at hand and PQ codes); `cacheHits`: exact
   * vectors the neighbour searches found at hand.
   */
  stats: { embedded: number; recomputed: number; cacheHits: number; replaced: number; rebuilt: boolean };
}

/** Sizes of the index's parts, in bytes. */
export interface IndexSizes {
  graph: number;
  pqCodes: number;
  pqCodebooks: number;
  storedVectors: number;
  other: number;
  /** Everything but passage text, ids and metadata. */
  indexTotal: number;
  /** The passage file (text, metadata, ids and their offsets). */
  passages: number;
}
