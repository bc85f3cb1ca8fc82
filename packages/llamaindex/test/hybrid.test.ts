import { InvalidInputError, InvalidOptionsError, LeannError } from "@leann/core";
import { IDENTIFIER_CORPUS } from "@leann/testing";
import { MetadataMode, storageContextFromDefaults, VectorStoreIndex, VectorStoreQueryMode, type VectorStoreQuery } from "llamaindex";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeannVectorStore, TEXT_SEARCH_MODE, type LeannQueryParams } from "../src/index.js";
import { HashEmbedding, nodeOf, useSettings } from "./helpers.js";

/** An identifier's definition among notes sharing the question's everyday words (see the kit's IDENTIFIER_CORPUS). */
const { query: QUERY, needle: NEEDLE_PASSAGE, distractors: DISTRACTORS } = IDENTIFIER_CORPUS;
const NEEDLE = NEEDLE_PASSAGE.text;

let embed: HashEmbedding;
let restore: () => void;
beforeEach(() => {
  embed = new HashEmbedding();
  restore = useSettings({ embedModel: embed });
});
afterEach(() => restore());

async function storeWithNeedle(build: { keywordIndex?: boolean } = {}): Promise<LeannVectorStore> {
  const store = new LeannVectorStore({ embedModel: embed, build });
  const nodes = [...DISTRACTORS.map((p) => nodeOf(p.id, p.text, "doc-notes", p.metadata)), nodeOf(NEEDLE_PASSAGE.id, NEEDLE, "doc-code", NEEDLE_PASSAGE.metadata)];
  await store.add(nodes);
  return store;
}

async function indexWithNeedle(): Promise<VectorStoreIndex> {
  const store = await storeWithNeedle();
  return VectorStoreIndex.init({ nodes: [], storageContext: await storageContextFromDefaults({ vectorStore: store }) });
}

const idsOf = (results: { node: { id_: string } }[]) => results.map((r) => r.node.id_);

const query = (mode: string, extra: Partial<VectorStoreQuery<LeannQueryParams>> = {}): VectorStoreQuery<LeannQueryParams> => ({
  queryStr: QUERY,
  similarityTopK: 3,
  mode: mode as VectorStoreQueryMode,
  ...extra,
});

describe("query modes through VectorStoreIndex retrievers", () => {
  it("does find the identifier's definition first with mode HYBRID, which DEFAULT (dense) misses", async () => {
    const index = await indexWithNeedle();
    const dense = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.DEFAULT }).retrieve({ query: QUERY });
    expect(idsOf(dense)).not.toContain("needle");

    const hybrid = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.HYBRID }).retrieve({ query: QUERY });
    expect(hybrid).toHaveLength(3);
    expect(hybrid[0]!.node.id_).toBe("needle");
    expect(hybrid[0]!.node.getContent(MetadataMode.NONE)).toBe(NEEDLE);
    // Fused scores: min-max normalised on both sides, so the best is at most 1, and in rank order.
    expect(hybrid[0]!.score).toBeLessThanOrEqual(1);
    expect(hybrid[0]!.score).toBeGreaterThan(hybrid[1]!.score!);
  });

  it("does find the identifier with mode SPARSE (keyword only) and rank by BM25", async () => {
    const index = await indexWithNeedle();
    const sparse = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.SPARSE }).retrieve({ query: QUERY });
    expect(sparse[0]!.node.id_).toBe("needle");
    expect(sparse[0]!.score).toBeGreaterThan(sparse[1]!.score!);
  });

  it("does take a retriever's dense share from customParams.alpha (1 = the DEFAULT mode's dense ranking)", async () => {
    const index = await indexWithNeedle();
    const dense = await index.asRetriever({ similarityTopK: 3 }).retrieve({ query: QUERY });
    const alpha1 = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.HYBRID, customParams: { alpha: 1 } }).retrieve({ query: QUERY });
    expect(idsOf(alpha1)).toEqual(idsOf(dense));
    const alpha0 = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.HYBRID, customParams: { alpha: 0 } }).retrieve({ query: QUERY });
    const sparse = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.SPARSE }).retrieve({ query: QUERY });
    expect(idsOf(alpha0)).toEqual(idsOf(sparse));
  });
});

