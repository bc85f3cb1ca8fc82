/**
 * Fusion of a dense and a keyword result list. `alpha` is the dense share, as LlamaIndex and Weaviate define it:
 * 1 = dense only, 0 = keyword only.
 *
 * - `relativeScoreFusion` (LlamaIndex `relative_score` / Weaviate `relativeScoreFusion`): each list's scores are
 *   normalised to [0, 1] (min-max, or LlamaIndex's `dist_based`: mean +- 3 standard deviations, clipped), then
 *   fused = alpha * dense + (1 - alpha) * keyword, a document missing from a list scoring 0 on that side.
 * - `reciprocalRankFusion` (Cormack, Clarke & Buettcher, SIGIR 2009): fused = alpha / (c + dense rank) +
 *   (1 - alpha) / (c + keyword rank), ranks from 1, c = 60. It ignores score scales, so it needs no normalisation
 *   but also throws away how far ahead the leader is.
 *
 * At alpha = 1 (or 0) both return exactly the dense (keyword) list, in its order, so "alpha 1 = today's search"
 * holds bit for bit. Scores are "higher is better": negate distances before calling.
 */
import { InvalidInputError, InvalidOptionsError } from "../errors.js";

export interface ScoredId<T> {
  id: T;
  score: number;
}

export interface FusedHit<T> {
  id: T;
  /** Fused score (only comparable within one call). */
  score: number;
  /** This document's normalised dense score (relative fusion) or dense rank term (RRF); undefined when absent. */
  dense?: number;
  /** Same for the keyword side. */
  keyword?: number;
}

export type ScoreNormalization = "min-max" | "distribution";

export interface FusionOptions {
  /** Dense share in [0, 1]. */
  alpha: number;
  /** Keep the best k (default: all). */
  k?: number;
}

export interface RelativeFusionOptions extends FusionOptions {
  /** Default "min-max". */
  normalization?: ScoreNormalization;
}

export interface RrfOptions extends FusionOptions {
  /** The rank constant c (default 60): larger flattens the difference between ranks. */
  rankConstant?: number;
}

export const DEFAULT_RRF_CONSTANT = 60;

/**
 * Score-normalised fusion of a dense and a keyword list.
 * @throws {InvalidOptionsError} when alpha is not in [0, 1], k is not a positive integer, or the normalisation is unknown.
 * @throws {InvalidInputError} when a score is not a finite number.
 */
export function relativeScoreFusion<T>(
  dense: readonly ScoredId<T>[],
  keyword: readonly ScoredId<T>[],
  options: RelativeFusionOptions,
): FusedHit<T>[] {
  const { alpha, k } = checkOptions(options);
  const normalization = options.normalization ?? "min-max";
  if (normalization !== "min-max" && normalization !== "distribution") {
    throw new InvalidOptionsError(`fusion: normalization must be "min-max" or "distribution", received ${String(normalization)}.`);
  }
  const d = dedupe(dense, "dense");
  const w = dedupe(keyword, "keyword");
  if (alpha === 1) return onlySide(d, k, "dense");
  if (alpha === 0) return onlySide(w, k, "keyword");
  const nd = normalize(d, normalization);
  const nw = normalize(w, normalization);
  return combine(d, w, nd, nw, alpha, k);
}

/**
 * Weighted reciprocal-rank fusion of a dense and a keyword list (each in rank order, best first).
 * @throws {InvalidOptionsError} when alpha is not in [0, 1], k is not a positive integer, or rankConstant < 0.
 * @throws {InvalidInputError} when a score is not a finite number.
 */
