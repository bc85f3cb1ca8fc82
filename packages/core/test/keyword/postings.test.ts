import { describe, expect, it } from "vitest";
import { CorruptIndexError, InvalidInputError, InvalidOptionsError } from "../../src/errors.js";
import { resolveBm25 } from "../../src/keyword/bm25.js";
import { bm25Reference as reference } from "./bm25-reference.js";
import { decodeKeywordIndex, encodeKeywordIndex } from "../../src/keyword/codec.js";
import { KeywordIndex } from "../../src/keyword/keyword-index.js";
import { PostingsIndex } from "../../src/keyword/postings.js";
import { TermDictionary } from "../../src/keyword/terms.js";
import { bm25TopK } from "../../src/keyword/search.js";
import { createRng } from "../../src/util/rng.js";

/** A seeded Zipf-ish corpus over a small vocabulary, so terms repeat within and across documents. */
function corpus(n: number, seed: number, vocab = 300): string[][] {
  const rng = createRng(seed);
  const docs: string[][] = [];
  for (let d = 0; d < n; d++) {
    const len = 1 + Math.floor(rng() * 40);
    const doc: string[] = [];
    for (let i = 0; i < len; i++) doc.push(`t${Math.floor(vocab * rng() ** 2.5)}`);
    docs.push(doc);
  }
  return docs;
}

function expectSameRanking(got: { id: number; score: number }[], want: { id: number; score: number }[]) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(got[i]!.score).toBeCloseTo(want[i]!.score, 9);
  // Ids may differ only where scores tie.
  const key = (h: { id: number; score: number }) => `${h.score.toFixed(9)}`;
  expect(got.map(key)).toEqual(want.map(key));
}

function queries(seed: number, count: number): string[][] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(rng() * 4) }, () => `t${Math.floor(320 * rng() ** 2)}`));
}

