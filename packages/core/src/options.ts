import { z } from "zod";
import { InvalidOptionsError } from "./errors.js";

/**
 * Every tunable, its default, and the trade-off it controls. Options are validated
 * here, at the public boundary, and the engine receives complete frozen objects.
 */
export const DEFAULTS = {
  /** Similarity: cosine normalises vectors, then uses the inner product. */
  metric: "cosine",
  /** HNSW links per node while building (level 0 keeps up to 2M). More: better graph, slower build. */
  M: 32,
  /** HNSW candidate list while building. More: better graph, slower build. */
  efConstruction: 200,
  /** Seed for levels, k-means and sampling: the same input gives the same index. */
  seed: 42,
  /** Share of nodes (highest in-degree) that keep up to M neighbours after pruning (paper: 2%). */
  hubShare: 0.02,
  /**
   * Out-degree of ordinary nodes after pruning (paper's m). 0 = the largest that keeps the
   * compressed graph within `graphBytesPerPassage`.
   */
  prunedDegree: 0,
  /** Storage budget of the compressed graph, bytes per passage, used when prunedDegree is 0. */
  graphBytesPerPassage: 20,
  /**
   * PQ subspaces; 0 = min(64, dims), 32 bytes of code a passage at 4 bits. The walk's order
   * and the re-ranking's choice rest on these codes: on 100k passages of a 64-d model,
   * 64 subspaces instead of 32 raised recall@10 from 0.83 to 0.94 at ~100 recomputations.
   */
  pqSubspaces: 0,
  /** Bits per PQ code: 4 (16 centroids, tiny codebooks) or 8 (256, sharper, large codebooks). */
  pqBits: 4 as 4 | 8,
  /**
   * Bytes a passage the index structures may use (graph, codes, stored hub vectors, shared
   * codebooks), or "tiny" (64), "balanced" (128; 96 up to 64 dimensions), "fast" (192). The build picks the code layout,
   * graph budget and hub share from it; the detailed options above override its choice. The
   * values above are what an index gets when those options are given without the rest.
   */
  budget: "balanced" as number | "tiny" | "balanced" | "fast",
  /**
   * Vectors sampled to train the PQ codebooks (per subspace, 16 centroids at 4 bits: 8,192 points
   * is 512 per centroid). Also: while an index holds fewer passages than this, it is rebuilt
   * each time it doubles through add(), so its codebooks keep fitting the data.
   */
  pqSample: 8_192,
  pqIterations: 12,
  /** Texts per embedder call while building. */
  embedBatchSize: 64,
  /**
   * Fail an embedder call (embedDocuments, embedQuery, load) that takes longer than this, in ms,
   * with EmbedderTimeoutError; 0 = never. A hung model then cannot hang a build, add, search
   * or load, nor the updates and close() queued behind a search. 60 s is far above a batch of
   * 64 texts on a remote API or a local model on a CPU, and covers a local model's first,
   * slower call; raise it for very slow models or very large embedBatchSize.
   */
  embedTimeoutMs: 60_000,
  /**
   * embedDocuments calls in flight at once while building and adding. A remote model's
   * latency then overlaps (and graph construction overlaps the embedding): at 100 ms a call,
   * 10k passages were all embedded after 2.1 s at 8 (4.1 s at 4) instead of 15.9 s one call
   * at a time, and the whole build took 3x less. More helps a remote API until its rate
   * limit (remote embedders retry 429s with backoff, and keep their own request limit); a
   * local model on the same CPU gains little (it already uses the cores), so 1 suits it as
   * well. Memory: one batch per call in flight.
   */
  embedConcurrency: 8,
  /** Keep full float vectors in the index (no recomputation at search; 4 x dims bytes a passage). */
  storeVectors: false,
  /** Share of passages (highest degree first) whose embeddings are stored in the index as a hub cache. */
  storedHubShare: 0,
  /** In-memory cache of recomputed hub embeddings, bytes. */
  cacheBytes: 16 * 1024 * 1024,
  /**
   * Build a BM25 keyword index beside the graph (hybrid search). On labelled question sets it found the right
   * passage in the top 10 far more often together with dense search than either alone; it costs a compressed
   * inverted index (a fraction of the passage text) and tokenising each passage once.
   */
  keywordIndex: true,

  // Search
  /** Results returned. */
  k: 5,
  /**
   * Beam width of the approximate (PQ) walk. It costs no recomputation (PQ lookups only, about
   * 1 ms at 100k passages), so it is wide: on 10k real passages ef 64 -> 256 raised recall@10
   * from 0.91 to 0.97 at the same recomputation; at 100k passages 256 -> 512 raised it from
   * 0.94 to 0.98.
   */
  ef: 512,
  /**
   * From this many live passages the default beam grows with the square root of the count, up to twice
   * `ef` (1,024 from 100k): at 100k short passages with a pinched budget, the walk at 512 never met 2.4% of
   * the true top 10 (faq-100k tuning questions), at 1,024 0.7%. A beam given by the caller is kept as given.
   */
  efGrowthFrom: 25_000,
  /** Most embeddings recomputed per search. */
  maxRecompute: 128,
  /** Share of the candidates met that may be recomputed (LEANN's re-ranking ratio). */
  rerankShare: 1,
  /** Candidates per recomputation batch (dynamic batching). Larger batches use the model better. */
  batchSize: 32,
  /**
   * The recompute-every-visit walk ("exact-walk", the Python LEANN baseline) embeds the nodes it
   * expands one at a time unless told otherwise: it is the reference for counting recomputations.
   */
  exactWalkBatchSize: 1,
  /**
   * Stop after this many batches in a row that change nothing in the top k. 1: measured
   * recall@10 0.966 (10k, 512-d) and 0.977 (100k, 64-d) at 97 and 71 recomputations; 2: 0.978
   * and 0.979 at 119 and 102.
   */
  patience: 1,
  /**
   * Dense share of a hybrid search's fused score when `alpha` is not given (1 = dense only, 0 = keyword only).
   * Chosen on the tuning halves of three labelled question sets (bench/hybrid-quality.ts): min-max fusion at 0.4
   * beat dense-only and keyword-only on all three held-out halves.
   */
  alpha: 0.4,
} as const;

