/**
 * Hybrid search: the dense graph search and BM25 over the keyword index, fused by min-max relative scores
 * (LlamaIndex's `relative_score`, Weaviate's `relativeScoreFusion`) with `alpha` the dense share.
 *
 * Each side brings its best CANDIDATE_DEPTH candidates and every candidate is scored on both sides before the
 * fusion: on held-out labelled sets this "full" fusion beat fusing the two lists as they come (a candidate of
 * one side counting 0 on the other), RRF, and either side alone (bench/hybrid-quality.ts).
 *
 * What each side costs:
 * - dense candidates are the passages the dense search scored exactly anyway (the same walk, the same
 *   recomputations as `alpha: 1`); their BM25 scores come from the keyword pass (`scoreIds`). Only 10-15 of
 *   them, but a deeper dense list (the walk's PQ-met nodes to CANDIDATE_DEPTH) found no more gold passages on
 *   the tuning halves (docs/tuning.md, "Hybrid-only ideas");
 * - keyword candidates the walk did not meet get the PQ estimate of their dense score, which is free; only
 *   those that could still enter the fused top k (estimate plus the codes' measured error margin) are
 *   recomputed, at most RESCORE_SHARE of the exact vectors the dense search asked for, so with a cold cache a
 *   hybrid search embeds at most 1.25 times what a dense one does (when the index stores no hub vectors: those
 *   the dense walk meets are free, a keyword candidate's rarely are).
 */
import { InvalidInputError, InvalidOptionsError } from "../errors.js";
import { relativeScoreFusion } from "../keyword/fusion.js";
import { MAX_K } from "../keyword/search.js";
import { DEFAULTS, searchBatchSize, type ResolvedSearchOptions } from "../options.js";
import { pqScore, pqTable } from "../quantize/pq.js";
import type { IndexState } from "../state.js";
import type { SearchResult, SearchStats } from "../types.js";
import { score } from "../util/vector.js";
import { walkContext } from "./exact-source.js";
import { denseMode, newStats, queryVector, runDense, toHit } from "./searcher.js";
import { ERROR_MARGIN } from "./two-level.js";

/** Candidates each side brings to the fusion (k when larger): the depth the fusion was chosen at. */
export const CANDIDATE_DEPTH = 100;
/** Recomputations allowed for keyword candidates, as a share of the dense search's own. */
export const RESCORE_SHARE = 0.25;

/** A search's resolved options, as searcher.ts hands them over. */
export interface HybridRequest {
  o: ResolvedSearchOptions;
  /** Dense share, in [0, 1). */
  alpha: number;
  /** Live passages passing the filter (undefined: every passage, none deleted). */
  accept: ((id: number) => boolean) | undefined;
  /** A filter was given (the dense planner estimates its share). */
  filtered: boolean;
  includeVectors: boolean;
  /** When the search started (performance.now()). */
  t0: number;
  /** The checked `queryVector` option: the dense side uses it instead of embedding the text. */
  precomputed?: Float32Array | null | undefined;
}

/**
 * The dense share a search runs with: the option, else DEFAULTS.alpha when the index has a keyword index and the
 * query is text, else 1 (dense only).
 * @throws InvalidOptionsError when alpha < 1 is asked of a vector query (no text to match words against) or of an
 *   index without a keyword index
 */
export function resolveAlpha(state: IndexState, query: unknown, given: number | undefined): number {
  const text = typeof query === "string";
  if (given === undefined) return text && state.keyword ? DEFAULTS.alpha : 1;
  if (given === 1) return 1;
  if (!text) {
    throw new InvalidOptionsError(
      `LeannIndex.search: alpha ${given} asks for keyword search, which needs the query as text, but the query is a vector. ` +
        `Pass the query text, or alpha: 1 (dense only) with a vector.`,
    );
  }
  if (!state.keyword) {
    throw new InvalidOptionsError(
      `LeannIndex.search: alpha ${given} asks for keyword search, but this index has no keyword index (it was built with keywordIndex: false, ` +
        `or saved by a version without one). Rebuild it with keywordIndex: true (the default), or search with alpha: 1 (dense only).`,
    );
  }
  return given;
}

/**
 * Keyword-only (alpha 0) or hybrid search of `query` over an index with a keyword index.
 * @throws InvalidInputError when the query text is empty
 * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves (hybrid without a precomputed vector)
 */
