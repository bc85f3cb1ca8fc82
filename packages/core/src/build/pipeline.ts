import { embedBatched, embedderIdentity, type Embedder } from "../embedder.js";
import { compressGraph } from "../graph/csr.js";
import { buildHnsw, defaultThreads } from "../graph/hnsw-build.js";
import { LiveGraph } from "../graph/live-graph.js";
import { pruneSteps } from "../graph/prune.js";
import { reorderSteps } from "../graph/reorder.js";
import { allocateVectors } from "../graph/simd.js";
import { type ResolvedBuildOptions } from "../options.js";
import { scoreErrorSteps } from "../quantize/error.js";
import { KeywordIndex } from "../keyword/keyword-index.js";
import { encodePqSteps } from "../quantize/pq.js";
import { trainPqOnWorkers } from "../quantize/train-workers.js";
import type { Core } from "../state.js";
import type { PassageRecord } from "../store/passages.js";
import type { BuildPhase, BuildProgress } from "../types.js";
import { roundCodebook } from "../quantize/codebook-int8.js";
import { normalizeRows } from "../util/vector.js";
import { vectorsFrom } from "../validate.js";
import { chooseLayout, meanTextBytes, type Layout } from "./budget.js";
import { chooseStoredHubs, pickSeeds } from "./hubs.js";
import { KeywordTokens } from "./keyword-tokens.js";
import { Pacer } from "./pacer.js";

/**
 * Milliseconds per phase. `keyword`: what was left of the keyword index once the structures were built; most of it
 * (tokenising, then adding the postings from the moment the node order is known) runs in the main thread's gaps
 * during the other phases, whose times include it.
 */
export type BuildTimings = Record<"embed" | "graph" | "prune" | "quantize" | "keyword" | "total", number>;
type Progress = (phase: BuildPhase, done: number, total: number) => void;

/**
 * The whole build: embed the passages in batches (or take the caller's vectors), then
 * the structures (`buildCore`), and the keyword index when `o.keywordIndex` (its passages
 * tokenised meanwhile, in the main thread's idle time: see keyword-tokens.ts). Returns the
 * records in the index's node order, and `order` (node -> input row). `pacer` checks the caller's signal at every safe point
 * and lets the event loop run between slices of work, in every phase.
 * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
 * @throws AbortedError when the pacer's signal aborts
 */
export async function buildFromPassages(
  records: PassageRecord[],
  embedder: Embedder,
  given: ArrayLike<number>[] | undefined,
  o: ResolvedBuildOptions,
  onProgress: ((p: BuildProgress) => void) | undefined,
  pacer: Pacer,
): Promise<{ core: Core; records: PassageRecord[]; order: Uint32Array; timings: BuildTimings; keyword: KeywordIndex | null }> {
  const n = records.length;
  const progress: Progress = (phase, done, total) => {
    // A throw here stops the embedding from starting more calls.
    pacer.check();
    onProgress?.({ phase, done, total });
  };
  // The passages were just checked (synchronous work that grows with them): let the loop in.
  await pacer.point();
  const t0 = performance.now();
  // The vectors go straight into memory that graph construction uses as it is (no copies).
  const alloc = (length: number, d: number) => allocateVectors(length / d, d);
  const timings: BuildTimings = { embed: 0, graph: 0, prune: 0, quantize: 0, keyword: 0, total: 0 };
  // The default budget scales with the passages' length (build/budget.ts).
  const textBytes = meanTextBytes(records.map((r) => r.text));
  const keyword = o.keywordIndex ? KeywordIndex.create() : null;
  const tokens = keyword ? new KeywordTokens(records.map((r) => r.text), keyword.tokenizer) : null;
  tokens?.start();
  // The postings go in node order: known once the graph is renumbered, before pruning and the codebooks.
  const onOrder = keyword ? (order: Uint32Array) => tokens!.addInBackground(keyword, order) : undefined;
  let built: { core: Core; order: Uint32Array };
  try {
    if (given !== undefined) {
      const { vectors, dims } = vectorsFrom(given, n, alloc);
      if (o.metric === "cosine") normalizeRows(vectors, dims);
      timings.embed = performance.now() - t0;
      await pacer.point();
      built = await buildCore(vectors, dims, o, progress, timings, undefined, pacer, textBytes, onOrder);
    } else built = await embedAndBuild(records, embedder, o, progress, timings, t0, pacer, textBytes, onOrder);
  } finally {
    tokens?.stop();
  }
  const { core, order } = built;
  core.model = o.modelId ?? embedderIdentity(embedder) ?? null;
  const tk = performance.now();
  if (keyword) tokens!.addTo(keyword, order);
  timings.keyword = performance.now() - tk;
  timings.total = performance.now() - t0;
  return { core, records: Array.from(order, (i) => records[i]!), order, timings, keyword };
}