describe("PostingsIndex + bm25TopK", () => {
  it("does rank exactly like brute-force BM25 when documents arrive in and out of id order", () => {
    const docs = corpus(400, 1);
    const ix = new PostingsIndex();
    const order = docs.map((_, i) => i);
    const rng = createRng(2);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const d of order) ix.add(d, docs[d]!);
    const all = new Map(docs.map((d, i) => [i, d] as const));
    for (const q of queries(3, 60)) {
      expectSameRanking(bm25TopK(ix, q, { k: 10 }).hits, reference(all, q, 10));
    }
  });

  it("does honour k1 and b when they are given", () => {
    const docs = corpus(150, 4);
    const ix = new PostingsIndex();
    docs.forEach((d, i) => ix.add(i, d));
    const all = new Map(docs.map((d, i) => [i, d] as const));
    for (const q of queries(5, 20)) {
      expectSameRanking(bm25TopK(ix, q, { k: 7, k1: 0.6, b: 0.3 }).hits, reference(all, q, 7, 0.6, 0.3));
    }
  });

  it("does skip deleted documents and then forget them after compaction with renumbering", () => {
    const docs = corpus(300, 6);
    const ix = new PostingsIndex();
    docs.forEach((d, i) => ix.add(i, d));
    const live = new Map(docs.map((d, i) => [i, d] as const));
    for (let i = 0; i < 300; i += 3) {
      expect(ix.delete(i)).toBe(true);
      live.delete(i);
    }
    expect(ix.delete(0)).toBe(false);
    const all = new Map(docs.map((d, i) => [i, d] as const));
    for (const q of queries(7, 30)) expectSameRanking(bm25TopK(ix, q, { k: 10 }).hits, reference(live, q, 10));

    // Compact, renumbering live doc i to 1000 + i: same scores, new ids, tombstoned postings gone.
    ix.compact((id) => 1000 + id);
    expect(ix.deletedCount).toBe(0);
    const renumbered = new Map([...live].map(([i, d]) => [1000 + i, d] as const));
    for (const q of queries(7, 30)) expectSameRanking(bm25TopK(ix, q, { k: 10 }).hits, reference(renumbered, q, 10));
    // An id freed by compaction can be reused.
    ix.add(0, ["t1"]);
    expect(ix.has(0)).toBe(true);
  });

  it("does keep only documents the filter accepts, calling it only for would-be top-k entries", () => {
    const docs = corpus(500, 8);
    const ix = new PostingsIndex();
    docs.forEach((d, i) => ix.add(i, d));
    const even = new Map([...docs.entries()].filter(([i]) => i % 2 === 0));
    const all = new Map(docs.map((d, i) => [i, d] as const));
    for (const q of queries(9, 30)) {
      const res = bm25TopK(ix, q, { k: 5, filter: (id) => id % 2 === 0 });
      const want = reference(all, q, 1000).filter((h) => even.has(h.id)).slice(0, 5);
      expectSameRanking(res.hits, want);
      expect(res.stats.filterCalls).toBeLessThanOrEqual(res.stats.candidates);
    }
  });

  it("does return the same results after a save and load, and can still add afterwards", () => {
    const docs = corpus(300, 10);
    const ix = new PostingsIndex();
    docs.forEach((d, i) => ix.add(i, d));
    ix.delete(5);
    const bytes = encodeKeywordIndex(ix, '{"x":1}');
    const { index: back, meta } = decodeKeywordIndex(bytes);
    expect(meta).toBe('{"x":1}');
    for (const q of queries(11, 30)) expect(bm25TopK(back, q, { k: 10 }).hits).toEqual(bm25TopK(ix, q, { k: 10 }).hits);
    expect(encodeKeywordIndex(back, '{"x":1}')).toEqual(bytes);
    back.add(300, ["t1", "t1", "t2"]);
    ix.add(300, ["t1", "t1", "t2"]);
    expect(bm25TopK(back, ["t1"], { k: 10 }).hits).toEqual(bm25TopK(ix, ["t1"], { k: 10 }).hits);
    expect(() => back.add(5, ["t1"])).toThrow(InvalidInputError);
  });

  it("does reject every truncation and most single-byte changes of a saved index with CorruptIndexError", () => {
    const ix = new PostingsIndex();
    corpus(40, 12, 30).forEach((d, i) => ix.add(i, d));
    const bytes = encodeKeywordIndex(ix, "m");
    for (let cut = 0; cut < bytes.length; cut++) {
      expect(() => decodeKeywordIndex(bytes.subarray(0, cut))).toThrow(CorruptIndexError);
    }
    // A flipped byte must either be rejected or decode to something that still searches without throwing
    // (a changed term frequency is undetectable here; the section checksum around it catches that).
    const rng = createRng(13);
    for (let trial = 0; trial < 300; trial++) {
      const bad = bytes.slice();
      const at = Math.floor(rng() * bad.length);
      bad[at] = bad[at]! ^ (1 + Math.floor(rng() * 255));
      let decoded;
      try {
        decoded = decodeKeywordIndex(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(CorruptIndexError);
        continue;
      }
      expect(() => bm25TopK(decoded.index, ["t1", "t2"], { k: 5 })).not.toThrow();
    }
  });

  it.each([
    [-1], [1.5], [2 ** 27], [Number.NaN],
  ])("does throw InvalidInputError when doc id is %s", (id) => {
    expect(() => new PostingsIndex().add(id, ["a"])).toThrow(InvalidInputError);
  });

  it("does throw InvalidInputError when an id is added twice or a compaction remap is not one-to-one", () => {
    const ix = new PostingsIndex();
    ix.add(1, ["a"]);
    ix.add(2, ["a"]);
    expect(() => ix.add(1, ["b"])).toThrow(InvalidInputError);
    expect(() => ix.compact(() => 7)).toThrow(InvalidInputError);
  });

  it.each([
    ["counted", (count: number) => count],
    ["undercounted (lists outgrow their room)", () => 0],
  ])("does save the same section with an adopted dictionary, occurrences %s", (_, occurrences) => {
    const docs = corpus(200, 13);
    const byString = new PostingsIndex();
    docs.forEach((doc, d) => byString.add(d, doc));
    const dict = new TermDictionary();
    const rows = docs.map((doc) => doc.map((t) => dict.intern(t)));
    const counts = new Uint32Array(dict.size);
    for (const row of rows) for (const id of row) counts[id]!++;
    const adopted = new PostingsIndex();
    adopted.adoptDictionary(dict, Array.from(counts, occurrences), docs.length);
    rows.forEach((row, d) => adopted.addTermIds(d, row, 0, row.length));
    expect(encodeKeywordIndex(adopted, "{}")).toEqual(encodeKeywordIndex(byString, "{}"));
    // Adds after the build go on as in any index.
    adopted.add(docs.length, ["t1", "fresh"]);
    byString.add(docs.length, ["t1", "fresh"]);
    expect(encodeKeywordIndex(adopted, "{}")).toEqual(encodeKeywordIndex(byString, "{}"));
    expect(() => adopted.adoptDictionary(new TermDictionary(), [], 0)).toThrow(/already in use/);
  });

  it("does add numbered terms like their strings, and save no term that a refused add numbered", () => {
    const byString = new PostingsIndex();
    const byNumber = new PostingsIndex();
    const docs = corpus(60, 11);
    docs.forEach((doc, d) => {
      byString.add(d, doc);
      const ids = doc.map((t) => byNumber.internTerm(t));
      byNumber.addTermIds(d, ids, 0, ids.length);
    });
    expect(encodeKeywordIndex(byNumber, "{}")).toEqual(encodeKeywordIndex(byString, "{}"));
    // Numbered for doc 3, which is already live: refused, and the new term must not reach the saved form.
    const orphan = byNumber.internTerm("orphan");
    expect(() => byNumber.addTermIds(3, [orphan], 0, 1)).toThrow(InvalidInputError);
    expect(() => byNumber.addTermIds(999, [byNumber.termCount], 0, 1)).toThrow(InvalidInputError);
    const reopened = decodeKeywordIndex(encodeKeywordIndex(byNumber, "{}")).index;
    expect(reopened.termId("orphan")).toBeUndefined();
    expect(encodeKeywordIndex(reopened, "{}")).toEqual(encodeKeywordIndex(byString, "{}"));
  });

  it.each([
    [{ k: 0 }], [{ k: 2.5 }], [{ k: 1e9 }], [{ k1: -1 }], [{ b: 1.5 }], [{ b: Number.NaN }],
    [{ filter: "x" as unknown as (id: number) => boolean }],
  ])("does throw InvalidOptionsError when search options are %j", (opts) => {
    const ix = new PostingsIndex();
    ix.add(0, ["a"]);
    expect(() => bm25TopK(ix, ["a"], opts)).toThrow(InvalidOptionsError);
  });

  it("does return no hits when the index is empty or no query term is known", () => {
    const ix = new PostingsIndex();
    expect(bm25TopK(ix, ["a"]).hits).toEqual([]);
    ix.add(0, ["a"]);
    expect(bm25TopK(ix, ["zzz"]).hits).toEqual([]);
    expect(resolveBm25()).toEqual({ k1: 1.2, b: 0.75 });
  });

  it("does store one byte per posting when documents are dense and term frequencies are 1", () => {
    const ix = new PostingsIndex();
    for (let d = 0; d < 1000; d++) ix.add(d, ["common"]);
    expect(ix.postingBytes).toBe(1000);
  });
});

