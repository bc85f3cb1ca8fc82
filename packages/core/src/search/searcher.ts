import { embedQueryChecked } from "../embedder.js";
import { DimensionMismatchError, InvalidInputError, InvalidOptionsError } from "../errors.js";
import { DEFAULTS, parseOptions, searchBatchSize, searchOptionsSchema, type ResolvedSearchOptions } from "../options.js";
import type { IndexState } from "../state.js";
import type { SearchHit, SearchMode, SearchOptions, SearchResult, SearchStats } from "../types.js";
import { hybridSearch, resolveAlpha } from "./hybrid.js";
import { createRng } from "../util/rng.js";
import { normalizeRows } from "../util/vector.js";
import { walkContext } from "./exact-source.js";
import { compileFilter } from "./filter.js";
import { exactWalkSearch, scanSearch, twoLevelSearch, type SearchContext, type WalkOptions, type WalkResult } from "./two-level.js";

/** Passages per embedder round trip when scoring every match directly (scan path). */
const SCAN_BATCH = 256;
/** Passages sampled to estimate a filter's share. */
const FILTER_SAMPLE = 256;
/** Below this estimated share of matches a walk meets too few of them: score the matches instead. */
const MIN_WALK_SHARE = 0.02;
/** A filtered walk widens its beam by 1/share, at most this much. */
const MAX_WIDEN = 8;

/**
 * What a search will run, decided before it runs: the two-level walk (over stored
 * vectors with "stored"), the recompute-every-visit walk, or a scan of the matches.
 */
export interface SearchPlan {
  path: SearchMode;
  /** Options of the walk (two-level, stored, exact-walk); the scan only uses k and the accept test. */
  walk: WalkOptions;
  /** A filtered walk that meets fewer than k matches falls back to scoring the matches (path becomes "scan"). */
  scanIfStarved: boolean;
  /** With a filter: the estimated share of passages that match it. */
  filterShare?: number;
  /** No live passages: nothing runs. */
  empty: boolean;
}

/**
 * Searches `state` for `query` (text, embedded with embedQuery, or a vector): the dense
 * search below when `alpha` is 1 (or absent and the index or query has no keyword side),
 * else the hybrid or keyword-only search of hybrid.ts.
 * @throws InvalidOptionsError / InvalidInputError / DimensionMismatchError / EmbedderError
 */
export async function search(state: IndexState, query: string | ArrayLike<number>, options: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  const { filter, includeVectors, queryVector: given, ...tuning } = options ?? {};
  const o = parseOptions(searchOptionsSchema, tuning, "LeannIndex.search");
  const alpha = resolveAlpha(state, query, o.alpha);
  const precomputed = givenQueryVector(state, query, given);
  const predicate = compileFilter(filter);
  const accept = acceptTest(state, predicate);
  if (alpha < 1) {
    return hybridSearch(state, query as string, { o, alpha, accept, filtered: predicate !== undefined, includeVectors: includeVectors === true, t0, precomputed });
  }
  const mode = denseMode(state, o);
  const stats = newStats(mode, 1);
  // The query is embedded while the search plans; a scan also sends its first batch meanwhile.
  const pendingQuery = queryVector(state, query, stats, precomputed);
  pendingQuery.catch(() => {}); // awaited below; this only keeps a planning failure from leaving it unhandled
  const vectors = includeVectors ? new Map<number, Float32Array>() : undefined;
  const ctx = walkContext(state, stats, { useStored: mode === "stored", ...(vectors ? { capture: vectors } : {}) });
  const r = await runDense(state, ctx, o, mode, predicate ? accept : undefined, accept, pendingQuery, stats);
  const hits = r.ids.map((id, i) => toHit(state, id, r.scores[i]!, vectors));
  stats.ms.total = performance.now() - t0;
  stats.ms.search = stats.ms.total - stats.ms.embed;
  return { hits, stats };
}

/** The dense search's mode: the option, else "stored" when the index stores vectors. */
export function denseMode(state: IndexState, o: ResolvedSearchOptions): SearchMode {
  const mode = o.mode ?? (state.core.storedVectors ? "stored" : "two-level");
  if (mode === "stored" && !state.core.storedVectors) {
    throw new InvalidOptionsError('LeannIndex.search: mode "stored" needs an index built with storeVectors: true; use "two-level" or rebuild with storeVectors.');
  }
  return mode;
}

/** Zeroed counters for a search. */
export function newStats(path: SearchStats["path"], alpha: number): SearchStats {
  return { recomputed: 0, cacheHits: 0, visited: 0, expanded: 0, embedderCalls: 0, path, ms: { total: 0, embed: 0, search: 0 }, alpha };
}

