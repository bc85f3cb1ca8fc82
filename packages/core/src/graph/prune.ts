import { dot, l2sq } from "../util/vector.js";
import { finish, type Steps } from "../util/steps.js";
import type { Adjacency } from "./csr.js";
import { compressedSizeSteps } from "./csr.js";
import type { HnswGraph } from "./hnsw-build.js";
import { selectNeighbors } from "./heuristic.js";
import { rankByInDegree } from "./in-degree.js";
import { SCRATCH_BYTES, simdVectors } from "./simd.js";

export interface PruneOptions {
  /** Share of nodes, by in-degree, that keep up to `hubDegree` neighbours (the paper's a%). */
  hubShare: number;
  /** Out-degree budget of hubs, and of every node for back-links (the paper's M). */
  hubDegree: number;
  /** Out-degree of ordinary nodes (the paper's m); 0 = pick the largest that fits `graphBudget`. */
  degree: number;
  /** Target bytes per node of the compressed graph, used when `degree` is 0. */
  graphBudget: number;
  metric: "ip" | "l2";
  /** Rank with the WebAssembly SIMD dot where it serves (default true). */
  simd?: boolean;
}

export interface PrunedGraph {
  adjacency: Adjacency;
  degree: number;
  hubs: number;
  entry: number;
  /** In-degree of every node in the pruned graph (hub cache ranking). */
  inDegree: Uint32Array;
}

/** Largest ordinary degree tried when sizing to a budget. */
const MAX_AUTO_DEGREE = 24;
/** Nodes ranked between two safe points (a few milliseconds of work at 384 dimensions). */
const RANK_STEP = 64;
/** Nodes between two safe points in the cheap passes over lists (a few milliseconds). */
const LIST_STEP = 4096;

/**
 * High-degree-preserving pruning (LEANN, Algorithm 3). Hubs (the top `hubShare` of
 * nodes by in-degree) keep up to `hubDegree` neighbours, other nodes keep `degree`,
 * each chosen from its HNSW level-0 list by the RNG heuristic; then every kept edge
 * u -> v adds the back-link v -> u while v has fewer than `hubDegree` neighbours, so
 * ordinary nodes stay connected to hubs. Finally every node is made reachable from
 * the entry point.
 *
 * The heuristic is greedy in distance order, so its choice with a smaller budget is a
 * prefix of its choice with a larger one: the ranked lists are computed once and the
 * budget search only re-runs the cheap back-link pass.
 */
export function pruneGraph(g: HnswGraph, vectors: Float32Array, dims: number, opts: PruneOptions): PrunedGraph {
  return finish(pruneSteps(g, vectors, dims, opts));
}

