/**
 * Brute-force BM25, the reference the keyword index is tested against: Lucene's non-negative idf over the live
 * documents (floored like the index, so every matching document scores above 0), nothing precomputed.
 */
import { bm25Idf } from "../../src/keyword/bm25.js";

/** The k best documents of `docs` (id -> tokens) for `query` (tokens), best first, ties by id. */
export function bm25Reference(docs: ReadonlyMap<number, readonly string[]>, query: readonly string[], k: number, k1 = 1.2, b = 0.75): { id: number; score: number }[] {
  const n = docs.size;
  let total = 0;
  for (const d of docs.values()) total += d.length;
  const avgdl = total / n || 1;
  const qtf = new Map<string, number>();
  for (const t of query) qtf.set(t, (qtf.get(t) ?? 0) + 1);
  const df = new Map<string, number>();
  for (const d of docs.values()) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const hits: { id: number; score: number }[] = [];
  for (const [id, d] of docs) {
    let s = 0;
    for (const [t, q] of qtf) {
      const tf = d.filter((x) => x === t).length;
      if (tf === 0) continue;
      const idf = Math.max(1e-6, bm25Idf(n, df.get(t)!));
      s += (idf * q * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * d.length) / avgdl));
    }
    if (s > 0) hits.push({ id, score: s });
  }
  hits.sort((x, y) => y.score - x.score || x.id - y.id);
  return hits.slice(0, k);
}
