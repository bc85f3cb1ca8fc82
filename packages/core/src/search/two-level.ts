import { pqScore, pqTable, type PqCodebook } from "../quantize/pq.js";
import { ScoreHeap } from "../util/heap.js";
import { score, type Metric } from "../util/vector.js";

/** What a search walks over: the compressed graph, PQ codes, and a source of exact vectors. */
export interface SearchContext {
  n: number;
  dims: number;
  metric: Metric;
  /** Writes node v's neighbours into out and returns how many. */
  neighbors(v: number, out: Uint32Array): number;
  /** Upper bound of any node's degree (scratch size). */
  maxDegree: number;
  seeds: Uint32Array;
  pq: PqCodebook;
  codes: Uint8Array;
  /** Exact vectors of `ids` (flat, row per id; normalised for cosine). Batches come here whole. */
  exact(ids: Uint32Array): Promise<Float32Array>;
}

export interface WalkOptions {
  k: number;
  /** Beam width of the approximate (PQ) walk. */
  ef: number;
  /** Most candidates recomputed exactly per search. */
  maxRecompute: number;
  /** Share of the candidates met that may be recomputed (the paper's re-ranking ratio). */
  rerankShare: number;
  /** Candidates gathered per exact batch (dynamic batching). */
  batchSize: number;
  /** Stop after this many batches in a row that change nothing in the top k. */
  patience: number;
  /** Nodes that may be returned (filters, deletions); others are walked through, never ranked. */
  accept?: (id: number) => boolean;
  /**
   * The codes' accuracy measured at build (exact minus approximate score near the top).
   * With it, re-ranking stops once no candidate left could enter the top k, and runs in
   * small batches so that the rule gets to act; without it (older files), by `patience` alone.
   */
  scoreError?: { mean: number; sd: number };
}

/** Standard deviations of code error a candidate is given before it is ruled out. */
export const ERROR_MARGIN = 3;
/** With an error bound, later batches hold this many candidates (or k / 2 when larger). */
const BOUNDED_BATCH = 4;
/** With small batches, patience counts candidates: this many (or k) per unit of patience. */
const IDLE_CANDIDATES = 8;

export interface WalkResult {
  ids: number[];
  scores: number[];
  /** Nodes scored approximately (PQ). */
  visited: number;
  /** Nodes whose neighbour lists were read. */
  expanded: number;
  /** Exact vectors requested (recomputed or cached). */
  exact: number;
  batches: number;
}

/** Keeps the k best (id, exact score) pairs; a min-heap so the worst is at the top. */
class TopK {
  readonly heap = new ScoreHeap(false);
  constructor(readonly k: number) {}
  offer(s: number, id: number): boolean {
    if (this.heap.size < this.k) {
      this.heap.push(s, id);
      return true;
    }
    if (s > this.heap.topScore()) {
      this.heap.pop();
      this.heap.push(s, id);
      return true;
    }
    return false;
  }
  sorted(): { ids: number[]; scores: number[] } {
    const pairs: [number, number][] = [];
    while (this.heap.size > 0) {
      pairs.push([this.heap.topScore(), this.heap.topId()]);
      this.heap.pop();
    }
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    return { ids: pairs.map((p) => p[1]), scores: pairs.map((p) => p[0]) };
  }
}

/**
 * Two-level search (LEANN section 4.1 with dynamic batching, 4.2):
 * 1. Walk the graph best-first by approximate PQ scores (no recomputation), beam `ef`.
 * 2. Recompute exactly, in batches of `batchSize`, the candidates with the best
 *    approximate scores; after each batch, expand the neighbours of the nodes that
 *    entered the exact top k (PQ-scored, added to the candidates), so exact scores
 *    steer the rest of the walk.
 * 3. Stop when the budget (`maxRecompute`, `rerankShare` of the candidates met) is
 *    spent, no candidates remain, or `patience` batches in a row changed nothing.
 */
