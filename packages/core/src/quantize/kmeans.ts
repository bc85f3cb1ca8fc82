/**
 * k-means for one product-quantisation subspace, and the nearest-centroid scan that both
 * training and encoding spend their time in.
 *
 * Rows and centroids are held at a stride of 8 floats, zero-padded, whenever a subspace is
 * at most 8 dimensions wide (the balanced layouts at 384-512 dimensions cut 6-7):
 * the scan then keeps a centroid's 8 values in locals and scores four rows against it,
 * so each value loaded serves four products and no partial sums go through memory (about
 * 2.5x the speed of the transposed, four-rows-at-a-time scan it replaced). Wider subspaces
 * take a plain loop. Where the runtime has WebAssembly SIMD, the stride-8 scan runs in
 * scan-wasm.ts instead, four centroids a pass in float32: about 2.5x faster again, and the
 * quantize phase of a 10k x 512-d balanced build went from 4.5 s to 1.7 s (wall) with the
 * same recall and recomputations (bench/budget.ts, sotu-use-512 and sotu-use-384p, tune).
 *
 * Hamerly's bounds (skip points that cannot change cluster) were tried: with 16 points a
 * centroid in 6-7 dimensions the centroids move too far between steps, 75-90% of the points
 * were still scanned, and nothing was saved.

 */
import type { Scan } from "./scan-wasm.js";

/** Rows a call of the scan in kmeansSteps (the `scan` given must take this many). */
export const SCAN_ROWS = 1024;

/** The stride rows and centroids are held at for a subspace `w` dimensions wide. */
export function strideOf(w: number): number {
  // One dimension a subspace (64-d models at 64 subspaces) assigns by binary search: see assignScalar.
  // Wider ones are padded with zeros to a multiple of 4, the SIMD scan's lanes (scan-wasm.ts): the padding adds 0 to every sum.
  return w === 1 ? 1 : w <= 8 ? 8 : Math.ceil(w / 4) * 4;
}

/** Columns lo..lo+w of the m rows of `src` (width dims), at stride S and zero-padded. */
export function gatherSubspace(src: Float32Array, dims: number, m: number, lo: number, w: number, S: number): Float32Array {
  const xs = new Float32Array(m * S);
  for (let i = 0; i < m; i++) for (let t = 0; t < w; t++) xs[i * S + t] = src[i * dims + lo + t]!;
  return xs;
}

/**
 * Assigns rows [0, count) of `xs` (stride S) to their nearest centroid of `cents` (K rows,
 * stride S, squared norms in `norms`), by the least |c|^2 - 2 x.c; ties go to the lower
 * centroid index. Returns how many assignments changed (all of them when `first`).
 * `scan` (scan-wasm.ts, made for stride S) does the work of the JavaScript loops, with the same result but at float32
 * ties.
 */
