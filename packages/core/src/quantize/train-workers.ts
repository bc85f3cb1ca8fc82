import { createRng } from "../util/rng.js";
import type { Steps } from "../util/steps.js";
import { WorkerPool } from "../util/worker-pool.js";
import { assignScalar, centroidSums, gatherSubspace, kmeansSteps, nearestCentroids, SCAN_ROWS, seedDistances, weightedPick } from "./kmeans.js";
import { createScan, scanTakes, scanWasm } from "./scan-wasm.js";
import { prepareTraining, storeCentroids, subspaceJob, trainPqSteps, type PqCodebook, type PqTrainOptions } from "./pq.js";

/** How the caller paces the work on its own thread (build/pacer.ts's Pacer fits). */
export interface TrainPacing {
  /** Runs a computation cut at safe points. */
  run<T>(steps: Steps<T>): Promise<T>;
  /** A safe point: may throw to stop, or return a promise to await. */
  point(): Promise<void> | undefined;
}

/**
 * Fewer subspaces a thread than this train on the calling thread: starting the workers
 * (about 30 ms each) would cost more than they save.
 */
const MIN_SUBSPACES_A_THREAD = 4;

/** The worker program: the very k-means the calling thread runs (kmeans.ts), by source text. */
function workerSource(): string {
  return `
const { parentPort, workerData: d } = require("node:worker_threads");
// Transpilers may wrap functions in helper calls (esbuild's keepNames): supply them.
const __name = (f) => f;
const createRng = ${createRng.toString()};
const nearestCentroids = ${nearestCentroids.toString()};
const assignScalar = ${assignScalar.toString()};
const gatherSubspace = ${gatherSubspace.toString()};
const seedDistances = ${seedDistances.toString()};
const centroidSums = ${centroidSums.toString()};
const weightedPick = ${weightedPick.toString()};
const kmeansSteps = ${kmeansSteps.toString()};
const createScan = ${createScan.toString()};
const sample = new Float32Array(d.sample);
const scans = new Map();
parentPort.on("message", (j) => {
  try {
    const xs = gatherSubspace(sample, d.dims, d.m, j.lo, j.w, j.S);
    const key = j.S + "/" + j.K;
    if (d.scanWasm[j.S] && !scans.has(key)) scans.set(key, createScan(d.scanWasm[j.S], j.S, d.scanRows, j.K));
    const steps = kmeansSteps(xs, d.m, j.S, j.K, d.iterations, createRng(j.seed), scans.get(key));
    let r = steps.next();
    while (!r.done) r = steps.next();
    parentPort.postMessage({ ok: true, cents: r.value }, [r.value.buffer]);
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.stack || e) });
  }
});
`;
}

/**
 * trainPq with the subspaces' k-means on `threads` worker threads (the pool the graph build
 * uses, util/worker-pool.ts): the sample and the rotation are made here, paced by `pacing`,
 * then each idle worker takes the next subspace. Every subspace has its own random stream,
 * so the codebook is the one trainPq makes, byte for byte, for any thread count. Each
 * subspace finished is a safe point; a throw there (an abort) stops the workers.
 * @throws whatever `pacing.point` throws (AbortedError), or Error when a worker fails
 */
export async function trainPqOnWorkers(vectors: Float32Array, dims: number, opts: PqTrainOptions, threads: number, pacing: TrainPacing): Promise<PqCodebook> {
  const count = Math.min(threads, Math.floor(Math.min(opts.subspaces, dims) / MIN_SUBSPACES_A_THREAD));
  // Too little to share out: the same steps on this thread.
  if (count < 2) return pacing.run(trainPqSteps(vectors, dims, opts));
  const t = await pacing.run(prepareTraining(vectors, dims, opts));
  const S = t.pq.subspaces;
  // The scan's module for every stride the subspaces use (scan-wasm.ts assembles one a stride).
  const scanModules: Record<number, Uint8Array> = {};
  for (let s = 0; s < S; s++) {
    const stride = subspaceJob(t, s, opts.seed).S;
    if (scanTakes(stride)) scanModules[stride] = scanWasm(stride);
  }
  const pool = new WorkerPool(workerSource(), count, { sample: t.sample.buffer, dims, m: t.m, iterations: t.iterations, scanWasm: scanModules, scanRows: SCAN_ROWS });
  try {
    let next = 0;
    let failed = false;
    const work = async (w: number) => {
      while (next < S && !failed) {
        const s = next++;
        const reply = await pool.request(w, subspaceJob(t, s, opts.seed), "codebook training");
        // Another worker's safe point threw (an abort) while this one trained: no safe point after a stop.
        if (failed) return;
        storeCentroids(t.pq, s, reply.cents as Float64Array);
        let p: Promise<void> | undefined;
        try {
          p = pacing.point();
        } catch (e) {
          failed = true; // at once, before another worker's reply can reach its safe point
          throw e;
        }
        if (p) await p;
      }
    };
    await Promise.all(
      Array.from({ length: count }, (_, w) =>
        work(w).catch((e: unknown) => {
          failed = true;
          throw e;
        }),
      ),
    );
  } finally {
    await pool.close();
  }
  return t.pq;
}
