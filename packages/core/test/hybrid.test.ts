import { HashEmbedder, leannErrorOf, topicPassages, topicQueries } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidOptionsError, LeannIndex, type SearchStats } from "../src/index.js";
import { RESCORE_SHARE } from "../src/search/hybrid.js";
import { expectKeywordSearchIsBruteForce } from "./keyword/engine-reference.js";

const PASSAGES = topicPassages(400, 3);
const QUERIES = topicQueries(12, 5);

function build(o: { keywordIndex?: boolean } = {}) {
  const embedder = new HashEmbedder({ dims: 32 });
  return LeannIndex.build(PASSAGES, { embedder, threads: 1, ...o }).then((index) => ({ index, embedder }));
}

/** Everything a search reports but its timings (which differ between any two runs). */
const untimed = ({ ms: _ms, ...rest }: SearchStats) => rest;

describe("hybrid search", () => {
  it("does run exactly the dense search when alpha is 1: same hits, same counters as an index without keywords", async () => {
    // Two identical builds, so both searches start with a cold cache.
    const a = await build();
    const b = await build({ keywordIndex: false });
    for (const q of QUERIES) {
      const withKw = await a.index.search(q, { k: 10, alpha: 1 });
      const dense = await b.index.search(q, { k: 10 });
      expect(withKw.hits).toEqual(dense.hits);
      expect(untimed(withKw.stats)).toEqual(untimed(dense.stats));
      expect(withKw.stats.alpha).toBe(1);
      expect(withKw.stats.keyword).toBeUndefined();
    }
    expect(a.embedder.calls).toEqual(b.embedder.calls);
    expect(a.embedder.queries).toEqual(b.embedder.queries);
  });

  it("does search keywords only, without calling the embedder, when alpha is 0", async () => {
    const { index, embedder } = await build();
    embedder.reset();
    for (const q of QUERIES) {
      const r = await index.search(q, { k: 10, alpha: 0 });
      expect(r.stats).toMatchObject({ alpha: 0, path: "keyword", recomputed: 0, embedderCalls: 0 });
      expect(r.stats.keyword!.candidates).toBe(r.hits.length);
    }
    expect(embedder.queries).toEqual([]);
    expect(embedder.calls).toEqual([]);
    await expectKeywordSearchIsBruteForce(index, QUERIES);
  });

  it("does fuse both sides by default, recomputing at most a quarter more than the dense search", async () => {
    let hybridRecomputed = 0, denseRecomputed = 0;
    for (const q of QUERIES) {
      // Fresh indexes: a cold cache on both sides.
      const h = (await build()).index;
      const d = (await build()).index;
      const fused = await h.search(q, { k: 10 });
      const dense = await d.search(q, { k: 10, alpha: 1 });
      expect(fused.stats.alpha).toBe(0.4);
      const f = fused.stats.fused!;
      expect(f.fromDense + f.fromKeyword + f.both).toBe(fused.hits.length);
      expect(fused.hits.length).toBe(10);
      expect(fused.stats.recomputed).toBeLessThanOrEqual(dense.stats.recomputed * (1 + RESCORE_SHARE));
      for (let i = 1; i < fused.hits.length; i++) expect(fused.hits[i - 1]!.score).toBeGreaterThanOrEqual(fused.hits[i]!.score);
      hybridRecomputed += fused.stats.recomputed;
      denseRecomputed += dense.stats.recomputed;
    }
    expect(hybridRecomputed).toBeGreaterThanOrEqual(denseRecomputed);
  }, 60_000);

  it("does return the same hybrid hits from a warm cache as from a cold one", async () => {
    const { index } = await build();
    for (const q of QUERIES) {
      const cold = await index.search(q, { k: 10 });
      const warm = await index.search(q, { k: 10 });
      expect(warm.stats.recomputed).toBeLessThan(cold.stats.recomputed);
      expect(warm.hits).toEqual(cold.hits);
      expect(warm.stats.fused).toEqual(cold.stats.fused);
    }
  });

  it("does return exact vectors with includeVectors for the hits scored exactly, none at alpha 0", async () => {
    const { index, embedder } = await build();
    const r = await index.search("guitar melody piano", { k: 10, includeVectors: true });
    const withVector = r.hits.filter((h) => h.vector);
    expect(withVector.length).toBeGreaterThan(0);
    for (const h of withVector) {
      const v = embedder.vector(h.text);
      const norm = Math.hypot(...v);
      h.vector!.forEach((x, i) => expect(x).toBeCloseTo(v[i]! / norm, 5));
    }
    for (const h of (await index.search("guitar", { k: 5, alpha: 0, includeVectors: true })).hits) expect(h.vector).toBeUndefined();
  });

  it("does find a passage by a rare identifier that only the keyword side knows", async () => {
    const passages = [...PASSAGES, { id: "needle", text: "The helper reorderForLocality renumbers the graph nodes." }];
    const embedder = new HashEmbedder({ dims: 32, vectors: "text-seeded" });
    const index = await LeannIndex.build(passages, { embedder, threads: 1 });
    const r = await index.search("reorderForLocality", { k: 5 });
    expect(r.hits[0]!.id).toBe("needle");
    expect(r.stats.keyword!.termsMatched).toBeGreaterThan(0);
  });

  it("does apply a filter to both sides and never return deleted passages", async () => {
    const { index } = await build();
    await index.delete(["p0", "p10", "p20", "p30"]);
    const filter = { filters: [{ key: "topic", operator: "==" as const, value: "music" }] };
    for (const alpha of [0, 0.4, 1]) {
      for (const q of ["guitar melody", "galaxy music piano"]) {
        const r = await index.search(q, { k: 8, alpha, filter });
        expect(r.hits.length).toBeGreaterThan(0);
        for (const h of r.hits) {
          expect(h.metadata.topic).toBe("music");
          expect(["p0", "p10", "p20", "p30"]).not.toContain(h.id);
        }
      }
    }
  });

  it("does reject alpha outside [0, 1] or not a number with InvalidOptionsError", async () => {
    const { index } = await build();
    for (const alpha of [Number.NaN, -0.1, 1.5, Infinity, "0.5", null]) {
      const e = await leannErrorOf(index.search("guitar", { alpha: alpha as number }));
      expect(e).toBeInstanceOf(InvalidOptionsError);
      expect(e.message).toMatch(/alpha/);
    }
  });

  it("does search a vector query densely, and refuses alpha < 1 for it with InvalidOptionsError", async () => {
    const { index, embedder } = await build();
    const v = embedder.vector("guitar melody");
    const r = await index.search(v, { k: 5 });
    expect(r.stats.alpha).toBe(1);
    expect(r.stats.keyword).toBeUndefined();
    const e = await leannErrorOf(index.search(v, { alpha: 0.5 }));
    expect(e).toBeInstanceOf(InvalidOptionsError);
    expect(e.message).toMatch(/needs the query as text/);
  });

  it("does search densely without a keyword index, and says how to get one when alpha < 1 is asked", async () => {
    const { index } = await build({ keywordIndex: false });
    expect((await index.search("guitar", { k: 3 })).stats.alpha).toBe(1);
    for (const alpha of [0, 0.5]) {
      const e = await leannErrorOf(index.search("guitar", { alpha }));
      expect(e).toBeInstanceOf(InvalidOptionsError);
      expect(e.message).toMatch(/keywordIndex: true/);
    }
  });

  it("does reject an empty query text with InvalidInputError at every alpha", async () => {
    const { index } = await build();
    for (const alpha of [0, 0.4, 1]) expect(await leannErrorOf(index.search("  ", { alpha }))).toBeInstanceOf(InvalidInputError);
  });

  it("does return no hits from an empty created index at any alpha", async () => {
    const index = LeannIndex.create({ embedder: new HashEmbedder({ dims: 16 }) });
    for (const alpha of [0, 0.4, 1]) expect((await index.search("guitar", { alpha })).hits).toEqual([]);
  });
});