describe("KeywordIndex", () => {
  it("does find a passage by an identifier part and by a stemmed word when queried in free text", () => {
    const kw = KeywordIndex.create();
    kw.add(0, "The reorderForLocality pass renumbers nodes after pruning.");
    kw.add(1, "Use git rebase --rebase-merges to keep merge commits.");
    kw.add(2, "Unrelated text about gardening and tomatoes.");
    expect(kw.search("locality").hits[0]?.id).toBe(0);
    expect(kw.search("reorderForLocality").hits[0]?.id).toBe(0);
    expect(kw.search("--rebase-merges").hits[0]?.id).toBe(1);
    expect(kw.search("merging").hits[0]?.id).toBe(1);
  });

  it("does reopen with its language and refuse a different one", () => {
    const kw = KeywordIndex.create({ language: "none" });
    kw.add(0, "running dogs");
    const back = KeywordIndex.fromBytes(kw.toBytes());
    expect(back.tokenizer.language).toBe("none");
    expect(back.search("running").hits.map((h) => h.id)).toEqual([0]);
    expect(() => KeywordIndex.fromBytes(kw.toBytes(), { language: "english" })).toThrow(InvalidOptionsError);
  });
});

describe("bm25TopK robustness", () => {
  it("does leave no scores behind when the filter throws", () => {
    const ix = new PostingsIndex();
    corpus(50, 30).forEach((d, i) => ix.add(i, d));
    const before = bm25TopK(ix, ["t1", "t2"], { k: 5 }).hits;
    expect(() =>
      bm25TopK(ix, ["t1", "t2"], {
        k: 5,
        filter: () => {
          throw new Error("boom");
        },
      }),
    ).toThrow("boom");
    expect(bm25TopK(ix, ["t1", "t2"], { k: 5 }).hits).toEqual(before);
  });
});

describe("bm25TopK scoreIds", () => {
  it("does return each asked id's BM25 score from the same pass, 0 for ids without a query term", () => {
    const docs = corpus(200, 31);
    const ix = new PostingsIndex();
    docs.forEach((d, i) => ix.add(i, d));
    const all = new Map(docs.map((d, i) => [i, d] as const));
    for (const q of queries(32, 20)) {
      const ref = new Map(reference(all, q, 1000).map((h) => [h.id, h.score]));
      const ids = [0, 7, 199, 500, -1, 3.5, 42];
      const res = bm25TopK(ix, q, { k: 3, scoreIds: ids, filter: () => false });
      expect(res.hits).toEqual([]);
      ids.forEach((id, i) => expect(res.scores[i]).toBeCloseTo(ref.get(id) ?? 0, 9));
    }
  });
});
