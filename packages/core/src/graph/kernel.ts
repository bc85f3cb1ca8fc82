/**
 * The HNSW construction kernel: layer search, the RNG neighbour heuristic and
 * back-linking, over flat typed arrays that may live in SharedArrayBuffers.
 *
 * `createBuildKernel` must stay self-contained (no imports, no references to
 * module scope): worker threads receive its source text via
 * `createBuildKernel.toString()`, so the main thread and the workers run the
 * very same code.
 */

export interface BuildState {
  /** n x dims, row-major; normalised beforehand for cosine. */
  vectors: Float32Array;
  dims: number;
  /** 0: inner product (distance = -dot), 1: squared Euclidean. */
  metric: number;
  M: number;
  /** Level-0 capacity (2M in HNSW). */
  M0: number;
  efConstruction: number;
  /** Level-0 adjacency: n x (M0 + 1); slot 0 holds the count. */
  level0: Int32Array;
  /** Top level of each node. */
  levels: Uint8Array;
  /** Per node, the first slot of its level-1 list in `upper` (-1 if it has no upper levels). */
  upperBase: Int32Array;
  /** Upper-level adjacency: slots x (M + 1); level l of node i is slot upperBase[i] + l - 1. */
  upper: Int32Array;
  /**
   * Optional SIMD dot product over byte offsets into the memory that `vectors` views (at
   * offset 0); dims must then be a multiple of 8.
   */
  dot?: (aByte: number, bByte: number, n: number) => number;
  /**
   * Batched forms of `dot` (graph/simd.ts) and this thread's own scratch in the same memory
   * (`scratch` bytes from byte offset `scratch`, at least batchScratchBytes(M)): a neighbour
   * list's distances, and the heuristic's test against the neighbours kept, in one call each.
   * The results are those of `dot`, so the graph is the same with or without them.
   */
  batch?: {
    dots: (q: number, ids: number, count: number, out: number, rowBytes: number, n: number) => void;
    firstCloser: (e: number, ids: number, count: number, rowBytes: number, n: number, de: number, tmp: number) => number;
    scratch: number;
  };
}

export interface BuildKernel {
  /** Finds and stores node q's neighbour lists at every level, reading the graph only. */
  connect(q: number, entry: number, maxLevel: number): void;
  /** Adds the edge u -> q at level l, shrinking u's list with the heuristic when full. */
  linkBack(u: number, level: number, q: number): void;
  /** Counters for the work done (distance computations). */
  readonly stats: { distances: number };
  /**
   * The kernel's copy of the RNG heuristic over candidates sorted ascending in (cd, ci);
   * returns the kept ids (a view valid until the next call). Exposed so a test can hold
   * it to graph/heuristic.ts.
   */
  select(cd: Float64Array, ci: Int32Array, count: number, limit: number): Int32Array;
}

/** Bytes of scratch a thread's batched kernel needs (BuildState.batch): three lists of max(M0, M) + 1 entries, and some. */
export function batchScratchBytes(M: number, M0: number): number {
  return 3 * 4 * (Math.max(M0, M) + 4);
}

