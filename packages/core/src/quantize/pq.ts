import { createRng } from "../util/rng.js";
import { finish, type Steps } from "../util/steps.js";
import { roundToHalf } from "../util/f16.js";
import { assignScalar, gatherSubspace, kmeansSteps, nearestCentroids, SCAN_ROWS, strideOf } from "./kmeans.js";
import { int8Rotation, roundRotationToInt8 } from "./rotation-int8.js";
import { createScan, scanTakes, scanWasm, type Scan } from "./scan-wasm.js";
import { learnRotationSteps, rotateInto, rotateRowsSteps, rowRotator } from "./rotation.js";

/**
 * Product quantisation for approximate distances during the walk. The vector is cut
 * into `subspaces` contiguous slices (as even as possible); each slice is replaced by
 * the nearest of 2^bits centroids learnt by k-means. With 4 bits two codes share a byte.
 */
export interface PqCodebook {
  dims: number;
  subspaces: number;
  bits: 4 | 8;
  /** Start dimension of each subspace, plus dims at the end (length subspaces + 1). */
  bounds: Uint32Array;
  /** Centroids: for subspace s, centroid c, the slice starts at (s * K + c) * ... see centroidOffset. */
  centroids: Float32Array;
  /**
   * Optional learnt rotation (dims x dims, row-major): codes quantise R x, and a query is
   * rotated the same way, so scores need no other change (OPQ). Its values are half floats
   * (files from before int8 rotations) or, with `rotationScales`, int8 multiples of a row scale.
   */
  rotation?: Float32Array | null;
  /** With a rotation rounded to int8 rows (rotation-int8.ts): each row's scale; the file stores it in that form. */
  rotationScales?: Float32Array | null;
  /** With centroids rounded to int8 (codebook-int8.ts): each subspace's scale; the file stores them in that form. */
  centroidScales?: Float32Array | null;
}

export const centroidCount = (pq: Pick<PqCodebook, "bits">): number => 1 << pq.bits;
/** Bytes of one vector's code. */
export const codeSize = (pq: Pick<PqCodebook, "bits" | "subspaces">): number => (pq.bits === 4 ? Math.ceil(pq.subspaces / 2) : pq.subspaces);

function bounds(dims: number, subspaces: number): Uint32Array {
  const b = new Uint32Array(subspaces + 1);
  for (let s = 0; s <= subspaces; s++) b[s] = Math.round((s * dims) / subspaces);
  return b;
}

/** Offset of centroid c of subspace s in `centroids` (centroid slices are laid out per subspace). */
function centroidOffset(pq: PqCodebook, s: number, c: number): number {
  const K = centroidCount(pq);
  return pq.bounds[s]! * K + c * (pq.bounds[s + 1]! - pq.bounds[s]!);
}

export interface PqTrainOptions {
  subspaces: number;
  bits: 4 | 8;
  seed: number;
  /** Training sample size (vectors); k-means cost grows linearly with it. */
  sample: number;
  iterations: number;
  /** Learn a rotation first (see rotation.ts); it costs dims^2 bytes and dims float32 scales in the file. */
  rotate?: boolean;
}

/** Vectors rotated between two safe points while encoding (util/steps.ts); k-means has its own (kmeans.ts). */
const VECTOR_STEP = 64;
/**
 * 8-bit codebooks over subspaces at least 2 dimensions wide train on at most this many points a centroid, and for at most this many
 * iterations: their k-means costs 256 x width a point per iteration, so the full sample made
 * a 10k x 512-d build spend minutes here. Measured (sotu-use-512, 7,680 passages, 8-bit, 94
 * subspaces, rotated; brute-force code order, recall@10 of the top 12 / 16): 8,192 points and
 * 12 iterations 0.965 / 0.996 in 189 s; 4,096 and 8 0.960 / 0.995 in 96 s (loaded machine).
 */
const EIGHT_BIT_POINTS_PER_CENTROID = 16;
const EIGHT_BIT_ITERATIONS = 8;

/** The SIMD scan for each stride asked for (made at the first ask; undefined where it does not apply). */
function scansFor(maxRows: number, K: number): (S: number) => Scan | undefined {
  const made = new Map<number, Scan | undefined>();
  return (S) => {
    if (!scanTakes(S)) return undefined;
    if (!made.has(S)) made.set(S, createScan(scanWasm(S), S, maxRows, K));
    return made.get(S);
  };
}

/** Learns one codebook per subspace with k-means++ seeding and Lloyd iterations. */
export function trainPq(vectors: Float32Array, dims: number, opts: PqTrainOptions): PqCodebook {
  return finish(trainPqSteps(vectors, dims, opts));
}

/** trainPq, cut at safe points (util/steps.ts). */
export function* trainPqSteps(vectors: Float32Array, dims: number, opts: PqTrainOptions): Steps<PqCodebook> {
  const t = yield* prepareTraining(vectors, dims, opts);
  const scans = scansFor(SCAN_ROWS, centroidCount(t.pq));
  for (let s = 0; s < t.pq.subspaces; s++) {
    yield;
    const job = subspaceJob(t, s, opts.seed);
    const xs = gatherSubspace(t.sample, dims, t.m, job.lo, job.w, job.S);
    storeCentroids(t.pq, s, yield* kmeansSteps(xs, t.m, job.S, job.K, t.iterations, createRng(job.seed), scans(job.S)));
  }
  return t.pq;
}

