/**
 * A learnt rotation applied before product quantisation (OPQ's non-parametric start,
 * Ge et al. 2013): the principal axes of the data, assigned to subspaces so that every
 * subspace gets about the same product of variances ("eigenvalue allocation"). PQ then
 * cuts decorrelated, balanced slices. Measured on 678 MiniLM 384-d passages: 64-byte
 * 4-bit codes re-ranking their top 16 reached recall@10 0.972 with it, 0.930 without
 * (0.983 needed 96 bytes unrotated).
 */

import { allocateVectors, SCRATCH_BYTES, simdVectors } from "../graph/simd.js";
import { finish, type Steps } from "../util/steps.js";

/** Rows sampled for the covariance: enough for a stable d x d estimate at the sizes used. */
const COVARIANCE_SAMPLE = 4096;
/** Rows between two safe points while summing the covariance or rotating (O(d^2) work a row). */
const ROW_STEP = 16;

/** QL iterations allowed per eigenvalue; converges in 1-3 for covariances (guards against NaN input). */
const MAX_QL_ITERATIONS = 60;

/**
 * Eigen-decomposition of a symmetric matrix (row-major, d x d, destroyed): Householder
 * reduction to tridiagonal form, then the implicit QL method (EISPACK tred2/tql2, as in
 * JAMA). O(d^3) once: at 512 dimensions about 1 s, where cyclic Jacobi took 30 s.
 * `vectors` (in `a`'s memory) holds one unit eigenvector per row (row e goes with values[e]), unsorted.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  return finish(eigenSteps(a, n));
}

/** symmetricEigen cut at safe points (util/steps.ts): one before each O(d^2) outer step. */
function* eigenSteps(a: Float64Array, n: number): Steps<{ values: Float64Array; vectors: Float64Array }> {
  // T is the transpose of JAMA's V (a is symmetric, so it starts as a): its column walks
  // become row walks over contiguous memory, and at the end its rows are the eigenvectors.
  const T = a;
  const d = new Float64Array(n), e = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = T[j * n + (n - 1)]!;
  // Householder reduction to tridiagonal form.
  for (let i = n - 1; i > 0; i--) {
    yield;
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = T[j * n + (i - 1)]!;
        T[j * n + i] = 0;
        T[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        T[i * n + j] = f;
        g = e[j]! + T[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += T[j * n + k]! * d[k]!;
          e[k]! += T[j * n + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) T[j * n + k]! -= f * e[k]! + g * d[k]!;
        d[j] = T[j * n + (i - 1)]!;
        T[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    yield;
    T[i * n + (n - 1)] = T[i * n + i]!;
    T[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = T[(i + 1) * n + k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += T[(i + 1) * n + k]! * T[j * n + k]!;
        for (let k = 0; k <= i; k++) T[j * n + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) T[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = T[j * n + (n - 1)]!;
    T[j * n + (n - 1)] = 0;
  }
  T[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
  // Eigenvectors are V's columns, T's rows: the QL rotations below update contiguous rows.
  const W = T;
  // Implicit QL on the tridiagonal matrix (diagonal d, subdiagonal e).
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    yield;
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1]!;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const io = i * n, jo = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const wh = W[jo + k]!;
            W[jo + k] = s * W[io + k]! + c * wh;
            W[io + k] = c * W[io + k]! - s * wh;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1 && ++iter < MAX_QL_ITERATIONS);
    }
    d[l]! += f;
    e[l] = 0;
  }
  return { values: d, vectors: W };
}

/**
 * The (unnormalised) covariance of the given rows about `mean`, d x d. With WebAssembly SIMD
 * (graph/simd.ts) the centred rows are laid out by dimension and each entry is one SIMD dot
 * product over the rows (float32 sums, about 1e-6 relative: the eigenvectors only order and
 * share out the axes); otherwise a float64 rank-one update a row.
 */
function* covarianceSteps(vectors: Float32Array, dims: number, rows: Uint32Array, mean: Float64Array): Steps<Float64Array> {
  const m = rows.length;
  const cov = new Float64Array(dims * dims);
  // Zero columns past m add nothing to the sums.
  const width = Math.max(8, Math.ceil(m / 8) * 8);
  const simd = simdVectors(allocateVectors(dims, width), width);
  if (simd) {
    const { dot, vectors: cols } = simd;
    for (let i = 0; i < m; i++) {
      if (i % (ROW_STEP * 16) === 0) yield;
      const o = rows[i]! * dims;
      for (let a = 0; a < dims; a++) cols[a * width + i] = vectors[o + a]! - mean[a]!;
    }
    const colBytes = width * 4;
    for (let a = 0; a < dims; a++) {
      if (a % ROW_STEP === 0) yield;
      for (let b = a; b < dims; b++) cov[a * dims + b] = dot(a * colBytes, b * colBytes, width);
    }
  } else {
    const x = new Float64Array(dims);
    for (let i = 0; i < m; i++) {
      if (i % ROW_STEP === 0) yield;
      const o = rows[i]! * dims;
      for (let a = 0; a < dims; a++) x[a] = vectors[o + a]! - mean[a]!;
      for (let a = 0; a < dims; a++) {
        const xa = x[a]!;
        if (xa === 0) continue;
        const ro = a * dims;
        for (let b = a; b < dims; b++) cov[ro + b]! += xa * x[b]!;
      }
    }
  }
  for (let a = 0; a < dims; a++) for (let b = a + 1; b < dims; b++) cov[b * dims + a] = cov[a * dims + b]!;
  return cov;
}

/**
 * The rotation (d x d, row r = the axis that becomes output dimension r) for PQ with
 * `bounds` (subspace s covers output dimensions bounds[s]..bounds[s+1]). Rows are the
 * covariance's eigenvectors; largest variance first, each goes to the subspace with room
 * whose log-variance sum is lowest, so the subspaces share the information evenly.
 */
export function learnRotation(vectors: Float32Array, dims: number, bounds: Uint32Array, rows: Uint32Array): Float32Array {
  return finish(learnRotationSteps(vectors, dims, bounds, rows));
}

/** learnRotation cut at safe points (util/steps.ts). */
export function* learnRotationSteps(vectors: Float32Array, dims: number, bounds: Uint32Array, rows: Uint32Array): Steps<Float32Array> {
  const m = Math.min(rows.length, COVARIANCE_SAMPLE);
  const mean = new Float64Array(dims);
  for (let i = 0; i < m; i++) for (let a = 0; a < dims; a++) mean[a]! += vectors[rows[i]! * dims + a]!;
  for (let a = 0; a < dims; a++) mean[a]! /= Math.max(1, m);
  const cov = yield* covarianceSteps(vectors, dims, rows.subarray(0, m), mean);
  const { values, vectors: eig } = yield* eigenSteps(cov, dims);
  const order = Array.from({ length: dims }, (_, i) => i).sort((p, q) => values[q]! - values[p]! || p - q);
  const S = bounds.length - 1;
  const slots: number[][] = Array.from({ length: S }, () => []);
  const logSum = new Float64Array(S);
  // Variances below this are noise; their log would dominate the balance.
  const floor = Math.max(values[order[0]!]! * 1e-9, 1e-30);
  for (const e of order) {
    let best = -1;
    for (let s = 0; s < S; s++) {
      if (slots[s]!.length >= bounds[s + 1]! - bounds[s]!) continue;
      if (best < 0 || logSum[s]! < logSum[best]!) best = s;
    }
    slots[best]!.push(e);
    logSum[best]! += Math.log(Math.max(values[e]!, floor));
  }
  const rotation = new Float32Array(dims * dims);
  let r = 0;
  for (const slot of slots) for (const e of slot) {
    rotation.set(eig.subarray(e * dims, (e + 1) * dims), r * dims);
    r++;
  }
  return rotation;
}

/** out = R x for the row of `src` at `offset` (d x d rotation). */
export function rotateInto(rotation: Float32Array, dims: number, src: Float32Array, offset: number, out: Float32Array): void {
  for (let r = 0; r < dims; r++) {
    let s0 = 0, s1 = 0;
    const ro = r * dims;
    let k = 0;
    for (; k + 1 < dims; k += 2) {
      s0 += rotation[ro + k]! * src[offset + k]!;
      s1 += rotation[ro + k + 1]! * src[offset + k + 1]!;
    }
    if (k < dims) s0 += rotation[ro + k]! * src[offset + k]!;
    out[r] = s0 + s1;
  }
}

/** Rotates `rows` rows of `src` from row offset `from` into `out` from row `to` (all rows of width dims). */
export type RowRotator = (src: Float32Array, from: number, rows: number, out: Float32Array, to: number) => void;

/**
 * R x for up to `maxRows` rows a call. Where the runtime has WebAssembly SIMD and dims is a
 * multiple of 8 (384, 512: every model the budget rotates for), each output value is one
 * call of the graph build's SIMD dot product (graph/simd.ts) over R's row and the input row,
 * both copied into its memory: 10k x 384-d rows rotate about 10x faster than with
 * rotateInto, which serves the other widths. The SIMD sums are float32 (rounding about
 * 1e-7 of a value, far below what the codes resolve); the same runtime gives the same bytes.
 */
export function rowRotator(rotation: Float32Array, dims: number, maxRows: number): RowRotator {
  const table = allocateVectors(dims + maxRows, dims);
  const simd = simdVectors(table, dims);
  if (!simd) {
    return (src, from, rows, out, to) => {
      for (let i = 0; i < rows; i++) rotateInto(rotation, dims, src, (from + i) * dims, out.subarray((to + i) * dims, (to + i + 1) * dims));
    };
  }
  const { dot, dots, vectors: mem, memory } = simd;
  mem.set(rotation, 0);
  const rowBytes = dims * 4;
  // R's row numbers and a rotated row, in the memory's scratch page: one call a row (x.r is r.x to the bit).
  const idsAt = memory.buffer.byteLength - SCRATCH_BYTES, outAt = idsAt + dims * 4;
  const batched = dims * 8 <= SCRATCH_BYTES;
  const rotated = new Float32Array(memory.buffer, outAt, batched ? dims : 0);
  if (batched) new Int32Array(memory.buffer, idsAt, dims).set(Int32Array.from({ length: dims }, (_, r) => r));
  return (src, from, rows, out, to) => {
    mem.set(src.subarray(from * dims, (from + rows) * dims), dims * dims);
    for (let i = 0; i < rows; i++) {
      const x = (dims + i) * rowBytes, o = (to + i) * dims;
      if (batched) {
        dots(x, idsAt, dims, outAt, rowBytes, dims);
        out.set(rotated, o);
      } else for (let r = 0; r < dims; r++) out[o + r] = dot(r * rowBytes, x, dims);
    }
  };
}

/** Every row of `vectors` rotated (a new array). */
export function rotateRows(rotation: Float32Array, dims: number, vectors: Float32Array): Float32Array {
  return finish(rotateRowsSteps(rotation, dims, vectors));
}

/** rotateRows cut at safe points (util/steps.ts), into `out` when given (not `vectors`). */
export function* rotateRowsSteps(rotation: Float32Array, dims: number, vectors: Float32Array, out: Float32Array = new Float32Array(vectors.length)): Steps<Float32Array> {
  const n = vectors.length / dims;
  const rotate = rowRotator(rotation, dims, ROW_STEP);
  for (let i = 0; i < n; i += ROW_STEP) {
    yield;
    rotate(vectors, i, Math.min(ROW_STEP, n - i), out, i);
  }
  return out;
}
