/**
 * Conformance suite, modelled on LangChain's Python `VectorStoreIntegrationTests`
 * (langchain_tests.integration_tests.vectorstores): starts empty, add returns ids and
 * keeps the ids passed, top-k search, delete by ids, upsert, filters, MMR, save/load,
 * retriever modes, concurrent adds; then the typed errors of bad input.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { cosineSimilarity } from "@langchain/core/utils/math";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CorruptIndexError,
  DimensionMismatchError,
  DuplicateIdError,
  EmbedderError,
  IndexNotFoundError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  LeannIndex,
  ModelMismatchError,
  type MetadataFilter,
} from "@leann/core";
import * as adapter from "../src/index.js";
import { LeannVectorStore } from "../src/index.js";
import { expectLeannError, HashingEmbeddings, ids, sentences, tempDir } from "./helpers.js";

const fruit = () => [
  new Document({ pageContent: "red apples and green pears in a basket", metadata: { kind: "fruit", color: "red", n: 1 } }),
  new Document({ pageContent: "yellow bananas ripen on the kitchen counter", metadata: { kind: "fruit", color: "yellow", n: 2 } }),
  new Document({ pageContent: "the galaxy telescope saw a distant comet", metadata: { kind: "space", color: "black", n: 3 } }),
  new Document({ pageContent: "planets orbit the star in the solar system", metadata: { kind: "space", color: "black", n: 4 } }),
  new Document({ pageContent: "jazz piano chords and a slow drum rhythm", metadata: { kind: "music", color: "blue", n: 5 } }),
  new Document({ pageContent: "the violin melody rose over the orchestra", metadata: { kind: "music", color: "gold", n: 6 } }),
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LeannVectorStore: LangChain vector-store contract", () => {
  it("is a SaveableVectorStore of type leann", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    expect(store._vectorstoreType()).toBe("leann");
    expect(store.lc_namespace).toEqual(["langchain", "vectorstores", "leann"]);
    const { SaveableVectorStore } = await import("@langchain/core/vectorstores");
    expect(store).toBeInstanceOf(SaveableVectorStore);
  });

  it("starts empty: searches, MMR and deletes return nothing", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
    expect(await store.similaritySearchWithScore("apples", 4)).toEqual([]);
    expect(await store.maxMarginalRelevanceSearch("apples", { k: 2 })).toEqual([]);
    await store.delete({ ids: ["nope"] });
    expect(await store.addDocuments([])).toEqual([]);
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
  });

  it("returns one new id per document from add, in order, and round-trips them on results", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
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
    const store = new LeannVectorStore(new HashingEmbeddings());
    const docs = fruit();
    docs[2]!.id = "own-id";
    const added = await store.addDocuments(docs, { ids: ["a", "b", "c", "d", "e", "f"] });
    expect(added).toEqual(["a", "b", "own-id", "d", "e", "f"]);
    const results = await store.similaritySearch("galaxy telescope comet", 6);
    expect(ids(results).sort()).toEqual(["a", "b", "d", "e", "f", "own-id"]);
    expect(results[0]!.id).toBe("own-id");
  });

  it("finds the top k, best first, with similarity scores equal to MemoryVectorStore's", async () => {
    const embeddings = new HashingEmbeddings();
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
    const store = await LeannVectorStore.fromDocuments(fruit(), new HashingEmbeddings());
    expect(await store.similaritySearch("fruit", 50)).toHaveLength(6);
  });

  it("searches by vector with similaritySearchVectorWithScore", async () => {
    const embeddings = new HashingEmbeddings();
    const store = await LeannVectorStore.fromDocuments(fruit(), embeddings);
    const q = await embeddings.embedQuery("violin melody orchestra");
    const [[doc, score]] = (await store.similaritySearchVectorWithScore(q, 1)) as [[Document, number]];
    expect(doc.metadata.n).toBe(6);
    expect(score).toBeCloseTo(cosineSimilarity([q], [embeddings.embed(doc.pageContent)])[0]![0]!, 5);
  });

  it("deletes by ids, ignoring unknown ids", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    await store.addDocuments(fruit(), { ids: ["1", "2", "3", "4", "5", "6"] });
    await store.delete({ ids: ["3", "4", "not-there"] });
    const results = await store.similaritySearch("galaxy telescope comet planets orbit", 6);
    expect(ids(results).sort()).toEqual(["1", "2", "5", "6"]);
  });

  it("accepts new documents after everything was deleted", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    const added = await store.addDocuments(fruit());
    await store.delete({ ids: added });
    expect(await store.similaritySearch("apples", 4)).toEqual([]);
    const again = await store.addDocuments([new Document({ pageContent: "green apples", metadata: {} })], { ids: ["x"] });
    expect(again).toEqual(["x"]);
    expect(ids(await store.similaritySearch("apples", 4))).toEqual(["x"]);
  });

  it("replaces a document when its id is added again (upsert)", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
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
    const store = new LeannVectorStore(new HashingEmbeddings());
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
    const store = new LeannVectorStore(new HashingEmbeddings());
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
    const embeddings = new HashingEmbeddings();
    const q = embeddings.embed("jazz piano");
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
    const embeddings = new HashingEmbeddings();
    const docs = sentences(200, 3);
    const store = await LeannVectorStore.fromDocuments(docs.slice(0, 100), embeddings, {});
    const ops: Promise<unknown>[] = [];
    const deleted = new Set<string>();
    for (let b = 0; b < 10; b++) {
      const batch = docs.slice(100 + b * 10, 110 + b * 10);
      ops.push(store.addDocuments(batch, { ids: batch.map((_, i) => `n${b}-${i}`) }));
      ops.push(store.similaritySearchVectorWithScore(embeddings.embed(batch[0]!.pageContent), 5));
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
    // (it awaits the embedder between batches) must not see it. The store's lock orders them.
    class SlowEmbeddings extends HashingEmbeddings {
      override async embedDocuments(texts: string[]): Promise<number[][]> {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return super.embedDocuments(texts);
      }
    }
    const embeddings = new SlowEmbeddings();
    const docs = sentences(300, 4);
    const all = docs.map((_, i) => `d${i}`);
    const store = new LeannVectorStore(embeddings, { buildOptions: { cacheBytes: 0 } });
    await store.addDocuments(docs, { ids: all });
    const q = embeddings.embed("galaxy telescope orbit");
    const search = store.similaritySearchVectorWithScore(q, 5);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const evens = all.filter((_, i) => i % 2 === 0);
    await store.delete({ ids: evens });
    expect(await search).toHaveLength(5);
    const after = await store.similaritySearchVectorWithScore(q, 5);
    for (const [d] of after) expect(evens).not.toContain(d.id);
  });

  it("adds documents with given vectors (addVectors) without embedding them", async () => {
    const embeddings = new HashingEmbeddings();
    const docs = sentences(40);
    const vectors = docs.map((d) => embeddings.embed(d.pageContent));
    const store = new LeannVectorStore(embeddings);
    const first = await store.addVectors(vectors.slice(0, 30), docs.slice(0, 30));
    expect(embeddings.documentsEmbedded).toBe(0);
    const later = await store.addVectors(vectors.slice(30), docs.slice(30), { ids: docs.slice(30).map((_, i) => `v${i}`) });
    expect(first).toHaveLength(30);
    expect(later).toEqual(docs.slice(30).map((_, i) => `v${i}`));
    // Inserting recomputes some neighbours' embeddings (as a search does), never the given documents'.
    for (const d of docs.slice(30)) expect(embeddings.texts.has(d.pageContent)).toBe(false);
    const [top] = await store.similaritySearch(docs[35]!.pageContent, 1);
    expect(top!.id).toBe("v5");
  });

  it("builds with fromTexts and fromDocuments", async () => {
    const embeddings = new HashingEmbeddings();
    const a = await LeannVectorStore.fromTexts(["red apples", "blue sky", "green grass"], [{ i: 0 }, { i: 1 }, { i: 2 }], embeddings);
    expect((await a.similaritySearch("sky", 1))[0]!.metadata).toEqual({ i: 1 });
    const b = await LeannVectorStore.fromTexts(["red apples", "blue sky"], { shared: true }, embeddings);
    expect((await b.similaritySearch("apples", 1))[0]!.metadata).toEqual({ shared: true });
    const c = await LeannVectorStore.fromDocuments(fruit(), embeddings, { buildOptions: { M: 8 } });
    expect(c).toBeInstanceOf(LeannVectorStore);
    expect((await c.similaritySearch("violin", 1))[0]!.metadata.n).toBe(6);
  });
});

describe("LeannVectorStore: filters inside the search", () => {
  const docs = sentences(300);
  const embeddings = new HashingEmbeddings();
  const storePromise = LeannVectorStore.fromDocuments(docs, embeddings);

  it("applies a document predicate inside the search: k matches come back even when few pass", async () => {
    const store = await storePromise;
    // Music documents are a tenth of the corpus; the query is about cooking.
    const results = await store.similaritySearch("pasta garlic tomato sauce", 5, (doc) => doc.metadata.topic === "music");
    expect(results).toHaveLength(5);
    for (const d of results) expect(d.metadata.topic).toBe("music");
    const exact = docs
      .filter((d) => d.metadata.topic === "music")
      .map((d) => ({ d, s: cosineSimilarity([embeddings.embed("pasta garlic tomato sauce")], [embeddings.embed(d.pageContent)])[0]![0]! }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 5);
    expect(results.map((d) => d.pageContent)).toEqual(exact.map((e) => e.d.pageContent));
  });

  it("gives the predicate the document's id and text", async () => {
    const store = await storePromise;
    const results = await store.similaritySearch("galaxy", 3, (doc) => doc.pageContent.includes("galaxy") && typeof doc.id === "string");
    expect(results).toHaveLength(3);
    for (const d of results) expect(d.pageContent).toContain("galaxy");
  });

  type Row = [operator: MetadataFilter["operator"], value: MetadataFilter["value"], key: string, test: (v: unknown) => boolean];
  const rows: Row[] = [
    ["==", "music", "topic", (v) => v === "music"],
    ["!=", "music", "topic", (v) => v !== undefined && v !== "music"],
    [">", 2020, "year", (v) => (v as number) > 2020],
    ["<", 2003, "year", (v) => (v as number) < 2003],
    [">=", 2022, "year", (v) => (v as number) >= 2022],
    ["<=", 2001, "year", (v) => (v as number) <= 2001],
    ["in", ["music", "travel"], "topic", (v) => v === "music" || v === "travel"],
    ["nin", ["music", "travel"], "topic", (v) => v !== undefined && v !== "music" && v !== "travel"],
    ["any", ["weather", "finance"], "tags", (v) => (v as string[]).some((t) => t === "weather" || t === "finance")],
    ["all", ["music", "weather"], "tags", (v) => (v as string[]).includes("music") && (v as string[]).includes("weather")],
    ["contains", "cooking", "tags", (v) => (v as string[]).includes("cooking")],
    ["text_match", "comp", "topic", (v) => typeof v === "string" && v.includes("comp")],
    ["is_empty", undefined, "missing", (v) => v === undefined],
  ];

  it.each(rows)("applies the declarative filter %s %j", async (operator, value, key, test) => {
    const store = await storePromise;
    const k = 8;
    const filter = { filters: [{ key, operator, value }] };
    const results = await store.similaritySearch("rain storm over the stadium", k, filter);
    const matching = docs.filter((d) => test(d.metadata[key]));
    expect(results).toHaveLength(Math.min(k, matching.length));
    for (const d of results) expect(test(d.metadata[key])).toBe(true);
  });

  it("combines declarative filters with or", async () => {
    const store = await storePromise;
    const filter = { filters: [{ key: "topic", operator: "==" as const, value: "music" }, { key: "topic", operator: "==" as const, value: "travel" }], condition: "or" as const };
    const results = await store.similaritySearch("guitar on the ferry", 10, filter);
    expect(results).toHaveLength(10);
    for (const d of results) expect(["music", "travel"]).toContain(d.metadata.topic);
  });

  it("passes filters through the retriever and MMR", async () => {
    const store = await storePromise;
    const retriever = store.asRetriever({ k: 4, filter: (doc) => doc.metadata.topic === "finance" });
    const viaRetriever = await retriever.invoke("stock market");
    expect(viaRetriever).toHaveLength(4);
    for (const d of viaRetriever) expect(d.metadata.topic).toBe("finance");
    const mmr = await store.maxMarginalRelevanceSearch("stock market", { k: 3, fetchK: 10, filter: { filters: [{ key: "topic", operator: "==", value: "finance" }] } });
    expect(mmr).toHaveLength(3);
    for (const d of mmr) expect(d.metadata.topic).toBe("finance");
  });
});

describe("LeannVectorStore: maximal marginal relevance", () => {
  const near = [
    "jazz piano chords in a smoky club",
    "jazz piano chords in a smoky bar",
    "jazz piano chords in a smoky room",
    "jazz drummer and bass in a smoky club",
    "a violin concert with orchestra",
    "galaxy telescope and comet",
  ];
  const docs = near.map((t, i) => new Document({ pageContent: t, metadata: { i } }));

  it("picks diverse documents, as MemoryVectorStore does on the same embeddings", async () => {
    const embeddings = new HashingEmbeddings();
    const store = await LeannVectorStore.fromDocuments(docs, embeddings);
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings);
    const similar = await store.similaritySearch("jazz piano chords", 3);
    expect(similar.map((d) => d.metadata.i).sort()).toEqual([0, 1, 2]);
    const options = { k: 3, fetchK: 6, lambda: 0.3 };
    const mmr = await store.maxMarginalRelevanceSearch("jazz piano chords", options);
    const want = await memory.maxMarginalRelevanceSearch("jazz piano chords", options);
    expect(mmr.map((d) => d.metadata.i)).toEqual(want.map((d) => d.metadata.i));
    expect(mmr.filter((d) => (d.metadata.i as number) <= 2)).toHaveLength(1);
    expect(mmr[0]!.id).toBeTypeOf("string");
  });

  it("works on the embeddings recomputed for the fetchK candidates", async () => {
    const embeddings = new HashingEmbeddings();
    const store = await LeannVectorStore.fromDocuments(docs, embeddings);
    const search = vi.spyOn(LeannIndex.prototype, "search");
    const lambdaOne = await store.maxMarginalRelevanceSearch("jazz piano chords", { k: 2, fetchK: 5, lambda: 1 });
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0]![1]).toMatchObject({ k: 5, includeVectors: true });
    // lambda = 1 is pure relevance: the similarity order.
    expect(ids(lambdaOne)).toEqual(ids(await store.similaritySearch("jazz piano chords", 2)));
  });
});

describe("LeannVectorStore: persistence", () => {
  it("round-trips through save and load: same results, nothing re-embedded on load", async () => {
    const docs = sentences(150);
    const store = await LeannVectorStore.fromDocuments(docs, new HashingEmbeddings(), { buildOptions: { seed: 3 } });
    const dir = tempDir();
    await store.save(dir);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    const embeddings = new HashingEmbeddings();
    const loaded = await LeannVectorStore.load(dir, embeddings);
    expect(loaded).toBeInstanceOf(LeannVectorStore);
    expect(embeddings.documentsEmbedded).toBe(0);
    for (const q of ["comet orbit telescope", "guitar concert", "tax loan budget"]) {
      const before = await store.similaritySearchWithScore(q, 5);
      const after = await loaded.similaritySearchWithScore(q, 5);
      expect(after.map(([d]) => [d.id, d.pageContent, d.metadata])).toEqual(before.map(([d]) => [d.id, d.pageContent, d.metadata]));
      after.forEach(([, s], i) => expect(s).toBeCloseTo(before[i]![1], 5));
    }
    // A loaded store keeps working: insert, delete, save again, load again.
    await loaded.addDocuments([new Document({ pageContent: "a brand new sentence about hail and frost", metadata: { fresh: true } })], { ids: ["fresh"] });
    await loaded.delete({ ids: [(await loaded.similaritySearch("guitar concert", 1))[0]!.id!] });
    await loaded.save(dir);
    loaded.close();
    const again = await LeannVectorStore.load(dir, new HashingEmbeddings(), { searchOptions: { ef: 128 } });
    expect(ids(await again.similaritySearch("hail and frost brand new", 1))).toEqual(["fresh"]);
    again.close();
  });

  it("saves a store whose documents were all deleted as an empty store", async () => {
    const store = await LeannVectorStore.fromDocuments(fruit(), new HashingEmbeddings(), {});
    const dir = tempDir();
    await store.save(dir);
    const all = (await store.similaritySearch("fruit", 6)).map((d) => d.id!);
    await store.delete({ ids: all });
    await store.save(dir);
    // The deletions are persisted: the reloaded store is empty, and grows again.
    const loaded = await LeannVectorStore.load(dir, new HashingEmbeddings());
    expect(await loaded.similaritySearch("fruit", 6)).toHaveLength(0);
    await loaded.addDocuments([{ pageContent: "a fresh apple", metadata: {} }]);
    expect(await loaded.similaritySearch("apple", 6)).toHaveLength(1);
    loaded.close();
  });
});

describe("LeannVectorStore: retriever", () => {
  const docs = sentences(120);
  const storePromise = LeannVectorStore.fromDocuments(docs, new HashingEmbeddings());

  it("retrieves in similarity mode", async () => {
    const store = await storePromise;
    const retriever = store.asRetriever(3);
    const got = await retriever.invoke("violin orchestra melody");
    expect(ids(got)).toEqual(ids(await store.similaritySearch("violin orchestra melody", 3)));
    expect(retriever.tags).toContain("leann");
  });

  it("retrieves in mmr mode", async () => {
    const store = await storePromise;
    const retriever = store.asRetriever({ k: 3, searchType: "mmr", searchKwargs: { fetchK: 12, lambda: 0.5 } });
    const got = await retriever.invoke("violin orchestra melody");
    expect(got).toHaveLength(3);
    expect(ids(got)).toEqual(ids(await store.maxMarginalRelevanceSearch("violin orchestra melody", { k: 3, fetchK: 12, lambda: 0.5 })));
  });

  it("adds documents through the retriever", async () => {
    const store = await LeannVectorStore.fromDocuments(fruit(), new HashingEmbeddings());
    const retriever = store.asRetriever(1);
    await retriever.addDocuments([new Document({ pageContent: "snow and frost on the mountain", metadata: {} })], { ids: ["snow"] });
    expect(ids(await retriever.invoke("snow frost"))).toEqual(["snow"]);
  });
});

describe("LeannVectorStore: bad input gets the core's typed errors", () => {
  it("rejects ids and documents of different lengths (InvalidInputError)", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    await expectLeannError(store.addDocuments(fruit(), { ids: ["a", "b"] }), InvalidInputError, "INVALID_INPUT");
    const embeddings = new HashingEmbeddings();
    const docs = fruit();
    const vectors = docs.map((d) => embeddings.embed(d.pageContent));
    await expectLeannError(store.addVectors(vectors.slice(1), docs), InvalidInputError, "INVALID_INPUT");
    await expectLeannError(store.addVectors(vectors, docs, { ids: ["a"] }), InvalidInputError, "INVALID_INPUT");
  });

  it("rejects vectors of the wrong dimension (DimensionMismatchError)", async () => {
    const embeddings = new HashingEmbeddings(64);
    const store = await LeannVectorStore.fromDocuments(fruit(), embeddings);
    const short = new HashingEmbeddings(32).embed("apples");
    await expectLeannError(store.addVectors([short], [new Document({ pageContent: "apples", metadata: {} })]), DimensionMismatchError, "DIMENSION_MISMATCH");
    await expectLeannError(store.similaritySearchVectorWithScore(short, 2), DimensionMismatchError, "DIMENSION_MISMATCH");
    // An embedding model that changed dimensions since the build.
    (embeddings as { dims: number }).dims = 32;
    await expectLeannError(store.addDocuments([new Document({ pageContent: "pears", metadata: {} })]), DimensionMismatchError, "DIMENSION_MISMATCH");
    // The failed add left the store as it was.
    (embeddings as { dims: number }).dims = 64;
    expect(await store.similaritySearch("apples", 10)).toHaveLength(6);
  });

  it("rejects a directory that holds no index (IndexNotFoundError)", async () => {
    const empty = tempDir();
    await expectLeannError(LeannVectorStore.load(empty, new HashingEmbeddings()), IndexNotFoundError, "INDEX_NOT_FOUND");
    await expectLeannError(LeannVectorStore.load(join(empty, "nothing-here"), new HashingEmbeddings()), IndexNotFoundError, "INDEX_NOT_FOUND");
  });

  it("rejects a damaged index (CorruptIndexError) and another model (ModelMismatchError, DimensionMismatchError)", async () => {
    const dir = tempDir();
    const store = await LeannVectorStore.fromDocuments(fruit(), new HashingEmbeddings(64));
    await store.save(dir);
    await expectLeannError(LeannVectorStore.load(dir, new HashingEmbeddings(32)), ModelMismatchError, "MODEL_MISMATCH");
    await expectLeannError(
      LeannVectorStore.load(dir, new HashingEmbeddings(32), { loadOptions: { allowModelMismatch: true } }),
      DimensionMismatchError,
      "DIMENSION_MISMATCH",
    );
    writeFileSync(join(dir, "CURRENT"), "not json");
    await expectLeannError(LeannVectorStore.load(dir, new HashingEmbeddings(64)), CorruptIndexError, "CORRUPT_INDEX");
  });

  it("rejects duplicate ids in one call (DuplicateIdError), empty texts, non-JSON metadata and delete without ids (InvalidInputError)", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    const two = [new Document({ pageContent: "one", metadata: {} }), new Document({ pageContent: "two", metadata: {} })];
    await expectLeannError(store.addDocuments(two, { ids: ["same", "same"] }), DuplicateIdError, "DUPLICATE_ID");
    await expectLeannError(store.addDocuments([new Document({ pageContent: "  ", metadata: {} })]), InvalidInputError, "INVALID_INPUT");
    await expectLeannError(store.delete({}), InvalidInputError, "INVALID_INPUT");
    await expectLeannError(store.addDocuments([new Document({ pageContent: "x", metadata: { when: new Date(0) } })]), InvalidInputError, "INVALID_INPUT");
    // Nothing was built by the failed adds.
    expect(await store.similaritySearch("one", 3)).toEqual([]);
  });

  it("rejects unknown options and bad search arguments (InvalidOptionsError)", async () => {
    // The constructor throws synchronously; a promise carries the error to the shared assertion.
    const construct = Promise.resolve().then(() => new LeannVectorStore(new HashingEmbeddings(), { similarity: () => 0 } as never));
    const err = await expectLeannError(construct, InvalidOptionsError, "INVALID_OPTIONS");
    expect(err.message).toContain('"similarity"');
    const store = await LeannVectorStore.fromDocuments(fruit(), new HashingEmbeddings());
    await expectLeannError(store.similaritySearch("apples", 0), InvalidOptionsError, "INVALID_OPTIONS");
    await expectLeannError(store.similaritySearch("apples", 2, { filters: [{ key: "kind", operator: "~~" as never, value: 1 }] }), InvalidOptionsError, "INVALID_OPTIONS");
    // Build options are checked when the store creates its index, before any document is embedded.
    const badBuild = Promise.resolve().then(() => new LeannVectorStore(new HashingEmbeddings(), { buildOptions: { M: 1 } }));
    expect((await expectLeannError(badBuild, InvalidOptionsError, "INVALID_OPTIONS")).message).toContain("M");
  });

  it("wraps a failing embedding model (EmbedderError)", async () => {
    const embeddings = new HashingEmbeddings();
    embeddings.embedDocuments = async () => {
      throw new Error("rate limited");
    };
    const store = new LeannVectorStore(embeddings);
    const err = await expectLeannError(store.addDocuments(fruit()), EmbedderError, "EMBEDDER_FAILED");
    expect(err.message).toContain("rate limited");
  });

  it("re-exports the core's error classes themselves", () => {
    expect(adapter.LeannError).toBe(LeannError);
    expect(adapter.IndexNotFoundError).toBe(IndexNotFoundError);
    expect(adapter.DimensionMismatchError).toBe(DimensionMismatchError);
    expect(adapter.InvalidInputError).toBe(InvalidInputError);
  });

  it("saves a store nothing was added to as an empty index that loads and grows", async () => {
    const dir = tempDir();
    await new LeannVectorStore(new HashingEmbeddings()).save(dir);
    const loaded = await LeannVectorStore.load(dir, new HashingEmbeddings());
    expect(loaded.size).toBe(0);
    expect(await loaded.similaritySearch("apple", 3)).toHaveLength(0);
    await loaded.addDocuments([{ pageContent: "a fresh apple", metadata: {} }]);
    expect((await loaded.similaritySearch("apple", 3)).map((d) => d.pageContent)).toEqual(["a fresh apple"]);
    await loaded.close();
  });

  it("refuses to save to an empty path (InvalidInputError)", async () => {
    const store = new LeannVectorStore(new HashingEmbeddings());
    await expectLeannError(store.save(""), InvalidInputError, "INVALID_INPUT");
  });
});
