import { inDegreesOf, rankByInDegree } from "../graph/in-degree.js";
import { codeSize } from "../quantize/pq.js";
import type { IndexState } from "../state.js";
import { keywordsCompacted } from "./keywords.js";

/**
 * Reclaims the space of deleted passages: drops their nodes from every structure and
 * renumbers the live ones 0..n-1 in their old order.
 */
export function compact(state: IndexState): void {
  if (state.deletedCount === 0) return;
  const c = state.core;
  const lists = c.graph.lists();
  const n = lists.length;
  const keep: number[] = [];
  const remap = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (!state.deleted[v]) {
      remap[v] = keep.length;
      keep.push(v);
    }
  }
  const cs = codeSize(c.pq);
  const codes = new Uint8Array(keep.length * cs);
  keep.forEach((v, i) => codes.set(c.codes.subarray(v * cs, (v + 1) * cs), i * cs));
  const kept = keep.map((v) => lists[v]!.filter((u) => remap[u]! >= 0).map((u) => remap[u]!));
  c.graph.setLists(kept);
  c.codes = codes;
  if (c.storedVectors) {
    const sv = new Float32Array(keep.length * c.dims);
    keep.forEach((v, i) => sv.set(c.storedVectors!.subarray(v * c.dims, (v + 1) * c.dims), i * c.dims));
    c.storedVectors = sv;
  }
  const hubs = [...c.hubIds].map((h, i) => [remap[h]!, i] as const).filter(([h]) => h >= 0);
  const hubVectors = new Float32Array(hubs.length * c.dims);
  hubs.forEach(([, i], j) => hubVectors.set(c.hubVectors.subarray(i * c.dims, (i + 1) * c.dims), j * c.dims));
  c.hubIds = Uint32Array.from(hubs.map(([h]) => h));
  c.hubVectors = hubVectors;
  c.seeds = Uint32Array.from([...c.seeds].map((s) => remap[s]!).filter((s) => s >= 0));
  c.inDegree = inDegreesOf(kept);
  // Every seed was deleted: walks start from the node most others link to.
  if (c.seeds.length === 0 && keep.length > 0) c.seeds = rankByInDegree(c.inDegree).slice(0, 1);
  c.entry = c.seeds[0] ?? 0;
  state.passages.compact(keep);
  keywordsCompacted(state, remap);
  state.renumbered(keep.length);
}
