import { selectNeighbors } from "../graph/heuristic.js";
import { DEFAULTS } from "../options.js";
import { codeSize, encodePq } from "../quantize/pq.js";
import { walkContext, type RecomputeStats } from "../search/exact-source.js";
import { twoLevelSearch } from "../search/two-level.js";
import type { IndexState } from "../state.js";
import type { PassageRecord } from "../store/passages.js";
import { score } from "../util/vector.js";

/** Candidates a new node's neighbours are chosen from: at least this many, or twice its degree. */
const MIN_CANDIDATES = 16;

/**
 * Links new passages into the live graph, one after another: each is PQ-encoded with the
 * existing codebooks, its neighbour candidates are found by a search (recomputing as a
 * search does, reusing this insert's own vectors), the RNG heuristic keeps the ordinary
 * degree of them, and each kept neighbour links back while it has fewer than M
 * neighbours. On any failure every change is rolled back and the error rethrown.
 * Returns the new nodes' ids (consecutive, after the existing ones).
 */
export async function insert(state: IndexState, records: PassageRecord[], vectors: Float32Array, stats: RecomputeStats): Promise<number> {
  const c = state.core;
  const dims = c.dims;
  const newCodes = encodePq(c.pq, vectors);
  // Snapshot what a rollback needs; everything else only grows and is truncated back.
  const n0 = state.passages.count;
  const lists = c.graph.lists();
  const cs = codeSize(c.pq);
  const snapshot = { codes: c.codes, deleted: state.deleted, inDegree: c.inDegree, seeds: c.seeds, entry: c.entry, maxDegree: c.graph.maxDegree, stored: c.storedVectors };
  const linked: [number, number][] = [];
  const m = c.params.prunedDegree;
  const hubDegree = c.params.M;
  const grow = <T extends Uint8Array | Uint32Array>(a: T, size: number): T => {
    const b = new (a.constructor as new (n: number) => T)(size);
    b.set(a.subarray(0, Math.min(a.length, size)));
    return b;
  };
  c.codes = grow(c.codes, (n0 + records.length) * cs);
  c.codes.set(newCodes, n0 * cs);
  state.deleted = grow(state.deleted, n0 + records.length);
  c.inDegree = grow(c.inDegree, n0 + records.length);
  if (c.storedVectors) {
    const sv = new Float32Array((n0 + records.length) * dims);
    sv.set(c.storedVectors);
    sv.set(vectors, n0 * dims);
    c.storedVectors = sv;
  }
  const fresh = new Map<number, Float32Array>();
  try {
    for (let j = 0; j < records.length; j++) {
      const x = n0 + j;
      const vx = vectors.subarray(j * dims, (j + 1) * dims);
      state.passages.append(records[j]!);
      lists.push([]);
      fresh.set(x, vx);
      if (x - state.deletedCount === 0) {
        c.seeds = Uint32Array.of(x);
        c.entry = x;
        continue;
      }
      // Neighbour candidates: a search for the new vector, keeping the exact vectors it met.
      const met = new Map<number, Float32Array>();
      const ctx = { ...walkContext(state, stats, { useStored: c.storedVectors !== null, capture: met, fresh }), n: x + 1 };
      const deleted = state.deleted;
      const r = await twoLevelSearch(ctx, vx, {
        k: Math.max(2 * m, MIN_CANDIDATES),
        ef: DEFAULTS.ef,
        maxRecompute: DEFAULTS.maxRecompute,
        rerankShare: 1,
        batchSize: DEFAULTS.batchSize,
        patience: DEFAULTS.patience,
        accept: (id) => id !== x && !deleted[id],
      });
      // The walk ranks by similarity (best first); the heuristic takes distances, so negate.
      const dists = r.scores.map((s) => -s);
      const distance = (a: number, b: number) => -score(c.metric, met.get(a)!, 0, met.get(b)!, 0, dims);
      const kept: number[] = [];
      kept.length = selectNeighbors(r.ids, dists, r.ids.length, m, distance, kept);
      lists[x] = kept;
      let back = 0;
      for (const u of kept) {
        if (lists[u]!.length < hubDegree) {
          lists[u]!.push(x);
          linked.push([u, x]);
          back++;
        }
      }
      if (back === 0 && kept.length > 0) {
        lists[kept[0]!]!.push(x);
        linked.push([kept[0]!, x]);
      }
      c.graph.maxDegree = Math.max(c.graph.maxDegree, kept.length, ...kept.map((u) => lists[u]!.length));
    }
  } catch (err) {
    // Roll back: unlink in reverse order, drop the appended nodes and records.
    for (let i = linked.length - 1; i >= 0; i--) lists[linked[i]![0]]!.pop();
    lists.length = n0;
    state.passages.truncate(n0);
    c.codes = snapshot.codes;
    state.deleted = snapshot.deleted;
    c.inDegree = snapshot.inDegree;
    c.seeds = snapshot.seeds;
    c.entry = snapshot.entry;
    c.graph.maxDegree = snapshot.maxDegree;
    c.storedVectors = snapshot.stored;
    throw err;
  }
  for (const [u] of linked) c.inDegree[u]!++;
  return n0;
}
