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
 * existing codebooks, its neighbour candidates are found by a two-level search that never
 * calls the embedder: it ranks by the exact vectors at hand (this add's own, the stored
 * vectors, the hub cache) and by PQ-decoded vectors for the rest, so an add of n passages
 * embeds n texts. The RNG heuristic (candidate-candidate distances on the same vectors)
 * keeps the ordinary degree of them, and each kept neighbour links back while it has
 * fewer than M neighbours.
 *
 * Everything is built on private copies (copy-on-write adjacency lists, grown arrays) and
 * committed at the end in one synchronous step: until then the index, its size and its
 * getters show the state before the add, and a failure leaves nothing to undo.
 * Returns the first new node's id (the new ones are consecutive, after the existing ones).
 */
export async function insert(state: IndexState, records: PassageRecord[], vectors: Float32Array, stats: RecomputeStats): Promise<number> {
  const c = state.core;
  const dims = c.dims;
  const n0 = state.passages.count;
  const n1 = n0 + records.length;
  const m = c.params.prunedDegree;
  const hubDegree = c.params.M;
  const cs = codeSize(c.pq);
  const grow = <T extends Uint8Array | Uint32Array>(a: T, size: number): T => {
    const b = new (a.constructor as new (n: number) => T)(size);
    b.set(a.subarray(0, Math.min(a.length, size)));
    return b;
  };
  const codes = grow(c.codes, n1 * cs);
  codes.set(encodePq(c.pq, vectors), n0 * cs);
  const deleted = grow(state.deleted, n1);
  // Copy-on-write: the outer array is copied, an inner list only when this add changes it.
  const lists = c.graph.lists().slice();
  const copied = new Set<number>();
  const own = (u: number): number[] => {
    if (!copied.has(u)) {
      lists[u] = lists[u]!.slice();
      copied.add(u);
    }
    return lists[u]!;
  };
  let seeds = c.seeds, entry = c.entry, maxDegree = c.graph.maxDegree;
  const linked: number[] = [];
  const fresh = new Map<number, Float32Array>();
  const neighbors = (v: number, out: Uint32Array) => {
    const l = lists[v]!;
    const k = Math.min(l.length, out.length);
    for (let i = 0; i < k; i++) out[i] = l[i]!;
    return k;
  };
  for (let j = 0; j < records.length; j++) {
    const x = n0 + j;
    const vx = vectors.subarray(j * dims, (j + 1) * dims);
    lists.push([]);
    copied.add(x);
    fresh.set(x, vx);
    if (x - state.deletedCount === 0) {
      seeds = Uint32Array.of(x);
      entry = x;
      continue;
    }
    // Neighbour candidates: a search for the new vector, keeping the vectors it met.
    const met = new Map<number, Float32Array>();
    const base = walkContext(state, stats, { useStored: c.storedVectors !== null, capture: met, fresh, decodeMissing: true });
    const ctx = { ...base, n: x + 1, codes, seeds, neighbors, maxDegree: Math.max(1, maxDegree) };
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
        own(u).push(x);
        linked.push(u);
        back++;
      }
    }
    if (back === 0 && kept.length > 0) {
      own(kept[0]!).push(x);
      linked.push(kept[0]!);
    }
    maxDegree = Math.max(maxDegree, kept.length, ...kept.map((u) => lists[u]!.length));
  }
  // Commit: no await from here on, so no reader sees a half-applied add.
  const inDegree = grow(c.inDegree, n1);
  for (const u of linked) inDegree[u]!++;
  if (c.storedVectors) {
    const sv = new Float32Array(n1 * dims);
    sv.set(c.storedVectors);
    sv.set(vectors, n0 * dims);
    c.storedVectors = sv;
  }
  for (const rec of records) state.passages.append(rec);
  c.graph.setLists(lists, copied);
  c.graph.maxDegree = maxDegree;
  c.codes = codes;
  c.inDegree = inDegree;
  c.seeds = seeds;
  c.entry = entry;
  state.deleted = deleted;
  return n0;
}
