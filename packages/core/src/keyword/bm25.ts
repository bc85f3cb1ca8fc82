/**
 * Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009), with the
 * non-negative idf that Lucene uses, ln(1 + (N - df + 0.5) / (df + 0.5)), so a term in most documents adds a
 * little instead of subtracting.
 */
import { InvalidOptionsError } from "../errors.js";

export interface Bm25Options {
  /** Term-frequency saturation (default 1.2): 0 scores presence only; larger lets repeats count longer. */
  k1?: number;
  /** Length normalisation in [0, 1] (default 0.75): 0 ignores passage length, 1 divides by it fully. */
  b?: number;
}

export interface Bm25Params {
  readonly k1: number;
  readonly b: number;
}

/** Defaults of Lucene and most BM25 implementations; tuned values move results by a point or two at most. */
export const BM25_DEFAULTS: Bm25Params = Object.freeze({ k1: 1.2, b: 0.75 });

/**
 * Resolves and validates BM25 options.
 * @throws {InvalidOptionsError} when k1 is not a finite number in [0, 10] or b is not in [0, 1].
 */
export function resolveBm25(options: Bm25Options = {}): Bm25Params {
  const k1 = options.k1 ?? BM25_DEFAULTS.k1;
  const b = options.b ?? BM25_DEFAULTS.b;
  if (typeof k1 !== "number" || !Number.isFinite(k1) || k1 < 0 || k1 > 10) {
    throw new InvalidOptionsError(`bm25: k1 must be a number from 0 to 10, received ${String(k1)}. Omit it for ${BM25_DEFAULTS.k1}.`);
  }
  if (typeof b !== "number" || !Number.isFinite(b) || b < 0 || b > 1) {
    throw new InvalidOptionsError(`bm25: b must be a number from 0 to 1, received ${String(b)}. Omit it for ${BM25_DEFAULTS.b}.`);
  }
  return Object.freeze({ k1, b });
}

/** Inverse document frequency of a term found in `df` of `n` live documents. */
export function bm25Idf(n: number, df: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5));
}

/** The term-frequency factor of BM25 for one posting: tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)). */
export function bm25Tf(tf: number, docLength: number, avgDocLength: number, p: Bm25Params): number {
  const norm = p.k1 * (1 - p.b + (p.b * docLength) / (avgDocLength > 0 ? avgDocLength : 1));
  return (tf * (p.k1 + 1)) / (tf + norm);
}
