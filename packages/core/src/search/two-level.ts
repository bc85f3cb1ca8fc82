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
  /**
   * Without an error estimate: stop after this many batches in a row that change nothing in the top k. With one:
   * divides the expected top-k entries the search may leave behind (2 = twice as cautious).
   */
  patience: number;
  /** Nodes that may be returned (filters, deletions); others are walked through, never ranked. */
  accept?: (id: number) => boolean;
  /**
   * The codes' accuracy measured at build (exact minus approximate score near the top).
   * With it, re-ranking runs in small batches and stops once the candidates left are expected
   * to hold fewer than EXPECTED_MISSES x k of the top k; without it (older files), by `patience` alone.
   */
  scoreError?: { mean: number; sd: number };
}

/**
 * With an error estimate, re-ranking stops once the candidates left are expected to hold fewer than
 * EXPECTED_MISSES x k of the true top k (divided by `patience`). The estimate counts entries against the current
 * k-th score, which only rises, so it overstates what is left (at k = 10 about twice the neighbours actually
 * missed). Chosen on the tuning queries of sotu-use-512/384p and fiori (docs/tuning.md): at 0.06 balanced at 512-d
 * re-ranked 32.5 candidates for k = 10, at 0.1 its recall@3 fell to 0.937; 0.085 gives 0.950 and 29.1.
 * Below k = 10 it shrinks by (k / 10)^0.25: the estimate overstates less when few entries are at stake, and
 * recall@3 sat at 0.943 (tune and check queries of sotu-use-512, balanced); with the factor 0.963 at 12.2 recomputations
 * (tune), 0.957 at 15.1 (check; the square root gave 0.967 at 16.6 there).
 */
export const EXPECTED_MISSES = 0.085;
/** k from which the tolerance is EXPECTED_MISSES x k in full. */
const FULL_TOLERANCE_K = 10;
/** Standard deviations of code error the hybrid search gives a PQ-estimated candidate before ruling it out. */
export const ERROR_MARGIN = 3;
/**
 * Weight, in pseudo-observations, of the build's error estimate against the errors this query's re-ranked
 * candidates show. Queries differ (on 10k USE-lite 512-d under 4-bit codes the mean error moved by 0.022 from
 * query to query, as much as it spread within one); 4 keeps one odd first batch from swinging the rule.
 */
const PRIOR_WEIGHT = 4;
/** With an error estimate, batches after the first hold at most this many candidates (or k / 5 when larger). */
const BOUNDED_BATCH = 2;
/** Candidates whose chance to enter the top k is below this are not counted (keeps the sums short). */
const NEGLIGIBLE = 1e-9;
const NEGLIGIBLE_SDS = 6;

/** Upper tail of the standard normal, P(Z > x) (Abramowitz and Stegun 26.2.17; absolute error < 7.5e-8). */
export function normalTail(x: number): number {
  if (x < 0) return 1 - normalTail(-x);
  if (x > 12) return 0;
  const t = 1 / (1 + 0.2316419 * x);
  const pdf = Math.exp(-0.5 * x * x) * 0.3989422804014327;
  return pdf * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
}

/**
 * The code error a query shows: the errors (exact - approximate) of the candidates it has re-ranked, pooled with
 * the build's estimate as PRIOR_WEIGHT observations, and never below that estimate. A query whose codes err more
 * than the build measured (held-out questions against 4-bit codes: mean 0.083 against 0.073) re-ranks deeper;
 * one whose re-ranked candidates look better does not stop sooner, because the best approximate scores are partly
 * the codes' own overestimates (on seeded clustered data under `tiny`, trusting them left recall@10 at 0.915).
 */