/**
 * Embeds and builds at once: graph construction starts as soon as the first rows are
 * embedded and inserts each batch of nodes once their rows have arrived, so a remote
 * model's latency and the graph's CPU time overlap instead of adding up. The calls keep
 * `embedConcurrency` in flight; rows are normalised as they arrive.
 */
async function embedAndBuild(
  records: PassageRecord[],
  embedder: Embedder,
  o: ResolvedBuildOptions,
  progress: Progress,
  timings: BuildTimings,
  t0: number,
  pacer: Pacer,
  textBytes: number | undefined,
  onOrder: ((order: Uint32Array) => void) | undefined,
): Promise<{ core: Core; order: Uint32Array }> {
  const n = records.length;
  const rows = new RowsArrived(n);
  let memory: { vectors: Float32Array; dims: number } | null = null;
  let allocated!: () => void;
  const ready = new Promise<void>((r) => (allocated = r));
  const alloc = (length: number, dims: number) => {
    memory = { vectors: allocateVectors(length / dims, dims), dims };
    allocated();
    return memory.vectors;
  };
  const onRows = (start: number, end: number) => {
    const { vectors, dims } = memory!;
    if (o.metric === "cosine") normalizeRows(vectors.subarray(start * dims, end * dims), dims);
    rows.arrived(start, end);
  };
  const embedding = pacer.abortable(embedBatched(embedder, records.map((r) => r.text), 0, o.embedBatchSize, { timeoutMs: o.embedTimeoutMs, concurrency: o.embedConcurrency, onRows }, (d) => progress("embed", d, n), alloc), "embed").then(
    (r) => {
      timings.embed = performance.now() - t0;
      return r;
    },
    (err: unknown) => {
      rows.fail(err);
      throw err;
    },
  );
  // The memory exists once the first answer gave the dimensions (or the embedding failed).
  await Promise.race([ready, embedding]);
  const m = memory as { vectors: Float32Array; dims: number } | null;
  if (!m) throw new Error("unreachable: the embedding resolved without allocating its vectors");
  const [, built] = await Promise.all([embedding, buildCore(m.vectors, m.dims, o, progress, timings, (count) => rows.until(count), pacer, textBytes, onOrder)]);
  return built;
}

/** How many leading rows have arrived, while embedder calls finish in any order. */
class RowsArrived {
  private readonly done: Uint8Array;
  private prefix = 0;
  private failure: { err: unknown } | null = null;
  private waiters: { count: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(n: number) {
    this.done = new Uint8Array(n + 1);
  }

  arrived(start: number, end: number): void {
    this.done.fill(1, start, end);
    while (this.prefix < this.done.length - 1 && this.done[this.prefix]) this.prefix++;
    this.waiters = this.waiters.filter((w) => (w.count <= this.prefix ? (w.resolve(), false) : true));
  }

  fail(err: unknown): void {
    this.failure = { err };
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }

  /** Resolves once the first `count` rows have arrived; rejects if the embedding failed. */
  until(count: number): Promise<void> {
    if (count <= this.prefix) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure.err);
    return new Promise((resolve, reject) => this.waiters.push({ count, resolve, reject }));
  }
}

/**
 * The structures of an index with no passages and unknown dimensions (LeannIndex.create):
 * it records the build options, so that its first add builds as `build` would have.
 */
export function emptyCore(o: ResolvedBuildOptions, model: string | null): Core {
  return {
    dims: 0,
    metric: o.metric,
    model,
    graph: new LiveGraph({ offsets: Uint32Array.of(0), data: new Uint8Array(0) }, 0),
    seeds: new Uint32Array(0),
    entry: 0,
    // Without dimensions there is no codebook yet; `subspaces` keeps the option (0 = automatic).
    pq: { dims: 0, subspaces: o.pqSubspaces, bits: o.pqBits, bounds: new Uint32Array(0), centroids: new Float32Array(0) },
    codes: new Uint8Array(0),
    inDegree: new Uint32Array(0),
    storedVectors: o.storeVectors ? new Float32Array(0) : null,
    hubIds: new Uint32Array(0),
    hubVectors: new Float32Array(0),
    params: recordedParams(o, { degree: 0, hubs: 0, averageDegree: 0, trainedOn: 0 }),
  };
}

