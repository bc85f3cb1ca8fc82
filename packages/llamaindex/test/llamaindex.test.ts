import {
  Document,
  MetadataMode,
  buildNodeFromSplits,
  storageContextFromDefaults,
  TextNode,
  VectorStoreIndex,
} from "llamaindex";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeannVectorStore } from "../src/index.js";
import { CORPUS, ExtractiveLLM, HashEmbedding, tempDir, useSettings } from "./helpers.js";

/** End to end through LlamaIndex's own classes: index, retriever, query engine, storage context. */
let embed: HashEmbedding;
let llm: ExtractiveLLM;
let restore: () => void;

beforeEach(() => {
  embed = new HashEmbedding();
  llm = new ExtractiveLLM();
  restore = useSettings({ embedModel: embed, llm });
});
afterEach(() => restore());

const docs = () => CORPUS.map((d) => new Document({ id_: d.id_, text: d.text, metadata: { ...d.metadata } }));

/**
 * Small chunks: each paragraph of the corpus becomes its own node, three per document,
 * built with the helper LlamaIndex's splitters use (they then copy the document's metadata). (fromDocuments splits with the indices
 * bundle's own Settings.nodeParser, which llamaindex 0.12.1 does not share with the
 * Settings it exports, so a test cannot shrink its chunks.)
 */
const NODES_PER_DOC = 3;
const nodes = () =>
  docs().flatMap((doc) =>
    buildNodeFromSplits(doc.text.split("\n\n"), doc).map((node) => Object.assign(node, { metadata: { ...doc.metadata } })),
  );

/** An index over the paragraph nodes, its documents in the docstore as fromDocuments would put them. */
async function indexOver(store: LeannVectorStore): Promise<VectorStoreIndex> {
  const storageContext = await storageContextFromDefaults({ vectorStore: store });
  await storageContext.docStore.addDocuments(docs(), true);
  return VectorStoreIndex.init({ nodes: nodes(), storageContext });
}

