/**
 * Exact (brute-force) top-k by inner product on normalised vectors (= cosine), for ground truth.
 */

/** A bounded min-heap of (score, index) keeping the k best. */
function topKOfScores(scores: Float32Array, k: number): number[] {
  const n = scores.length;
  const kk = Math.min(k, n);
  const heapIdx = new Int32Array(kk);
  const heapScore = new Float32Array(kk);
  let size = 0;
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && heapScore[l]! < heapScore[m]!) m = l;
      if (r < size && heapScore[r]! < heapScore[m]!) m = r;
      if (m === i) return;
      [heapScore[i], heapScore[m]] = [heapScore[m]!, heapScore[i]!];
      [heapIdx[i], heapIdx[m]] = [heapIdx[m]!, heapIdx[i]!];
      i = m;
    }
  };
  for (let j = 0; j < n; j++) {
    const s = scores[j]!;
    if (size < kk) {
      let i = size++;
      heapScore[i] = s;
      heapIdx[i] = j;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heapScore[p]! <= heapScore[i]!) break;
        [heapScore[i], heapScore[p]] = [heapScore[p]!, heapScore[i]!];
        [heapIdx[i], heapIdx[p]] = [heapIdx[p]!, heapIdx[i]!];
        i = p;
      }
    } else if (s > heapScore[0]!) {
      heapScore[0] = s;
      heapIdx[0] = j;
      siftDown(0);
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => heapScore[b]! - heapScore[a]! || heapIdx[a]! - heapIdx[b]!);
  return order.map((i) => heapIdx[i]!);
}

/** Top-k row indices (best first) of `vectors` (count x dims) for one query by inner product. */
export function exactSearchOne(vectors: Float32Array, dims: number, query: Float32Array, k: number): number[] {
  const n = vectors.length / dims;
  const scores = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    const o = r * dims;
    for (let d = 0; d < dims; d++) s += vectors[o + d]! * query[d]!;
    scores[r] = s;
  }
  return topKOfScores(scores, k);
}

/** Top-k row indices for every query (queryVectors is queryCount x dims). */
export function exactTopK(vectors: Float32Array, dims: number, queryVectors: Float32Array, k: number): number[][] {
  const out: number[][] = [];
  for (let q = 0; q < queryVectors.length / dims; q++) out.push(exactSearchOne(vectors, dims, queryVectors.subarray(q * dims, (q + 1) * dims), k));
  return out;
}

/** Top-k passage ids for every query. */
export function exactTopKIds(vectors: Float32Array, dims: number, ids: readonly string[], queryVectors: Float32Array, k: number): string[][] {
  return exactTopK(vectors, dims, queryVectors, k).map((row) => row.map((i) => ids[i]!));
}

/** Mean recall@k: |found[:k] ∩ truth[:k]| / |truth[:k]|, averaged over queries. */
export function recallAtK(found: readonly (readonly string[])[], truth: readonly (readonly string[])[], k: number): number {
  if (found.length !== truth.length) throw new Error(`recallAtK: ${found.length} result lists, ${truth.length} truth lists`);
  let sum = 0;
  for (let q = 0; q < truth.length; q++) {
    const t = new Set(truth[q]!.slice(0, k));
    if (t.size === 0) continue;
    let hit = 0;
    for (const id of found[q]!.slice(0, k)) if (t.has(id)) hit++;
    sum += hit / t.size;
  }
  return truth.length > 0 ? sum / truth.length : 0;
}
