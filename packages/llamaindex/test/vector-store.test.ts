import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuplicateIdError, InvalidInputError, InvalidOptionsError, LeannError, ModelMismatchError } from "@leann/core";
import { createRng } from "@leann/testing";
import {
  Document,
  IndexNode,
  MetadataMode,
  NodeRelationship,
  SimpleVectorStore,
  TextNode,
  VectorStoreQueryMode,
  type BaseNode,
} from "llamaindex";
import { afterEach, describe, expect, it } from "vitest";
import { LeannVectorStore } from "../src/index.js";
import { HashEmbedding, nodeOf, tempDir, useSettings } from "./helpers.js";

const TEXTS: [string, string, string][] = [
  ["a1", "Swallows migrate to Africa every autumn.", "doc-birds"],
  ["a2", "Owls hunt at night and see well in the dark.", "doc-birds"],
  ["a3", "Penguins cannot fly but swim very fast.", "doc-birds"],
  ["b1", "Cheddar cheese comes from England.", "doc-cheese"],
  ["b2", "Brie is a soft cheese from France.", "doc-cheese"],
  ["c1", "Rockets carry their own oxygen to burn fuel.", "doc-rockets"],
  ["c2", "Reusable rockets land back on a pad.", "doc-rockets"],
];

function corpus(embed?: HashEmbedding): TextNode[] {
  return TEXTS.map(([id, text, doc], i) => nodeOf(id, text, doc, { topic: doc.slice(4), position: i }, embed));
}