/** The parameters an index records: its build options and what the build realised. */
function recordedParams(
  o: ResolvedBuildOptions,
  built: { degree: number; hubs: number; averageDegree: number; trainedOn: number },
  layout?: Layout,
  error?: { mean: number; sd: number },
): Core["params"] {
  // Key order is the file's: keep it stable so that headers stay byte-comparable.
  const p: Core["params"] = {
    M: o.M,
    efConstruction: o.efConstruction,
    seed: o.seed,
    hubShare: o.hubShare,
    prunedDegree: built.degree,
    prunedDegreeOption: o.prunedDegree,
    storedHubShare: o.storedHubShare,
    pqSample: o.pqSample,
    pqIterations: o.pqIterations,
    trainedOn: built.trainedOn,
    hubs: built.hubs,
    averageDegree: built.averageDegree,
    graphBytesPerPassage: layout?.graphBytesPerPassage ?? o.graphBytesPerPassage,
  };
  // Recorded for every index made with a budget, the empty one of create() too: a rebuild chooses again from them.
  p.budget = o.budget;
  p.given = JSON.stringify(o.given);
  if (layout) {
    p.storedHubShare = layout.storedHubShare;
    p.layout = layout.reason;
  }
  if (error) {
    // Rounded: the header is JSON, and 6 significant digits are plenty for a stop rule.
    p.scoreErrorMean = Number(error.mean.toPrecision(6));
    p.scoreErrorSd = Number(error.sd.toPrecision(6));
  }
  return p;
}

/**
 * vectors -> HNSW graph -> renumbering for locality -> pruning -> compressed graph -> PQ
 * -> hub choice. `order` maps the new node numbers back to the input rows. The long
 * steps run in slices paced by `pacer` (a signal checked at every safe point, the event
 * loop let in between slices); the slicing changes no result. `textBytes`, the passages'
 * mean text bytes, scales the default budget (build/budget.ts); absent, it is not scaled.
 * `onOrder` receives `order` as soon as it is known, before pruning and the codebooks.
 * @throws AbortedError when the pacer's signal aborts
 */
export async function buildCore(
  input: Float32Array,
  dims: number,
  o: ResolvedBuildOptions,
  progress: Progress,
  timings: { graph: number; prune: number; quantize: number },
  ready?: (count: number) => Promise<void>,
  pacer: Pacer = new Pacer(undefined),
  textBytes?: number,
  onOrder?: (order: Uint32Array) => void,
): Promise<{ core: Core; order: Uint32Array }> {
  let t = performance.now();
  const lap = () => {
    const now = performance.now();
    const d = now - t;
    t = now;
    return d;
  };
  const n = input.length / dims;
  const layout = chooseLayout(o.budget, n, dims, o.given, textBytes);
  const walkMetric = o.metric === "l2" ? "l2" : "ip";
  const threads = o.threads === 0 ? defaultThreads(n) : o.threads;
  pacer.begin("graph");
  const built = await buildHnsw(input, dims, {
    M: o.M,
    efConstruction: o.efConstruction,
    seed: o.seed,
    threads,
    metric: walkMetric,
    onProgress: (d, t) => progress("graph", d, t),
    pause: () => pacer.point(),
    ...(ready ? { ready } : {}),
  });
  timings.graph = lap();
  pacer.begin("prune");
  progress("prune", 0, 1);
  // From here on, nodes are numbered for locality; `order` maps back to the input order.
  const { graph: g, vectors, order } = await pacer.run(reorderSteps(built, input, dims));
  onOrder?.(order);
  const pruned = await pacer.run(pruneSteps(g, vectors, dims, { hubShare: o.hubShare, hubDegree: o.M, degree: o.prunedDegree, graphBudget: layout.graphBytesPerPassage, metric: walkMetric }));
  await pacer.point();
  const graph = compressGraph(pruned.adjacency);
  progress("prune", 1, 1);
  timings.prune = lap();
  pacer.begin("quantize");
  progress("quantize", 0, 1);
  const pq = await trainPqOnWorkers(vectors, dims, { subspaces: layout.pqSubspaces, bits: layout.pqBits, seed: o.seed, sample: o.pqSample, iterations: o.pqIterations, rotate: layout.rotate }, threads, pacer);
  // Codebooks are rounded now to what the file stores, so the index behaves the same before and after a save.
  roundCodebook(pq);
  const codes = await pacer.run(encodePqSteps(pq, vectors));
  const error = await pacer.run(scoreErrorSteps(pq, codes, vectors, dims, o.metric, o.seed));
  progress("quantize", 1, 1);
  timings.quantize = lap();
  let maxDegree = 0;
  for (let v = 0; v < n; v++) maxDegree = Math.max(maxDegree, pruned.adjacency.starts[v + 1]! - pruned.adjacency.starts[v]!);
  const { hubIds, hubVectors } = chooseStoredHubs(pruned.inDegree, vectors, dims, layout.storedHubShare);
  const core: Core = {
    dims,
    metric: o.metric,
    model: null,
    graph: new LiveGraph(graph, maxDegree),
    seeds: pickSeeds(g.levels, g.entry),
    entry: g.entry,
    pq,
    codes,
    inDegree: pruned.inDegree,
    storedVectors: o.storeVectors ? vectors : null,
    hubIds,
    hubVectors,
    params: recordedParams(o, { degree: pruned.degree, hubs: pruned.hubs, averageDegree: Number((pruned.adjacency.ids.length / n).toFixed(3)), trainedOn: n }, layout, error ?? undefined),
  };
  return { core, order };
}
