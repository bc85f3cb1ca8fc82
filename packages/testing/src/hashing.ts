/**
 * Deterministic text -> vector functions that need no model: the arithmetic behind the
 * kit's fake embedders, exported so a server double (a mocked embedding API) can answer
 * with exactly the vectors a test expects.
 */
import { createRng } from "./random.js";

/** FNV-1a, 32 bits, over UTF-16 code units: a stable, well-spread hash of a string. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Lower-cased runs of ASCII letters and digits: the tokeniser of the bag-of-words vectors. */
export const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

export interface BagOfWordsOptions {
  /** Also hash each pair of adjacent words, so word order matters a little. Default false. */
  bigrams?: boolean;
  /** Ignore words shorter than this (a crude stop-word filter). Default 1: keep all. */
  minWordLength?: number;
}

/**
 * A hashed, signed bag of words, L2-normalised: each feature adds +1 or -1 (by the top
 * bit of its hash) to dimension `hash % dims`. Texts that share words get a high cosine,
 * so retrieval behaves like a crude real model on keyword queries. A text with no
 * counted feature maps to the first axis rather than the zero vector, which has no
 * direction and would be rejected by cosine search.
 * @throws {RangeError} when `dims` is not a positive integer.
 */
export function bagOfWordsVector(text: string, dims: number, options: BagOfWordsOptions = {}): number[] {
  if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`bagOfWordsVector: dims must be a positive integer, received ${dims}.`);
  const minLength = options.minWordLength ?? 1;
  const ws = words(text).filter((w) => w.length >= minLength);
  const features = options.bigrams ? [...ws, ...ws.slice(1).map((w, i) => `${ws[i]} ${w}`)] : ws;
  const v = new Array<number>(dims).fill(0);
  for (const f of features) {
    const h = fnv1a(f);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  return v.map((x) => x / norm);
}

/**
 * A pseudo-random vector in [-1, 1]^dims seeded by the text's hash: unrelated texts get
 * unrelated directions, the same text always the same one. For tests where similarity
 * must not follow the words (graph shape, persistence, crash recovery).
 */
export function textSeededVector(text: string, dims: number): number[] {
  const rng = createRng(fnv1a(text));
  return Array.from({ length: dims }, () => rng() * 2 - 1);
}