export function createBuildKernel(s: BuildState): BuildKernel {
  const { vectors, dims, metric, M, M0, efConstruction, level0, levels, upperBase, upper, dot, batch } = s;
  const n = levels.length;
  const stats = { distances: 0 };
  const rowBytes = dims * 4;
  // Squared norms, for l2 through the dot product: |a - b|^2 = |a|^2 + |b|^2 - 2 a.b
  let norms: Float64Array | undefined;
  if (dot && metric === 1) {
    norms = new Float64Array(n);
    for (let i = 0; i < n; i++) norms[i] = dot(i * rowBytes, i * rowBytes, dims);
  }

  function dist(a: number, b: number): number {
    stats.distances++;
    if (dot) {
      const x = dot(a * rowBytes, b * rowBytes, dims);
      return norms ? norms[a] + norms[b] - 2 * x : -x;
    }
    const ao = a * dims;
    const bo = b * dims;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    if (metric === 1) {
      for (; i + 3 < dims; i += 4) {
        const d0 = vectors[ao + i] - vectors[bo + i];
        const d1 = vectors[ao + i + 1] - vectors[bo + i + 1];
        const d2 = vectors[ao + i + 2] - vectors[bo + i + 2];
        const d3 = vectors[ao + i + 3] - vectors[bo + i + 3];
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
      }
      for (; i < dims; i++) { const d = vectors[ao + i] - vectors[bo + i]; s0 += d * d; }
      return s0 + s1 + s2 + s3;
    }
    for (; i + 3 < dims; i += 4) {
      s0 += vectors[ao + i] * vectors[bo + i];
      s1 += vectors[ao + i + 1] * vectors[bo + i + 1];
      s2 += vectors[ao + i + 2] * vectors[bo + i + 2];
      s3 += vectors[ao + i + 3] * vectors[bo + i + 3];
    }
    for (; i < dims; i++) s0 += vectors[ao + i] * vectors[bo + i];
    return -(s0 + s1 + s2 + s3);
  }

  // A neighbour list to measure (nb) and its distances (nd); with the batched kernel, nb,
  // its f32 results and the heuristic's kept ids (sel) live in this thread's scratch.
  const L = Math.max(M0, M) + 4;
  const idsAt = batch ? batch.scratch : 0, outAt = idsAt + 4 * L, selAt = outAt + 4 * L;
  const nb = batch ? new Int32Array(vectors.buffer, idsAt, L) : new Int32Array(L);
  const nbOut = batch ? new Float32Array(vectors.buffer, outAt, L) : new Float32Array(0);
  const sel = batch ? new Int32Array(vectors.buffer, selAt, L) : new Int32Array(L);
  const nd = new Float64Array(L);
  /** nd[k] = dist(q, nb[k]) for k < count. */
  function measure(q: number, count: number): void {
    if (!batch) {
      for (let k = 0; k < count; k++) nd[k] = dist(q, nb[k]);
      return;
    }
    batch.dots(q * rowBytes, idsAt, count, outAt, rowBytes, dims);
    stats.distances += count;
    for (let k = 0; k < count; k++) {
      const x = nbOut[k];
      nd[k] = norms ? norms[q] + norms[nb[k]] - 2 * x : -x;
    }
  }

  // Adjacency access: returns [array, base] where array[base] is the count.
  function listArray(level: number): Int32Array { return level === 0 ? level0 : upper; }
  function listBase(node: number, level: number): number {
    return level === 0 ? node * (M0 + 1) : (upperBase[node] + level - 1) * (M + 1);
  }

  // Visited set with epoch tags: clearing is O(1).
  const visited = new Uint32Array(n);
  let epoch = 0;
  function newEpoch(): void {
    epoch++;
    if (epoch === 0xffffffff) { visited.fill(0); epoch = 1; }
  }

  // Two binary heaps on typed arrays: candidates (min by distance), results (max by distance).
  let cap = 1024;
  let cD = new Float64Array(cap), cI = new Int32Array(cap), cN = 0;
  let rD = new Float64Array(cap), rI = new Int32Array(cap), rN = 0;
  function grow(): void {
    cap *= 2;
    const a = new Float64Array(cap); a.set(cD); cD = a;
    const b = new Int32Array(cap); b.set(cI); cI = b;
    const c = new Float64Array(cap); c.set(rD); rD = c;
    const d = new Int32Array(cap); d.set(rI); rI = d;
  }
  function cPush(d: number, id: number): void {
    if (cN === cap) grow();
    let i = cN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cD[p] <= d) break;
      cD[i] = cD[p]; cI[i] = cI[p]; i = p;
    }
    cD[i] = d; cI[i] = id;
  }
  function cPop(): void {
    const d = cD[--cN], id = cI[cN];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= cN) break;
      if (c + 1 < cN && cD[c + 1] < cD[c]) c++;
      if (cD[c] >= d) break;
      cD[i] = cD[c]; cI[i] = cI[c]; i = c;
    }
    cD[i] = d; cI[i] = id;
  }
  function rPush(d: number, id: number): void {
    if (rN === cap) grow();
    let i = rN++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (rD[p] >= d) break;
      rD[i] = rD[p]; rI[i] = rI[p]; i = p;
    }
    rD[i] = d; rI[i] = id;
  }
  function rPop(): void {
    const d = rD[--rN], id = rI[rN];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= rN) break;
      if (c + 1 < rN && rD[c + 1] > rD[c]) c++;
      if (rD[c] <= d) break;
      rD[i] = rD[c]; rI[i] = rI[c]; i = c;
    }
    rD[i] = d; rI[i] = id;
  }

  /** Greedy descent at one level (ef = 1). */
  function greedy(q: number, ep: number, epDist: number, level: number): number {
    let cur = ep, curD = epDist, changed = true;
    while (changed) {
      changed = false;
      const arr = listArray(level), b = listBase(cur, level), cnt = arr[b];
      for (let j = 0; j < cnt; j++) nb[j] = arr[b + 1 + j];
      measure(q, cnt);
      for (let k = 0; k < cnt; k++) {
        if (nd[k] < curD) { curD = nd[k]; cur = nb[k]; changed = true; }
      }
    }
    bestDist = curD;
    return cur;
  }
  let bestDist = 0;

  /** Beam search at one level; leaves the ef best in (outD, outI) sorted ascending; returns the count. */
  const outD = new Float64Array(Math.max(efConstruction, M0) + 1);
  const outI = new Int32Array(Math.max(efConstruction, M0) + 1);
  function searchLayer(q: number, ep: number, epDist: number, ef: number, level: number): number {
    newEpoch();
    cN = 0; rN = 0;
    visited[ep] = epoch;
    cPush(epDist, ep);
    rPush(epDist, ep);
    while (cN > 0) {
      const cd = cD[0], c = cI[0];
      if (cd > rD[0] && rN >= ef) break;
      cPop();
      const arr = listArray(level), b = listBase(c, level), cnt = arr[b];
      let m = 0;
      for (let j = 1; j <= cnt; j++) {
        const e = arr[b + j];
        if (visited[e] === epoch) continue;
        visited[e] = epoch;
        nb[m++] = e;
      }
      measure(q, m);
      for (let k = 0; k < m; k++) {
        const d = nd[k], e = nb[k];
        if (rN < ef || d < rD[0]) {
          cPush(d, e);
          rPush(d, e);
          if (rN > ef) rPop();
        }
      }
    }
    const count = rN;
    for (let i = count - 1; i >= 0; i--) { outD[i] = rD[0]; outI[i] = rI[0]; rPop(); }
    return count;
  }

  /**
   * The RNG heuristic (hnswlib's getNeighborsByHeuristic2): walk candidates from the
   * nearest; keep one unless a kept neighbour is closer to it than the base node is.
   * A copy of graph/heuristic.ts (workers run this file's source alone; a test checks
   * the two agree), plus hnswlib's shortcut: at most `limit` candidates are all kept.
   * Input sorted ascending in (cd, ci)[0..count); the kept ids are written to sel.
   */
  const closer = batch && metric === 0 ? batch.firstCloser : undefined;
  function heuristic(cd: Float64Array, ci: Int32Array, count: number, limit: number): number {
    if (count <= limit) {
      for (let i = 0; i < count; i++) sel[i] = ci[i];
      return count;
    }
    let kept = 0;
    for (let i = 0; i < count && kept < limit; i++) {
      const e = ci[i], de = cd[i];
      let good = true;
      if (closer) {
        const j = closer(e * rowBytes, selAt, kept, rowBytes, dims, de, outAt);
        stats.distances += j < 0 ? kept : j + 1;
        good = j < 0;
      } else {
        for (let j = 0; j < kept; j++) {
          if (dist(e, sel[j]) < de) { good = false; break; }
        }
      }
      if (good) sel[kept++] = e;
    }
    return kept;
  }

  function connect(q: number, entry: number, maxLevel: number): void {
    const top = levels[q];
    let ep = entry;
    let epD = dist(q, ep);
    for (let l = maxLevel; l > top; l--) {
      ep = greedy(q, ep, epD, l);
      epD = bestDist;
    }
    for (let l = Math.min(top, maxLevel); l >= 0; l--) {
      const count = searchLayer(q, ep, epD, efConstruction, l);
      const kept = heuristic(outD, outI, count, M);
      const arr = listArray(l), b = listBase(q, l);
      arr[b] = kept;
      for (let j = 0; j < kept; j++) arr[b + 1 + j] = sel[j];
      ep = outI[0]; epD = outD[0];
    }
  }

  const tmpD = new Float64Array(Math.max(M0, M) + 2);
  const tmpI = new Int32Array(Math.max(M0, M) + 2);
  function linkBack(u: number, level: number, q: number): void {
    const arr = listArray(level), b = listBase(u, level), cnt = arr[b];
    const capacity = level === 0 ? M0 : M;
    for (let j = 1; j <= cnt; j++) if (arr[b + j] === q) return;
    if (cnt < capacity) { arr[b + 1 + cnt] = q; arr[b] = cnt + 1; return; }
    // Full: keep the heuristic's choice among the old neighbours and q (insertion sort by distance).
    let m = 0;
    for (let j = 0; j <= cnt; j++) {
      const e = j < cnt ? arr[b + 1 + j] : q;
      const d = dist(u, e);
      let i = m++;
      while (i > 0 && tmpD[i - 1] > d) { tmpD[i] = tmpD[i - 1]; tmpI[i] = tmpI[i - 1]; i--; }
      tmpD[i] = d; tmpI[i] = e;
    }
    const kept = heuristic(tmpD, tmpI, m, capacity);
    arr[b] = kept;
    for (let j = 0; j < kept; j++) arr[b + 1 + j] = sel[j];
  }

  function select(cd: Float64Array, ci: Int32Array, count: number, limit: number): Int32Array {
    return sel.subarray(0, heuristic(cd, ci, count, limit));
  }

  return { connect, linkBack, stats, select };
}
