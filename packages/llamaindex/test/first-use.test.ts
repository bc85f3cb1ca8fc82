/**
 * The store as a new user meets it, following this package's README: split documents
 * yourself, index the nodes, delete a document, reopen, query. Each case failed once.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EmbedderError, InvalidOptionsError, ModelMismatchError } from "@leann/core";
import {
  Document,
  MetadataMode,
  SentenceSplitter,
  SimpleKVStore,
  SimpleVectorStore,
  storageContextFromDefaults,
  TextNode,
  VectorStoreIndex,
  VectorStoreQueryMode,
  type BaseNode,
  type BaseVectorStore,
} from "llamaindex";
import { afterEach, describe, expect, it } from "vitest";
import { LeannEmbedding, LeannVectorStore } from "../src/index.js";
import { CORPUS, HashEmbedding, tempDir, useSettings } from "./helpers.js";

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

const docs = () => CORPUS.map((d) => new Document({ id_: d.id_, text: d.text, metadata: { ...d.metadata } }));
/** The README's chunking recipe: small chunks, several per document. */
const split = () => new SentenceSplitter({ chunkSize: 40, chunkOverlap: 0 }).getNodesFromDocuments(docs());

/** Every node the store holds, by id, as queries return them. */
async function storedNodes(store: LeannVectorStore): Promise<Map<string, BaseNode>> {
  const r = await store.query({ queryStr: "anything at all", similarityTopK: store.size, mode: VectorStoreQueryMode.DEFAULT });
  return new Map(r.nodes!.map((n) => [n.id_, n]));
}

/** The README's recipe: split yourself, then VectorStoreIndex.init; deleteRefDoc with its defaults. Returns the texts left. */
async function initThenDelete(vectorStore: BaseVectorStore, persistDir?: string): Promise<string[]> {
  const storageContext = await storageContextFromDefaults({ vectorStore, ...(persistDir ? { persistDir } : {}) });
  const index = await VectorStoreIndex.init({ nodes: split(), storageContext });
  await index.deleteRefDoc("doc-cheese");
  const left = await index.asRetriever({ similarityTopK: 100 }).retrieve({ query: "cheese from France" });
  return left.map((r) => r.node.getContent(MetadataMode.NONE)).sort();
}

describe("deleteRefDoc after VectorStoreIndex.init({ nodes, storageContext })", () => {
  it("deletes the document's nodes, leaving what SimpleVectorStore leaves", async () => {
    const embed = new HashEmbedding();
    restore = useSettings({ embedModel: embed });
    const store = new LeannVectorStore({ embedModel: embed });
    const cheese = split().filter((n) => n.sourceNode?.nodeId === "doc-cheese").length;
    expect(cheese).toBeGreaterThan(1);
    const left = await initThenDelete(store);
    expect(store.size).toBe(split().length - cheese);
    expect(left).toHaveLength(split().length - cheese);
    expect(left).toEqual(await initThenDelete(new SimpleVectorStore({ embedModel: embed })));
  });

  it("deletes with a persisted docstore too, and the deletion is saved", async () => {
    const embed = new HashEmbedding();
    restore = useSettings({ embedModel: embed });
    const dir = tempDir();
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    const left = await initThenDelete(store, dir);
    store.close();
    const reopened = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    expect([...(await storedNodes(reopened)).values()].map((n) => n.getContent(MetadataMode.NONE)).sort()).toEqual(left);
    reopened.close();
  });

  it("leaves SimpleKVStore's delete as it was for collections that exist", async () => {
    new LeannVectorStore({ embedModel: new HashEmbedding() });
    const kv = new SimpleKVStore();
    expect(await kv.delete("a", "never-written")).toBe(false);
    await kv.put("a", { x: 1 }, "c");
    expect(await kv.delete("b", "c")).toBe(false);
    expect(await kv.delete("a", "c")).toBe(true);
    expect(await kv.get("a", "c")).toBeNull();
  });
});