const q = (embed: HashEmbedding, text: string, similarityTopK = 3, extra: object = {}) => ({
  queryEmbedding: embed.embed(text),
  similarityTopK,
  mode: VectorStoreQueryMode.DEFAULT,
  ...extra,
});

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("LeannVectorStore", () => {
  it("starts empty and answers queries with no results before the first add", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    expect(store.storesText).toBe(true);
    expect(store.client().size).toBe(0);
    expect(await store.query(q(embed, "anything"))).toEqual({ nodes: [], similarities: [], ids: [] });
    expect(await store.add([])).toEqual([]);
  });

  it("builds the index on the first add and inserts on later adds", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const nodes = corpus(embed);
    expect(await store.add(nodes.slice(0, 4))).toEqual(["a1", "a2", "a3", "b1"]);
    const index = store.client();
    expect(index.size).toBe(4);
    expect(await store.add(nodes.slice(4))).toEqual(["b2", "c1", "c2"]);
    expect(store.client()).toBe(index);
    expect(store.size).toBe(7);
    const r = await store.query(q(embed, "reusable rockets land", 1));
    expect(r.ids).toEqual(["c2"]);
  });

  it("uses the nodes' embeddings when present and the embed model only for the others", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const withVectors = corpus(embed);
    withVectors[2]!.embedding = undefined;
    withVectors[5]!.embedding = undefined;
    await store.add(withVectors);
    // Only the two nodes without embeddings were embedded while adding, as LlamaIndex embeds them.
    expect(embed.batches.flat()).toEqual([withVectors[2]!.getContent(MetadataMode.EMBED), withVectors[5]!.getContent(MetadataMode.EMBED)]);

    const embed2 = new HashEmbedding();
    const store2 = new LeannVectorStore({ embedModel: embed2 });
    await store2.add(corpus());
    expect(embed2.embeddedTexts).toBe(TEXTS.length);
  });

  it("sends the embed model at most embedBatchSize texts a call", async () => {
    const embed = new HashEmbedding();
    embed.embedBatchSize = 3;
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus());
    expect(embed.batches.map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it("returns the node that went in: id, class, text, metadata, relationships, hash", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const text = new TextNode({
      id_: "t1",
      text: "  Comets have icy tails.  ",
      metadata: { source: "sky.txt", nested: { page: 3 }, tags: ["space"] },
      excludedEmbedMetadataKeys: ["source"],
      excludedLlmMetadataKeys: ["tags"],
      relationships: {
        [NodeRelationship.SOURCE]: { nodeId: "doc-sky", metadata: { kind: "file" } },
        [NodeRelationship.NEXT]: { nodeId: "t2", metadata: {} },
      },
      startCharIdx: 10,
      endCharIdx: 36,
    });
    const doc = new Document({ id_: "d1", text: "A whole document about planets.", metadata: { source: "planets.txt" } });
    const indexNode = new IndexNode({ id_: "i1", text: "Pointer to another index about stars.", indexId: "stars", metadata: {} });
    await store.add([text, doc, indexNode]);

    const byId = new Map<string, BaseNode>();
    for (const query of ["comets icy tails", "document planets", "another index stars"]) {
      const r = await store.query(q(embed, query, 1));
      byId.set(r.ids[0]!, r.nodes![0]!);
    }
    const t = byId.get("t1") as TextNode;
    expect(t).toBeInstanceOf(TextNode);
    expect(t.text).toBe(text.text);
    expect(t.metadata).toEqual(text.metadata);
    expect(t.relationships).toEqual(text.relationships);
    expect(t.excludedEmbedMetadataKeys).toEqual(["source"]);
    expect(t.excludedLlmMetadataKeys).toEqual(["tags"]);
    expect([t.startCharIdx, t.endCharIdx]).toEqual([10, 36]);
    expect(t.hash).toBe(text.hash);
    expect(t.getContent(MetadataMode.LLM)).toBe(text.getContent(MetadataMode.LLM));
    expect(byId.get("d1")).toBeInstanceOf(Document);
    expect((byId.get("d1") as Document).text).toBe(doc.text);
    expect(byId.get("i1")).toBeInstanceOf(IndexNode);
    expect((byId.get("i1") as IndexNode).indexId).toBe("stars");

    // Stored: the text LlamaIndex embeds; the node's own text is not stored twice unless
    // removing the metadata header would not give it back exactly (here: trimmed spaces).
    const stored = (id: string) => store.client()!.get(id)!;
    const content = (id: string) => JSON.parse(stored(id).metadata._node_content as string) as { text: string };
    expect(stored("d1").text).toBe(doc.getContent(MetadataMode.EMBED));
    expect(stored("d1").text).toBe("source: planets.txt\n\nA whole document about planets.");
    expect(content("d1").text).toBe("");
    expect(stored("t1").text).toBe(text.getContent(MetadataMode.EMBED));
    expect(content("t1").text).toBe(text.text);
  });

  it("queries by queryStr through the embed model when no queryEmbedding is given", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    const r = await store.query({ queryStr: "brie soft cheese france", similarityTopK: 1, mode: VectorStoreQueryMode.DEFAULT });
    expect(r.ids).toEqual(["b2"]);
    expect(embed.queries).toContain("brie soft cheese france");
    await expect(store.query({ similarityTopK: 1, mode: VectorStoreQueryMode.DEFAULT })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("scores like SimpleVectorStore: same top-k ids and cosine similarities", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const simple = new SimpleVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    await simple.add(corpus(embed));
    for (const text of ["cheese from france", "rockets fuel oxygen", "birds fly swim"]) {
      const a = await store.query(q(embed, text, 3));
      const b = await simple.query(q(embed, text, 3));
      // Nodes sharing no word with the query all score 0: among them neither store has an order.
      const ranked = (r: typeof a) => r.ids.filter((_, i) => r.similarities[i]! > 1e-6);
      expect(ranked(a)).toEqual(ranked(b));
      expect(ranked(a).length).toBeGreaterThanOrEqual(2);
      expect(a.similarities).toHaveLength(b.similarities.length);
      a.similarities.forEach((s, i) => expect(s).toBeCloseTo(b.similarities[i]!, 5));
    }
  });

  it("restricts results to docIds (source documents, inside the search) and combines them with filters", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    const r = await store.query(q(embed, "cheese rockets birds", 10, { docIds: ["doc-birds", "doc-rockets"] }));
    expect([...r.ids].sort()).toEqual(["a1", "a2", "a3", "c1", "c2"]);
    const filtered = await store.query(
      q(embed, "cheese rockets birds", 10, { docIds: ["doc-birds", "doc-rockets"], filters: { filters: [{ key: "position", operator: ">=", value: 2 }] } }),
    );
    expect([...filtered.ids].sort()).toEqual(["a3", "c1", "c2"]);
    // k nodes come back whenever k nodes match.
    expect((await store.query(q(embed, "cheese", 2, { docIds: ["doc-rockets"] }))).ids).toHaveLength(2);
    // Node ids match too (what SimpleVectorStore.TS compares docIds with).
    expect((await store.query(q(embed, "cheese", 5, { docIds: ["b2"] }))).ids).toEqual(["b2"]);
    expect((await store.query(q(embed, "cheese", 5, { docIds: [] }))).ids).toEqual([]);
  });

  it("deletes every node of a source document, and nothing else", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    await store.delete("doc-birds");
    expect(store.size).toBe(4);
    const r = await store.query(q(embed, "swallows owls penguins birds", 7));
    expect(r.ids.some((id) => id.startsWith("a"))).toBe(false);
    await store.delete("no-such-doc");
    await store.delete("b1"); // a node id is not a source document
    expect(store.size).toBe(4);
  });

  it("moves a re-added node to its new source document (upsert)", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    await store.add([nodeOf("b1", "Cheddar cheese, now in the rockets document.", "doc-rockets", {}, embed)]);
    expect(store.size).toBe(7);
    await store.delete("doc-cheese");
    expect(store.client()?.has("b1")).toBe(true);
    expect(store.client()?.get("b1")?.text).toBe("Cheddar cheese, now in the rockets document.");
    await store.delete("doc-rockets");
    expect(store.size).toBe(3);
  });

  it("serialises concurrent adds: one build, every node stored", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const nodes = corpus(embed);
    const results = await Promise.all([store.add(nodes.slice(0, 2)), store.add(nodes.slice(2, 5)), store.add(nodes.slice(5))]);
    expect(results.flat()).toEqual(TEXTS.map(([id]) => id));
    expect(store.size).toBe(7);
  });

  it("throws DuplicateIdError for two nodes with one id in a call, and keeps the store usable", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const nodes = corpus(embed);
    const err = await store.add([nodes[0]!, nodes[0]!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateIdError);
    expect((err as LeannError).code).toBe("DUPLICATE_ID");
    expect(await store.add(nodes)).toHaveLength(7);
  });

  it("re-ranks with MMR exactly as SimpleVectorStore does when the candidates cover the store", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed, mmrFetchK: 50 });
    const simple = new SimpleVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    await simple.add(corpus(embed));
    const query = { ...q(embed, "cheese from england and france", 3), mode: VectorStoreQueryMode.MMR };
    const a = await store.query(query);
    const b = await simple.query(query);
    expect(a.ids).toEqual(b.ids);
    a.similarities.forEach((s, i) => expect(s).toBeCloseTo(b.similarities[i]!, 5));
    expect(a.nodes?.map((n) => n.id_)).toEqual(a.ids);
  });

  it("passes mmrThreshold to the re-ranking (1 = pure relevance, the default ranking)", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    const plain = await store.query(q(embed, "cheese rockets", 4));
    const mmr = await store.query({ ...q(embed, "cheese rockets", 4), mode: VectorStoreQueryMode.MMR, mmrThreshold: 1 });
    expect(mmr.ids).toEqual(plain.ids);
  });

  it("rejects unsupported query modes with LeannError UNSUPPORTED", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    for (const mode of [VectorStoreQueryMode.SVM, VectorStoreQueryMode.SEMANTIC_HYBRID, VectorStoreQueryMode.LINEAR_REGRESSION]) {
      const err = await store.query({ ...q(embed, "cheese"), mode }).catch((e: unknown) => e);
      expect(LeannError.isInstance(err)).toBe(true);
      expect((err as LeannError).code).toBe("UNSUPPORTED");
      expect((err as Error).message).toContain(mode);
    }
    const bad = await store.query(q(embed, "cheese", 0)).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidOptionsError);
  });

  it("takes Settings.embedModel when none is passed, and says so when neither is set", () => {
    restore = useSettings({ embedModel: null });
    expect(() => new LeannVectorStore()).toThrow(InvalidOptionsError);
    expect(() => new LeannVectorStore()).toThrow(/Settings\.embedModel/);
    const embed = new HashEmbedding();
    restore();
    restore = useSettings({ embedModel: embed });
    expect(new LeannVectorStore().embedModel).toBe(embed);
  });

  it("records the embedding's model name and refuses to reopen the index with another model", async () => {
    const dir = tempDir();
    const embed = new HashEmbedding(64, "model-a");
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    expect(store.client()?.model).toBe("model-a");
    await store.persist(dir);
    store.close();
    const err = await LeannVectorStore.fromPersistDir(dir, { embedModel: new HashEmbedding(64, "model-b") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as LeannError).code).toBe("MODEL_MISMATCH");
  });
});

