import { availableParallelism } from "node:os";
import { createRng } from "../util/rng.js";
import { WorkerPool, type WorkerReply } from "../util/worker-pool.js";
import { batchScratchBytes, createBuildKernel, type BuildKernel, type BuildState } from "./kernel.js";
import { DOT_WASM, ownsVectors, SCRATCH_BYTES, simdVectors } from "./simd.js";

export interface HnswBuildOptions {
  M: number;
  efConstruction: number;
  seed: number;
  /** Worker threads for construction; 1 builds on the calling thread. */
  threads: number;
  /** "ip" (vectors normalised beforehand for cosine) or "l2". */
  metric: "ip" | "l2";
  /** Use the WebAssembly SIMD dot product where the runtime has it (default true). */
  simd?: boolean;
  /** With SIMD, measure a neighbour list a call (default true; the graph is the same either way). */
  batch?: boolean;
  onProgress?: (inserted: number, total: number) => void;
  /**
   * Resolves once the first `count` rows of the vectors are written: construction then
   * overlaps with embedding (the rows must be written in place, into the memory given).
   */
  ready?: (count: number) => Promise<void>;
  /**
   * A safe point, called between insertions on this thread and after each batch of the
   * workers: it may throw to stop the build (the workers are terminated), or return a
   * promise to await (to let the event loop run).
   */
  pause?: () => Promise<void> | undefined;
}

/** A built HNSW graph in flat arrays (see BuildState for the layout). */
export interface HnswGraph {
  n: number;
  M: number;
  M0: number;
  level0: Int32Array;
  levels: Uint8Array;
  upperBase: Int32Array;
  upper: Int32Array;
  entry: number;
  maxLevel: number;
  distances: number;
}

const MAX_LEVEL = 15;
/**
 * Nodes are inserted in batches: first every node of a batch searches the graph as it
 * was before the batch (in parallel), then the back-links are added (in parallel,
 * each worker owning the lists of the nodes u with u % threads == its index). Nodes of
 * one batch cannot pick each other as neighbours, so batches stay a small share of the
 * graph built so far; the result is the same for any thread count.
 */
const BATCH_SHARE = 1 / 32;
const MAX_BATCH = 1024;

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(8, bytes));
}

/** Draws every node's level up front from the seeded RNG (HNSW: floor(-ln U / ln M)). */
function drawLevels(n: number, M: number, seed: number, levels: Uint8Array): number {
  const rng = createRng(seed);
  const mult = 1 / Math.log(M);
  let slots = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.min(MAX_LEVEL, Math.floor(-Math.log(1 - rng()) * mult));
    levels[i] = l;
    slots += l;
  }
  return slots;
}

function workerSource(): string {
  return `
const { parentPort, workerData: d } = require("node:worker_threads");
// Transpilers may wrap functions in helper calls (esbuild's keepNames): supply them.
const __name = (f) => f;
const createBuildKernel = ${createBuildKernel.toString()};
let dot, batch;
if (d.memory) {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(d.wasm), { env: { mem: d.memory } });
  dot = instance.exports.dot;
  if (d.scratch >= 0) batch = { dots: instance.exports.dots, firstCloser: instance.exports.firstCloser, scratch: d.scratch + (d.index + 1) * d.scratchBytes };
}
const k = createBuildKernel({
  dot, batch,
  vectors: d.memory ? new Float32Array(d.memory.buffer, 0, d.count * d.dims) : new Float32Array(d.vectors), dims: d.dims, metric: d.metric, M: d.M, M0: d.M0,
  efConstruction: d.efConstruction, level0: new Int32Array(d.level0), levels: new Uint8Array(d.levels),
  upperBase: new Int32Array(d.upperBase), upper: new Int32Array(d.upper),
});
const W = d.threads, w = d.index;
const claim = new Int32Array(d.claim);
let reported = 0;
parentPort.on("message", (m) => {
  try {
    if (m.phase === "connect") {
      // Each takes the next node left: no worker waits while another has a longer share.
      for (let q = m.start + Atomics.add(claim, 0, 1); q < m.end; q = m.start + Atomics.add(claim, 0, 1)) k.connect(q, m.entry, m.maxLevel);
    } else {
      linkAll(k, m.start, m.end, (u) => u % W === w, d);
    }
    parentPort.postMessage({ ok: true, distances: k.stats.distances - reported });
    reported = k.stats.distances;
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
  }
});
const linkAll = ${linkAll.toString()};
`;
}

/** Back-links every edge q -> u of the batch's nodes for the owners selected by `mine`. */
function linkAll(
  k: BuildKernel,
  start: number,
  end: number,
  mine: (u: number) => boolean,
  g: { M: number; M0: number; level0: ArrayBufferLike | Int32Array; levels: ArrayBufferLike | Uint8Array; upperBase: ArrayBufferLike | Int32Array; upper: ArrayBufferLike | Int32Array },
): void {
  const level0 = g.level0 instanceof Int32Array ? g.level0 : new Int32Array(g.level0);
  const levels = g.levels instanceof Uint8Array ? g.levels : new Uint8Array(g.levels);
  const upperBase = g.upperBase instanceof Int32Array ? g.upperBase : new Int32Array(g.upperBase);
  const upper = g.upper instanceof Int32Array ? g.upper : new Int32Array(g.upper);
  for (let q = start; q < end; q++) {
    for (let l = 0; l <= levels[q]!; l++) {
      const arr = l === 0 ? level0 : upper;
      const b = l === 0 ? q * (g.M0 + 1) : (upperBase[q]! + l - 1) * (g.M + 1);
      const cnt = arr[b]!;
      for (let j = 1; j <= cnt; j++) {
        const u = arr[b + j]!;
        if (mine(u)) k.linkBack(u, l, q);
      }
    }
  }
}

