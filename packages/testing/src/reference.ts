/**
 * Brute-force references: the exact answers an approximate index is measured against
 * (as hnswlib measures its graph against its brute-force index).
 */

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Indices of the `k` rows of `data` most similar to `query`, best first; ties go to the
 * lower index so the answer is unique. "cosine" ignores lengths (a zero row scores 0),
 * "ip" is the raw inner product, "l2" ranks by smallest Euclidean distance.
 */
export function bruteForceTopK(data: readonly ArrayLike<number>[], query: ArrayLike<number>, k: number, metric: "cosine" | "ip" | "l2" = "cosine"): number[] {
  const qn = Math.sqrt(dot(query, query)) || 1;
  const score = (v: ArrayLike<number>): number => {
    if (metric === "ip") return dot(v, query);
    if (metric === "cosine") return dot(v, query) / ((Math.sqrt(dot(v, v)) || 1) * qn);
    let d = 0;
    for (let i = 0; i < v.length; i++) d += (v[i]! - query[i]!) ** 2;
    return -d;
  };
  return data
    .map((v, i) => ({ i, s: score(v) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}

/** The share of `truth` that `found` contains (recall@k with k = truth.length). */
export function recall(found: readonly unknown[], truth: readonly unknown[]): number {
  if (truth.length === 0) return 1;
  const t = new Set(truth);
  return found.filter((x) => t.has(x)).length / truth.length;
}
