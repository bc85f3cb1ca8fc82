/** Searching a LeannVectorStore: filters applied inside the search, maximal marginal relevance, retrievers. */
import { Document } from "@langchain/core/documents";
import { cosineSimilarity } from "@langchain/core/utils/math";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LeannIndex, type MetadataFilter } from "@leann/core";
import { LeannVectorStore } from "../src/index.js";
import { fruit, hashEmbedder, ids, sentences } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("LeannVectorStore: filters inside the search", () => {
  const docs = sentences(300);
  const embeddings = hashEmbedder();
  const storePromise = LeannVectorStore.fromDocuments(docs, embeddings);

  it("applies a document predicate inside the search: k matches come back even when few pass", async () => {
    const store = await storePromise;
    // Music documents are a tenth of the corpus; the query is about cooking.
    const results = await store.similaritySearch("pasta garlic tomato sauce", 5, (doc) => doc.metadata.topic === "music");
    expect(results).toHaveLength(5);
    for (const d of results) expect(d.metadata.topic).toBe("music");
    const exact = docs
      .filter((d) => d.metadata.topic === "music")
      .map((d) => ({ d, s: cosineSimilarity([embeddings.vector("pasta garlic tomato sauce")], [embeddings.vector(d.pageContent)])[0]![0]! }))
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
    const embeddings = hashEmbedder();
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
    const embeddings = hashEmbedder();
    const store = await LeannVectorStore.fromDocuments(docs, embeddings);
    const search = vi.spyOn(LeannIndex.prototype, "search");
    const lambdaOne = await store.maxMarginalRelevanceSearch("jazz piano chords", { k: 2, fetchK: 5, lambda: 1 });
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0]![1]).toMatchObject({ k: 5, includeVectors: true });
    // lambda = 1 is pure relevance: the similarity order.
    expect(ids(lambdaOne)).toEqual(ids(await store.similaritySearch("jazz piano chords", 2)));
  });
});

describe("LeannVectorStore: retriever", () => {
  const docs = sentences(120);
  const storePromise = LeannVectorStore.fromDocuments(docs, hashEmbedder());

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
    const store = await LeannVectorStore.fromDocuments(fruit(), hashEmbedder());
    const retriever = store.asRetriever(1);
    await retriever.addDocuments([new Document({ pageContent: "snow and frost on the mountain", metadata: {} })], { ids: ["snow"] });
    expect(ids(await retriever.invoke("snow frost"))).toEqual(["snow"]);
  });
});