export class QueryError {
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  constructor(private readonly prior: { mean: number; sd: number }) {}
  add(error: number): void {
    this.n++;
    this.sum += error;
    this.sumSq += error * error;
  }
  get mean(): number {
    return Math.max(this.prior.mean, (PRIOR_WEIGHT * this.prior.mean + this.sum) / (PRIOR_WEIGHT + this.n));
  }
  get sd(): number {
    if (this.n < 2) return this.prior.sd;
    const m = this.sum / this.n;
    const within = Math.max(0, this.sumSq - this.n * m * m);
    return Math.max(this.prior.sd, Math.sqrt((PRIOR_WEIGHT * this.prior.sd ** 2 + within) / (PRIOR_WEIGHT + this.n - 1)));
  }
}

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
 *    spent, no candidates remain, or (with the build's error estimate) the candidates
 *    left are expected to hold fewer than EXPECTED_MISSES x k of the top k, their chances
 *    taken from the codes' error as this query shows it (QueryError): accurate codes stop
 *    right after the first k, coarse ones re-rank deeper; without an estimate, when
 *    `patience` batches in a row changed nothing.
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
  const batchApprox = new Float64Array(o.batchSize);
  let exactCount = 0;
  let batches = 0;
  let idle = 0;
  const budget = () => Math.min(o.maxRecompute, Math.max(o.k, Math.ceil(o.rerankShare * visitedCount)));
  const err = o.scoreError ? new QueryError(o.scoreError) : null;
  // Every candidate met, so that the stop rule can sum over those still waiting (the pool heap cannot be walked).
  let metIds = new Uint32Array(Math.max(64, visitedCount * 2));
  let metScores = new Float64Array(metIds.length);
  let met = 0;
  const meet = (id: number, a: number) => {
    if (met === metIds.length) {
      const ids = new Uint32Array(met * 2), sc = new Float64Array(met * 2);
      ids.set(metIds);
      sc.set(metScores);
      metIds = ids;
      metScores = sc;
    }
    metIds[met] = id;
    metScores[met++] = a;
  };
  if (err) for (let i = 0; i < ctx.n; i++) if (visited[i]) meet(i, approx(i));
  // 2 = taken from the pool (re-ranked or refused by `accept`).
  const TAKEN = 2;
  const tolerance = (EXPECTED_MISSES * o.k * Math.min(1, (o.k / FULL_TOLERANCE_K) ** 0.25)) / Math.max(1, o.patience);
  /**
   * How many of the best waiting candidates to re-rank next: with an error estimate, as many as it takes to bring the
   * expected number of top-k entries left among the others under `tolerance` (0: stop), at most BOUNDED_BATCH (or
   * k / 5); the first batch fills the top k. Without one (older files), a full batch.
   */
  const nextBatch = (): number => {
    if (!err) return o.batchSize;
    if (top.heap.size < o.k) return Math.min(o.batchSize, o.k);
    const kth = top.heap.topScore(), mean = err.mean, sd = err.sd;
    const cap = Math.min(o.batchSize, Math.max(BOUNDED_BATCH, Math.ceil(o.k / 5)));
    // A node's chance to beat the k-th exact score is P(approximate + error > kth), error ~ N(mean, sd).
    const chance = (a: number) => (sd > 0 ? normalTail((kth - a - mean) / sd) : a + mean > kth ? 1 : 0);
    // Below this approximate score a candidate's chance is under NEGLIGIBLE (P(Z > 6) < 1e-9): skipped unweighed.
    const floor = kth - mean - NEGLIGIBLE_SDS * sd;
    let expected = 0;
    const order = new ScoreHeap(true);
    for (let j = 0; j < met; j++) {
      const id = metIds[j]!, a = metScores[j]!;
      if (a <= floor || visited[id] === TAKEN) continue;
      const p = chance(a);
      if (p > NEGLIGIBLE) {
        order.push(a, id);
        if (!o.accept || o.accept(id)) expected += p;
      }
    }
    if (expected < tolerance) return 0;
    // The pool pops in approximate order, which is the order of these chances: count the best until the rest are short.
    let take = 0;
    while (take < cap && expected >= tolerance && order.size > 0) {
      if (!o.accept || o.accept(order.topId())) {
        expected -= chance(order.topScore());
        take++;
      }
      order.pop();
    }
    return Math.max(1, take);
  };
  while (pool.size > 0 && exactCount < budget()) {
    const room = Math.min(nextBatch(), budget() - exactCount);
    if (room <= 0) break;
    let b = 0;
    while (b < room && pool.size > 0) {
      const id = pool.topId(), a = pool.topScore();
      pool.pop();
      visited[id] = TAKEN;
      if (o.accept && !o.accept(id)) continue;
      batchApprox[b] = a;
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
      err?.add(s - batchApprox[i]!);
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
          const a = approx(e);
          pool.push(a, e);
          if (err) meet(e, a);
        }
      }
    }
    idle = entered === 0 ? idle + 1 : 0;
    // Without an error estimate, `patience` batches in a row that change nothing end the search.
    if (!err && top.heap.size >= o.k && idle >= o.patience) break;
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
