import { describe, expect, it } from "vitest";
import { DEFAULTS, LeannIndex } from "../src/index.js";
import { defaultEf } from "../src/search/searcher.js";
import { clustered, exactTopK, fioriVectors, recall, rows, TableEmbedder } from "./helpers.js";

function synthetic(n: number, dims: number, seed: number) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `passage number ${i}`);
  return { data, texts };
}

describe("LeannIndex search", () => {
  it("finds what brute force finds on clustered data (recall@10 >= 0.95)", async () => {
    // 50 held-out points of the same distribution are the queries.
    const all = synthetic(3050, 64, 1);
    const data = all.data.slice(0, 3000), texts = all.texts.slice(0, 3000), queries = all.data.slice(3000);
    const emb = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: `p${i}`, text })), { embedder: emb, threads: 1 });
    let r10 = 0, recomputed = 0;
    for (const q of queries) {
      const { hits, stats } = await index.search(q, { k: 10 });
      r10 += recall(hits.map((h) => Number(h.id.slice(1))), exactTopK(data, q, 10));
      recomputed += stats.recomputed + stats.cacheHits;
      expect(hits.length).toBe(10);
      for (let i = 1; i < hits.length; i++) expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
    }
    expect(r10 / queries.length).toBeGreaterThanOrEqual(0.95);
    // Far fewer exact vectors than passages: that is the point.
    expect(recomputed / queries.length).toBeLessThan(300);
  });

  it("finds nearly all of the exact top 10 under the tiny budget, re-ranking deeper than under fast", async () => {
    // Coarse codes must not end the re-ranking early: the stop rule reads their error and goes on.
    const all = synthetic(3040, 96, 5);
    const data = all.data.slice(0, 3000), texts = all.texts.slice(0, 3000), queries = all.data.slice(3000);
    const emb = new TableEmbedder(texts, data);
    const passages = texts.map((text, i) => ({ id: `p${i}`, text }));
    const spent: Record<string, number> = {};
    for (const budget of ["tiny", "fast"] as const) {
      const index = await LeannIndex.build(passages, { embedder: emb, budget, keywordIndex: false });
      let r10 = 0, recomputed = 0;
      for (const q of queries) {
        const { hits, stats } = await index.search(q, { k: 10 });
        r10 += recall(hits.map((h) => Number(h.id.slice(1))), exactTopK(data, q, 10));
        recomputed += stats.recomputed + stats.cacheHits;
      }
      // The stop rule before it read the codes' error stopped tiny here at 0.905.
      expect(r10 / queries.length).toBeGreaterThanOrEqual(0.95);
      spent[budget] = recomputed / queries.length;
    }
    expect(spent.tiny).toBeGreaterThan(spent.fast!);
  });

  it("reaches recall@10 >= 0.95 and recall@3 >= 0.9 on real MiniLM vectors", async () => {
    const { texts, vectors } = fioriVectors();
    // 78 held-out passages serve as queries.
    const qIdx = new Set(Array.from({ length: 78 }, (_, i) => i * 10));
    const docs = texts.map((t, i) => ({ t, v: vectors[i]!, i })).filter((x) => !qIdx.has(x.i));
    const emb = new TableEmbedder(texts, vectors);
    const index = await LeannIndex.build(docs.map((d) => ({ id: String(d.i), text: d.t })), { embedder: emb });
    const data = docs.map((d) => d.v);
    let r10 = 0, r3 = 0;
    for (const qi of qIdx) {
      const { hits } = await index.search(texts[qi]!, { k: 10, alpha: 1 });
      const found = hits.map((h) => docs.findIndex((d) => d.i === Number(h.id)));
      const truth = exactTopK(data, vectors[qi]!, 10);
      r10 += recall(found, truth);
      r3 += recall(found.slice(0, 3), truth.slice(0, 3));
    }
    expect(r10 / qIdx.size).toBeGreaterThanOrEqual(0.95);
    expect(r3 / qIdx.size).toBeGreaterThanOrEqual(0.9);
  });

  it("keeps every node reachable from the entry point after pruning", async () => {
    const { data, texts } = synthetic(2000, 32, 3);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder: new TableEmbedder(texts, data), prunedDegree: 2, threads: 1 });
    expect(index.reachableCount()).toBe(2000);
    expect(Number(index.params.averageDegree)).toBeLessThan(12);
  });

  it("recomputes fewer embeddings with two-level search than the recompute-every-visit walk", async () => {
    const all = synthetic(3030, 64, 5);
    const data = all.data.slice(0, 3000), texts = all.texts.slice(0, 3000), queries = all.data.slice(3000);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: new TableEmbedder(texts, data), cacheBytes: 0 });
    let twoLevel = 0, walk = 0, r2 = 0, rw = 0;
    for (const q of queries) {
      const truth = exactTopK(data, q, 10);
      const a = await index.search(q, { k: 10 });
      const b = await index.search(q, { k: 10, mode: "exact-walk", ef: 64 });
      twoLevel += a.stats.recomputed;
      walk += b.stats.recomputed;
      r2 += recall(a.hits.map((h) => Number(h.id)), truth);
      rw += recall(b.hits.map((h) => Number(h.id)), truth);
    }
    expect(r2 / queries.length).toBeGreaterThanOrEqual(rw / queries.length - 0.03);
    expect(twoLevel * 2).toBeLessThan(walk);
  });

  it("gathers recomputation in batches no larger than the embed batch size", async () => {
    const { data, texts } = synthetic(500, 16, 7);
    const emb = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder: emb, embedBatchSize: 50, cacheBytes: 0 });
    // 500 passages in batches of 50 while building.
    expect(emb.calls.length).toBe(10);
    expect(emb.calls.every((c) => c.length === 50)).toBe(true);
    emb.calls.length = 0;
    const { stats } = await index.search(data[3]!, { k: 5, batchSize: 8 });
    expect(emb.calls.length).toBeGreaterThan(0);
    expect(emb.calls.every((c) => c.length <= 8)).toBe(true);
    expect(stats.recomputed).toBe(emb.embedded);
    expect(stats.embedderCalls).toBe(emb.calls.length);
  });

  it("serves repeated hub embeddings from the cache", async () => {
    const { data, texts } = synthetic(1000, 16, 8);
    const emb = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder: emb });
    const first = await index.search(data[10]!, { k: 5 });
    const second = await index.search(data[10]!, { k: 5 });
    expect(second.stats.cacheHits).toBeGreaterThan(0);
    expect(second.stats.recomputed).toBeLessThan(first.stats.recomputed);
    expect(second.hits.map((h) => h.id)).toEqual(first.hits.map((h) => h.id));
  });

  it("needs no recomputation when built with stored vectors", async () => {
    const { data, texts } = synthetic(800, 16, 9);
    const emb = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder: emb, storeVectors: true });
    const { stats, hits } = await index.search(data[0]!, { k: 3 });
    expect(stats.path).toBe("stored");
    expect(stats.recomputed).toBe(0);
    expect(hits[0]!.text).toBe(texts[0]);
  });

  it("builds the same index with one thread and with worker threads", async () => {
    const { data, texts } = synthetic(5000, 24, 11);
    const passages = texts.map((text, i) => ({ id: String(i), text }));
    const a = await LeannIndex.build(passages, { embedder: new TableEmbedder(texts, data), threads: 1 });
    const b = await LeannIndex.build(passages, { embedder: new TableEmbedder(texts, data), threads: 2 });
    expect(b.params).toEqual(a.params);
    for (const q of [data[1]!, data[2000]!, data[4999]!]) {
      const ra = await a.search(q, { k: 10 });
      const rb = await b.search(q, { k: 10 });
      expect(rb.hits.map((h) => h.id)).toEqual(ra.hits.map((h) => h.id));
      expect(rb.stats.recomputed).toBe(ra.stats.recomputed);
    }
  });

  it("handles a one-passage index and k larger than the index", async () => {
    const emb = new TableEmbedder(["only"], [[1, 0, 0]]);
    const index = await LeannIndex.build([{ id: "a", text: "only", metadata: { n: 1 } }], { embedder: emb });
    const { hits } = await index.search([1, 0, 0], { k: 5 });
    expect(hits).toEqual([{ id: "a", score: expect.closeTo(1, 5), text: "only", metadata: { n: 1 } }]);
  });
});

describe("defaultEf", () => {
  it("keeps the default beam up to efGrowthFrom live passages and widens it as sqrt(n) after, to at most twice", () => {
    expect(defaultEf(1)).toBe(DEFAULTS.ef);
    expect(defaultEf(DEFAULTS.efGrowthFrom)).toBe(DEFAULTS.ef);
    const mid = defaultEf(4 * DEFAULTS.efGrowthFrom);
    expect(mid).toBe(2 * DEFAULTS.ef);
    expect(defaultEf(2 * DEFAULTS.efGrowthFrom)).toBeGreaterThan(DEFAULTS.ef);
    expect(defaultEf(2 * DEFAULTS.efGrowthFrom)).toBeLessThan(mid);
    expect(defaultEf(10_000_000)).toBe(2 * DEFAULTS.ef);
  });
});
