/**
 * What a new user meets first: the query embedding failing, a closed store, and how many
 * documents the store holds.
 */
import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { ClosedError as CoreClosedError } from "@leann/core";
import type { HashEmbedder } from "@leann/testing";
import { ClosedError, EmbedderError, LeannVectorStore } from "../src/index.js";
import { expectLeannError, hashEmbedder, sentences, tempDir } from "./helpers.js";

/** Embeddings whose documents embed but whose queries fail, as a rate-limited or misconfigured endpoint does. */
function failingQueries(): HashEmbedder {
  const embeddings = hashEmbedder();
  embeddings.embedQuery = async () => {
    throw new Error("query endpoint returned 503");
  };
  return embeddings;
}

describe("LeannVectorStore: a failing query embedding", () => {
  it("surfaces as EmbedderError from every search that embeds a query text", async () => {
    const store = await LeannVectorStore.fromDocuments(sentences(30), failingQueries());
    for (const search of [
      () => store.similaritySearch("galaxy telescope", 3),
      () => store.similaritySearchWithScore("galaxy telescope", 3),
      () => store.maxMarginalRelevanceSearch("galaxy telescope", { k: 3 }),
      () => store.asRetriever({ k: 3 }).invoke("galaxy telescope"),
    ]) {
      const err = await expectLeannError(search(), EmbedderError, "EMBEDDER_FAILED");
      expect(err.message).toContain("query endpoint returned 503");
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
  });

  it("still searches by text when the query embeds", async () => {
    const store = await LeannVectorStore.fromDocuments(sentences(30), hashEmbedder());
    const [hit] = await store.similaritySearchWithScore(sentences(30)[4]!.pageContent, 1);
    expect(hit![0].metadata.n).toBe(4);
  });
});

describe("LeannVectorStore: close", () => {
  it("exports the core's ClosedError, and calls after close reject with it", async () => {
    expect(ClosedError).toBe(CoreClosedError);
    const dir = tempDir();
    const built = await LeannVectorStore.fromDocuments(sentences(20), hashEmbedder());
    await built.save(dir);
    const store = await LeannVectorStore.load(dir, hashEmbedder());
    await store.close();
    await expectLeannError(store.similaritySearch("galaxy", 2), ClosedError, "CLOSED");
    await expectLeannError(store.addDocuments([new Document({ pageContent: "one more" })]), ClosedError, "CLOSED");
    await expectLeannError(store.delete({ ids: ["x"] }), ClosedError, "CLOSED");
    await expectLeannError(store.save(dir), ClosedError, "CLOSED");
  });

  it("refuses adds after close on a store that never built its index", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    await store.close();
    await expectLeannError(store.addDocuments(sentences(3)), ClosedError, "CLOSED");
    expect(store.size).toBe(0);
  });

  it("lets a search started before close finish", async () => {
    const store = await LeannVectorStore.fromDocuments(sentences(20), hashEmbedder());
    const search = store.similaritySearchVectorWithScore(hashEmbedder().vector("galaxy telescope"), 2);
    const closing = store.close();
    expect(await search).toHaveLength(2);
    await closing;
  });
});

describe("LeannVectorStore: size", () => {
  it("counts the documents held through adds, upserts and deletes", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    expect(store.size).toBe(0);
    const docs = sentences(12);
    await store.addDocuments(docs.slice(0, 8), { ids: docs.slice(0, 8).map((_, i) => `d${i}`) });
    expect(store.size).toBe(8);
    await store.addDocuments(docs.slice(8), { ids: ["d0", "d1", "d8", "d9"] });
    expect(store.size).toBe(10);
    await store.delete({ ids: ["d0", "d3", "unknown"] });
    expect(store.size).toBe(8);
  });

  it("reports the size of a loaded store", async () => {
    const dir = tempDir();
    await (await LeannVectorStore.fromDocuments(sentences(15), hashEmbedder())).save(dir);
    const store = await LeannVectorStore.load(dir, hashEmbedder());
    expect(store.size).toBe(15);
    await store.close();
  });
});
