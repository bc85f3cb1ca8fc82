/**
 * BM25 top k over a PostingsIndex: term-at-a-time accumulation into a reused score array, then a bounded min-heap
 * of k. Term-at-a-time suits our lists (short passages, few query terms, everything in memory); per query the
 * work is the postings of the query's terms, the touched documents, and k log k.
 */
import { InvalidOptionsError } from "../errors.js";
import { ScoreHeap } from "../util/heap.js";
import { type Bm25Options, bm25Idf, resolveBm25 } from "./bm25.js";
import type { PostingsIndex } from "./postings.js";

export interface KeywordHit {
  /** Internal doc id. */
  id: number;
  /** BM25 score (higher is better; comparable only within one query). */
  score: number;
}

export interface KeywordSearchOptions extends Bm25Options {
  /** How many hits (default 10, at most 10,000). */
  k?: number;
  /** Keeps a document only when this returns true; called only for documents that would enter the top k. */
  filter?: (docId: number) => boolean;
  /**
   * Also return the BM25 score of these ids (0 when a document shares no term with the query, is deleted or
   * unknown), from the same pass: what a fusion over the union of dense and keyword candidates needs for the
   * dense ones. The filter does not apply to them.
   */
  scoreIds?: readonly number[];
}

export interface KeywordSearchStats {
  /** Distinct query terms found in the dictionary. */
  termsMatched: number;
  /** Postings decoded (including tombstoned ones skipped). */
  postingsScanned: number;
  /** Documents with a non-zero score before the filter. */
  candidates: number;
  /** Filter calls made. */
  filterCalls: number;
}

export interface KeywordSearchResult {
  hits: KeywordHit[];
  /** Scores of `options.scoreIds`, in that order (empty when none were asked for). */
  scores: Float64Array;
  stats: KeywordSearchStats;
}

export const MAX_K = 10_000;

/** Reused per index: the accumulator and the list of touched ids (search is synchronous, so never shared). */
const scratch = new WeakMap<PostingsIndex, { acc: Float64Array; touched: Uint32Array }>();

/**
 * The k live documents with the highest BM25 score for `queryTerms` (already tokenised, repeats weight a term).
 * Equal scores come back in doc-id order; which of several documents tied at the k-th score is kept is
 * deterministic for a given index and query, not specified.
 * @throws {InvalidOptionsError} when k is not an integer in [1, MAX_K], or k1/b are out of range.
 */
export function bm25TopK(index: PostingsIndex, queryTerms: readonly string[], options: KeywordSearchOptions = {}): KeywordSearchResult {
  const k = options.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new InvalidOptionsError(`keyword search: k must be an integer from 1 to ${MAX_K}, received ${String(k)}.`);
  }
  if (options.filter !== undefined && typeof options.filter !== "function") {
    throw new InvalidOptionsError(`keyword search: filter must be a function (docId) => boolean, received ${typeof options.filter}.`);
  }
  const p = resolveBm25(options);
  const stats: KeywordSearchStats = { termsMatched: 0, postingsScanned: 0, candidates: 0, filterCalls: 0 };
  const scoreIds = options.scoreIds ?? [];
  const scores = new Float64Array(scoreIds.length);
  index.flush();
  const n = index.documentCount;
  if (n === 0 || queryTerms.length === 0) return { hits: [], scores, stats };

  const qtf = new Map<number, number>();
  for (const t of queryTerms) {
    const id = index.termId(t);
    if (id !== undefined) qtf.set(id, (qtf.get(id) ?? 0) + 1);
  }
  stats.termsMatched = qtf.size;
  if (qtf.size === 0) return { hits: [], scores, stats };

  let s = scratch.get(index);
  if (!s || s.acc.length < index.docCapacity) {
    s = { acc: new Float64Array(index.docCapacity), touched: new Uint32Array(index.docCapacity) };
    scratch.set(index, s);
  }
  const { acc, touched } = s;
  let nTouched = 0;
  const avgdl = index.averageLength || 1;
  const k1p1 = p.k1 + 1;
  // Per-document length norm k1 (1 - b + b dl / avgdl), hoisted out of the posting loop as two constants.
  const normA = p.k1 * (1 - p.b);
  const normB = (p.k1 * p.b) / avgdl;

  for (const [termId, q] of qtf) {
    // Live df, so that scores do not depend on when compaction ran: BM25 over the live documents exactly. The
    // floor keeps every contribution positive (the accumulator uses 0 as "not yet touched").
    const weight = Math.max(1e-6, bm25Idf(n, index.liveDocFrequency(termId))) * q;
    const { bytes, end } = index.listOf(termId);
    let pos = 0, doc = -1;
    // Inline varint decoding (see decodeList in postings.ts): this loop is the keyword side's whole cost.
    while (pos < end) {
      let b = bytes[pos++]!;
      let v = b & 0x7f;
      for (let shift = 7; b & 0x80; shift += 7) {
        b = bytes[pos++]!;
        v += (b & 0x7f) * 2 ** shift;
      }
      let tf = 1;
      if (v & 1) {
        b = bytes[pos++]!;
        let t = b & 0x7f;
        for (let shift = 7; b & 0x80; shift += 7) {
          b = bytes[pos++]!;
          t += (b & 0x7f) * 2 ** shift;
        }
        tf = t + 2;
      }
      doc += Math.floor(v / 2);
      stats.postingsScanned++;
      if (!index.isLive(doc)) continue;
      const contrib = (weight * tf * k1p1) / (tf + normA + normB * index.lengthOf(doc));
      if (acc[doc] === 0) touched[nTouched++] = doc;
      acc[doc]! += contrib;
    }
  }
  stats.candidates = nTouched;
  scoreIds.forEach((id, i) => {
    scores[i] = Number.isInteger(id) && id >= 0 && id < acc.length ? acc[id]! : 0;
  });

  const heap = new ScoreHeap(false, Math.min(k, nTouched) + 1);
  const filter = options.filter;
  let i = 0;
  try {
    for (; i < nTouched; i++) {
      const doc = touched[i]!;
      const score = acc[doc]!;
      acc[doc] = 0;
      if (heap.size === k && score <= heap.topScore()) continue;
      if (filter) {
        stats.filterCalls++;
        if (!filter(doc)) continue;
      }
      if (heap.size === k) heap.pop();
      heap.push(score, doc);
    }
  } finally {
    // A throwing filter must not leave scores behind for the next query.
    for (; i < nTouched; i++) acc[touched[i]!] = 0;
  }
  const hits: KeywordHit[] = new Array(heap.size);
  for (let i = heap.size - 1; i >= 0; i--) {
    hits[i] = { id: heap.topId(), score: heap.topScore() };
    heap.pop();
  }
  hits.sort((a, b) => b.score - a.score || a.id - b.id);
  return { hits, scores, stats };
}