describe("persistence", () => {
  it("persists, reloads and answers the same query with the same nodes and scores", async () => {
    const dir = tempDir();
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    const before = await store.query(q(embed, "cheese from france", 3));
    await store.persist(dir);
    store.close();

    const reloaded = await LeannVectorStore.fromPersistDir(dir, { embedModel: new HashEmbedding() });
    expect(reloaded.size).toBe(7);
    const after = await reloaded.query(q(embed, "cheese from france", 3));
    expect(after.ids).toEqual(before.ids);
    after.similarities.forEach((s, i) => expect(s).toBeCloseTo(before.similarities[i]!, 5));
    expect(after.nodes?.map((n) => n.toJSON())).toEqual(before.nodes?.map((n) => n.toJSON()));
    reloaded.close();
  });

  it("deletes by source document after a reload, from the ref_doc_id stored with each node", async () => {
    const dir = tempDir();
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(corpus(embed));
    await store.persist(dir);
    store.close();

    const embed2 = new HashEmbedding();
    const reloaded = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed2, autoPersist: false });
    await reloaded.add([nodeOf("d1", "Durian smells strongly.", "doc-fruit", {}, embed2)]);
    const before = embed2.embeddedTexts;
    await reloaded.delete("doc-cheese");
    expect(embed2.embeddedTexts).toBe(before); // finding the document's nodes embeds nothing
    expect(reloaded.size).toBe(6);
    await reloaded.delete("doc-fruit");
    expect(reloaded.size).toBe(5);
    expect((await reloaded.query(q(embed, "cheese durian", 7))).ids.sort()).toEqual(["a1", "a2", "a3", "c1", "c2"]);
    reloaded.close();
  });

  it("tells a document named \"None\" from nodes without a source when deleting", async () => {
    const embed = new HashEmbedding();
    const store = new LeannVectorStore({ embedModel: embed });
    const orphan = new TextNode({ id_: "orphan", text: "A node with no source document." });
    await store.add([nodeOf("n1", "A node of the document None.", "None"), orphan, nodeOf("o1", "Another document.", "other")]);
    await store.delete("None");
    expect(store.client().listIds().sort()).toEqual(["o1", "orphan"]);
    await store.delete("unknown");
    expect(store.size).toBe(2);
    const closing = store.close();
    expect(store.close()).toBe(closing);
    await closing;
  });

  it("fromPersistDir starts an empty store in a new directory and saves every add and delete there", async () => {
    const dir = join(tempDir(), "storage");
    const embed = new HashEmbedding();
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    expect(store.size).toBe(0);
    await store.add(corpus(embed));
    expect(existsSync(join(dir, "CURRENT"))).toBe(true);

    const second = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed, autoPersist: false });
    expect(second.size).toBe(7);
    second.close();

    await store.delete("doc-rockets");
    const third = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    expect(third.size).toBe(5);
    third.close();
    store.close();
  });

  it("an emptied store persists as an empty index, and reopens empty", async () => {
    const dir = tempDir();
    const embed = new HashEmbedding();
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    await store.add(corpus(embed).slice(0, 2));
    await store.delete("doc-birds");
    expect(store.size).toBe(0);
    expect(readdirSync(dir).filter((f) => f === "CURRENT" || f.endsWith(".leann")).sort()).toEqual(["CURRENT", "index.2.leann", "passages.2.leann"]);
    const reopened = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    expect(reopened.size).toBe(0);
    expect((await reopened.query(q(embed, "birds"))).ids).toEqual([]);
    // And the emptied store keeps working.
    await store.add(corpus(embed).slice(3, 5));
    expect(store.size).toBe(2);
    store.close();
  });
});