describe("with VectorStoreIndex", () => {
  it("splits and indexes documents; a retriever returns similarityTopK nodes with their text", async () => {
    const store = new LeannVectorStore({ embedModel: embed });
    const index = await indexOver(store);
    expect(store.size).toBe(CORPUS.length * NODES_PER_DOC);

    const retriever = index.asRetriever({ similarityTopK: 3 });
    const results = await retriever.retrieve({ query: "Which cheese comes from France?" });
    expect(results).toHaveLength(3);
    expect(results[0]!.node).toBeInstanceOf(TextNode);
    expect(results[0]!.node.getContent(MetadataMode.NONE)).toContain("Brie");
    expect(results[0]!.node.sourceNode?.nodeId).toBe("doc-cheese");
    expect(results[0]!.node.metadata).toMatchObject({ topic: "cheese", year: 2022 });
    expect(results[0]!.score).toBeGreaterThan(results[2]!.score!);

    const one = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: "rockets oxygen fuel" });
    expect(one).toHaveLength(1);
    expect(one[0]!.node.getContent(MetadataMode.NONE)).toContain("oxygen");
  });

  it("answers with a query engine from the retrieved nodes (fake LLM)", async () => {
    const store = new LeannVectorStore({ embedModel: embed });
    const index = await indexOver(store);
    const engine = index.asQueryEngine({ similarityTopK: 2 });
    const response = await engine.query({ query: "Where does Cheddar cheese come from?" });
    expect(response.toString()).toBe("Cheddar cheese comes from the village of Cheddar in England.");
    expect(response.sourceNodes).toHaveLength(2);
    expect(response.sourceNodes!.map((n) => n.node.getContent(MetadataMode.NONE))).toContain("Cheddar cheese comes from the village of Cheddar in England.");
    // The LLM saw the retrieved text in its prompt.
    expect(llm.prompts.at(-1)).toContain("Cheddar cheese comes from the village of Cheddar in England.");
  });

  it("applies preFilters of a query engine and filters of a retriever inside the search", async () => {
    const store = new LeannVectorStore({ embedModel: embed });
    const index = await indexOver(store);
    const retriever = index.asRetriever({ similarityTopK: 3, filters: { filters: [{ key: "topic", operator: "==", value: "rockets" }] } });
    const results = await retriever.retrieve({ query: "cheese from France" });
    expect(results).toHaveLength(3);
    expect(results.every((r) => r.node.metadata.topic === "rockets")).toBe(true);
    const engine = index.asQueryEngine({ similarityTopK: 5, preFilters: { filters: [{ key: "year", operator: "<", value: 2022 }] } });
    const response = await engine.query({ query: "Which birds hunt at night?" });
    expect(response.sourceNodes!.every((n) => n.node.metadata.topic === "birds")).toBe(true);
    expect(response.toString()).toContain("Owls");
  });

  it("deleteRefDoc removes every node of the document from the store", async () => {
    const store = new LeannVectorStore({ embedModel: embed });
    const index = await indexOver(store);
    const size = store.size;
    await index.deleteRefDoc("doc-cheese");
    expect(store.size).toBe(size - NODES_PER_DOC);
    const results = await index.asRetriever({ similarityTopK: 10 }).retrieve({ query: "cheese" });
    expect(results.length).toBe(size - NODES_PER_DOC);
    expect(results.some((r) => r.node.sourceNode?.nodeId === "doc-cheese")).toBe(false);
  });

  it("insert, retrieve, deleteRefDoc, persist, reload with fromVectorStore, query again", async () => {
    const dir = tempDir();
    const store = new LeannVectorStore({ embedModel: embed });
    const index = await VectorStoreIndex.fromVectorStore(store);
    for (const doc of docs()) await index.insert(doc);
    expect((await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: "penguins swim" }))[0]!.node.getContent(MetadataMode.NONE)).toContain(
      "Penguins",
    );
    // index.insert puts nothing in the docstore; deleteRefDoc still deletes (the store guards
    // SimpleKVStore.delete against the collection that was never written).
    await index.deleteRefDoc("doc-birds");
    await store.persist(dir);
    store.close();

    const reloaded = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    const again = await VectorStoreIndex.fromVectorStore(reloaded);
    const results = await again.asRetriever({ similarityTopK: 2 }).retrieve({ query: "penguins swim rockets" });
    expect(results).toHaveLength(2);
    expect(results.some((r) => r.node.sourceNode?.nodeId === "doc-birds")).toBe(false);
    expect(results[0]!.node.getContent(MetadataMode.NONE)).toMatch(/rocket/i);
    const response = await again.asQueryEngine({ similarityTopK: 2 }).query({ query: "What did the Saturn V rocket do?" });
    expect(response.toString()).toBe("The Saturn V rocket took astronauts to the Moon.");
    reloaded.close();
  });

  it("follows the storage context conventions: one persistDir, docstore and Leann store reopened together", async () => {
    const dir = tempDir();
    {
      const vectorStore = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
      const storageContext = await storageContextFromDefaults({ persistDir: dir, vectorStore });
      await VectorStoreIndex.fromDocuments(docs(), { storageContext });
      vectorStore.close();
    }
    // A second run: the docstore knows the documents, so fromDocuments skips them (upserts by hash);
    // the Leann store, saved on every add, still has their nodes (one a document at the default chunk size).
    const vectorStore = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    const size = vectorStore.size;
    expect(size).toBe(CORPUS.length);
    const storageContext = await storageContextFromDefaults({ persistDir: dir, vectorStore });
    const index = await VectorStoreIndex.fromDocuments(docs(), { storageContext });
    expect(vectorStore.size).toBe(size);
    const response = await index.asQueryEngine({ similarityTopK: 2 }).query({ query: "How long does Parmesan cheese age?" });
    expect(response.toString()).toBe("Parmesan cheese ages for at least twelve months.");
    vectorStore.close();
  });
});