export async function hybridSearch(state: IndexState, query: string, req: HybridRequest): Promise<SearchResult> {
  if (query.trim().length === 0) throw new InvalidInputError("LeannIndex.search: the query text is empty.");
  const { o, alpha, accept } = req;
  if (alpha === 0) return keywordOnly(state, query, req);
  const mode = denseMode(state, o);
  const stats = newStats(mode, alpha);
  const pendingQuery = queryVector(state, query, stats, req.precomputed);
  pendingQuery.catch(() => {}); // awaited below; this only keeps a planning failure from leaving it unhandled
  const vectors = req.includeVectors ? new Map<number, Float32Array>() : undefined;
  const base = walkContext(state, stats, { useStored: mode === "stored", ...(vectors ? { capture: vectors } : {}) });
  // Every exact score the search computes, the dense candidates' and the rescored keyword candidates'.
  const exact = new Map<number, number>();
  const ctx = {
    ...base,
    exact: async (ids: Uint32Array) => {
      const vecs = await base.exact(ids);
      const q = (await pendingQuery)!;
      for (let i = 0; i < ids.length; i++) exact.set(ids[i]!, score(base.metric, q, 0, vecs, i * base.dims, base.dims));
      return vecs;
    },
  };
  const walk = await runDense(state, ctx, o, mode, req.filtered ? accept : undefined, accept, pendingQuery, stats);
  const q = await pendingQuery;
  const depth = Math.min(MAX_K, Math.max(o.k, CANDIDATE_DEPTH));
  const dense = [...exact]
    .filter(([id]) => !accept || accept(id))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, depth)
    .map(([id]) => id);

  const tk = performance.now();
  const kw = state.keyword!.search(query, { k: depth, ...(accept ? { filter: accept } : {}), scoreIds: dense });
  stats.keyword = { termsMatched: kw.stats.termsMatched, matched: kw.stats.candidates, candidates: kw.hits.length, ms: performance.now() - tk };
  const bm25 = new Map<number, number>();
  dense.forEach((id, i) => bm25.set(id, kw.scores[i]!));
  for (const h of kw.hits) bm25.set(h.id, h.score);
  const ids = [...bm25.keys()];

  // Keyword candidates the walk did not score exactly: their PQ estimate (exact minus approximate averages
  // scoreErrorMean near the top, so that is added back).
  const estimate = new Map<number, number>();
  const c = state.core;
  if (q && ids.some((id) => !exact.has(id))) {
    const table = pqTable(c.pq, q, c.metric === "l2" ? "l2" : "ip");
    const bias = c.params.scoreErrorMean ?? 0;
    for (const id of ids) if (!exact.has(id)) estimate.set(id, pqScore(c.pq, c.codes, id, table) + bias);
  }
  const sd = c.params.scoreErrorSd;
  const margin = sd === undefined ? Infinity : ERROR_MARGIN * sd;
  // Stored vectors make exact scores free; otherwise a quarter of the exact vectors the dense search asked for,
  // counted as requests whether the cache serves them or not, so that the results do not depend on what is cached.
  const budget = mode === "stored" ? Infinity : Math.floor(RESCORE_SHARE * walk.exact);
  let rescored = 0;
  while (estimate.size > 0 && ids.length > o.k) {
    const room = budget - rescored;
    if (room < 1) break;
    const want = contenders(ids, exact, estimate, bm25, alpha, o.k, margin);
    if (want.length === 0) break;
    const batch = Uint32Array.from(want.slice(0, Math.min(room, searchBatchSize(o, false))));
    await ctx.exact(batch);
    for (const id of batch) estimate.delete(id);
    rescored += batch.length;
  }

  const denseScore = (id: number) => exact.get(id) ?? estimate.get(id)!;
  const fused = relativeScoreFusion(
    ids.map((id) => ({ id, score: denseScore(id) })),
    ids.map((id) => ({ id, score: bm25.get(id)! })),
    { alpha, k: o.k },
  );
  const fromDense = new Set(dense);
  const fromKeyword = new Set(kw.hits.map((h) => h.id));
  const f = { fromDense: 0, fromKeyword: 0, both: 0, rescored, estimated: estimate.size };
  for (const h of fused) {
    if (fromDense.has(h.id) && fromKeyword.has(h.id)) f.both++;
    else if (fromDense.has(h.id)) f.fromDense++;
    else f.fromKeyword++;
  }
  stats.fused = f;
  return finish(state, stats, fused, req.t0, vectors);
}

/** BM25 alone: no query embedding, no recomputation. */
function keywordOnly(state: IndexState, query: string, req: HybridRequest): SearchResult {
  const stats = newStats("keyword", 0);
  const tk = performance.now();
  const r = state.keyword!.search(query, { k: Math.min(req.o.k, MAX_K), ...(req.accept ? { filter: req.accept } : {}) });
  stats.keyword = { termsMatched: r.stats.termsMatched, matched: r.stats.candidates, candidates: r.hits.length, ms: performance.now() - tk };
  return finish(state, stats, r.hits, req.t0);
}

function finish(state: IndexState, stats: SearchStats, ranked: readonly { id: number; score: number }[], t0: number, vectors?: Map<number, Float32Array>): SearchResult {
  const hits = ranked.map((h) => toHit(state, h.id, h.score, vectors));
  stats.ms.total = performance.now() - t0;
  stats.ms.search = stats.ms.total - stats.ms.embed;
  return { hits, stats };
}

/**
 * Candidates without an exact dense score that could still make the fused top k: fused with their estimate
 * plus `margin`, they reach the k-th fused score of the current estimates. Best chance first. Exported for
 * bench/hybrid-sweep.ts, which replays this rule on its own variants.
 */
export function contenders(
  ids: readonly number[],
  exact: ReadonlyMap<number, number>,
  estimate: ReadonlyMap<number, number>,
  bm25: ReadonlyMap<number, number>,
  alpha: number,
  k: number,
  margin: number,
): number[] {
  const d = (id: number) => exact.get(id) ?? estimate.get(id)!;
  let lo = Infinity, hi = -Infinity, wlo = Infinity, whi = -Infinity;
  for (const id of ids) {
    lo = Math.min(lo, d(id));
    hi = Math.max(hi, d(id));
    wlo = Math.min(wlo, bm25.get(id)!);
    whi = Math.max(whi, bm25.get(id)!);
  }
  // As relativeScoreFusion normalises: one distinct score gives every candidate 1.
  const nd = (x: number) => (hi > lo ? Math.min(1, Math.max(0, (x - lo) / (hi - lo))) : 1);
  const nw = (x: number) => (whi > wlo ? (x - wlo) / (whi - wlo) : 1);
  const fused = ids.map((id) => alpha * nd(d(id)) + (1 - alpha) * nw(bm25.get(id)!)).sort((a, b) => b - a);
  const kth = fused[k - 1]!;
  const out: { id: number; best: number }[] = [];
  for (const [id, e] of estimate) {
    const best = alpha * nd(e + margin) + (1 - alpha) * nw(bm25.get(id)!);
    if (best >= kth) out.push({ id, best });
  }
  return out.sort((a, b) => b.best - a.best || a.id - b.id).map((x) => x.id);
}