describe("nodes come back with the hash they went in with", () => {
  it("keeps the hash of split nodes, which differs from the hash of their final content", async () => {
    const embed = new HashEmbedding();
    const nodes = split();
    expect(nodes.some((n) => n.hash !== n.generateHash())).toBe(true); // the case that lost its hash
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add(nodes);
    const back = await storedNodes(store);
    expect(back.size).toBe(nodes.length);
    for (const node of nodes) expect(back.get(node.id_)!.hash).toBe(node.hash);
  });

  it("keeps the hash across persist and reopen, for text nodes and documents", async () => {
    const embed = new HashEmbedding();
    const text = new TextNode({ id_: "t", text: "Comets have icy tails.", metadata: { a: 1 } as Record<string, number> });
    const before = text.hash;
    text.metadata.b = 2; // changed after its hash was read: the stored hash is the one it went in with
    const doc = new Document({ id_: "d", text: "A document about planets.", metadata: { source: "p.txt" } });
    const dir = tempDir();
    const store = new LeannVectorStore({ embedModel: embed });
    await store.add([text, doc]);
    await store.persist(dir);
    store.close();
    const reopened = await LeannVectorStore.fromPersistDir(dir, { embedModel: embed });
    const back = await storedNodes(reopened);
    expect(back.get("t")!.hash).toBe(before);
    expect(back.get("d")!.hash).toBe(doc.hash);
    expect(back.get("d")).toBeInstanceOf(Document);
    reopened.close();
  });
});

describe("fromPersistDir", () => {
  it("throws InvalidOptionsError for a file path, and writes nothing there", async () => {
    const file = join(tempDir(), "index.json");
    writeFileSync(file, "{}");
    restore = useSettings({ embedModel: new HashEmbedding() });
    const err = await LeannVectorStore.fromPersistDir(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as InvalidOptionsError).code).toBe("INVALID_OPTIONS");
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/is a file, expected a directory/);
    expect(readFileSync(file, "utf8")).toBe("{}");
  });
});

/** A LangChain-shaped embedder, as LocalEmbeddings from @leann/onnx is: embedDocuments, embedQuery, load, modelId. */
class BowEmbeddings {
  readonly queries: string[] = [];
  documents = 0;
  loads = 0;
  private readonly bow = new HashEmbedding();
  constructor(readonly modelId = "bow-local") {}
  async load(): Promise<void> {
    this.loads++;
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documents += texts.length;
    return texts.map((t) => this.bow.embed(t));
  }
  async embedQuery(text: string): Promise<number[]> {
    this.queries.push(text);
    return this.bow.embed(text);
  }
}

/** Like LocalEmbeddings given a folder: named by the folder until loaded, then by the model loaded from it. */
class FolderBowEmbeddings extends BowEmbeddings {
  constructor() {
    super("./models/bow");
  }
  override async load(): Promise<void> {
    await super.load();
    (this as { modelId: string }).modelId = "bow-local";
  }
}

describe("the embedding model", () => {
  it("is recorded as the embedder settles it on loading, so a store persisted with it reopens", async () => {
    const dir = tempDir();
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: new LeannEmbedding(new FolderBowEmbeddings()) });
    const nodes = split();
    await Promise.all([store.add(nodes.slice(0, 2)), store.add(nodes.slice(2))]);
    expect(store.client().model).toBe("bow-local");
    await store.close();
    const reopened = await LeannVectorStore.fromPersistDir(dir, { embedModel: new LeannEmbedding(new FolderBowEmbeddings()) });
    expect(reopened.size).toBe(nodes.length);
    await reopened.close();
  });

  it("is checked at construction: anything else is an InvalidOptionsError, a LangChain-shaped embedder's says to wrap it", async () => {
    const notModels: [unknown, RegExp][] = [
      [new BowEmbeddings(), /LangChain-style embedder \(BowEmbeddings.*new LeannEmbedding\(embedder\)/],
      ["text-embedding-3-small", /options\.embedModel must be a LlamaIndex embedding model.*received string "text-embedding-3-small"/],
      [{ getTextEmbedding: () => [1] }, /must be a LlamaIndex embedding model.*received an object with keys \["getTextEmbedding"\]/],
    ];
    for (const [embedModel, message] of notModels) {
      const make = () => new LeannVectorStore({ embedModel: embedModel as never });
      expect(make).toThrow(InvalidOptionsError);
      expect(make).toThrow(message);
      const err = await LeannVectorStore.fromPersistDir(tempDir(), { embedModel: embedModel as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidOptionsError);
    }
    restore = useSettings({ embedModel: new BowEmbeddings() as never });
    expect(() => new LeannVectorStore()).toThrow(/Settings\.embedModel is a LangChain-style embedder/);
  });

  it("LeannEmbedding makes a LangChain-shaped embedder a LlamaIndex model: index, retrieve, persist, reopen", async () => {
    const local = new BowEmbeddings();
    const embedModel = new LeannEmbedding(local);
    expect(embedModel.model).toBe("bow-local");
    restore = useSettings({ embedModel });
    const dir = tempDir();
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel });
    const nodes = split();
    const index = await VectorStoreIndex.init({ nodes, storageContext: await storageContextFromDefaults({ vectorStore: store }) });
    expect(local.documents).toBe(nodes.length); // LlamaIndex embedded each node once, in one batch of <= 64
    expect(store.client()!.model).toBe("bow-local");
    const [top] = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: "Which cheese comes from France?" });
    expect(top!.node.getContent(MetadataMode.NONE)).toContain("Brie");
    expect(local.queries).toEqual(["Which cheese comes from France?"]);
    store.close();

    const again = new BowEmbeddings();
    const reopened = await LeannVectorStore.fromPersistDir(dir, { embedModel: new LeannEmbedding(again) });
    expect(again.loads).toBe(1); // the core loads the wrapped embedder itself
    const [hit] = await (await VectorStoreIndex.fromVectorStore(reopened)).asRetriever({ similarityTopK: 1 }).retrieve({ query: "Saturn V rocket Moon" });
    expect(hit!.node.getContent(MetadataMode.NONE)).toContain("Saturn V");
    reopened.close();

    const other = await LeannVectorStore.fromPersistDir(dir, { embedModel: new LeannEmbedding(new BowEmbeddings("another-model")) }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ModelMismatchError);
  });

  it("LeannEmbedding rejects what is not an embedder and turns the embedder's failures into EmbedderError", async () => {
    expect(() => new LeannEmbedding({} as never)).toThrow(InvalidOptionsError);
    expect(() => new LeannEmbedding(new BowEmbeddings(), { embedBatchSize: 0 })).toThrow(InvalidOptionsError);
    const failing = new BowEmbeddings();
    failing.embedQuery = async () => {
      throw new Error("model file missing");
    };
    const err = await new LeannEmbedding(failing).getQueryEmbedding({ type: "text", text: "q" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbedderError);
    expect((err as Error).message).toContain("model file missing");
    expect(await new LeannEmbedding(failing).getTextEmbeddings(["a", "b"])).toHaveLength(2);
  });
});

