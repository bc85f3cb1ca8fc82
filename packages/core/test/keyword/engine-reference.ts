/** Checks an index's keyword-only search against brute-force BM25 over its live passages, as they are now. */
import { expect } from "vitest";
import type { LeannIndex } from "../../src/index.js";
import { createTokenizer } from "../../src/keyword/tokenize.js";
import { bm25Reference } from "./bm25-reference.js";

export async function expectKeywordSearchIsBruteForce(index: LeannIndex, queries: readonly string[], k = 10): Promise<void> {
  const tokenizer = createTokenizer();
  const ids = index.listIds();
  const docs = new Map(ids.map((id, i) => [i, tokenizer.tokenize(index.get(id)!.text)] as const));
  for (const q of queries) {
    const got = (await index.search(q, { k, alpha: 0 })).hits;
    const all = bm25Reference(docs, tokenizer.tokenize(q), docs.size);
    const want = all.slice(0, k);
    expect(got.length, q).toBe(want.length);
    got.forEach((h, i) => expect(h.score, q).toBeCloseTo(want[i]!.score, 9));
    // Ids may differ only where scores tie.
    const byScore = (hs: { score: number }[], name: (i: number) => string) => hs.map((h, i) => `${h.score.toFixed(9)} ${name(i)}`);
    const tied = (s: number) => all.filter((w) => Math.abs(w.score - s) < 1e-9).length > 1;
    expect(byScore(got, (i) => (tied(got[i]!.score) ? "" : got[i]!.id)), q).toEqual(byScore(want, (i) => (tied(want[i]!.score) ? "" : ids[want[i]!.id]!)));
  }
}
