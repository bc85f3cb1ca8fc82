/**
 * Conformance suite, modelled on LangChain's Python `VectorStoreIntegrationTests`
 * (langchain_tests.integration_tests.vectorstores): starts empty, add returns ids and
 * keeps the ids passed, top-k search, delete by ids, upsert, filters, MMR, save/load,
 * concurrent adds. Filters, MMR and retrievers: store-search.test.ts; persistence and
 * the typed errors of bad input: store-io.test.ts.
 */
import { Document } from "@langchain/core/documents";
import { cosineSimilarity } from "@langchain/core/utils/math";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LeannIndex } from "@leann/core";
import { GatedEmbedder } from "@leann/testing";
import { LeannVectorStore } from "../src/index.js";
import { fruit, hashEmbedder, ids, sentences } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LeannVectorStore: LangChain vector-store contract", () => {
  it("is a SaveableVectorStore of type leann", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    expect(store._vectorstoreType()).toBe("leann");
    expect(store.lc_namespace).toEqual(["langchain", "vectorstores", "leann"]);
    const { SaveableVectorStore } = await import("@langchain/core/vectorstores");
    expect(store).toBeInstanceOf(SaveableVectorStore);
  });

  it("starts empty: searches, MMR and deletes return nothing", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
    expect(await store.similaritySearchWithScore("apples", 4)).toEqual([]);
    expect(await store.maxMarginalRelevanceSearch("apples", { k: 2 })).toEqual([]);
    await store.delete({ ids: ["nope"] });
    expect(await store.addDocuments([])).toEqual([]);
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
  });

  it("returns one new id per document from add, in order, and round-trips them on results", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const added = await store.addDocuments(fruit());
    expect(added).toHaveLength(6);
    expect(new Set(added).size).toBe(6);
    for (const id of added) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [top] = await store.similaritySearch("bananas ripen on the counter", 1);
    expect(top).toBeInstanceOf(Document);
    expect(top!.id).toBe(added[1]);
    expect(top!.pageContent).toBe(fruit()[1]!.pageContent);
    expect(top!.metadata).toEqual(fruit()[1]!.metadata);
  });

  it("keeps the ids passed in options.ids, and prefers a document's own id", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const docs = fruit();
    docs[2]!.id = "own-id";
    const added = await store.addDocuments(docs, { ids: ["a", "b", "c", "d", "e", "f"] });
    expect(added).toEqual(["a", "b", "own-id", "d", "e", "f"]);
    const results = await store.similaritySearch("galaxy telescope comet", 6);
    expect(ids(results).sort()).toEqual(["a", "b", "d", "e", "f", "own-id"]);
    expect(results[0]!.id).toBe("own-id");
  });

  it("finds the top k, best first, with similarity scores equal to MemoryVectorStore's", async () => {
    const embeddings = hashEmbedder();
    const docs = sentences(200);
    const store = await LeannVectorStore.fromDocuments(docs, embeddings, { searchOptions: { mode: "scan" } });
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings);
    const query = "telescope sees a comet near saturn";
    const got = await store.similaritySearchWithScore(query, 5);
    const want = await memory.similaritySearchWithScore(query, 5);
    expect(got).toHaveLength(5);
    const scores = got.map(([, s]) => s);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(got.map(([d]) => d.pageContent)).toEqual(want.map(([d]) => d.pageContent));
    got.forEach(([, s], i) => expect(s).toBeCloseTo(want[i]![1], 5));
    // Similarity, not distance: the best hit scores highest and a document scores ~1 against itself.
    const [[self, selfScore]] = (await store.similaritySearchWithScore(docs[17]!.pageContent, 1)) as [[Document, number]];
    expect(self.pageContent).toBe(docs[17]!.pageContent);
    expect(selfScore).toBeCloseTo(1, 5);
  });

  it("returns at most the number of documents when k is larger", async () => {
    const store = await LeannVectorStore.fromDocuments(fruit(), hashEmbedder());
    expect(await store.similaritySearch("fruit", 50)).toHaveLength(6);
  });

  it("searches by vector with similaritySearchVectorWithScore", async () => {
    const embeddings = hashEmbedder();
    const store = await LeannVectorStore.fromDocuments(fruit(), embeddings);
    const q = await embeddings.embedQuery("violin melody orchestra");
    const [[doc, score]] = (await store.similaritySearchVectorWithScore(q, 1)) as [[Document, number]];
    expect(doc.metadata.n).toBe(6);
    expect(score).toBeCloseTo(cosineSimilarity([q], [embeddings.vector(doc.pageContent)])[0]![0]!, 5);
  });

  it("deletes by ids, ignoring unknown ids", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    await store.addDocuments(fruit(), { ids: ["1", "2", "3", "4", "5", "6"] });
    await store.delete({ ids: ["3", "4", "not-there"] });
    const results = await store.similaritySearch("galaxy telescope comet planets orbit", 6);
    expect(ids(results).sort()).toEqual(["1", "2", "5", "6"]);
  });

  it("accepts new documents after everything was deleted", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const added = await store.addDocuments(fruit());
    await store.delete({ ids: added });
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
    const again = await store.addDocuments([new Document({ pageContent: "green apples", metadata: {} })], { ids: ["x"] });
    expect(again).toEqual(["x"]);
    expect(ids(await store.similaritySearch("apples", 4))).toEqual(["x"]);
  });

  it("replaces a document when its id is added again (upsert)", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    await store.addDocuments(fruit(), { ids: ["1", "2", "3", "4", "5", "6"] });
    await store.addDocuments([new Document({ pageContent: "a thunderstorm with hail and strong wind", metadata: { kind: "weather" } })], { ids: ["2"] });
    const all = await store.similaritySearch("thunderstorm hail wind bananas", 10);
    expect(ids(all).sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
    const two = all.find((d) => d.id === "2")!;
    expect(two.pageContent).toBe("a thunderstorm with hail and strong wind");
    expect(two.metadata).toEqual({ kind: "weather" });
    expect(all[0]!.id).toBe("2");
  });

  it("creates one index and adds every batch to it, the first one included", async () => {
    const create = vi.spyOn(LeannIndex, "create");
    const add = vi.spyOn(LeannIndex.prototype, "add");
    const store = new LeannVectorStore(hashEmbedder());
    const docs = sentences(60);
    await store.addDocuments(docs.slice(0, 30));
    await store.addDocuments(docs.slice(30, 45));
    await store.addDocuments(docs.slice(45));
    expect(create).toHaveBeenCalledTimes(1);
    expect(add.mock.calls.map(([passages]) => passages.length)).toEqual([30, 15, 15]);
    expect(store.size).toBe(60);
    const [top] = await store.similaritySearch(docs[50]!.pageContent, 1);
    expect(top!.pageContent).toBe(docs[50]!.pageContent);
  });

  it("loses no add when adds run concurrently, the first ones included", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const docs = sentences(80);
    const batches = Array.from({ length: 8 }, (_, b) => docs.slice(b * 10, b * 10 + 10));
    const results = await Promise.all(batches.map((batch, b) => store.addDocuments(batch, { ids: batch.map((_, i) => `b${b}-${i}`) })));
    expect(results.flat()).toHaveLength(80);
    expect(store.size).toBe(80);
    for (const [i, doc] of docs.entries()) {
      const id = `b${Math.floor(i / 10)}-${i % 10}`;
      const [hit] = await store.similaritySearch(doc.pageContent, 1, (d) => d.id === id);
      expect(hit?.id).toBe(id);
    }
  });

  it("orders searches after the writes started before them", async () => {
    const embeddings = hashEmbedder();
    const q = embeddings.vector("jazz piano");
    const store = new LeannVectorStore(embeddings);
    const add = store.addDocuments(fruit(), { ids: ["1", "2", "3", "4", "5", "6"] });
    const search = store.similaritySearchVectorWithScore(q, 1);
    const del = store.delete({ ids: ["5"] });
    const after = store.similaritySearchVectorWithScore(q, 1);
    await Promise.all([add, del]);
    expect((await search).map(([d]) => d.id)).toEqual(["5"]);
    expect((await after).map(([d]) => d.id)).not.toContain("5");
  });

  it("stays consistent when adds, deletes and searches interleave", async () => {
    const embeddings = hashEmbedder();
    const docs = sentences(200, 3);
    const store = await LeannVectorStore.fromDocuments(docs.slice(0, 100), embeddings, {});
    const ops: Promise<unknown>[] = [];
    const deleted = new Set<string>();
    for (let b = 0; b < 10; b++) {
      const batch = docs.slice(100 + b * 10, 110 + b * 10);
      ops.push(store.addDocuments(batch, { ids: batch.map((_, i) => `n${b}-${i}`) }));
      ops.push(store.similaritySearchVectorWithScore(embeddings.vector(batch[0]!.pageContent), 5));
      if (b > 0) {
        const gone = [`n${b - 1}-0`, `n${b - 1}-1`];
        gone.forEach((id) => deleted.add(id));
        ops.push(store.delete({ ids: gone }));
      }
    }
    await Promise.all(ops);
    for (let b = 0; b < 10; b++) {
      for (let i = 0; i < 10; i++) {
        const id = `n${b}-${i}`;
        const [hit] = await store.similaritySearch(docs[100 + b * 10 + i]!.pageContent, 1, (d) => d.id === id);
        expect(hit?.id).toBe(deleted.has(id) ? undefined : id);
      }
    }
  });

  it("finishes a search that is in flight when a delete compacts the index", async () => {
    // The core renumbers its nodes when a delete compacts it; a search spanning that moment
    // (it awaits the embedder between batches) must not see it. The index's lock orders them.
    const inner = hashEmbedder();
    const embeddings = new GatedEmbedder(inner);
    const docs = sentences(300, 4);
    const all = docs.map((_, i) => `d${i}`);
    const store = new LeannVectorStore(embeddings, { buildOptions: { cacheBytes: 0 } });
    await store.addDocuments(docs, { ids: all });
    const q = inner.vector("galaxy telescope orbit");
    embeddings.hold();
    const search = store.similaritySearchVectorWithScore(q, 5);
    await embeddings.nextCall(); // the search now waits on a recomputation
    const evens = all.filter((_, i) => i % 2 === 0);
    const del = store.delete({ ids: evens });
    await new Promise(setImmediate);
    expect(store.size).toBe(300); // the delete waits for the search
    embeddings.open();
    expect(await search).toHaveLength(5);
    await del;
    expect(store.size).toBe(150);
    const after = await store.similaritySearchVectorWithScore(q, 5);
    for (const [d] of after) expect(evens).not.toContain(d.id);
  });

  it("adds documents with given vectors (addVectors) without embedding them", async () => {
    const embeddings = hashEmbedder();
    const docs = sentences(40);
    const vectors = docs.map((d) => embeddings.vector(d.pageContent));
    const store = new LeannVectorStore(embeddings);
    const first = await store.addVectors(vectors.slice(0, 30), docs.slice(0, 30));
    expect(embeddings.embedded).toBe(0);
    const later = await store.addVectors(vectors.slice(30), docs.slice(30), { ids: docs.slice(30).map((_, i) => `v${i}`) });
    expect(first).toHaveLength(30);
    expect(later).toEqual(docs.slice(30).map((_, i) => `v${i}`));
    // Inserting recomputes some neighbours' embeddings (as a search does), never the given documents'.
    for (const d of docs.slice(30)) expect(embeddings.calls.flat()).not.toContain(d.pageContent);
    const [top] = await store.similaritySearch(docs[35]!.pageContent, 1);
    expect(top!.id).toBe("v5");
  });

  it("builds with fromTexts and fromDocuments", async () => {
    const embeddings = hashEmbedder();
    const a = await LeannVectorStore.fromTexts(["red apples", "blue sky", "green grass"], [{ i: 0 }, { i: 1 }, { i: 2 }], embeddings);
    expect((await a.similaritySearch("sky", 1))[0]!.metadata).toEqual({ i: 1 });
    const b = await LeannVectorStore.fromTexts(["red apples", "blue sky"], { shared: true }, embeddings);
    expect((await b.similaritySearch("apples", 1))[0]!.metadata).toEqual({ shared: true });
    const c = await LeannVectorStore.fromDocuments(fruit(), embeddings, { buildOptions: { M: 8 } });
    expect(c).toBeInstanceOf(LeannVectorStore);
    expect((await c.similaritySearch("violin", 1))[0]!.metadata.n).toBe(6);
  });
});