describe("at a few hundred nodes", () => {
  // Seeded synthetic corpus: 8 words from a 300-word vocabulary per node, half in group 1 at random.
  function corpusOf(n: number, seed: number): TextNode[] {
    const rand = createRng(seed);
    const vocab = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}`);
    return Array.from({ length: n }, (_, i) => {
      const text = Array.from({ length: 8 }, () => vocab[Math.floor(rand() * vocab.length)]).join(" ");
      return nodeOf(`n${i}`, text, `doc${i % 40}`, { group: rand() < 0.5 ? 1 : 0, rank: i });
    });
  }

  it("finds SimpleVectorStore's top 10 (recall >= 0.95, ties counted), with and without a filter walked inside the graph", async () => {
    const embed = new HashEmbedding(64);
    const nodes = corpusOf(600, 7);
    for (const n of nodes) n.embedding = embed.embed(n.getContent(MetadataMode.EMBED));
    const store = new LeannVectorStore({ embedModel: embed });
    const simple = new SimpleVectorStore({ embedModel: embed });
    await store.add(nodes);
    await simple.add(nodes);
    const queries = corpusOf(20, 99).map((n) => n.text);
    // Half the nodes match the filter: the core walks the graph with it rather than scanning the matches.
    const probe = await store.client()!.search(embed.embed(queries[1]!), { k: 10, filter: { filters: [{ key: "group", operator: "==", value: 1 }] } });
    expect(probe.stats.path).toBe("two-level");
    let found = 0, total = 0;
    for (const [i, text] of queries.entries()) {
      const filters = i % 2 ? { filters: [{ key: "group", operator: "==" as const, value: 1 }] } : undefined;
      const query = { ...q(embed, text, 10), ...(filters ? { filters } : {}) };
      const [a, b] = [await store.query(query), await simple.query(query)];
      expect(a.ids).toHaveLength(10);
      if (filters) expect(a.nodes!.every((n) => n.metadata.group === 1)).toBe(true);
      // Bag-of-words scores tie a lot: a hit counts when it scores at least SimpleVectorStore's k-th.
      found += a.similarities.filter((x) => x >= b.similarities.at(-1)! - 1e-6).length;
      total += b.ids.length;
    }
    expect(found / total).toBeGreaterThanOrEqual(0.95);
    // And it did not re-embed the store to get there.
    expect(embed.embeddedTexts / queries.length).toBeLessThan(nodes.length / 2);
  });
});
