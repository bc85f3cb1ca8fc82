import { ensureReachable } from "../graph/prune.js";
import { decodePq, pqScore, pqTable } from "../quantize/pq.js";
import type { IndexState } from "../state.js";
import { compact } from "./compact.js";
import { keywordsRetired } from "./keywords.js";

/** Compaction runs by itself once this share of the nodes is deleted. */
const COMPACT_SHARE = 1 / 4;

/**
 * Tombstones nodes and repairs the graph around them: each live node that linked to a
 * removed one takes, in its place, the best (by PQ score; no embedder involved) live
 * neighbours of the removed nodes; then every live node is made reachable again.
 * Compacts past COMPACT_SHARE deleted nodes.
 */
export function retire(state: IndexState, nodes: number[]): void {
  const c = state.core;
  const lists = c.graph.lists();
  const gone = new Set(nodes);
  for (const x of nodes) {
    if (state.deleted[x]) continue;
    state.deleted[x] = 1;
    state.deletedCount++;
    state.cache.invalidate(x);
  }
  keywordsRetired(state, nodes);
  const isDead = (v: number) => state.deleted[v] === 1;
  // Lists replaced or grown here: the graph remeasures only these for sizes().
  const changed: number[] = [];
  for (let u = 0; u < lists.length; u++) {
    if (isDead(u)) continue;
    const l = lists[u]!;
    if (!l.some((v) => gone.has(v))) continue;
    const target = l.length;
    const keep = l.filter((v) => !isDead(v));
    // Candidates: the live neighbours of the removed neighbours, ranked by PQ similarity to u.
    const cand = new Set<number>();
    for (const v of l) if (gone.has(v)) for (const w of lists[v]!) if (!isDead(w) && w !== u && !keep.includes(w)) cand.add(w);
    if (cand.size > 0 && keep.length < target) {
      const table = pqTable(c.pq, decodePq(c.pq, c.codes, u), c.metric === "l2" ? "l2" : "ip");
      const ranked = [...cand].sort((a, b) => pqScore(c.pq, c.codes, b, table) - pqScore(c.pq, c.codes, a, table));
      for (const w of ranked) {
        if (keep.length >= target) break;
        keep.push(w);
      }
    }
    lists[u] = keep;
    changed.push(u);
  }
  for (const x of nodes) lists[x] = [];
  changed.push(...nodes);
  // Keep walks startable and every live node reachable.
  const liveSeeds = [...c.seeds].filter((s) => !isDead(s));
  if (liveSeeds.length === 0) {
    let best = -1;
    for (let v = 0; v < lists.length; v++) if (!isDead(v) && (best < 0 || lists[v]!.length > lists[best]!.length)) best = v;
    if (best >= 0) liveSeeds.push(best);
  }
  if (liveSeeds.length > 0) {
    c.seeds = Uint32Array.from(liveSeeds);
    c.entry = liveSeeds[0]!;
    const view = lists.map((l, v) => (isDead(v) ? [] : l));
    const sizes = view.map((l) => l.length);
    ensureReachable(view, c.entry, isDead);
    view.forEach((l, v) => {
      if (l.length === sizes[v]) return;
      lists[v] = l;
      changed.push(v);
    });
    for (const l of lists) if (l.length > c.graph.maxDegree) c.graph.maxDegree = l.length;
  }
  c.graph.touched(changed);
  if (state.deletedCount > lists.length * COMPACT_SHARE) compact(state);
}
