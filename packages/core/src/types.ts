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
  /**
   * Build a BM25 keyword index beside the graph, for hybrid search (default true). Saved in the index file and
   * kept up to date by add, delete and compaction. Without it, `search` is dense only.
   */
  keywordIndex?: boolean;
  onProgress?: (p: BuildProgress) => void;
  /**
   * Stops the build when it aborts: it rejects with AbortedError at the next safe point (within
   * about 50 ms in every phase; the long steps let the event loop run that often), having
   * written nothing.
   */
  signal?: AbortSignal;
}

/** Options of LeannIndex.create: those of build, without vectors, progress or signal (there is nothing to build yet). */
export type CreateOptions = Omit<BuildOptions, "vectors" | "onProgress" | "signal">;

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
  /** Return each hit's exact embedding in `vector` (as recomputed; hits scored without one carry none). */
  includeVectors?: boolean;
  /**
   * Dense share of the fused score, in [0, 1], as in LlamaIndex: 1 = dense only (the graph search alone), 0 =
   * keyword only (BM25; the embedder is not called), in between = both, each side's scores min-max normalised
   * over the candidates of both, then mixed `alpha * dense + (1 - alpha) * keyword`. Absent: `DEFAULTS.alpha`
   * when the index has a keyword index and the query is text, else 1. With `alpha < 1`, hit scores are the fused
   * scores (alpha 0: BM25 scores).
   */
  alpha?: number;
  /**
   * The text query's embedding, when the caller already has it (as LlamaIndex does): the dense side uses this
   * vector instead of calling the embedder, the keyword side the text. It must come from the index's model and
   * is checked as a vector query is (dimensions, finite values; normalised for cosine), so `alpha: 1` with a
   * queryVector equals a search by that vector. Only with a text query (a vector query is an
   * InvalidOptionsError).
   */
  queryVector?: ArrayLike<number>;
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
  /**
   * Which dense search ran ("scan" also when a selective filter made scoring the matches directly cheaper), or
   * "keyword" for a keyword-only search (alpha 0).
   */
  path: SearchMode | "keyword";
  /** With a filter: the estimated share of passages that match it. */
  filterShare?: number;
  /** Milliseconds: total, embedding (query + recomputation), and the rest. */
  ms: { total: number; embed: number; search: number };
  /** The dense share this search used (1: dense only, as when the index or the query has no keyword side). */
  alpha: number;
  /** What the keyword side did (absent when it did not run: alpha 1). */
  keyword?: KeywordSideStats;
  /** How the returned hits came to be (absent for dense-only and keyword-only searches). */
  fused?: FusionStats;
}

/** The keyword (BM25) side of a search. */
export interface KeywordSideStats {
  /** Distinct query terms found in the keyword index (0: no passage shares a word with the query). */
  termsMatched: number;
  /** Passages sharing at least one term with the query, before the filter. */
  matched: number;
  /** Keyword hits that entered the fusion (after the filter; at most the keyword candidate depth). */
  candidates: number;
  /** Milliseconds of the keyword side: tokenising the query, scoring, filtering. */
  ms: number;
}

/** The fusion of a hybrid search. */
export interface FusionStats {
  /** Returned hits that only the dense search proposed. */
  fromDense: number;
  /** Returned hits that only the keyword search proposed. */
  fromKeyword: number;
  /** Returned hits that both proposed. */
  both: number;
  /**
   * Keyword-only candidates whose dense score was computed exactly, because they could enter the top k
   * (their embeddings are counted in `recomputed` or `cacheHits`, bounded to a quarter of the dense search's).
   */
  rescored: number;
  /** Keyword-only candidates whose dense score stayed the PQ estimate (free: no embedding). */
  estimated: number;
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
  /** The learnt rotation before PQ (dims x dims int8 and dims float32 scales; half floats in older files); 0 without one. */
  rotation: number;
  storedVectors: number;
  /** The keyword (BM25) index: compressed postings, dictionary and passage lengths (0 without one). */
  keyword: number;
  /** The rest of the index file: headers, seeds, degrees, alignment. */
  other: number;
  /** Everything but passage text, ids and metadata. */
  indexTotal: number;
  /** The passage file (text, metadata, ids and their offsets). */
  passages: number;
}
