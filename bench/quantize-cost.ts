/**
 * The quantize phase alone (issue 18, build time): per dataset, the balanced layout's codebook training (rotation +
 * k-means), encoding and score-error estimate, CPU and wall ms each, and a quality probe that needs no graph: for
 * each held-out query, the indexed vectors ranked by their PQ scores, the top R re-ranked exactly; recall@10 of that
 * against exact search (R = 16, 32), and the codes' mean squared reconstruction error. Same seed -> same codes: the codes' checksum is printed to compare variants.
 *
 *   pnpm exec tsx quantize-cost.ts --datasets sotu-use-512,sotu-use-384p [--budget balanced] [--seeds 42,1,2]
 *
 * One run a seed (default: the build's default seed): the spread over seeds says how much of a recall difference
 * between two versions is the codebooks' luck.
 */
import { createHash } from "node:crypto";
import { chooseLayout, meanTextBytes } from "../packages/core/src/build/budget.ts";
import { decodePq, encodePq, pqScore, pqTable, trainPq } from "../packages/core/src/quantize/pq.ts";
import { estimateScoreError } from "../packages/core/src/quantize/error.ts";
import { DEFAULTS } from "../packages/core/src/options.ts";
import { loadDataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const datasets = (arg("datasets") ?? "sotu-use-512,sotu-use-384p").split(",");
const budget = (arg("budget") ?? "balanced") as "balanced";
const seeds = (arg("seeds") ?? String(DEFAULTS.seed)).split(",").map(Number);

function timed<T>(f: () => T): { value: T; cpu: number; wall: number } {
  const c0 = process.cpuUsage(), w0 = performance.now();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, cpu: Math.round((c.user + c.system) / 1000), wall: Math.round(performance.now() - w0) };
}

for (const name of datasets) {
  const ds = loadDataset(name);
  const d = ds.meta.dims, n = ds.meta.count;
  const layout = chooseLayout(budget, n, d, {}, meanTextBytes(ds.passages.map((p) => p.text)));
  const keep = ds.queries.map((_, i) => i).filter((i) => i % 2 === 1);
  const qv = new Float32Array(keep.length * d);
  keep.forEach((q, j) => qv.set(ds.queryVectors.subarray(q * d, (q + 1) * d), j * d));
  const ids = ds.passages.map((p) => p.id);
  const truth = exactTopKIds(ds.vectors, d, ids, qv, 10);
  console.log(`\n${name}: ${n} x ${d}-d; ${layout.pqBits}-bit, ${layout.pqSubspaces} subspaces, rotate ${layout.rotate}`);
  for (const seed of seeds) {
    const train = timed(() => trainPq(ds.vectors, d, { subspaces: layout.pqSubspaces, bits: layout.pqBits, seed, sample: DEFAULTS.pqSample, iterations: DEFAULTS.pqIterations, rotate: layout.rotate }));
    const pq = train.value;
    const enc = timed(() => encodePq(pq, ds.vectors));
    const err = timed(() => estimateScoreError(pq, enc.value, ds.vectors, d, "cosine", seed));
    const out: Record<string, unknown> = { seed, trainCpu: train.cpu, trainWall: train.wall, encodeCpu: enc.cpu, encodeWall: enc.wall, errorCpu: err.cpu };
    for (const R of [16, 32]) {
      const found: string[][] = [];
      const scores = new Float64Array(n);
      for (let q = 0; q < keep.length; q++) {
        const query = qv.subarray(q * d, (q + 1) * d);
        const table = pqTable(pq, query, "ip");
        for (let i = 0; i < n; i++) scores[i] = pqScore(pq, enc.value, i, table);
        const top = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!).slice(0, R);
        const exact = top.map((i) => {
          let s = 0;
          for (let t = 0; t < d; t++) s += query[t]! * ds.vectors[i * d + t]!;
          return [i, s] as const;
        }).sort((a, b) => b[1] - a[1]);
        found.push(exact.slice(0, 10).map(([i]) => ids[i]!));
      }
      out[`recall@10|R${R}`] = Number(recallAtK(found, truth, 10).toFixed(3));
    }
    // Distortion: mean squared reconstruction error a vector (lower is better; steadier than recall at 100 queries).
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const back = decodePq(pq, enc.value, i);
      for (let t = 0; t < d; t++) sq += (back[t]! - ds.vectors[i * d + t]!) ** 2;
    }
    out.mse = Number((sq / n).toPrecision(4));
    out.scoreError = err.value ? `${err.value.mean.toPrecision(4)}±${err.value.sd.toPrecision(4)}` : null;
    out.codes = createHash("sha256").update(enc.value).digest("hex").slice(0, 12);
    console.log(JSON.stringify(out));
  }
}