/** A result hit for internal id `id` (with its exact vector when one was captured). */
export function toHit(state: IndexState, id: number, score: number, vectors?: Map<number, Float32Array>): SearchHit {
  const p = state.passages.get(id);
  const hit: SearchHit = { id: p.id, score, text: p.text, metadata: p.metadata };
  const v = vectors?.get(id);
  if (v) hit.vector = Array.from(v);
  return hit;
}

/**
 * The dense search over `ctx`: plans (see planSearch), runs, and records the path and
 * counters in `stats`. Returns internal ids and exact scores, best first.
 */
export async function runDense(
  state: IndexState,
  ctx: SearchContext,
  o: ResolvedSearchOptions,
  mode: SearchMode,
  filtered: ((id: number) => boolean) | undefined,
  accept: ((id: number) => boolean) | undefined,
  pendingQuery: Promise<Float32Array | null>,
  stats: SearchStats,
): Promise<WalkResult> {
  const plan = planSearch(state, o, mode, filtered);
  if (plan.filterShare !== undefined) stats.filterShare = plan.filterShare;
  // A non-empty index knows its dimensions, so its query vector is never null.
  const r = plan.empty
    ? (await pendingQuery, { ids: [], scores: [], visited: 0, expanded: 0, exact: 0, batches: 0 })
    : await runPlan(ctx, pendingQuery as Promise<Float32Array>, plan, accept, stats);
  stats.path = plan.path === "scan" || stats.path === "scan" ? "scan" : plan.path;
  stats.visited = r.visited;
  stats.expanded = r.expanded;
  return r;
}

/**
 * The query as a normalised vector; null for an empty index that has not learnt its dimensions. A text query is
 * embedded, unless `precomputed` (the checked `queryVector` option) stands in for its embedding.
 */
export async function queryVector(
  state: IndexState,
  query: string | ArrayLike<number>,
  stats: SearchStats,
  precomputed?: Float32Array | null,
): Promise<Float32Array | null> {
  const { dims, metric } = state.core;
  let q: Float32Array;
  if (typeof query === "string") {
    if (query.trim().length === 0) throw new InvalidInputError("LeannIndex.search: the query text is empty.");
    if (dims === 0) return null;
    if (precomputed) {
      q = precomputed;
    } else {
      const te = performance.now();
      q = await embedQueryChecked(state.embed.embedder, query, dims, { timeoutMs: state.embed.timeoutMs });
      stats.embedderCalls++;
      stats.ms.embed += performance.now() - te;
    }
  } else {
    if (query === null || typeof query !== "object" || typeof query.length !== "number") {
      throw new InvalidInputError(`LeannIndex.search: query must be a string or an array of ${dims} numbers, received ${query === null ? "null" : typeof query}.`);
    }
    const v = checkedVector(state, query, "query vector");
    if (v === null) return null;
    q = v;
  }
  if (metric === "cosine") normalizeRows(q, dims);
  return q;
}

/**
 * The `queryVector` option, checked as a vector query is (a fresh copy, not yet normalised); undefined when absent,
 * null when the index has not learnt its dimensions.
 * @throws InvalidOptionsError when it is not an array of numbers or the query is not text
 * @throws DimensionMismatchError / InvalidInputError when its length or values are wrong
 */
function givenQueryVector(state: IndexState, query: unknown, given: unknown): Float32Array | null | undefined {
  if (given === undefined) return undefined;
  if (given === null || typeof given !== "object" || typeof (given as ArrayLike<number>).length !== "number") {
    throw new InvalidOptionsError(
      `LeannIndex.search: queryVector must be an array of ${state.core.dims} numbers (the query text's embedding), received ${given === null ? "null" : typeof given}.`,
    );
  }
  if (typeof query !== "string") {
    throw new InvalidOptionsError(
      "LeannIndex.search: queryVector is the embedding of a text query, but the query is already a vector. Pass the query text with queryVector, or the vector alone.",
    );
  }
  return checkedVector(state, given as ArrayLike<number>, "queryVector");
}

/** `v` as a Float32Array of the index's dimensions with finite values; null when the index has none yet. */
function checkedVector(state: IndexState, v: ArrayLike<number>, what: string): Float32Array | null {
  const { dims } = state.core;
  if (dims === 0) return null;
  if (v.length !== dims) throw new DimensionMismatchError(dims, v.length, `LeannIndex.search ${what}`);
  const q = Float32Array.from(v);
  if (!q.every(Number.isFinite)) throw new InvalidInputError(`LeannIndex.search: the ${what} holds NaN or infinite values.`);
  return q;
}