export async function twoLevelSearch(ctx: SearchContext, query: Float32Array, o: WalkOptions): Promise<WalkResult> {
  const pqMetric = ctx.metric === "l2" ? "l2" : "ip";
  const table = pqTable(ctx.pq, query, pqMetric);
  const visited = new Uint8Array(ctx.n);
  const scratch = new Uint32Array(ctx.maxDegree);
  const approx = (id: number) => pqScore(ctx.pq, ctx.codes, id, table);
  let visitedCount = 0;
  let expanded = 0;

  // Phase 1: PQ beam search. `pool` collects every node met, by approximate score.
  const pool = new ScoreHeap(true, 256);
  const frontier = new ScoreHeap(true);
  const beam = new ScoreHeap(false);
  for (let i = 0; i < ctx.seeds.length; i++) {
    const s = ctx.seeds[i]!;
    if (visited[s]) continue;
    visited[s] = 1;
    visitedCount++;
    const a = approx(s);
    frontier.push(a, s);
    pool.push(a, s);
    beam.push(a, s);
    if (beam.size > o.ef) beam.pop();
  }
  while (frontier.size > 0) {
    const cs = frontier.topScore(), c = frontier.topId();
    if (beam.size >= o.ef && cs < beam.topScore()) break;
    frontier.pop();
    expanded++;
    const cnt = ctx.neighbors(c, scratch);
    for (let j = 0; j < cnt; j++) {
      const e = scratch[j]!;
      if (visited[e]) continue;
      visited[e] = 1;
      visitedCount++;
      const a = approx(e);
      pool.push(a, e);
      if (beam.size < o.ef || a > beam.topScore()) {
        frontier.push(a, e);
        beam.push(a, e);
        if (beam.size > o.ef) beam.pop();
      }
    }
  }

  // Phase 2: exact re-ranking in batches, steered by exact scores.
  const top = new TopK(o.k);
  const batch = new Uint32Array(o.batchSize);
  let exactCount = 0;
  let batches = 0;
  let idle = 0;
  let idleCandidates = 0;
  const budget = () => Math.min(o.maxRecompute, Math.max(o.k, Math.ceil(o.rerankShare * visitedCount)));
  const err = o.scoreError;
  const margin = err ? err.mean + ERROR_MARGIN * err.sd : Infinity;
  // The first batch fills the top k; later ones only take candidates that could still enter it.
  const batchFor = () => (err ? Math.min(o.batchSize, top.heap.size < o.k ? o.k + Math.max(2, o.k >> 2) : Math.max(BOUNDED_BATCH, o.k >> 1)) : o.batchSize);
  const hopeless = (approxScore: number) => top.heap.size >= o.k && approxScore + margin < top.heap.topScore();
  while (pool.size > 0 && exactCount < budget()) {
    if (hopeless(pool.topScore())) break;
    let b = 0;
    const room = Math.min(batchFor(), budget() - exactCount);
    while (b < room && pool.size > 0) {
      if (hopeless(pool.topScore())) break;
      const id = pool.topId();
      pool.pop();
      if (o.accept && !o.accept(id)) continue;
      batch[b++] = id;
    }
    if (b === 0) break;
    const ids = batch.subarray(0, b);
    const vecs = await ctx.exact(ids);
    exactCount += b;
    batches++;
    let entered = 0;
    for (let i = 0; i < b; i++) {
      const s = score(ctx.metric, query, 0, vecs, i * ctx.dims, ctx.dims);
      if (top.offer(s, ids[i]!)) {
        entered++;
        // Exact scores say this region matters: make sure its neighbours are candidates.
        expanded++;
        const cnt = ctx.neighbors(ids[i]!, scratch);
        for (let j = 0; j < cnt; j++) {
          const e = scratch[j]!;
          if (visited[e]) continue;
          visited[e] = 1;
          visitedCount++;
          pool.push(approx(e), e);
        }
      }
    }
    idle = entered === 0 ? idle + 1 : 0;
    idleCandidates = entered === 0 ? idleCandidates + b : 0;
    if (top.heap.size >= o.k && (err ? idleCandidates >= o.patience * Math.max(IDLE_CANDIDATES, o.k) : idle >= o.patience)) break;
  }
  const { ids, scores } = top.sorted();
  return { ids, scores, visited: visitedCount, expanded, exact: exactCount, batches };
}

export interface ExactWalkOptions {
  k: number;
  ef: number;
  batchSize: number;
  accept?: (id: number) => boolean;
}

