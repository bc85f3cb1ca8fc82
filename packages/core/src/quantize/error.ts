import { createRng } from "../util/rng.js";
import { finish, type Steps } from "../util/steps.js";
import { score, type Metric } from "../util/vector.js";
import { pqScore, pqTable, type PqCodebook } from "./pq.js";

/** Exact minus approximate score, near the top of a ranking. */
export interface ScoreError {
  mean: number;
  sd: number;
}

/** Indexed vectors standing in for queries, and candidates scored against each. */
const QUERIES = 48;
const CANDIDATES = 16;
/** Fewer indexed vectors than this give no estimate (see estimateScoreError). */
export const MIN_VECTORS = 256;

/**
 * How far a code's approximate score strays from the exact one, measured at build on
 * the index's own vectors: each of QUERIES sampled rows is scored against its best
 * CANDIDATES among a random sample (the kind of candidate a re-ranking meets), exactly
 * and from the codes. Returns the mean and standard deviation of (exact - approximate):
 * near the top the mean is positive (the best vectors are the ones their codes undersell);
 * the search's stop rule uses both to tell which candidates could still enter the top k.
 * Null when there are too few vectors to say: a codebook fits a small training set so
 * closely that the errors measured on it understate those of later inserts and of the
 * tails, and a zero margin would stop re-ranking before the true top k is found. Small
 * indexes then re-rank without the stop rule, as they did before it (a few dozen
 * recomputations at most).
 */
export function estimateScoreError(pq: PqCodebook, codes: Uint8Array, vectors: Float32Array, dims: number, metric: Metric, seed: number): ScoreError | null {
  return finish(scoreErrorSteps(pq, codes, vectors, dims, metric, seed));
}

/** estimateScoreError, cut at safe points (one a sampled query). */
export function* scoreErrorSteps(pq: PqCodebook, codes: Uint8Array, vectors: Float32Array, dims: number, metric: Metric, seed: number): Steps<ScoreError | null> {
  const n = vectors.length / dims;
  if (n < MIN_VECTORS) return null;
  const rng = createRng(seed ^ 0x5eed);
  const pqMetric = metric === "l2" ? "l2" : "ip";
  const pool = Math.min(n, 1024);
  let sum = 0, sumSq = 0, count = 0;
  const exact = new Float64Array(pool), approx = new Float64Array(pool), ids = new Uint32Array(pool);
  for (let q = 0; q < Math.min(QUERIES, n); q++) {
    yield;
    const qi = Math.floor(rng() * n);
    const query = vectors.subarray(qi * dims, (qi + 1) * dims);
    const table = pqTable(pq, query, pqMetric);
    let m = 0;
    for (let j = 0; j < pool; j++) {
      const c = n <= pool ? j : Math.floor(rng() * n);
      if (c === qi) continue;
      ids[m] = c;
      exact[m] = score(metric, query, 0, vectors, c * dims, dims);
      approx[m] = pqScore(pq, codes, c, table);
      m++;
    }
    // The best candidates by exact score: errors matter near the top, where vectors are alike.
    const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => exact[b]! - exact[a]!).slice(0, CANDIDATES);
    for (const i of order) {
      const e = exact[i]! - approx[i]!;
      sum += e;
      sumSq += e * e;
      count++;
    }
  }
  if (count < 2) return null;
  const mean = sum / count;
  return { mean, sd: Math.sqrt(Math.max(0, sumSq / count - mean * mean)) };
}