/** pruneGraph, cut at safe points (util/steps.ts). */
export function* pruneSteps(g: HnswGraph, vectors: Float32Array, dims: number, opts: PruneOptions): Steps<PrunedGraph> {
  const { n, M0, level0 } = g;
  // At inner product the SIMD dot of graph construction ranks too (float32 sums, as the graph
  // was built with: a near tie may order the other way, which measured recall cannot see),
  // a node's list in one call (its ids and results in the memory's scratch page).
  const simd = opts.metric === "ip" && opts.simd !== false && M0 * 8 <= SCRATCH_BYTES ? simdVectors(vectors, dims) : undefined;
  const rowBytes = dims * 4;
  const dist = opts.metric === "l2"
    ? (a: number, b: number) => l2sq(vectors, a * dims, vectors, b * dims, dims)
    : simd
      ? (a: number, b: number) => -simd.dot(a * rowBytes, b * rowBytes, dims)
      : (a: number, b: number) => -dot(vectors, a * dims, vectors, b * dims, dims);
  const idsAt = simd ? simd.memory.buffer.byteLength - SCRATCH_BYTES : 0, outAt = idsAt + M0 * 4;
  const scratchIds = simd ? new Int32Array(simd.memory.buffer, idsAt, M0) : null;
  const scratchOut = simd ? new Float32Array(simd.memory.buffer, outAt, M0) : null;

  const inDeg = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const b = v * (M0 + 1);
    for (let j = 1; j <= level0[b]!; j++) inDeg[level0[b + j]!]!++;
  }
  yield;
  const order = rankByInDegree(inDeg);
  const hubCount = Math.min(n, Math.ceil(opts.hubShare * n));
  const isHub = new Uint8Array(n);
  for (let i = 0; i < hubCount; i++) isHub[order[i]!] = 1;

  const hubDegree = opts.hubDegree;
  const rankLimit = (v: number) => (isHub[v] ? hubDegree : opts.degree || MAX_AUTO_DEGREE);

  // Ranked heuristic selection per node, longest prefix that any budget may use.
  const rankStart = new Uint32Array(n + 1);
  const ranked: number[] = [];
  const cd = new Float64Array(M0), ci = new Int32Array(M0), sel = new Int32Array(M0);
  for (let v = 0; v < n; v++) {
    if (v % RANK_STEP === 0) yield;
    rankStart[v] = ranked.length;
    const b = v * (M0 + 1), cnt = level0[b]!;
    if (simd) {
      scratchIds!.set(level0.subarray(b + 1, b + 1 + cnt));
      simd.dots(v * rowBytes, idsAt, cnt, outAt, rowBytes, dims);
    }
    let m = 0;
    for (let j = 1; j <= cnt; j++) {
      const e = level0[b + j]!;
      const d = simd ? -scratchOut![j - 1]! : dist(v, e);
      let i = m++;
      while (i > 0 && cd[i - 1]! > d) { cd[i] = cd[i - 1]!; ci[i] = ci[i - 1]!; i--; }
      cd[i] = d; ci[i] = e;
    }
    const kept = selectNeighbors(ci, cd, m, rankLimit(v), dist, sel);
    for (let i = 0; i < kept; i++) ranked.push(sel[i]!);
  }
  rankStart[n] = ranked.length;

  // Fixed-capacity lists (hubDegree slots per node): no per-node objects.
  const cap = hubDegree;
  const assemble = function* (degree: number): Steps<{ count: Uint16Array; slots: Int32Array }> {
    const count = new Uint16Array(n);
    const slots = new Int32Array(n * cap);
    for (let v = 0; v < n; v++) {
      if (v % LIST_STEP === 0) yield;
      const take = Math.min(isHub[v] ? hubDegree : degree, rankStart[v + 1]! - rankStart[v]!);
      for (let j = 0; j < take; j++) slots[v * cap + j] = ranked[rankStart[v]! + j]!;
      count[v] = take;
    }
    const own = count.slice();
    for (let v = 0; v < n; v++) {
      if (v % LIST_STEP === 0) yield;
      for (let j = 0; j < own[v]!; j++) {
        const u = slots[v * cap + j]!;
        const c = count[u]!;
        if (c >= cap) continue;
        let has = false;
        for (let t = u * cap, e = t + c; t < e; t++) if (slots[t] === v) { has = true; break; }
        if (!has) {
          slots[u * cap + c] = v;
          count[u] = c + 1;
        }
      }
    }
    return { count, slots };
  };
  const toAdjacency = (count: Uint16Array, slots: Int32Array): Adjacency => {
    const starts = new Uint32Array(n + 1);
    let total = 0;
    for (let v = 0; v < n; v++) { starts[v] = total; total += count[v]!; }
    starts[n] = total;
    const ids = new Uint32Array(total);
    for (let v = 0; v < n; v++) ids.set(slots.subarray(v * cap, v * cap + count[v]!), starts[v]!);
    return { starts, ids };
  };

  let degree = opts.degree;
  if (degree <= 0) {
    // Largest degree whose compressed graph fits the budget (at least 2).
    let lo = 2, hi = MAX_AUTO_DEGREE;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const a = yield* assemble(mid);
      yield;
      const adjacency = toAdjacency(a.count, a.slots);
      if ((yield* compressedSizeSteps(adjacency)) <= opts.graphBudget * n) lo = mid;
      else hi = mid - 1;
    }
    degree = lo;
  }
  const final = yield* assemble(degree);
  const lists: number[][] = new Array(n);
  for (let v = 0; v < n; v++) {
    if (v % LIST_STEP === 0) yield;
    lists[v] = Array.from(final.slots.subarray(v * cap, v * cap + final.count[v]!));
  }
  yield;
  ensureReachable(lists, g.entry);
  yield;
  const starts = new Uint32Array(n + 1);
  let total = 0;
  for (let v = 0; v < n; v++) { starts[v] = total; total += lists[v]!.length; }
  starts[n] = total;
  const ids = new Uint32Array(total);
  for (let v = 0; v < n; v++) ids.set(lists[v]!, starts[v]!);
  const adjacency: Adjacency = { starts, ids };
  const inDegree = new Uint32Array(n);
  for (let i = 0; i < adjacency.ids.length; i++) inDegree[adjacency.ids[i]!]!++;
  return { adjacency, degree, hubs: hubCount, entry: g.entry, inDegree };
}

/** Adds edges so that every node (but the skipped ones) is reachable from `entry`. */
export function ensureReachable(lists: number[][], entry: number, skip?: (v: number) => boolean): number {
  const n = lists.length;
  if (n === 0) return 0;
  const seen = new Uint8Array(n);
  const queue: number[] = [entry];
  seen[entry] = 1;
  let added = 0;
  const drain = () => {
    while (queue.length > 0) {
      const v = queue.pop()!;
      for (const u of lists[v]!) if (!seen[u]) { seen[u] = 1; queue.push(u); }
    }
  };
  drain();
  for (let v = 0; v < n; v++) {
    if (seen[v] || skip?.(v)) continue;
    // Link v from a reached neighbour of it if it has one, else from the entry point.
    let from = entry;
    for (const u of lists[v]!) if (seen[u]) { from = u; break; }
    lists[from]!.push(v);
    added++;
    seen[v] = 1;
    queue.push(v);
    drain();
  }
  return added;
}
