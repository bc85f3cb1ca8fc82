import { Document } from "@langchain/core/documents";
import { VectorStoreRetriever } from "@langchain/core/vectorstores";
import { IDENTIFIER_CORPUS } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidOptionsError, LeannHybridRetriever, LeannVectorStore } from "../src/index.js";
import { expectLeannError, hashEmbedder, ids } from "./helpers.js";

const { query: QUERY, needle: NEEDLE, distractors: DISTRACTORS } = IDENTIFIER_CORPUS;

async function storeWithNeedle(keywordIndex = true) {
  const embeddings = hashEmbedder();
  const docs = [...DISTRACTORS, NEEDLE].map((p) => new Document({ id: p.id, pageContent: p.text, metadata: { ...p.metadata } }));
  const store = await LeannVectorStore.fromDocuments(docs, embeddings, { buildOptions: { keywordIndex } });
  return { store, embeddings };
}

describe("hybrid retrieval", () => {
  it("does find an identifier's definition through asRetriever({ searchType: \"hybrid\" }) that similarity search misses", async () => {
    const { store } = await storeWithNeedle();
    expect(ids(await store.asRetriever(3).invoke(QUERY))).not.toContain(NEEDLE.id);

    const retriever = store.asRetriever({ k: 3, searchType: "hybrid" });
    expect(retriever).toBeInstanceOf(LeannHybridRetriever);
    expect(retriever).toBeInstanceOf(VectorStoreRetriever);
    const docs = await retriever.invoke(QUERY);
    expect(docs).toHaveLength(3);
    expect(docs[0]!.id).toBe(NEEDLE.id);
    expect(docs[0]!.pageContent).toBe(NEEDLE.text);
    expect(docs[0]!.metadata).toEqual(NEEDLE.metadata);
  });

  it("does keep similaritySearch dense: the same documents and scores as a search by the query's vector", async () => {
    const { store, embeddings } = await storeWithNeedle();
    const byText = await store.similaritySearchWithScore(QUERY, 3);
    const byVector = await store.similaritySearchVectorWithScore(await embeddings.embedQuery(QUERY), 3);
    expect(byText).toEqual(byVector);
    expect(byText.map(([d]) => d.id)).not.toContain(NEEDLE.id);
  });

  it("does take alpha from searchKwargs: 1 ranks as similarity search, 0 as keyword search without embedding", async () => {
    const { store, embeddings } = await storeWithNeedle();
    const dense = ids(await store.similaritySearch(QUERY, 3));
    expect(ids(await store.asRetriever({ k: 3, searchType: "hybrid", searchKwargs: { alpha: 1 } }).invoke(QUERY))).toEqual(dense);

    embeddings.reset();
    const keyword = await store.asRetriever({ k: 3, searchType: "hybrid", searchKwargs: { alpha: 0 } }).invoke(QUERY);
    expect(keyword[0]!.id).toBe(NEEDLE.id);
    expect(embeddings.queries).toEqual([]);
    expect(embeddings.embedded).toBe(0);
  });

  it("does return fused scores in [0, 1], best first, from hybridSearchWithScore", async () => {
    const { store } = await storeWithNeedle();
    const scored = await store.hybridSearchWithScore(QUERY, 4);
    expect(scored[0]![0].id).toBe(NEEDLE.id);
    for (const [, score] of scored) expect(score).toBeGreaterThanOrEqual(0);
    expect(scored[0]![1]).toBeLessThanOrEqual(1);
    for (let i = 1; i < scored.length; i++) expect(scored[i - 1]![1]).toBeGreaterThanOrEqual(scored[i]![1]);
    expect(ids(await store.hybridSearch(QUERY, 4))).toEqual(scored.map(([d]) => d.id));
  });

  it("does apply the retriever's filter to both sides", async () => {
    const { store } = await storeWithNeedle();
    const notes = await store.asRetriever({ k: 3, searchType: "hybrid", filter: (doc) => doc.metadata.kind === "note" }).invoke(QUERY);
    expect(notes).toHaveLength(3);
    expect(ids(notes)).not.toContain(NEEDLE.id);
    const code = await store.hybridSearch(QUERY, 3, { filter: { filters: [{ key: "kind", operator: "==", value: "code" }] } });
    expect(ids(code)).toEqual([NEEDLE.id]);
  });

  it("does throw InvalidOptionsError for an alpha outside [0, 1], when the retriever is made or the search runs", async () => {
    const { store } = await storeWithNeedle();
    expect(() => store.asRetriever({ k: 3, searchType: "hybrid", searchKwargs: { alpha: 1.5 } })).toThrow(InvalidOptionsError);
    await expectLeannError(store.hybridSearch(QUERY, 3, { alpha: -1 }), InvalidOptionsError, "INVALID_OPTIONS");
    await expectLeannError(store.hybridSearch("   ", 3), InvalidInputError, "INVALID_INPUT");
  });

  it("does throw InvalidOptionsError for hybrid search on an index built with keywordIndex: false; similarity search still works", async () => {
    const { store } = await storeWithNeedle(false);
    const err = await expectLeannError(store.asRetriever({ k: 3, searchType: "hybrid" }).invoke(QUERY), InvalidOptionsError, "INVALID_OPTIONS");
    expect(err.message).toContain("keyword index");
    expect(await store.similaritySearch(QUERY, 3)).toHaveLength(3);
  });
});
