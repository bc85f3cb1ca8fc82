import { buildCore } from "../build/pipeline.js";
import { allocateVectors } from "../graph/simd.js";
import { decodePq } from "../quantize/pq.js";
import { normalizeRows } from "../util/vector.js";
import { meanTextBytes, rebuildLayoutOptions } from "../build/budget.js";
import { buildOptionsSchema, parseOptions, type ResolvedBuildOptions } from "../options.js";
import type { Core, IndexState } from "../state.js";
import { MemoryPassageStore, type PassageRecord } from "../store/passages.js";
import { rebuiltOrder } from "../store/order-codec.js";
import { keywordsRebuilt } from "../update/keywords.js";

/**
 * Rebuilds from scratch over the live passages plus `records` (embedded as `vectors`), with
 * the parameters the index was built with. The live passages are not re-embedded, but for
 * at most as many as `records` (the newest): each comes from the best vector at hand
 * (stored vectors, the hub cache, else its PQ-decoded vector), so an add of n passages
 * embeds at most 2n texts; the new codebooks are trained on these vectors and the add's
 * exact ones. Nothing changes until the new structures are complete; then they are
 * swapped in at once. Returns how many live passages `records` replaced, how many old
 * vectors were reconstructed from PQ codes and how many were re-embedded.
 */
export async function rebuild(state: IndexState, records: PassageRecord[], vectors: Float32Array, dims: number): Promise<{ replaced: number; decoded: number; recomputed: number }> {
  const c = state.core;
  const replacing = new Set(records.map((r) => r.id));
  const keep: PassageRecord[] = [];
  const keepNodes: number[] = [];
  let replaced = 0;
  for (let i = 0; i < state.passages.count; i++) {
    if (state.deleted[i]) continue;
    const p = state.passages.get(i);
    if (replacing.has(p.id)) replaced++;
    else {
      keep.push(p);
      keepNodes.push(i);
    }
  }
  const all = allocateVectors(keep.length + records.length, dims);
  const atHand = (node: number) => c.storedVectors?.subarray(node * dims, (node + 1) * dims) ?? state.cache.get(node);
  // Budget: as many old passages as this add brings are re-embedded (an add of n embeds at
  // most 2n texts). The newest go first: inserted since the last rebuild, their codes come
  // from codebooks that never saw them, so their decoded vectors are the least faithful.
  const refresh: number[] = [];
  for (let j = keepNodes.length - 1; j >= 0 && refresh.length < records.length; j--) if (!atHand(keepNodes[j]!)) refresh.push(j);
  const fresh = refresh.length > 0 ? (await state.embedTexts(refresh.map((j) => keep[j]!.text), dims)).vectors : new Float32Array(0);
  const refreshed = new Map(refresh.map((j, r) => [j, fresh.subarray(r * dims, (r + 1) * dims)]));
  let decoded = 0;
  keepNodes.forEach((node, j) => {
    const v = refreshed.get(j) ?? atHand(node);
    if (v) all.set(v, j * dims);
    else {
      const d = decodePq(c.pq, c.codes, node);
      // Decoded vectors are shorter than the originals (centroids average); the walk and
      // the pruning compare inner products, so put them back on the unit sphere for cosine.
      if (c.metric === "cosine") normalizeRows(d, dims);
      all.set(d, j * dims);
      decoded++;
    }
  });
  all.set(vectors, keep.length * dims);
  const allRecords = [...keep, ...records];
  const textBytes = meanTextBytes(allRecords.map((r) => r.text));
  const { core, order } = await buildCore(all, dims, rebuildOptions(c), () => {}, { graph: 0, prune: 0, quantize: 0 }, undefined, undefined, textBytes);
  core.model = c.model;
  state.core = core;
  const ordered = Array.from(order, (i) => allRecords[i]!);
  // Stored as before (kept passages in their stored order, then the added ones): see order-codec.
  const stored = rebuiltOrder(state.passages.order(), state.passages.count, keepNodes, order);
  state.passages.rebase(new MemoryPassageStore(ordered, stored));
  keywordsRebuilt(state, ordered);
  // The passages now live in memory: the next save must write them, not reuse a file.
  state.savedAt = null;
  state.renumbered(allRecords.length);
  return { replaced, decoded, recomputed: refresh.length };
}

/** The build options an index was built with, as recorded in its parameters and structures. */
function rebuildOptions(c: Core): ResolvedBuildOptions {
  const p = c.params;
  return parseOptions(
    buildOptionsSchema,
    {
      metric: c.metric,
      M: p.M,
      efConstruction: p.efConstruction,
      seed: p.seed,
      hubShare: p.hubShare,
      prunedDegree: p.prunedDegreeOption,
      ...rebuildLayoutOptions(c),
      pqSample: p.pqSample,
      pqIterations: p.pqIterations,
      storeVectors: c.storedVectors !== null,
    },
    "LeannIndex.add (rebuild)",
  );
}