const positiveInt = z.number().int().positive();
/**
 * Counts that size an allocation (a heap of k, a batch of ids, a table of pqSample rows) are
 * bounded, so an absurd value is a typed InvalidOptionsError instead of a RangeError (or an
 * out-of-memory) deep inside a search or build.
 */
const LIMITS = {
  k: 1_000_000,
  ef: 1_000_000,
  maxRecompute: 1_000_000,
  batchSize: 65_536,
  patience: 1_000_000,
  embedBatchSize: 65_536,
  pqSample: 10_000_000,
  pqIterations: 10_000,
  pqSubspaces: 4_096,
  cacheBytes: 2 ** 40,
} as const;
const bounded = (name: keyof typeof LIMITS) => positiveInt.max(LIMITS[name]);
const share = z.number().min(0).max(1);

export const buildOptionsSchema = z.strictObject({
  metric: z.enum(["cosine", "ip", "l2"]).default(DEFAULTS.metric),
  M: z.number().int().min(2).max(256).default(DEFAULTS.M),
  efConstruction: z.number().int().min(1).max(10_000).default(DEFAULTS.efConstruction),
  seed: z.number().int().default(DEFAULTS.seed),
  /** 0 = automatic (see `defaultThreads`). */
  threads: z.number().int().min(0).max(64).default(0),
  hubShare: share.default(DEFAULTS.hubShare),
  prunedDegree: z.number().int().min(0).max(256).default(DEFAULTS.prunedDegree),
  graphBytesPerPassage: z.number().positive().optional(),
  pqSubspaces: z.number().int().min(0).max(LIMITS.pqSubspaces).optional(),
  pqBits: z.union([z.literal(4), z.literal(8)]).optional(),
  /** Learn a rotation before PQ (OPQ). Absent: the budget decides (off when pqBits or pqSubspaces is given). */
  pqRotation: z.boolean().optional(),
  /** Bytes a passage for the index structures, or a preset; see build/budget.ts. */
  budget: z.union([z.number().min(8).max(65_536), z.enum(["tiny", "balanced", "fast"])]).optional(),
  pqSample: bounded("pqSample").default(DEFAULTS.pqSample),
  pqIterations: bounded("pqIterations").default(DEFAULTS.pqIterations),
  embedBatchSize: bounded("embedBatchSize").default(DEFAULTS.embedBatchSize),
  embedTimeoutMs: z.number().int().min(0).default(DEFAULTS.embedTimeoutMs),
  embedConcurrency: z.number().int().min(1).max(64).default(DEFAULTS.embedConcurrency),
  storeVectors: z.boolean().default(DEFAULTS.storeVectors),
  storedHubShare: share.optional(),
  cacheBytes: z.number().int().min(0).max(LIMITS.cacheBytes).default(DEFAULTS.cacheBytes),
  keywordIndex: z.boolean().default(DEFAULTS.keywordIndex),
  /** Absent: the identity is taken from the embedder. */
  modelId: z.string().min(1).optional(),
}).transform((o) => ({
  ...o,
  // The options a budget fits its choice around: those the caller gave, as given.
  given: Object.freeze({
    ...(o.graphBytesPerPassage !== undefined ? { graphBytesPerPassage: o.graphBytesPerPassage } : {}),
    ...(o.pqSubspaces !== undefined && o.pqSubspaces !== 0 ? { pqSubspaces: o.pqSubspaces } : {}),
    ...(o.pqBits !== undefined ? { pqBits: o.pqBits } : {}),
    ...(o.storedHubShare !== undefined ? { storedHubShare: o.storedHubShare } : {}),
    ...(o.pqRotation !== undefined ? { pqRotation: o.pqRotation } : {}),
    // Absent when defaulted: the default budget may scale with the passages' length (build/budget.ts).
    ...(o.budget !== undefined ? { budget: o.budget } : {}),
  }),
  budget: o.budget ?? DEFAULTS.budget,
  graphBytesPerPassage: o.graphBytesPerPassage ?? DEFAULTS.graphBytesPerPassage,
  pqSubspaces: o.pqSubspaces ?? DEFAULTS.pqSubspaces,
  pqBits: o.pqBits ?? DEFAULTS.pqBits,
  storedHubShare: o.storedHubShare ?? DEFAULTS.storedHubShare,
}));