export function nearestCentroids(xs: Float32Array, S: number, count: number, cents: Float64Array, norms: Float64Array, K: number, assign: Uint16Array, first: boolean, scan?: Scan): number {
  let changed = 0;
  let i = 0;
  if (scan && scan.stride === S) {
    // Every row in WebAssembly (scan-wasm.ts).
    const best = scan(xs, count, cents, norms);
    for (; i < count; i++) {
      if (first || assign[i] !== best[i]) changed++;
      assign[i] = best[i]!;
    }
  } else if (S === 8) {
    for (; i + 4 <= count; i += 4) {
      let o = i * 8;
      const a0 = xs[o]!, a1 = xs[o + 1]!, a2 = xs[o + 2]!, a3 = xs[o + 3]!, a4 = xs[o + 4]!, a5 = xs[o + 5]!, a6 = xs[o + 6]!, a7 = xs[o + 7]!;
      o += 8;
      const b0 = xs[o]!, b1 = xs[o + 1]!, b2 = xs[o + 2]!, b3 = xs[o + 3]!, b4 = xs[o + 4]!, b5 = xs[o + 5]!, b6 = xs[o + 6]!, b7 = xs[o + 7]!;
      o += 8;
      const c0 = xs[o]!, c1 = xs[o + 1]!, c2 = xs[o + 2]!, c3 = xs[o + 3]!, c4 = xs[o + 4]!, c5 = xs[o + 5]!, c6 = xs[o + 6]!, c7 = xs[o + 7]!;
      o += 8;
      const e0 = xs[o]!, e1 = xs[o + 1]!, e2 = xs[o + 2]!, e3 = xs[o + 3]!, e4 = xs[o + 4]!, e5 = xs[o + 5]!, e6 = xs[o + 6]!, e7 = xs[o + 7]!;
      let ba = Infinity, ca = 0, bb = Infinity, cb = 0, bc = Infinity, cc = 0, bd = Infinity, cd = 0;
      for (let c = 0, p = 0; c < K; c++, p += 8) {
        const y0 = cents[p]!, y1 = cents[p + 1]!, y2 = cents[p + 2]!, y3 = cents[p + 3]!, y4 = cents[p + 4]!, y5 = cents[p + 5]!, y6 = cents[p + 6]!, y7 = cents[p + 7]!;
        const nn = norms[c]!;
        // Summed as a tree: independent chains the processor can overlap.
        const da = nn - 2 * ((a0 * y0 + a1 * y1 + (a2 * y2 + a3 * y3)) + (a4 * y4 + a5 * y5 + (a6 * y6 + a7 * y7)));
        const db = nn - 2 * ((b0 * y0 + b1 * y1 + (b2 * y2 + b3 * y3)) + (b4 * y4 + b5 * y5 + (b6 * y6 + b7 * y7)));
        const dc = nn - 2 * ((c0 * y0 + c1 * y1 + (c2 * y2 + c3 * y3)) + (c4 * y4 + c5 * y5 + (c6 * y6 + c7 * y7)));
        const dd = nn - 2 * ((e0 * y0 + e1 * y1 + (e2 * y2 + e3 * y3)) + (e4 * y4 + e5 * y5 + (e6 * y6 + e7 * y7)));
        if (da < ba) { ba = da; ca = c; }
        if (db < bb) { bb = db; cb = c; }
        if (dc < bc) { bc = dc; cc = c; }
        if (dd < bd) { bd = dd; cd = c; }
      }
      if (first || assign[i] !== ca) changed++;
      if (first || assign[i + 1] !== cb) changed++;
      if (first || assign[i + 2] !== cc) changed++;
      if (first || assign[i + 3] !== cd) changed++;
      assign[i] = ca; assign[i + 1] = cb; assign[i + 2] = cc; assign[i + 3] = cd;
    }
  }
  for (; i < count; i++) {
    const o = i * S;
    let b = Infinity, bc = 0;
    for (let c = 0, p = 0; c < K; c++, p += S) {
      let dot = 0;
      for (let t = 0; t < S; t++) dot += xs[o + t]! * cents[p + t]!;
      const d = norms[c]! - 2 * dot;
      if (d < b) { b = d; bc = c; }
    }
    if (first || assign[i] !== bc) changed++;
    assign[i] = bc;
  }
  return changed;
}

/*
 * The loops over all points live in plain functions, not in the kmeansSteps generator: V8
 * optimises a hot function while it runs, a generator's loops only on a later call, and
 * each worker thread starts cold.
 */

/**
 * Lowers nearest[i] to the squared distance from row i to the centroid at `co` where that
 * is nearer (k-means++ seeding); returns the sum of nearest[].
 */
