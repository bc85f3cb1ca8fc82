import { decodePq } from "../quantize/pq.js";
import type { IndexState } from "../state.js";
import type { SearchStats } from "../types.js";
import type { SearchContext } from "./two-level.js";

/** The counters the exact-vector source adds to. */
export type RecomputeStats = Pick<SearchStats, "recomputed" | "cacheHits" | "embedderCalls"> & { ms: { embed: number }; decoded?: number };

export interface ExactSourceOptions {
  /** Serve every node from the stored vectors (mode "stored"). */
  useStored: boolean;
  /** Receives a copy of every exact vector served (includeVectors, insert's candidates). */
  capture?: Map<number, Float32Array>;
  /** Vectors of nodes not in the index's structures yet (an insert in progress). */
  fresh?: Map<number, Float32Array>;
  /**
   * Never call the embedder: a node with no exact vector at hand is served its PQ-decoded
   * vector (an insert chooses neighbours this way, so an add embeds only its own passages).
   */
  decodeMissing?: boolean;
}

/**
 * The walk's view of an index: its graph, PQ codes, and the exact-vector source, which
 * serves each batch from the cheapest place that has the vectors: vectors of this insert,
 * then the stored vectors (mode "stored") or the hub cache, and only then the embedder on
 * the passages' texts (whose answers the hub cache may keep), or with `decodeMissing`
 * the PQ-decoded vectors instead.
 */
export function walkContext(state: IndexState, stats: RecomputeStats, o: ExactSourceOptions): SearchContext {
  const c = state.core;
  const dims = c.dims;
  return {
    n: state.passages.count,
    dims,
    metric: c.metric,
    neighbors: c.graph.neighbors(),
    maxDegree: Math.max(1, c.graph.maxDegree),
    seeds: c.seeds,
    pq: c.pq,
    codes: c.codes,
    exact: async (ids) => {
      const out = new Float32Array(ids.length * dims);
      const missing: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const v = o.fresh?.get(id) ?? (o.useStored ? c.storedVectors!.subarray(id * dims, (id + 1) * dims) : state.cache.get(id));
        if (v) {
          out.set(v, i * dims);
          stats.cacheHits++;
        } else missing.push(i);
      }
      if (missing.length > 0 && o.decodeMissing) {
        for (const i of missing) out.set(decodePq(c.pq, c.codes, ids[i]!), i * dims);
        stats.decoded = (stats.decoded ?? 0) + missing.length;
      } else if (missing.length > 0) {
        const texts = missing.map((i) => state.passages.get(ids[i]!).text);
        const te = performance.now();
        const { vectors } = await state.embedTexts(texts, dims);
        stats.ms.embed += performance.now() - te;
        stats.embedderCalls += Math.ceil(texts.length / state.embed.batchSize);
        stats.recomputed += texts.length;
        missing.forEach((i, j) => {
          const v = vectors.subarray(j * dims, (j + 1) * dims);
          out.set(v, i * dims);
          state.cache.offer(ids[i]!, v);
        });
      }
      if (o.capture) for (let i = 0; i < ids.length; i++) o.capture.set(ids[i]!, out.slice(i * dims, (i + 1) * dims));
      return out;
    },
  };
}
