/** A LeannVectorStore on disk (save, load, damage) and the typed errors bad input gets. */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { describe, expect, it } from "vitest";
import { CorruptIndexError, DimensionMismatchError, DuplicateIdError, EmbedderError, IndexNotFoundError, InvalidInputError, InvalidOptionsError, LeannError, ModelMismatchError } from "@leann/core";
import * as adapter from "../src/index.js";
import { LeannVectorStore } from "../src/index.js";
import { HashEmbedder } from "@leann/testing";
import { expectLeannError, fruit, hashEmbedder, ids, sentences, tempDir } from "./helpers.js";

describe("LeannVectorStore: persistence", () => {
  it("round-trips through save and load: same results, nothing re-embedded on load", async () => {
    const docs = sentences(150);
    const store = await LeannVectorStore.fromDocuments(docs, hashEmbedder(), { buildOptions: { seed: 3 } });
    const dir = tempDir();
    await store.save(dir);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    const embeddings = hashEmbedder();
    const loaded = await LeannVectorStore.load(dir, embeddings);
    expect(loaded).toBeInstanceOf(LeannVectorStore);
    expect(embeddings.embedded).toBe(0);
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
    const again = await LeannVectorStore.load(dir, hashEmbedder(), { searchOptions: { ef: 128 } });
    expect(ids(await again.similaritySearch("hail and frost brand new", 1))).toEqual(["fresh"]);
    again.close();
  });

  it("saves a store whose documents were all deleted as an empty store", async () => {
    const store = await LeannVectorStore.fromDocuments(fruit(), hashEmbedder(), {});
    const dir = tempDir();
    await store.save(dir);
    const all = (await store.similaritySearch("fruit", 6)).map((d) => d.id!);
    await store.delete({ ids: all });
    await store.save(dir);
    // The deletions are persisted: the reloaded store is empty, and grows again.
    const loaded = await LeannVectorStore.load(dir, hashEmbedder());
    expect(await loaded.similaritySearch("fruit", 6)).toHaveLength(0);
    await loaded.addDocuments([{ pageContent: "a fresh apple", metadata: {} }]);
    expect(await loaded.similaritySearch("apple", 6)).toHaveLength(1);
    loaded.close();
  });
});

describe("LeannVectorStore: bad input gets the core's typed errors", () => {
  it("rejects ids and documents of different lengths (InvalidInputError)", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    await expectLeannError(store.addDocuments(fruit(), { ids: ["a", "b"] }), InvalidInputError, "INVALID_INPUT");
    const embeddings = hashEmbedder();
    const docs = fruit();
    const vectors = docs.map((d) => embeddings.vector(d.pageContent));
    await expectLeannError(store.addVectors(vectors.slice(1), docs), InvalidInputError, "INVALID_INPUT");
    await expectLeannError(store.addVectors(vectors, docs, { ids: ["a"] }), InvalidInputError, "INVALID_INPUT");
  });

  it("rejects vectors of the wrong dimension (DimensionMismatchError)", async () => {
    const embeddings = hashEmbedder(64);
    const store = await LeannVectorStore.fromDocuments(fruit(), embeddings);
    const short = hashEmbedder(32).vector("apples");
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
    await expectLeannError(LeannVectorStore.load(empty, hashEmbedder()), IndexNotFoundError, "INDEX_NOT_FOUND");
    await expectLeannError(LeannVectorStore.load(join(empty, "nothing-here"), hashEmbedder()), IndexNotFoundError, "INDEX_NOT_FOUND");
  });

  it("rejects a damaged index (CorruptIndexError) and another model (ModelMismatchError, DimensionMismatchError)", async () => {
    const dir = tempDir();
    const store = await LeannVectorStore.fromDocuments(fruit(), hashEmbedder(64));
    await store.save(dir);
    await expectLeannError(LeannVectorStore.load(dir, hashEmbedder(32)), ModelMismatchError, "MODEL_MISMATCH");
    await expectLeannError(
      LeannVectorStore.load(dir, hashEmbedder(32), { loadOptions: { allowModelMismatch: true } }),
      DimensionMismatchError,
      "DIMENSION_MISMATCH",
    );
    writeFileSync(join(dir, "CURRENT"), "not json");
    await expectLeannError(LeannVectorStore.load(dir, hashEmbedder(64)), CorruptIndexError, "CORRUPT_INDEX");
  });

  it("rejects duplicate ids in one call (DuplicateIdError), empty texts, non-JSON metadata and delete without ids (InvalidInputError)", async () => {
    const store = new LeannVectorStore(hashEmbedder());
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
    const construct = Promise.resolve().then(() => new LeannVectorStore(hashEmbedder(), { similarity: () => 0 } as never));
    const err = await expectLeannError(construct, InvalidOptionsError, "INVALID_OPTIONS");
    expect(err.message).toContain('"similarity"');
    const store = await LeannVectorStore.fromDocuments(fruit(), hashEmbedder());
    await expectLeannError(store.similaritySearch("apples", 0), InvalidOptionsError, "INVALID_OPTIONS");
    await expectLeannError(store.similaritySearch("apples", 2, { filters: [{ key: "kind", operator: "~~" as never, value: 1 }] }), InvalidOptionsError, "INVALID_OPTIONS");
    // Build options are checked when the store creates its index, before any document is embedded.
    const badBuild = Promise.resolve().then(() => new LeannVectorStore(hashEmbedder(), { buildOptions: { M: 1 } }));
    expect((await expectLeannError(badBuild, InvalidOptionsError, "INVALID_OPTIONS")).message).toContain("M");
  });

  it("wraps a failing embedding model (EmbedderError)", async () => {
    const embeddings = hashEmbedder();
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
    await new LeannVectorStore(hashEmbedder()).save(dir);
    const loaded = await LeannVectorStore.load(dir, hashEmbedder());
    expect(loaded.size).toBe(0);
    expect(await loaded.similaritySearch("apple", 3)).toHaveLength(0);
    await loaded.addDocuments([{ pageContent: "a fresh apple", metadata: {} }]);
    expect((await loaded.similaritySearch("apple", 3)).map((d) => d.pageContent)).toEqual(["a fresh apple"]);
    await loaded.close();
  });

  it("refuses to save to an empty path (InvalidInputError)", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    await expectLeannError(store.save(""), InvalidInputError, "INVALID_INPUT");
  });
});

describe("LeannVectorStore: embeddings that settle their model on loading", () => {
  /** Like LocalEmbeddings given a folder: named by the folder until loaded, then by the model loaded from it. */
  class FolderModel extends HashEmbedder {
    constructor() {
      super({ bigrams: true, dims: 256, model: "./models/potion" });
    }
    async load(): Promise<void> {
      this.model = "potion-base-2M";
    }
  }

  it("records the settled model, so the saved store loads with the same embeddings", async () => {
    const store = new LeannVectorStore(new FolderModel());
    await Promise.all([store.addDocuments(fruit().slice(0, 3)), store.addDocuments(fruit().slice(3))]);
    expect(store.size).toBe(6);
    const dir = tempDir();
    await store.save(dir);
    const loaded = await LeannVectorStore.load(dir, new FolderModel());
    expect((await loaded.similaritySearch("jazz piano chords", 1))[0]!.pageContent).toContain("jazz piano");
    await loaded.close();
  });
});