export const loadOptionsSchema = z.strictObject({
  allowModelMismatch: z.boolean().default(false),
  /** Hold the directory's writer lock from load until close() (see LoadOptions.lock). */
  lock: z.boolean().default(false),
  probe: z.boolean().default(true),
  cacheBytes: z.number().int().min(0).max(LIMITS.cacheBytes).default(DEFAULTS.cacheBytes),
  embedBatchSize: bounded("embedBatchSize").default(DEFAULTS.embedBatchSize),
  embedTimeoutMs: z.number().int().min(0).default(DEFAULTS.embedTimeoutMs),
  embedConcurrency: z.number().int().min(1).max(64).default(DEFAULTS.embedConcurrency),
});

const ALPHA_EXPECTED = "alpha must be a number from 0 (keyword only) to 1 (dense only); omit it for the default hybrid search";

export const searchOptionsSchema = z.strictObject({
  k: bounded("k").default(DEFAULTS.k),
  /** Absent: DEFAULTS.ef, wider on large indexes (defaultEf in search/searcher.ts). */
  ef: bounded("ef").optional(),
  maxRecompute: bounded("maxRecompute").default(DEFAULTS.maxRecompute),
  rerankShare: z.number().gt(0).max(1).default(DEFAULTS.rerankShare),
  /** Absent: the default of the path that runs (DEFAULTS.batchSize, or exactWalkBatchSize). */
  batchSize: bounded("batchSize").optional(),
  patience: bounded("patience").default(DEFAULTS.patience),
  /** Absent: "stored" when the index stores vectors, else "two-level". */
  mode: z.enum(["two-level", "exact-walk", "stored", "scan"]).optional(),
  /** Absent: DEFAULTS.alpha when the index and the query allow a keyword side, else 1 (see search/hybrid.ts). */
  alpha: z.number({ error: ALPHA_EXPECTED }).min(0, { error: ALPHA_EXPECTED }).max(1, { error: ALPHA_EXPECTED }).optional(),
});

/** Build options with every default filled in (the embedder and callbacks apart). */
export type ResolvedBuildOptions = Readonly<z.output<typeof buildOptionsSchema>>;
/** Load options with every default filled in (the embedder apart). */
export type ResolvedLoadOptions = Readonly<z.output<typeof loadOptionsSchema>>;
/** Search tuning with every default filled in; `mode` and `batchSize` depend on the index (see the searcher). */
export type ResolvedSearchOptions = Readonly<z.output<typeof searchOptionsSchema>>;

/**
 * Validates options against `schema` and returns them complete (defaults filled) and frozen.
 * @throws InvalidOptionsError naming each bad field, what it received and what it expects
 */
export function parseOptions<T extends object>(schema: z.ZodType<T, unknown>, value: unknown, where: string): Readonly<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return Object.freeze(r.data);
  const lines = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.join(".") : "(options)";
    const got = i.path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), value);
    return `  - ${path}: ${i.message}${i.code === "unrecognized_keys" ? "" : ` (received ${JSON.stringify(got)})`}`;
  });
  throw new InvalidOptionsError(`${where}: invalid options:\n${lines.join("\n")}\nSee the option list in the @leann/core README.`);
}

/** PQ subspaces for `dims`: the option, or min(64, dims) when it is 0 (see DEFAULTS.pqSubspaces). */
export function pqSubspacesFor(dims: number, option: number): number {
  return option === 0 ? Math.min(64, dims) : option;
}

/**
 * Recomputation batch of a search: the option when given, else the default of the path
 * that runs (the recompute-every-visit walk embeds one node at a time, see DEFAULTS).
 */
export function searchBatchSize(o: ResolvedSearchOptions, exactWalk: boolean): number {
  return o.batchSize ?? (exactWalk ? DEFAULTS.exactWalkBatchSize : DEFAULTS.batchSize);
}
