/** Helpers shared by the engine benchmarks. */
import type { LeannIndex, SearchOptions, SearchResult } from "../../packages/core/src/index.ts";
import type { Dataset } from "./datasets.ts";
import { recallAtK } from "./exact.ts";
import { percentile } from "./peers.ts";

/** "Recomputes" by looking up the dataset's cached vectors; counts what it is asked for. */
export class CachedEmbedder {
  private readonly byText = new Map<string, Float32Array>();
  calls = 0;
  embedded = 0;
  constructor(ds: Dataset, readonly model: string) {
    const d = ds.meta.dims;
    ds.passages.forEach((p, i) => this.byText.set(p.text, ds.vectors.subarray(i * d, (i + 1) * d)));
    ds.queries.forEach((q, i) => this.byText.set(q.text, ds.queryVectors.subarray(i * d, (i + 1) * d)));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++;
    this.embedded += texts.length;
    return texts.map((t) => {
      const v = this.byText.get(t);
      if (!v) throw new Error(`text not in the dataset: ${t.slice(0, 60)}`);
      return Array.from(v);
    });
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }
}

export const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

/** `onQuery` (optional) sees each query's result and its search time without the embedder (ms), in query order. */
export async function measure(index: LeannIndex, ds: Dataset, truth: string[][], opts: SearchOptions, onQuery?: (i: number, r: SearchResult, searchMs: number) => void) {
  const found: string[][] = [];
  const ms: number[] = [];
  let recomputed = 0, hits = 0, visited = 0;
  for (let i = 0; i < ds.queries.length; i++) {
    const qv = ds.queryVectors.subarray(i * ds.meta.dims, (i + 1) * ds.meta.dims);
    const r = await index.search(qv, { k: 10, ...opts });
    found.push(r.hits.map((h) => h.id));
    recomputed += r.stats.recomputed;
    hits += r.stats.cacheHits;
    visited += r.stats.visited;
    ms.push(r.stats.ms.search); // stats.ms.search is already total - embed (it used to be subtracted twice here)
    onQuery?.(i, r, ms[ms.length - 1]!);
  }
  ms.sort((a, b) => a - b);
  const nq = ds.queries.length;
  return {
    recall1: recallAtK(found, truth, 1),
    recall3: recallAtK(found, truth, 3),
    recall10: recallAtK(found, truth, 10),
    recomputedPerQuery: recomputed / nq,
    exactPerQuery: (recomputed + hits) / nq,
    visitedPerQuery: visited / nq,
    msP50: percentile(ms, 50),
    msP95: percentile(ms, 95),
  };
}