describe("LeannVectorStore.query modes", () => {
  it("does not call the embed model for SPARSE and text_search queries", async () => {
    const store = await storeWithNeedle();
    const embedded = embed.embeddedTexts;
    for (const mode of [VectorStoreQueryMode.SPARSE, TEXT_SEARCH_MODE]) {
      const r = await store.query(query(mode));
      expect(r.ids[0]).toBe("needle");
    }
    expect(embed.embeddedTexts).toBe(embedded);
    expect(embed.queries).toEqual([]);
  });

  it("does use query.alpha before customParams.alpha before the store's alpha option", async () => {
    const store = await storeWithNeedle();
    const dense = await store.query(query(VectorStoreQueryMode.DEFAULT));
    const sparse = await store.query(query(VectorStoreQueryMode.SPARSE));
    expect(dense.ids).not.toEqual(sparse.ids);
    expect((await store.query(query(VectorStoreQueryMode.HYBRID, { alpha: 1, customParams: { alpha: 0 } }))).ids).toEqual(dense.ids);
    expect((await store.query(query(VectorStoreQueryMode.HYBRID, { customParams: { alpha: 0 } }))).ids).toEqual(sparse.ids);

    const keywordStore = new LeannVectorStore({ embedModel: embed, alpha: 0 });
    await keywordStore.add(store.client().listIds().map((id) => nodeOf(id, store.client().get(id)!.text, "doc")));
    expect((await keywordStore.query(query(VectorStoreQueryMode.HYBRID))).ids).toEqual(sparse.ids);
  });

  it("does keep DEFAULT dense for a text query: the same nodes and similarities as for its embedding", async () => {
    const store = await storeWithNeedle();
    const byText = await store.query(query(VectorStoreQueryMode.DEFAULT));
    const byVector = await store.query({ queryEmbedding: embed.embed(QUERY), similarityTopK: 3, mode: VectorStoreQueryMode.DEFAULT });
    expect(byText.ids).toEqual(byVector.ids);
    expect(byText.similarities).toEqual(byVector.similarities);
  });

  it("does embed a HYBRID query once through a retriever: the store's model is not called again for the text", async () => {
    const index = await indexWithNeedle();
    embed.queries.length = 0;
    const hybrid = await index.asRetriever({ similarityTopK: 3, mode: VectorStoreQueryMode.HYBRID }).retrieve({ query: QUERY });
    expect(hybrid[0]!.node.id_).toBe("needle");
    // The retriever's own queryEmbedding, and nothing from the store.
    expect(embed.queries).toEqual([QUERY]);
  });

  it("does return the same HYBRID nodes and similarities for queryEmbedding as for queryStr alone, without embedding the query", async () => {
    const store = await storeWithNeedle();
    embed.queries.length = 0;
    const byText = await store.query(query(VectorStoreQueryMode.HYBRID));
    expect(embed.queries).toEqual([QUERY]);
    for (const alpha of [undefined, 0.7, 1]) {
      const extra = alpha === undefined ? {} : { alpha };
      embed.queries.length = 0;
      const reference = alpha === undefined ? byText : await store.query(query(VectorStoreQueryMode.HYBRID, extra));
      const given = await store.query(query(VectorStoreQueryMode.HYBRID, { ...extra, queryEmbedding: embed.embed(QUERY) }));
      expect(given.ids).toEqual(reference.ids);
      expect(given.similarities).toEqual(reference.similarities);
      expect(embed.queries).toEqual(alpha === undefined ? [] : [QUERY]);
    }
  });

  it("does embed a HYBRID query's text with the store's model when queryEmbedding comes from another model", async () => {
    const store = await storeWithNeedle();
    const other = new HashEmbedding(64, "another-model");
    restore();
    restore = useSettings({ embedModel: other });
    embed.queries.length = 0;
    const byText = await store.query(query(VectorStoreQueryMode.HYBRID));
    // Another model's vector (here: of other words) must not steer the dense side.
    const given = await store.query(query(VectorStoreQueryMode.HYBRID, { queryEmbedding: other.embed("unrelated words entirely") }));
    expect(given.ids).toEqual(byText.ids);
    expect(given.similarities).toEqual(byText.similarities);
    expect(embed.queries).toEqual([QUERY, QUERY]);
  });

  it("does throw InvalidInputError for HYBRID, SPARSE or text_search without queryStr", async () => {
    const store = await storeWithNeedle();
    for (const mode of [VectorStoreQueryMode.HYBRID, VectorStoreQueryMode.SPARSE, TEXT_SEARCH_MODE]) {
      const err = await store.query({ queryEmbedding: embed.embed(QUERY), similarityTopK: 3, mode: mode as VectorStoreQueryMode }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toContain("queryStr");
    }
  });

  it("does throw InvalidOptionsError for an alpha outside [0, 1], on the store or on a query", async () => {
    expect(() => new LeannVectorStore({ embedModel: embed, alpha: 1.5 })).toThrow(InvalidOptionsError);
    const store = await storeWithNeedle();
    for (const bad of [-0.1, 2, Number.NaN]) {
      const err = await store.query(query(VectorStoreQueryMode.HYBRID, { alpha: bad })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidOptionsError);
      expect((err as Error).message).toContain("query.alpha");
    }
  });

  it("does throw InvalidOptionsError for HYBRID on an index built without a keyword index, and still answers DEFAULT", async () => {
    const store = await storeWithNeedle({ keywordIndex: false });
    const err = await store.query(query(VectorStoreQueryMode.HYBRID)).catch((e: unknown) => e);
    expect(LeannError.isInstance(err)).toBe(true);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toContain("keyword index");
    expect((await store.query(query(VectorStoreQueryMode.DEFAULT))).ids).toHaveLength(3);
  });
});