const sumDistances = (replies: WorkerReply[]): number => replies.reduce((t, r) => t + ((r.distances as number | undefined) ?? 0), 0);

/** Picks a thread count: workers only pay off past a few thousand nodes. */
export function defaultThreads(n: number): number {
  return n < 4000 ? 1 : Math.max(1, Math.min(availableParallelism(), 8));
}

/** Builds an HNSW graph over `n` vectors (row-major in `vectors`). */
export async function buildHnsw(vectors: Float32Array, dims: number, opts: HnswBuildOptions): Promise<HnswGraph> {
  const n = vectors.length / dims;
  const M = opts.M;
  const M0 = 2 * M;
  const threads = Math.max(1, Math.min(opts.threads, n));
  const useWorkers = threads > 1;

  const alloc = <T extends Int32Array | Uint8Array | Float32Array>(C: new (b: ArrayBufferLike) => T, bytes: number): T =>
    new C(useWorkers ? shared(bytes) : new ArrayBuffer(Math.max(8, bytes)));

  const levels = alloc(Uint8Array, n);
  const upperSlots = drawLevels(n, M, opts.seed, levels);
  const upperBase = alloc(Int32Array, n * 4);
  let slot = 0;
  for (let i = 0; i < n; i++) {
    upperBase[i] = levels[i]! > 0 ? slot : -1;
    slot += levels[i]!;
  }
  const upper = alloc(Int32Array, upperSlots * (M + 1) * 4);
  const level0 = alloc(Int32Array, n * (M0 + 1) * 4);
  let vecs = vectors;
  // Rows still arriving must be read where they are written: wait for all of them before
  // anything copies the vectors (they are copied unless allocated with allocateVectors).
  if (opts.ready && !ownsVectors(vectors)) await opts.ready(n);
  const simd = opts.simd === false ? undefined : simdVectors(vectors, dims);
  if (simd) vecs = simd.vectors;
  else if (useWorkers && !(vectors.buffer instanceof SharedArrayBuffer)) {
    vecs = new Float32Array(shared(vectors.byteLength));
    vecs.set(vectors);
  }
  // Each thread (this one first, then the workers) gets a slice of the memory's last page, on
  // cache lines of its own (128 B: adjacent-line prefetch), so no two threads write one line.
  // (Too little room, past 64 threads at M 32: one distance a call, the same graph.)
  const scratchBytes = Math.ceil(batchScratchBytes(M, M0) / 128) * 128;
  const scratch = simd && opts.batch !== false && (threads + 1) * scratchBytes <= SCRATCH_BYTES ? simd.memory.buffer.byteLength - SCRATCH_BYTES : -1;
  const state: BuildState = {
    vectors: vecs,
    dims,
    metric: opts.metric === "l2" ? 1 : 0,
    M,
    M0,
    efConstruction: opts.efConstruction,
    level0,
    levels,
    upperBase,
    upper,
    ...(simd ? { dot: simd.dot } : {}),
    ...(simd && scratch >= 0 ? { batch: { dots: simd.dots, firstCloser: simd.firstCloser, scratch } } : {}),
  };
  const kernel = createBuildKernel(state);
  // The connect phase's next node, claimed by the workers in turn (reset before each batch):
  // a node's connect reads only the graph before its batch, so any order gives the same graph.
  const claim = new Int32Array(useWorkers ? shared(4) : new ArrayBuffer(4));
  const pool = useWorkers
    ? new WorkerPool(workerSource(), threads, {
        memory: simd?.memory,
        wasm: DOT_WASM,
        scratch,
        scratchBytes,
        claim: claim.buffer,
        count: n,
        vectors: simd ? undefined : vecs.buffer,
        dims,
        metric: state.metric,
        M,
        M0,
        efConstruction: opts.efConstruction,
        level0: level0.buffer,
        levels: levels.buffer,
        upperBase: upperBase.buffer,
        upper: upper.buffer,
      })
    : undefined;

  let entry = 0;
  let maxLevel = n > 0 ? levels[0]! : 0;
  let distances = 0;
  try {
    let inserted = Math.min(1, n);
    await opts.ready?.(inserted);
    while (inserted < n) {
      const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(inserted * BATCH_SHARE)));
      const start = inserted;
      const end = Math.min(n, start + size);
      await opts.ready?.(end);
      // Small batches cost more in messages than they save: run them here.
      if (pool && end - start >= 4 * threads) {
        Atomics.store(claim, 0, 0);
        distances += sumDistances(await pool.broadcast({ phase: "connect", start, end, entry, maxLevel }, "graph construction"));
        distances += sumDistances(await pool.broadcast({ phase: "link", start, end }, "graph construction"));
      } else {
        for (let q = start; q < end; q++) {
          const p = opts.pause?.();
          if (p) await p;
          kernel.connect(q, entry, maxLevel);
        }
        linkAll(kernel, start, end, () => true, state);
      }
      const p = opts.pause?.();
      if (p) await p;
      for (let q = start; q < end; q++) {
        if (levels[q]! > maxLevel) {
          maxLevel = levels[q]!;
          entry = q;
        }
      }
      inserted = end;
      opts.onProgress?.(inserted, n);
    }
  } finally {
    await pool?.close();
  }
  distances += kernel.stats.distances;
  return { n, M, M0, level0, levels, upperBase, upper, entry, maxLevel, distances };
}
