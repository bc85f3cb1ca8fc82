/**
 * Lab for the re-ranking stop rule (issue 18): builds each dataset x budget once (kept under /tmp/stoprule/idx),
 * then replays the two-level walk with variants of its stop rule over the same codes and graph, counting
 * recomputations as a cold cache would (stored hub vectors are free) and saying why a missed neighbour was missed.
 *
 *   pnpm exec tsx lab-stop.ts --dataset sotu-use-512 --presets tiny,balanced,fast --queries tune --engine
 *
 * Options: --dataset NAME (a cached dataset, or qa:SET for a labelled QA set's potion vectors), --presets
 * tiny,balanced,fast or bytes (55g20 = 55 B with a 20 B graph), --queries tune|check|all, --limit N, --engine (the
 * engine's own search, fresh load a k, as budget.ts counts it), --analyze (code errors by approximate rank, and the
 * margin the true top 10 needed), --variants FILE (a module whose default export maps the "today" variant, the stop
 * rule before 2026-11-29's second pass, to variants of it; see Variant), --dir DIR (where builds are kept, default
 * /tmp/stoprule/idx), --build JSON (extra build options, e.g. '{"storedHubShare":0.02}'), --hist (with --engine: queries
 * and missed neighbours by recomputations). --analyze also prints the within-query slope of the code error on the code
 * score, the error's upper tail against the normal model's, and the recall of re-ranking a fixed R. Each replay line says why a missed true
 * neighbour was missed: never met by the walk, or met and not re-ranked. The replay of "today" reproduces budget.ts's
 * recall and recomputations exactly (same seeded builds).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { LeannIndex } from "../packages/core/src/index.ts";
import { pqScore, pqTable } from "../packages/core/src/quantize/pq.ts";
import { ScoreHeap } from "../packages/core/src/util/heap.ts";
import { normalizeRows, score } from "../packages/core/src/util/vector.ts";
import { loadDataset, querySplit, type Dataset } from "./lib/datasets.ts";
import { exactTopK } from "./lib/exact.ts";
import { CachedEmbedder } from "./lib/leann.ts";
import { readQaSet } from "./build-qa-sets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";
import { passageVectors } from "./lib/qa-engine.ts";

/** A labelled QA set (potion vectors) as a dataset: tune questions = even, heldout = odd (as querySplit splits them). */
async function qaDataset(set: string): Promise<Dataset> {
  const model = await loadPotionEmbedder();
  const tune = readQaSet(set, "tune"), held = readQaSet(set, "heldout");
  const vectors = (await passageVectors(set, tune.passages, model)).vectors.slice();
  const qs: string[] = [];
  for (let i = 0; i < Math.max(tune.questions.length, held.questions.length); i++) {
    qs.push((tune.questions[i] ?? tune.questions[0]!).question, (held.questions[i] ?? held.questions[0]!).question);
  }
  const queryVectors = await model.embed(qs);
  const dims = model.dims;
  normalizeRows(vectors, dims);
  normalizeRows(queryVectors, dims);
  return {
    meta: { name: set, model: "potion", dims, count: tune.passages.length, queryCount: qs.length, metric: "cosine", normalized: true } as any,
    passages: tune.passages.map((p) => ({ id: String(p.id), text: p.text })),
    vectors,
    queries: qs.map((text, i) => ({ id: String(i), text })) as any,
    queryVectors,
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const dsName = arg("dataset") ?? "sotu-use-512";
const presets = (arg("presets") ?? "tiny,balanced,fast").split(",");
/** "55g20" = budget 55 B with a 20 B graph. */
function budgetOptions(p: string): Record<string, unknown> {
  const m = /^(\d+)(?:g(\d+))?$/.exec(p);
  if (!m) return { budget: p };
  return { budget: Number(m[1]), ...(m[2] ? { graphBytesPerPassage: Number(m[2]) } : {}) };
}
const which = arg("queries") ?? "tune";
const variantsArg = arg("variants");
const limit = Number(arg("limit") ?? 0);


export interface Variant {
  name: string;
  ef: number;
  maxRecompute: number;
  /** First batch for k. */
  first: (k: number) => number;
  /** Later batches for k. */
  later: (k: number) => number;
  /** Margin in sd (Infinity = no error rule). */
  z: number;
  /** Use the mean shift. */
  useMean: boolean;
  /** Stop after this many candidates in a row that enter nothing. */
  idle: (k: number) => number;
  /** "prob": stop when the expected number of top-k entries left in the pool is under eps * k. */
  rule?: "prob";
  eps?: number;
  /** Per-query calibration of the mean error from the re-ranked candidates, with n0 pseudo-samples of the build's mean. */
  n0?: number;
  sdScale?: number;
  /** Per-query sd too (pooled with the build's sd, weight n0). */
  querySd?: boolean;
}

/** Upper tail of the standard normal, P(Z > x) (Abramowitz and Stegun 26.2.17, error < 7.5e-8). */
export function upperTail(x: number): number {
  if (x < 0) return 1 - upperTail(-x);
  if (x > 12) return 0;
  const t = 1 / (1 + 0.2316419 * x);
  const pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  return pdf * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
}

const base: Variant = {
  name: "today",
  ef: 512,
  maxRecompute: 128,
  first: (k) => k + Math.max(2, k >> 2),
  later: (k) => Math.max(4, k >> 1),
  z: 3,
  useMean: true,
  idle: (k) => Math.max(8, k),
};

interface Ctx {
  n: number; dims: number; neighbors: (v: number, out: Uint32Array) => number; maxDegree: number; seeds: Uint32Array;
  pq: any; codes: Uint8Array; exactRow: (id: number) => Float32Array; hub: Uint8Array; err: { mean: number; sd: number };
}

function walk(ctx: Ctx, query: Float32Array, k: number, v: Variant) {
  const table = pqTable(ctx.pq, query, "ip");
  const visited = new Uint8Array(ctx.n);
  const scratch = new Uint32Array(ctx.maxDegree);
  const approx = (id: number) => pqScore(ctx.pq, ctx.codes, id, table);
  let visitedCount = 0;
  const pool = new ScoreHeap(true, 256);
  const frontier = new ScoreHeap(true);
  const beam = new ScoreHeap(false);
  for (const s of ctx.seeds) {
    if (visited[s]) continue;
    visited[s] = 1; visitedCount++;
    const a = approx(s);
    frontier.push(a, s); pool.push(a, s); beam.push(a, s);
    if (beam.size > v.ef) beam.pop();
  }
  while (frontier.size > 0) {
    const cs = frontier.topScore(), c = frontier.topId();
    if (beam.size >= v.ef && cs < beam.topScore()) break;
    frontier.pop();
    const cnt = ctx.neighbors(c, scratch);
    for (let j = 0; j < cnt; j++) {
      const e = scratch[j]!;
      if (visited[e]) continue;
      visited[e] = 1; visitedCount++;
      const a = approx(e);
      pool.push(a, e);
      if (beam.size < v.ef || a > beam.topScore()) {
        frontier.push(a, e); beam.push(a, e);
        if (beam.size > v.ef) beam.pop();
      }
    }
  }
  const walked = visited.slice();
  const top = new ScoreHeap(false);
  const reranked = new Uint8Array(ctx.n);
  let exact = 0, recomputed = 0, idleC = 0;
  const margin = v.z === Infinity ? Infinity : (v.useMean ? ctx.err.mean : 0) + v.z * ctx.err.sd;
  const hopeless = (a: number) => top.size >= k && a + margin < top.topScore();
  let stop = "pool";
  if (v.rule === "prob") return probWalk(ctx, query, k, v, { pool, visited, walked, approx, scratch });
  while (pool.size > 0 && exact < v.maxRecompute) {
    if (hopeless(pool.topScore())) { stop = "margin"; break; }
    const room = Math.min(top.size < k ? v.first(k) : v.later(k), v.maxRecompute - exact);
    const ids: number[] = [];
    while (ids.length < room && pool.size > 0) {
      if (hopeless(pool.topScore())) break;
      ids.push(pool.topId()); pool.pop();
    }
    if (ids.length === 0) { stop = "margin"; break; }
    let entered = 0;
    for (const id of ids) {
      exact++;
      if (!ctx.hub[id]) recomputed++;
      reranked[id] = 1;
      const s = score("cosine", query, 0, ctx.exactRow(id), 0, ctx.dims);
      let ok = false;
      if (top.size < k) { top.push(s, id); ok = true; }
      else if (s > top.topScore()) { top.pop(); top.push(s, id); ok = true; }
      if (ok) {
        entered++;
        const cnt = ctx.neighbors(id, scratch);
        for (let j = 0; j < cnt; j++) {
          const e = scratch[j]!;
          if (visited[e]) continue;
          visited[e] = 1; visitedCount++;
          pool.push(approx(e), e);
        }
      }
    }
    idleC = entered === 0 ? idleC + ids.length : 0;
    if (top.size >= k && idleC >= v.idle(k)) { stop = "idle"; break; }
    if (exact >= v.maxRecompute) stop = "budget";
  }
  const out: number[] = [];
  while (top.size > 0) { out.push(top.topId()); top.pop(); }
  return { ids: out.reverse(), exact, recomputed, walked, visited, reranked, stop };
}

function probWalk(ctx: Ctx, query: Float32Array, k: number, v: Variant, w: { pool: ScoreHeap; visited: Uint8Array; walked: Uint8Array; approx: (id: number) => number; scratch: Uint32Array }) {
  const { pool, visited, walked, approx, scratch } = w;
  // Every candidate met, for the sums (the heap cannot be iterated).
  const cand: number[] = [], cs: number[] = [];
  const done = new Uint8Array(ctx.n);
  const reranked = new Uint8Array(ctx.n);
  for (let i = 0; i < ctx.n; i++) if (visited[i]) { cand.push(i); cs.push(approx(i)); }
  const top = new ScoreHeap(false);
  let exact = 0, recomputed = 0, stop = "pool";
  let sumE = 0, sumE2 = 0, nE = 0;
  const n0 = v.n0 ?? Infinity;
  const mu = () => (n0 === Infinity ? ctx.err.mean : (n0 * ctx.err.mean + sumE) / (n0 + nE));
  const sd = () => {
    let s = ctx.err.sd;
    if (v.querySd && nE >= 2 && n0 !== Infinity) {
      const m = sumE / nE;
      const qv = Math.max(0, sumE2 / nE - m * m) * nE / (nE - 1);
      s = Math.sqrt((n0 * ctx.err.sd ** 2 + (nE - 1) * qv) / (n0 + nE - 1));
    }
    return s * (v.sdScale ?? 1);
  };
  const tau = (v.eps ?? 0.02) * k;
  while (exact < v.maxRecompute && pool.size > 0) {
    let room: number;
    if (top.size < k) room = v.first(k);
    else {
      // Expected entries still in the pool, and how many of the best candidates would bring it under tau.
      const m = mu(), sg = sd(), sk = top.topScore();
      const probs: number[] = [];
      let total = 0;
      for (let j = 0; j < cand.length; j++) {
        if (done[cand[j]!]) continue;
        const p = upperTail((sk - cs[j]! - m) / sg);
        if (p > 1e-9) { probs.push(p); total += p; }
      }
      if (total < tau) { stop = "prob"; break; }
      probs.sort((a, b) => b - a);
      let take = 0, left = total;
      while (left >= tau && take < probs.length) left -= probs[take++]!;
      room = Math.min(take, v.later(k));
    }
    room = Math.min(room, v.maxRecompute - exact);
    const ids: number[] = [];
    while (ids.length < room && pool.size > 0) { const id = pool.topId(); pool.pop(); if (done[id]) continue; ids.push(id); }
    if (ids.length === 0) break;
    for (const id of ids) {
      done[id] = 1;
      exact++;
      if (!ctx.hub[id]) recomputed++;
      reranked[id] = 1;
      const s = score("cosine", query, 0, ctx.exactRow(id), 0, ctx.dims);
      const e = s - approx(id);
      sumE += e; sumE2 += e * e; nE++;
      let ok = false;
      if (top.size < k) { top.push(s, id); ok = true; }
      else if (s > top.topScore()) { top.pop(); top.push(s, id); ok = true; }
      if (ok) {
        const cnt = ctx.neighbors(id, scratch);
        for (let j = 0; j < cnt; j++) {
          const e2 = scratch[j]!;
          if (visited[e2]) continue;
          visited[e2] = 1;
          const a = approx(e2);
          pool.push(a, e2); cand.push(e2); cs.push(a);
        }
      }
    }
    if (exact >= v.maxRecompute) stop = "budget";
  }
  const out: number[] = [];
  while (top.size > 0) { out.push(top.topId()); top.pop(); }
  return { ids: out.reverse(), exact, recomputed, walked, visited, reranked, stop };
}

/** Errors (exact - approx) over each query's PQ-walk pool, by approx rank, and what a margin rule would need. */
function analyze(ctx: Ctx, ds: Dataset, truthRows: number[][], internalOf: Int32Array) {
  const d = ctx.dims;
  const bins = [[0, 10], [10, 30], [30, 100], [100, 300], [300, 1000]] as const;
  const acc = bins.map(() => ({ s: 0, ss: 0, n: 0 }));
  const qMeans: number[] = [], qSds: number[] = [], topErr: number[] = [];
  const needZ: number[] = [];
  let slopeXY = 0, slopeXX = 0;
  const spread: number[] = [];
  const tailErr: number[] = [];
  const fixedR = new Array(11).fill(0);
  for (let q = 0; q < ds.queries.length; q++) {
    const qv = ds.queryVectors.subarray(q * d, (q + 1) * d);
    const r = walk(ctx, qv, 10, { ...base, maxRecompute: 0 });
    const table = pqTable(ctx.pq, qv, "ip");
    const pool: { a: number; e: number }[] = [];
    for (let i = 0; i < ctx.n; i++) if (r.walked[i]) {
      const a = pqScore(ctx.pq, ctx.codes, i, table);
      pool.push({ a, e: score("cosine", qv, 0, ctx.exactRow(i), 0, d) - a });
    }
    pool.sort((x, y) => y.a - x.a);
    // Within-query slope of the error on the approximate score over the first 100 by approximate rank.
    {
      const top = pool.slice(0, 100);
      const ma = top.reduce((s, p) => s + p.a, 0) / top.length, me = top.reduce((s, p) => s + p.e, 0) / top.length;
      let sxy = 0, sxx = 0;
      for (const p of top) { sxy += (p.a - ma) * (p.e - me); sxx += (p.a - ma) ** 2; }
      slopeXY += sxy; slopeXX += sxx;
      spread.push(top[0]!.a - top[Math.min(29, top.length - 1)]!.a);
      for (let i = 10; i < Math.min(100, pool.length); i++) tailErr.push(pool[i]!.e - me);
    }
    bins.forEach(([lo, hi], b) => { for (let i = lo; i < Math.min(hi, pool.length); i++) { const e = pool[i]!.e; acc[b]!.s += e; acc[b]!.ss += e * e; acc[b]!.n++; } });
    const first = pool.slice(0, 12).map((p) => p.e);
    const m = first.reduce((a, b) => a + b, 0) / first.length;
    qMeans.push(m);
    qSds.push(Math.sqrt(first.reduce((a, b) => a + (b - m) ** 2, 0) / (first.length - 1)));
    const truth = truthRows[q]!.slice(0, 10).map((t) => internalOf[t]!);
    {
      const rankOf = new Map<number, number>();
      const ids: number[] = [];
      for (let i = 0; i < ctx.n; i++) if (r.walked[i]) ids.push(i);
      ids.sort((x, y) => pqScore(ctx.pq, ctx.codes, y, table) - pqScore(ctx.pq, ctx.codes, x, table));
      ids.forEach((id, i) => rankOf.set(id, i));
      for (const t of truth) { const rk = rankOf.get(t) ?? 1e9; for (let R = 10; R <= 20; R++) if (rk < R) fixedR[R - 10]!++; }
    }
    const sk = score("cosine", qv, 0, ctx.exactRow(truth[9]!), 0, d);
    const table2 = table;
    let worst = -Infinity;
    for (const t of truth) {
      const a = pqScore(ctx.pq, ctx.codes, t, table2);
      topErr.push(score("cosine", qv, 0, ctx.exactRow(t), 0, d) - a);
      worst = Math.max(worst, sk - a);
    }
    needZ.push(worst);
  }
  const f = (x: number) => x.toFixed(4);
  bins.forEach(([lo, hi], b) => { const { s, ss, n } = acc[b]!; const m = s / n; console.log(`  approx rank ${lo}-${hi}: error mean ${f(m)} sd ${f(Math.sqrt(ss / n - m * m))}`); });
  spread.sort((a, b) => a - b);
  console.log(`  within-query slope of error on approx (first 100): ${(slopeXY / slopeXX).toFixed(3)}; approx rank 1 - rank 30 p50 ${spread[spread.length >> 1]!.toFixed(4)}`);
  {
    const sdT = Math.sqrt(tailErr.reduce((a, b) => a + b * b, 0) / tailErr.length);
    const line = [1, 1.5, 2, 2.5, 3, 3.5].map((t) => `z>${t}: ${(tailErr.filter((e) => e > t * sdT).length / tailErr.length).toFixed(4)} (normal ${upperTail(t).toFixed(4)})`).join(", ");
    console.log(`  ranks 10-100, errors less the query's mean (sd ${sdT.toFixed(4)}): ${line}`);
  }
  console.log(`  recall@10 re-ranking the walk's best R by code score, R = 10..20: ${fixedR.map((h) => (h / (10 * ds.queries.length)).toFixed(3)).join(" ")}`);
  const mm = qMeans.reduce((a, b) => a + b, 0) / qMeans.length;
  console.log(`  per-query mean of first 12: mean ${f(mm)}, sd across queries ${f(Math.sqrt(qMeans.reduce((a, b) => a + (b - mm) ** 2, 0) / qMeans.length))}; within-query sd mean ${f(qSds.reduce((a, b) => a + b, 0) / qSds.length)}`);
  const tm = topErr.reduce((a, b) => a + b, 0) / topErr.length;
  console.log(`  true top-10 error mean ${f(tm)} sd ${f(Math.sqrt(topErr.reduce((a, b) => a + (b - tm) ** 2, 0) / topErr.length))}`);
  needZ.sort((a, b) => a - b);
  console.log(`  margin needed (s10 - worst approx of true top 10): p50 ${f(needZ[needZ.length >> 1]!)} p90 ${f(needZ[Math.floor(needZ.length * 0.9)]!)} p95 ${f(needZ[Math.floor(needZ.length * 0.95)]!)} max ${f(needZ[needZ.length - 1]!)}`);
}

async function main() {
  const ds = querySplit(dsName.startsWith("qa:") ? await qaDataset(dsName.slice(3)) : loadDataset(dsName), which as "tune" | "check" | "all", limit);
  const d = ds.meta.dims;
  const truthRows = exactTopK(ds.vectors, d, ds.queryVectors, 10);
  const rowOf = new Map(ds.passages.map((p, i) => [p.id, i]));
  const variants: Variant[] = [base, ...(variantsArg ? (await import(variantsArg)).default(base) : [])];
  for (const preset of presets) {
    const dir = join(arg("dir") ?? "/tmp/stoprule/idx", `${dsName}-${preset}${limit ? `-${limit}` : ""}`);
    const embedder = new CachedEmbedder(ds, ds.meta.model);
    if (!existsSync(join(dir, "CURRENT"))) {
      mkdirSync(dir, { recursive: true });
      const vectors = Array.from({ length: ds.meta.count }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));
      const built = await LeannIndex.build(ds.passages.map((p) => ({ id: p.id, text: p.text })), { embedder, vectors, ...budgetOptions(preset), keywordIndex: false, ...JSON.parse(arg("build") ?? "{}") });
      await built.save(dir);
      await built.close();
    }
    const index = await LeannIndex.load(dir, { embedder, probe: false });
    const state = (index as any).state;
    const core = state.core;
    const n = state.passages.count as number;
    const row = new Int32Array(n);
    const internalOf = new Int32Array(ds.meta.count).fill(-1);
    for (let i = 0; i < n; i++) { row[i] = rowOf.get(state.passages.id(i))!; internalOf[row[i]!] = i; }
    const hub = new Uint8Array(n);
    for (const h of core.hubIds) hub[h] = 1;
    const ctx: Ctx = {
      n, dims: d, neighbors: core.graph.neighbors(), maxDegree: Math.max(1, core.graph.maxDegree), seeds: core.seeds, pq: core.pq, codes: core.codes,
      exactRow: (id) => ds.vectors.subarray(row[id]! * d, (row[id]! + 1) * d), hub,
      err: { mean: core.params.scoreErrorMean, sd: core.params.scoreErrorSd },
    };
    console.log(`\n${dsName} ${preset}: ${core.params.layout}\n  scoreError mean ${ctx.err.mean} sd ${ctx.err.sd}; hubs ${core.hubIds.length}`);
    if (process.argv.includes("--analyze")) analyze(ctx, ds, truthRows, internalOf);
    if (process.argv.includes("--engine")) {
      for (const k of [3, 10]) {
        const fresh = await LeannIndex.load(dir, { embedder, probe: false, cacheBytes: core.hubIds.length * d * 4 });
        let hit = 0, rec = 0, recomputed = 0;
        const hist: Record<number, [number, number]> = {};
        for (let q = 0; q < ds.queries.length; q++) {
          const r = await fresh.search(ds.queryVectors.subarray(q * d, (q + 1) * d), { k });
          recomputed += r.stats.recomputed;
          const got = new Set(r.hits.map((h) => h.id));
          let miss = 0;
          for (const t of truthRows[q]!.slice(0, k)) { rec++; if (got.has(ds.passages[t]!.id)) hit++; else miss++; }
          const b = (hist[r.stats.recomputed] ??= [0, 0]);
          b[0]++; b[1] += miss;
        }
        await fresh.close();
        console.log(`  ${"ENGINE".padEnd(28)} k ${String(k).padStart(2)} recall ${(hit / rec).toFixed(3)} recomputed ${(recomputed / ds.queries.length).toFixed(1).padStart(5)}`);
        if (process.argv.includes("--hist")) console.log(`    recomputed: [queries, misses] ${JSON.stringify(hist)}`);
      }
    }
    for (const v of variants) {
      for (const k of [3, 10]) {
        let rec = 0, hit = 0, recomputed = 0, notWalked = 0, notVisited = 0, notReranked = 0, ties = 0;
        const stops: Record<string, number> = {};
        for (let q = 0; q < ds.queries.length; q++) {
          const qv = ds.queryVectors.subarray(q * d, (q + 1) * d);
          const r = walk(ctx, qv, k, v);
          recomputed += r.recomputed;
          stops[r.stop] = (stops[r.stop] ?? 0) + 1;
          const got = new Set(r.ids);
          const kth = r.ids.length ? score("cosine", qv, 0, ctx.exactRow(r.ids[r.ids.length - 1]!), 0, d) : -Infinity;
          for (const t of truthRows[q]!.slice(0, k)) {
            rec++;
            const id = internalOf[t]!;
            if (got.has(id)) { hit++; continue; }
            if (score("cosine", qv, 0, ctx.exactRow(id), 0, d) <= kth + 1e-6) ties++;
            if (!r.visited[id]) notVisited++;
            else if (!r.reranked[id]) notReranked++;
            if (!r.walked[id]) notWalked++;
          }
        }
        const nq = ds.queries.length;
        console.log(`  ${v.name.padEnd(28)} k ${String(k).padStart(2)} recall ${(hit / rec).toFixed(3)} (ties ${(ties / rec).toFixed(3)}) recomputed ${(recomputed / nq).toFixed(1).padStart(5)} | missed: never met ${notVisited}, met not reranked ${notReranked} (not in PQ walk ${notWalked}) | stops ${JSON.stringify(stops)}`);
      }
    }
    await index.close();
  }
}
await main();