/** A codebook whose rotation (if any) is learnt and whose centroids are still to train, with its training rows. */
export interface PqTraining {
  pq: PqCodebook;
  /** m rows of dims (rotated when pq has a rotation), in shared memory so worker threads read them in place. */
  sample: Float32Array;
  m: number;
  iterations: number;
}

/** Samples the training rows and learns the rotation: everything before the subspaces' k-means. */
export function* prepareTraining(vectors: Float32Array, dims: number, opts: PqTrainOptions): Steps<PqTraining> {
  const n = vectors.length / dims;
  const subspaces = Math.max(1, Math.min(opts.subspaces, dims));
  const pq: PqCodebook = { dims, subspaces, bits: opts.bits, bounds: bounds(dims, subspaces), centroids: new Float32Array(dims * (1 << opts.bits)) };
  const K = centroidCount(pq);
  const rng = createRng(opts.seed);
  // Sample without replacement (partial Fisher-Yates).
  // Width-1 subspaces assign by binary search (cheap), so only wider 8-bit subspaces are capped.
  const wide = opts.bits === 8 && dims >= 2 * subspaces;
  const m = Math.min(n, opts.sample, wide ? EIGHT_BIT_POINTS_PER_CENTROID * K : Infinity);
  const iterations = wide ? Math.min(opts.iterations, EIGHT_BIT_ITERATIONS) : opts.iterations;
  const idx = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = idx[i]!; idx[i] = idx[j]!; idx[j] = t;
  }
  const sharedRows = (): Float32Array => new Float32Array(new SharedArrayBuffer(Math.max(8, m * dims * 4)));
  const rows = sharedRows();
  for (let i = 0; i < m; i++) rows.set(vectors.subarray(idx[i]! * dims, (idx[i]! + 1) * dims), i * dims);
  if (!opts.rotate) return { pq, sample: rows, m, iterations };
  const rotation = yield* learnRotationSteps(vectors, dims, pq.bounds, idx.subarray(0, m));
  // Rounded now to what the file holds (int8 rows, or half floats when narrow), so codes are made with what is saved.
  if (int8Rotation(dims)) pq.rotationScales = roundRotationToInt8(rotation, dims);
  else roundToHalf(rotation);
  pq.rotation = rotation;
  return { pq, sample: yield* rotateRowsSteps(rotation, dims, rows, sharedRows()), m, iterations };
}

/** What training subspace s needs besides the sample: its slice, stride, centroid count and random seed. */
export function subspaceJob(t: PqTraining, s: number, seed: number): { lo: number; w: number; S: number; K: number; seed: number } {
  const lo = t.pq.bounds[s]!, w = t.pq.bounds[s + 1]! - lo;
  return { lo, w, S: strideOf(w), K: centroidCount(t.pq), seed: subspaceSeed(seed, s) };
}

/** Stores subspace s's trained centroids (at the training stride) into the codebook. */
export function storeCentroids(pq: PqCodebook, s: number, cents: Float64Array): void {
  const w = pq.bounds[s + 1]! - pq.bounds[s]!, S = strideOf(w), K = centroidCount(pq);
  const out = centroidOffset(pq, s, 0);
  for (let c = 0; c < K; c++) for (let t = 0; t < w; t++) pq.centroids[out + c * w + t] = cents[c * S + t]!;
}

/** Each subspace's k-means has its own random stream, so subspaces can train in any order (or in parallel). */
function subspaceSeed(seed: number, s: number): number {
  return (seed + Math.imul(s + 1, 0x9e3779b9)) >>> 0;
}

/** Rows encoded per block: bounds the rotated copy and the subspace gather (4,096 x dims floats). */
const ENCODE_BLOCK = 4096;

/**
 * Encodes every vector (row-major) into codes (codeSize bytes per vector): a block of rows
 * at a time (rotated first when the codebook has a rotation), each subspace's nearest
 * centroids found by assignBlocked, as in training.
 */
export function encodePq(pq: PqCodebook, vectors: Float32Array): Uint8Array {
  return finish(encodePqSteps(pq, vectors));
}

