import { HashEmbedder, leannErrorOf, topicPassages, topicQueries } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { DimensionMismatchError, InvalidInputError, InvalidOptionsError, LeannIndex, type SearchStats } from "../src/index.js";

const PASSAGES = topicPassages(300, 3);
const QUERIES = topicQueries(8, 4);

function build(o: { keywordIndex?: boolean } = {}) {
  const embedder = new HashEmbedder({ dims: 32 });
  return LeannIndex.build(PASSAGES, { embedder, threads: 1, ...o }).then((index) => ({ index, embedder }));
}

/** What a search reports but its timings and its embedder call count (the query's embedding is the difference). */
const comparable = ({ ms: _ms, embedderCalls: _calls, keyword, ...rest }: SearchStats) => ({
  ...rest,
  ...(keyword ? { keyword: { ...keyword, ms: 0 } } : {}),
});

describe("search with a precomputed queryVector", () => {
  it("does return the hybrid hits of the text search without embedding the query when queryVector is its embedding", async () => {
    // Two identical builds, so both searches start with a cold cache.
    const a = await build();
    const b = await build();
    a.embedder.reset();
    b.embedder.reset();
    for (const q of QUERIES) {
      const text = await a.index.search(q, { k: 10 });
      const given = await b.index.search(q, { k: 10, queryVector: b.embedder.vector(q) });
      expect(given.hits).toEqual(text.hits);
      expect(comparable(given.stats)).toEqual(comparable(text.stats));
      expect(given.stats.embedderCalls).toBe(text.stats.embedderCalls - 1);
      expect(given.stats.keyword).toBeDefined();
    }
    expect(b.embedder.queries).toEqual([]);
    expect(a.embedder.queries).toEqual(QUERIES);
  });

  it("does equal a search by that vector when alpha is 1", async () => {
    const a = await build();
    const b = await build();
    for (const q of QUERIES) {
      // A vector that is not the text's embedding, so the text cannot be what the dense side used.
      const v = a.embedder.vector(`${q} orchestra`);
      const byVector = await a.index.search(v, { k: 10 });
      const given = await b.index.search(q, { k: 10, alpha: 1, queryVector: v });
      expect(given.hits).toEqual(byVector.hits);
      expect(comparable(given.stats)).toEqual(comparable(byVector.stats));
    }
    expect(b.embedder.queries).toEqual([]);
  });

  it("does match the keywords of the text, not of the vector, in a hybrid search", async () => {
    const { index, embedder } = await build();
    const q = QUERIES[0]!;
    const other = QUERIES[1]!;
    const keywordOnly = await index.search(q, { k: 10, alpha: 0 });
    const mixed = await index.search(q, { k: 10, alpha: 0.4, queryVector: embedder.vector(other) });
    expect(mixed.stats.keyword!.termsMatched).toBe(keywordOnly.stats.keyword!.termsMatched);
    expect(mixed.stats.keyword!.matched).toBe(keywordOnly.stats.keyword!.matched);
    expect(embedder.queries).toEqual([]);
  });

  it("does work without a keyword index (dense only) when queryVector is given", async () => {
    const { index, embedder } = await build({ keywordIndex: false });
    embedder.reset();
    const q = QUERIES[2]!;
    const r = await index.search(q, { k: 5, queryVector: embedder.vector(q) });
    const byVector = await index.search(embedder.vector(q), { k: 5 });
    expect(r.hits).toEqual(byVector.hits);
    expect(embedder.queries).toEqual([]);
  });

  it("does reject a queryVector of the wrong length, with NaN, of the wrong type, or beside a vector query", async () => {
    const { index } = await build();
    for (const alpha of [0, 0.4, 1]) {
      expect(await leannErrorOf(index.search("guitar", { alpha, queryVector: new Array(31).fill(0.1) }))).toBeInstanceOf(DimensionMismatchError);
      const nan = new Array(32).fill(0.1);
      nan[5] = Number.NaN;
      expect(await leannErrorOf(index.search("guitar", { alpha, queryVector: nan }))).toBeInstanceOf(InvalidInputError);
      const inf = new Array(32).fill(0.1);
      inf[0] = Infinity;
      expect(await leannErrorOf(index.search("guitar", { alpha, queryVector: inf }))).toBeInstanceOf(InvalidInputError);
      const e = await leannErrorOf(index.search("guitar", { alpha, queryVector: "guitar" as unknown as number[] }));
      expect(e).toBeInstanceOf(InvalidOptionsError);
      expect(e.message).toMatch(/queryVector must be an array of 32 numbers/);
    }
    const v = new Array(32).fill(0.1);
    const e = await leannErrorOf(index.search(v, { alpha: 1, queryVector: v }));
    expect(e).toBeInstanceOf(InvalidOptionsError);
    expect(e.message).toMatch(/already a vector/);
    expect(await leannErrorOf(index.search("  ", { queryVector: v }))).toBeInstanceOf(InvalidInputError);
  });
});