export function seedDistances(xs: Float32Array, m: number, S: number, cents: Float64Array, co: number, nearest: Float64Array): number {
  let total = 0;
  if (S === 8) {
    // The seed's values held in locals, as in nearestCentroids.
    const y0 = cents[co]!, y1 = cents[co + 1]!, y2 = cents[co + 2]!, y3 = cents[co + 3]!, y4 = cents[co + 4]!, y5 = cents[co + 5]!, y6 = cents[co + 6]!, y7 = cents[co + 7]!;
    for (let i = 0, io = 0; i < m; i++, io += 8) {
      const x0 = xs[io]! - y0, x1 = xs[io + 1]! - y1, x2 = xs[io + 2]! - y2, x3 = xs[io + 3]! - y3;
      const x4 = xs[io + 4]! - y4, x5 = xs[io + 5]! - y5, x6 = xs[io + 6]! - y6, x7 = xs[io + 7]! - y7;
      const d = (x0 * x0 + x1 * x1 + (x2 * x2 + x3 * x3)) + (x4 * x4 + x5 * x5 + (x6 * x6 + x7 * x7));
      const u = nearest[i]!;
      if (d < u) { nearest[i] = d; total += d; } else total += u;
    }
    return total;
  }
  if (S === 1) {
    // One dimension a subspace (64-d models): the general loop's 0 + x * x is x * x.
    const y = cents[co]!;
    for (let i = 0; i < m; i++) {
      const x = xs[i]! - y, d = x * x, u = nearest[i]!;
      if (d < u) { nearest[i] = d; total += d; } else total += u;
    }
    return total;
  }
  for (let i = 0; i < m; i++) {
    let d = 0;
    const io = i * S;
    for (let t = 0; t < S; t++) { const x = xs[io + t]! - cents[co + t]!; d += x * x; }
    if (d < nearest[i]!) nearest[i] = d;
    total += nearest[i]!;
  }
  return total;
}

/** The first i at which the running sum of weights[0..i] reaches r (the last point if none does). */
export function weightedPick(weights: Float64Array, m: number, r: number): number {
  for (let i = 0; i < m; i++) {
    r -= weights[i]!;
    if (r <= 0) return i;
  }
  return m - 1;
}

/** Per centroid, the sum of its points' rows (stride S) and their count. */
export function centroidSums(xs: Float32Array, m: number, S: number, assign: Uint16Array, sums: Float64Array, counts: Uint32Array): void {
  sums.fill(0);
  counts.fill(0);
  for (let i = 0; i < m; i++) {
    const c = assign[i]!;
    counts[c]!++;
    for (let t = 0; t < S; t++) sums[c * S + t]! += xs[i * S + t]!;
  }
}

/**
 * Learns K centroids for the m rows of `xs` (stride S, zero-padded past the subspace's
 * width): k-means++ seeding, then at most `iterations` Lloyd steps (stopping once fewer
 * than 0.5% of the points change cluster). Returns the centroids at stride S (padding zero). `rng` is this subspace's own,
 * so subspaces can be trained in any order or in parallel. Yields at safe points: each
 * seeded centroid, each step, and every 1,024 points of a scan (SCAN_ROWS: `scan`, if given,
 * must take that many rows a call).
 */