/** encodePq, cut at safe points (util/steps.ts). */
export function* encodePqSteps(pq: PqCodebook, vectors: Float32Array): Steps<Uint8Array> {
  const { dims, subspaces } = pq;
  const n = vectors.length / dims;
  const K = centroidCount(pq);
  const cs = codeSize(pq);
  const codes = new Uint8Array(n * cs);
  // Per subspace: centroids at the scan's stride (kmeans.ts) and their squared norms.
  const cents: Float64Array[] = [], norms: Float64Array[] = [];
  let maxStride = 1;
  for (let s = 0; s < subspaces; s++) {
    const lo = pq.bounds[s]!, w = pq.bounds[s + 1]! - lo;
    const S = strideOf(w);
    maxStride = Math.max(maxStride, S);
    const base = centroidOffset(pq, s, 0);
    const t = new Float64Array(K * S), nn = new Float64Array(K);
    for (let c = 0; c < K; c++) for (let j = 0; j < w; j++) {
      const x = pq.centroids[base + c * w + j]!;
      t[c * S + j] = x;
      nn[c]! += x * x;
    }
    cents.push(t);
    norms.push(nn);
  }
  const block = Math.min(n, ENCODE_BLOCK);
  const rotated = pq.rotation ? new Float32Array(block * dims) : null;
  const rotate = pq.rotation ? rowRotator(pq.rotation, dims, VECTOR_STEP) : null;
  const xs = new Float32Array(block * maxStride);
  const assign = new Uint16Array(block);
  const scans = scansFor(block, K);
  for (let start = 0; start < n; start += block) {
    const count = Math.min(block, n - start);
    let src = vectors, off = start * dims;
    if (rotated) {
      for (let i = 0; i < count; i += VECTOR_STEP) {
        yield;
        rotate!(vectors, start + i, Math.min(VECTOR_STEP, count - i), rotated, i);
      }
      src = rotated;
      off = 0;
    }
    for (let s = 0; s < subspaces; s++) {
      yield;
      const lo = pq.bounds[s]!, w = pq.bounds[s + 1]! - lo;
      const S = strideOf(w);
      xs.fill(0);
      for (let i = 0; i < count; i++) for (let j = 0; j < w; j++) xs[i * S + j] = src[off + i * dims + lo + j]!;
      if (S === 1) assignScalar(xs.subarray(0, count), cents[s]!, K, assign, true);
      else nearestCentroids(xs, S, count, cents[s]!, norms[s]!, K, assign, true, scans(S));
      for (let i = 0; i < count; i++) {
        const o = (start + i) * cs;
        if (pq.bits === 8) codes[o + s] = assign[i]!;
        else codes[o + (s >> 1)]! |= s & 1 ? assign[i]! << 4 : assign[i]!;
      }
    }
  }
  return codes;
}

/**
 * The per-query lookup table: table[s * K + c] = approximate similarity contribution
 * of centroid c in subspace s (inner product, or negative squared distance for l2),
 * so a code's approximate score is the sum of one entry per subspace.
 */
export function pqTable(pq: PqCodebook, raw: Float32Array, metric: "ip" | "l2"): Float32Array {
  const K = centroidCount(pq);
  // A rotation is orthogonal (up to half-precision rounding): inner products and distances
  // between rotated vectors are those of the originals.
  let query = raw;
  if (pq.rotation) {
    query = new Float32Array(pq.dims);
    rotateInto(pq.rotation, pq.dims, raw, 0, query);
  }
  const table = new Float32Array(pq.subspaces * K);
  for (let s = 0; s < pq.subspaces; s++) {
    const lo = pq.bounds[s]!, w = pq.bounds[s + 1]! - lo;
    const base = centroidOffset(pq, s, 0);
    for (let c = 0; c < K; c++) {
      let acc = 0;
      const co = base + c * w;
      if (metric === "l2") for (let t = 0; t < w; t++) { const d = query[lo + t]! - pq.centroids[co + t]!; acc -= d * d; }
      else for (let t = 0; t < w; t++) acc += query[lo + t]! * pq.centroids[co + t]!;
      table[s * K + c] = acc;
    }
  }
  return table;
}

/** Approximate score of vector `i` from its code. */
export function pqScore(pq: PqCodebook, codes: Uint8Array, i: number, table: Float32Array): number {
  const S = pq.subspaces;
  let acc = 0;
  if (pq.bits === 4) {
    const cs = (S + 1) >> 1;
    const o = i * cs;
    let s = 0;
    for (let b = 0; b < cs; b++) {
      const byte = codes[o + b]!;
      acc += table[s * 16 + (byte & 15)]!;
      if (++s < S) acc += table[s * 16 + (byte >> 4)]!;
      s++;
    }
  } else {
    const o = i * S;
    for (let s = 0; s < S; s++) acc += table[s * 256 + codes[o + s]!]!;
  }
  return acc;
}

/** Reconstructs vector i from its code (for checks and tests), rotated back when there is a rotation. */
export function decodePq(pq: PqCodebook, codes: Uint8Array, i: number): Float32Array {
  const out = new Float32Array(pq.dims);
  const cs = codeSize(pq);
  for (let s = 0; s < pq.subspaces; s++) {
    const c = pq.bits === 8 ? codes[i * cs + s]! : (codes[i * cs + (s >> 1)]! >> (s & 1 ? 4 : 0)) & 15;
    const lo = pq.bounds[s]!, w = pq.bounds[s + 1]! - lo;
    out.set(pq.centroids.subarray(centroidOffset(pq, s, c), centroidOffset(pq, s, c) + w), lo);
  }
  if (!pq.rotation) return out;
  // x = R^T y (the rotation's rows are orthonormal).
  const back = new Float32Array(pq.dims);
  for (let r = 0; r < pq.dims; r++) {
    const y = out[r]!;
    for (let k = 0; k < pq.dims; k++) back[k]! += pq.rotation[r * pq.dims + k]! * y;
  }
  return back;
}