/** Which nodes may be returned: live ones, passing the filter (each passage read once per search). */
export function acceptTest(state: IndexState, predicate: ReturnType<typeof compileFilter>): ((id: number) => boolean) | undefined {
  const deleted = state.deleted;
  if (!predicate) return state.deletedCount > 0 ? (id) => !deleted[id] : undefined;
  const seen = new Map<number, boolean>();
  return (id) => {
    if (deleted[id]) return false;
    let ok = seen.get(id);
    if (ok === undefined) {
      ok = predicate(state.passages.metadata(id), state.passages.id(id)) === true;
      seen.set(id, ok);
    }
    return ok;
  };
}

/**
 * Decides what runs. With a filter (`filtered` given) and a walking mode, the share of
 * matches is estimated on a sample: when few passages match, a walk would mostly meet
 * non-matching nodes, so the matches are scored directly; otherwise the walk's beam
 * widens by 1/share.
 */
/** The beam of the approximate walk when the caller gave none: DEFAULTS.ef, growing as sqrt(live) past DEFAULTS.efGrowthFrom, at most twice. */
export function defaultEf(live: number): number {
  if (live <= DEFAULTS.efGrowthFrom) return DEFAULTS.ef;
  return Math.min(2 * DEFAULTS.ef, Math.ceil(DEFAULTS.ef * Math.sqrt(live / DEFAULTS.efGrowthFrom)));
}

export function planSearch(state: IndexState, o: ResolvedSearchOptions, mode: SearchMode, filtered?: (id: number) => boolean): SearchPlan {
  const k = o.k;
  const ef = o.ef ?? defaultEf(state.size);
  const walk: WalkOptions = {
    k,
    ef: Math.max(ef, k),
    maxRecompute: Math.max(o.maxRecompute, k),
    rerankShare: o.rerankShare,
    batchSize: searchBatchSize(o, false),
    patience: o.patience,
  };
  const { scoreErrorMean, scoreErrorSd } = state.core.params;
  if (scoreErrorMean !== undefined && scoreErrorSd !== undefined) walk.scoreError = { mean: scoreErrorMean, sd: scoreErrorSd };
  const live = state.size;
  if (live === 0) return { path: mode, walk, scanIfStarved: false, empty: true };
  if (mode === "exact-walk") return { path: mode, walk: { ...walk, ef: o.ef ?? DEFAULTS.ef, batchSize: searchBatchSize(o, true) }, scanIfStarved: false, empty: false };
  if (!filtered || mode === "scan") return { path: mode, walk, scanIfStarved: false, empty: false };
  const share = filterShare(state, filtered);
  if (share * live <= walk.maxRecompute || share < MIN_WALK_SHARE) return { path: "scan", walk, scanIfStarved: false, filterShare: share, empty: false };
  const widen = Math.min(MAX_WIDEN, 1 / share);
  return { path: mode, walk: { ...walk, ef: Math.ceil(walk.ef * widen) }, scanIfStarved: true, filterShare: share, empty: false };
}

/** The filter's share of live passages, on a seeded random sample (a stride could line up with periodic metadata). */
function filterShare(state: IndexState, accept: (id: number) => boolean): number {
  const n = state.passages.count;
  const rng = createRng(n + 1);
  let seen = 0, hit = 0;
  for (let t = 0; t < Math.min(FILTER_SAMPLE, n); t++) {
    const i = n <= FILTER_SAMPLE ? t : Math.floor(rng() * n);
    if (state.deleted[i]) continue;
    seen++;
    if (accept(i)) hit++;
  }
  return seen ? hit / seen : 0;
}

async function runPlan(ctx: SearchContext, pendingQuery: Promise<Float32Array>, plan: SearchPlan, accept: ((id: number) => boolean) | undefined, stats: SearchStats): Promise<WalkResult> {
  const { k } = plan.walk;
  const only = accept ? { accept } : {};
  // A scan's batches do not depend on the query: it sends its first one before the query is back.
  if (plan.path === "scan") return scanSearch(ctx, pendingQuery, { k, batchSize: SCAN_BATCH, ...only });
  // A walk's first batch is chosen by the query's PQ scores: it has to wait.
  const q = await pendingQuery;
  if (plan.path === "exact-walk") return exactWalkSearch(ctx, q, { k, ef: plan.walk.ef, batchSize: plan.walk.batchSize, ...only });
  const r = await twoLevelSearch(ctx, q, { ...plan.walk, ...only });
  if (!plan.scanIfStarved || r.ids.length >= k) return r;
  // The walk starved (fewer than k matches met): score the matches instead.
  stats.path = "scan";
  return scanSearch(ctx, q, { k, batchSize: SCAN_BATCH, ...only });
}