/**
 * The walk the Python LEANN ships: best-first on exact scores, recomputing every node
 * it visits (the neighbours of each expanded node in one batch). Kept as the baseline
 * that two-level search is measured against, and for users who want it.
 */
export async function exactWalkSearch(ctx: SearchContext, query: Float32Array, o: ExactWalkOptions): Promise<WalkResult> {
  const visited = new Uint8Array(ctx.n);
  const scratch = new Uint32Array(ctx.maxDegree);
  const frontier = new ScoreHeap(true);
  const beam = new ScoreHeap(false);
  const top = new TopK(o.k);
  let exactCount = 0, batches = 0, expanded = 0, visitedCount = 0;
  const ef = Math.max(o.ef, o.k);
  const pending: number[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const ids = Uint32Array.from(pending);
    pending.length = 0;
    const vecs = await ctx.exact(ids);
    exactCount += ids.length;
    batches++;
    for (let i = 0; i < ids.length; i++) {
      const s = score(ctx.metric, query, 0, vecs, i * ctx.dims, ctx.dims);
      const id = ids[i]!;
      if (beam.size < ef || s > beam.topScore()) {
        frontier.push(s, id);
        beam.push(s, id);
        if (beam.size > ef) beam.pop();
      }
      if (!o.accept || o.accept(id)) top.offer(s, id);
    }
  };
  for (let i = 0; i < ctx.seeds.length && i < 1; i++) {
    visited[ctx.seeds[i]!] = 1;
    visitedCount++;
    pending.push(ctx.seeds[i]!);
  }
  await flush();
  while (frontier.size > 0) {
    // Dynamic batching: expand best candidates until a batch's worth of new nodes is gathered.
    while (frontier.size > 0 && pending.length < o.batchSize) {
      const cs = frontier.topScore(), c = frontier.topId();
      if (beam.size >= ef && cs < beam.topScore()) break;
      frontier.pop();
      expanded++;
      const cnt = ctx.neighbors(c, scratch);
      for (let j = 0; j < cnt; j++) {
        const e = scratch[j]!;
        if (visited[e]) continue;
        visited[e] = 1;
        visitedCount++;
        pending.push(e);
      }
    }
    if (pending.length === 0) break;
    await flush();
  }
  const { ids, scores } = top.sorted();
  return { ids, scores, visited: visitedCount, expanded, exact: exactCount, batches };
}

/**
 * Exact scores of every node in 0..n-1 that `accept` lets through, in batches of `batchSize`:
 * the reference search, and the path for filters that match few passages. The batches do
 * not depend on the query, so a query still being embedded (a promise) is awaited only
 * once the first batch is on its way: the two embedder calls overlap.
 */
export async function scanSearch(
  ctx: SearchContext,
  queryOrPending: Float32Array | Promise<Float32Array>,
  o: { k: number; batchSize: number; accept?: (id: number) => boolean },
): Promise<WalkResult> {
  const top = new TopK(o.k);
  const pending = new Uint32Array(o.batchSize);
  let count = 0, exactCount = 0, batches = 0;
  let query: Float32Array | null = queryOrPending instanceof Float32Array ? queryOrPending : null;
  const flush = async () => {
    if (count === 0) return;
    const ids = pending.slice(0, count);
    count = 0;
    let vecs: Float32Array;
    if (query) vecs = await ctx.exact(ids);
    else [query, vecs] = await Promise.all([queryOrPending, ctx.exact(ids)]);
    exactCount += ids.length;
    batches++;
    for (let i = 0; i < ids.length; i++) top.offer(score(ctx.metric, query, 0, vecs, i * ctx.dims, ctx.dims), ids[i]!);
  };
  for (let id = 0; id < ctx.n; id++) {
    if (o.accept && !o.accept(id)) continue;
    pending[count++] = id;
    if (count === o.batchSize) await flush();
  }
  await flush();
  // Nothing passed `accept`: the query must still be valid (and its failure reported).
  if (!query) await queryOrPending;
  const { ids, scores } = top.sorted();
  return { ids, scores, visited: ctx.n, expanded: 0, exact: exactCount, batches };
}