export function* kmeansSteps(xs: Float32Array, m: number, S: number, K: number, iterations: number, rng: () => number, scan?: Scan): Generator<void, Float64Array, void> {
  const cents = new Float64Array(K * S);
  const norms = new Float64Array(K);
  const assign = new Uint16Array(m);
  // Each point's squared distance to its nearest seed so far.
  const nearest = new Float64Array(m);
  const BLOCK = 1024; // SCAN_ROWS: kmeansSteps must stay self-contained
  if (m === 0) return cents;
  // k-means++ seeding.
  const k0 = Math.floor(rng() * m);
  for (let t = 0; t < S; t++) cents[t] = xs[k0 * S + t]!;
  nearest.fill(Infinity);
  for (let c = 1; c < K; c++) {
    yield;
    const total = seedDistances(xs, m, S, cents, (c - 1) * S, nearest);
    const pick = weightedPick(nearest, m, rng() * total);
    for (let t = 0; t < S; t++) cents[c * S + t] = xs[pick * S + t]!;
  }
  const sums = new Float64Array(K * S), counts = new Uint32Array(K);
  for (let it = 0; it < iterations; it++) {
    yield;
    for (let c = 0; c < K; c++) {
      let q = 0;
      for (let t = 0; t < S; t++) q += cents[c * S + t]! * cents[c * S + t]!;
      norms[c] = q;
    }
    let changed = 0;
    // One dimension a subspace: O(log K) a point (assignScalar).
    if (S === 1) changed = assignScalar(xs.subarray(0, m), cents, K, assign, it === 0);
    else for (let i0 = 0; i0 < m; i0 += BLOCK) {
      // BLOCK is a multiple of 4: the same row blocks as one call over all m rows.
      if (i0 > 0) yield;
      const count = Math.min(BLOCK, m - i0);
      changed += nearestCentroids(xs.subarray(i0 * S, (i0 + count) * S), S, count, cents, norms, K, assign.subarray(i0, i0 + count), it === 0, scan);
    }
    centroidSums(xs, m, S, assign, sums, counts);
    for (let c = 0; c < K; c++) {
      if (counts[c] === 0) {
        // Re-seed an empty cluster on a random training point.
        const r = Math.floor(rng() * m);
        for (let t = 0; t < S; t++) cents[c * S + t] = xs[r * S + t]!;
      } else for (let t = 0; t < S; t++) cents[c * S + t] = sums[c * S + t]! / counts[c]!;
    }
    if (changed <= m * 0.005) break;
  }
  return cents;
}

/**
 * Assigns each scalar in `values` to its nearest centroid (ties: the lower centroid index,
 * as the general O(K) scan does) by binary search over the centroids in sorted order.
 * Returns how many assignments changed (all of them when `first`).
 */
export function assignScalar(values: Float32Array, cent: Float32Array | Float64Array, K: number, assign: Uint16Array, first: boolean): number {
  const order = Array.from({ length: K }, (_, c) => c).sort((a, b) => cent[a]! - cent[b]! || a - b);
  const sorted = Float64Array.from(order, (c) => cent[c]!);
  // A grid of 4K cells over the centroids' range: start[g] is a sorted position that every value
  // in cell g is at or past (the cell's lower edge less one cell, for rounding), so a short walk
  // from it finds the binary search's answer (half the time of the search's unpredictable branches).
  const G = 4 * K, min = sorted[0]!, max = sorted[K - 1]!;
  const scale = G / (max - min);
  let grid = Number.isFinite(scale) && scale > 0 ? new Int32Array(G + 1) : null;
  for (let g = 0, p = 0; grid && g <= G; g++) {
    const low = min + (g - 1) / scale;
    while (p < K && sorted[p]! < low) p++;
    grid[g] = p;
  }
  for (let j = 0; grid && j < K; j++) if (!Number.isFinite(sorted[j]!)) grid = null;
  let moved = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    // First sorted position with a value >= x; the nearest is there or just before it.
    let lo = 0, hi = K;
    if (grid && x >= min && x <= max) {
      lo = grid[Math.min(G, Math.floor((x - min) * scale))]!;
      while (lo < K && sorted[lo]! < x) lo++;
    } else while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    let best = -1, bd = Infinity;
    // Equal centroid values sit side by side: look over the run around the split for the lowest index.
    for (let j = Math.max(0, lo - 1); j < K && j <= lo + 1; j++) {
      const d = Math.abs(sorted[j]! - x);
      const c = order[j]!;
      if (d < bd || (d === bd && c < best)) { bd = d; best = c; }
    }
    // Widen over ties with the best distance (duplicated centroid values).
    for (let j = lo - 2; j >= 0 && Math.abs(sorted[j]! - x) === bd; j--) if (order[j]! < best) best = order[j]!;
    for (let j = lo + 2; j < K && Math.abs(sorted[j]! - x) === bd; j++) if (order[j]! < best) best = order[j]!;
    if (first || assign[i] !== best) moved++;
    assign[i] = best;
  }
  return moved;
}