/** Another model of the same dimensions: same words, other vectors (its components in reverse). */
class ReversedEmbedding extends HashEmbedding {
  override embed(text: string): number[] {
    return super.embed(text).reverse();
  }
}

describe("reopening with fromVectorStore while Settings.embedModel is another model of the same dimensions", () => {
  async function savedStore(): Promise<string> {
    const dir = tempDir();
    const modelA = new HashEmbedding(64, "model-a");
    const store = new LeannVectorStore({ embedModel: modelA });
    await store.add(split().map((n) => Object.assign(n, { embedding: modelA.embed(n.getContent(MetadataMode.EMBED)) })));
    await store.persist(dir);
    store.close();
    return dir;
  }

  it("throws ModelMismatchError naming both models instead of returning wrong passages", async () => {
    const dir = await savedStore();
    restore = useSettings({ embedModel: new ReversedEmbedding(64, "model-b") });
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: new HashEmbedding(64, "model-a") });
    const index = await VectorStoreIndex.fromVectorStore(store);
    const err = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: "Which cheese comes from France?" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelMismatchError);
    expect((err as ModelMismatchError).code).toBe("MODEL_MISMATCH");
    expect((err as Error).message).toMatch(/Settings\.embedModel, model "model-b" \(ReversedEmbedding\).*model "model-a" \(HashEmbedding\)/);
    // A text query is embedded with the store's own model: nothing to check.
    const r = await store.query({ queryStr: "Which cheese comes from France?", similarityTopK: 1, mode: VectorStoreQueryMode.DEFAULT });
    expect(r.nodes![0]!.getContent(MetadataMode.NONE)).toContain("Brie");
    store.close();
  });

  it("answers when Settings.embedModel is the store's model, or when allowModelMismatch says two names are one model", async () => {
    const dir = await savedStore();
    restore = useSettings({ embedModel: new HashEmbedding(64, "model-a") });
    const store = await LeannVectorStore.fromPersistDir(dir, { embedModel: new HashEmbedding(64, "model-a") });
    const [top] = await (await VectorStoreIndex.fromVectorStore(store)).asRetriever({ similarityTopK: 1 }).retrieve({ query: "Which cheese comes from France?" });
    expect(top!.node.getContent(MetadataMode.NONE)).toContain("Brie");
    store.close();
    restore();

    restore = useSettings({ embedModel: new HashEmbedding(64, "model-a:latest") });
    for (const options of [{ allowModelMismatch: true }, { load: { allowModelMismatch: true } }]) {
      const named = await LeannVectorStore.fromPersistDir(dir, { embedModel: new HashEmbedding(64, "model-a:latest"), ...options });
      const [hit] = await (await VectorStoreIndex.fromVectorStore(named)).asRetriever({ similarityTopK: 1 }).retrieve({ query: "Which cheese comes from France?" });
      expect(hit!.node.getContent(MetadataMode.NONE)).toContain("Brie");
      named.close();
    }
  });
});
