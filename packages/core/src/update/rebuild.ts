import { buildCore } from "../build/pipeline.js";
import { allocateVectors } from "../graph/simd.js";
import { rebuildLayoutOptions } from "../build/budget.js";
import { buildOptionsSchema, parseOptions, type ResolvedBuildOptions } from "../options.js";
import type { Core, IndexState } from "../state.js";
import { MemoryPassageStore, type PassageRecord } from "../store/passages.js";

/**
 * Rebuilds from scratch over the live passages (re-embedded) plus `records` (embedded as
 * `vectors`), with the parameters the index was built with. Nothing changes until the
 * new structures are complete; then they are swapped in at once. Returns how many live
 * passages `records` replaced and how many were re-embedded.
 */
export async function rebuild(state: IndexState, records: PassageRecord[], vectors: Float32Array, dims: number): Promise<{ replaced: number; recomputed: number }> {
  const c = state.core;
  const replacing = new Set(records.map((r) => r.id));
  const keep: PassageRecord[] = [];
  let replaced = 0;
  for (let i = 0; i < state.passages.count; i++) {
    if (state.deleted[i]) continue;
    const p = state.passages.get(i);
    if (replacing.has(p.id)) replaced++;
    else keep.push(p);
  }
  const old = keep.length > 0 ? (await state.embedTexts(keep.map((r) => r.text), dims)).vectors : new Float32Array(0);
  const all = allocateVectors(keep.length + records.length, dims);
  all.set(old, 0);
  all.set(vectors, keep.length * dims);
  const { core, order } = await buildCore(all, dims, rebuildOptions(c), () => {}, { graph: 0, prune: 0, quantize: 0 });
  core.model = c.model;
  const allRecords = [...keep, ...records];
  state.core = core;
  state.passages.rebase(new MemoryPassageStore(Array.from(order, (i) => allRecords[i]!)));
  // The passages now live in memory: the next save must write them, not reuse a file.
  state.savedAt = null;
  state.renumbered(allRecords.length);
  return { replaced, recomputed: keep.length };
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