export function reciprocalRankFusion<T>(dense: readonly ScoredId<T>[], keyword: readonly ScoredId<T>[], options: RrfOptions): FusedHit<T>[] {
  const { alpha, k } = checkOptions(options);
  const c = options.rankConstant ?? DEFAULT_RRF_CONSTANT;
  if (typeof c !== "number" || !Number.isFinite(c) || c < 0) {
    throw new InvalidOptionsError(`fusion: rankConstant must be a finite number >= 0, received ${String(c)}. Omit it for ${DEFAULT_RRF_CONSTANT}.`);
  }
  const d = dedupe(dense, "dense");
  const w = dedupe(keyword, "keyword");
  if (alpha === 1) return onlySide(d, k, "dense");
  if (alpha === 0) return onlySide(w, k, "keyword");
  const rd = d.map((_, i) => 1 / (c + i + 1));
  const rw = w.map((_, i) => 1 / (c + i + 1));
  return combine(d, w, rd, rw, alpha, k);
}

function checkOptions(options: FusionOptions): { alpha: number; k: number } {
  const alpha = options?.alpha;
  if (typeof alpha !== "number" || !(alpha >= 0 && alpha <= 1)) {
    throw new InvalidOptionsError(
      `fusion: alpha must be a number from 0 (keyword only) to 1 (dense only), received ${String(alpha)}.`,
    );
  }
  const k = options.k ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidOptionsError(`fusion: k must be a positive integer, received ${String(options.k)}.`);
  }
  return { alpha, k };
}

/** Sorted best first (stable), one entry per id (its best score). */
function dedupe<T>(list: readonly ScoredId<T>[], side: string): ScoredId<T>[] {
  const best = new Map<T, ScoredId<T>>();
  for (const h of list) {
    if (typeof h?.score !== "number" || !Number.isFinite(h.score)) {
      throw new InvalidInputError(`fusion: every ${side} score must be a finite number, received ${String(h?.score)} for id ${String(h?.id)}.`);
    }
    const prev = best.get(h.id);
    if (!prev || h.score > prev.score) best.set(h.id, h);
  }
  const out = [...best.values()];
  if (out.length !== list.length || !isSorted(out)) out.sort((a, b) => b.score - a.score);
  return out;
}

function isSorted<T>(l: ScoredId<T>[]): boolean {
  for (let i = 1; i < l.length; i++) if (l[i]!.score > l[i - 1]!.score) return false;
  return true;
}

function onlySide<T>(l: ScoredId<T>[], k: number, side: "dense" | "keyword"): FusedHit<T>[] {
  return l.slice(0, k).map((h) => ({ id: h.id, score: h.score, [side]: h.score }));
}

function normalize<T>(l: ScoredId<T>[], how: ScoreNormalization): number[] {
  if (l.length === 0) return [];
  let lo: number, hi: number;
  if (how === "min-max") {
    lo = l[l.length - 1]!.score;
    hi = l[0]!.score;
  } else {
    let mean = 0;
    for (const h of l) mean += h.score;
    mean /= l.length;
    let v = 0;
    for (const h of l) v += (h.score - mean) ** 2;
    const sd = Math.sqrt(v / l.length);
    lo = mean - 3 * sd;
    hi = mean + 3 * sd;
  }
  // One distinct score: every entry is as good as the best, so all get 1 (a lone hit is not discounted to 0).
  if (!(hi > lo)) return l.map(() => 1);
  return l.map((h) => Math.min(1, Math.max(0, (h.score - lo) / (hi - lo))));
}

function combine<T>(d: ScoredId<T>[], w: ScoredId<T>[], nd: number[], nw: number[], alpha: number, k: number): FusedHit<T>[] {
  const byId = new Map<T, FusedHit<T> & { order: number }>();
  d.forEach((h, i) => byId.set(h.id, { id: h.id, score: alpha * nd[i]!, dense: nd[i]!, order: i }));
  w.forEach((h, i) => {
    const e = byId.get(h.id);
    if (e) {
      e.keyword = nw[i]!;
      e.score += (1 - alpha) * nw[i]!;
    } else byId.set(h.id, { id: h.id, score: (1 - alpha) * nw[i]!, keyword: nw[i]!, order: d.length + i });
  });
  // Ties keep dense order first, then keyword order: deterministic and favours the side we trust by default.
  const all = [...byId.values()].sort((a, b) => b.score - a.score || a.order - b.order);
  return all.slice(0, k).map(({ order: _o, ...hit }) => hit);
}
