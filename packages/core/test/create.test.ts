import { describe, expect, it } from "vitest";
import { ClosedError, DimensionMismatchError, InvalidOptionsError, LeannIndex } from "../src/index.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

const dims = 24;
const data = rows(clustered(600, dims, 11), dims);
const texts = data.map((_, i) => `passage ${i}`);
const passages = texts.map((text, i) => ({ id: `p${i}`, text, metadata: { n: i } }));

describe("LeannIndex.create", () => {
  it("answers a search with no hits and no embedder call when nothing was added", async () => {
    const emb = new TableEmbedder(texts, data);
    const index = LeannIndex.create({ embedder: emb });
    expect(index.size).toBe(0);
    expect(index.dimensions).toBe(0);
    const r = await index.search("anything");
    expect(r.hits).toEqual([]);
    expect(emb.calls).toEqual([]);
  });

  it("learns its dimensions on the first add and then answers exactly as a built index does", async () => {
    const emb = new TableEmbedder(texts, data);
    const index = LeannIndex.create({ embedder: emb, M: 16 });
    const added = await index.add(passages);
    expect(added.stats.rebuilt).toBe(true);
    expect(index.dimensions).toBe(dims);
    expect(index.size).toBe(passages.length);
    const built = await LeannIndex.build(passages, { embedder: emb, M: 16 });
    expect(index.params).toEqual(built.params);
    for (const q of data.slice(0, 20)) {
      const a = await index.search(q, { k: 5 });
      const b = await built.search(q, { k: 5 });
      expect(a.hits.map((h) => [h.id, h.score])).toEqual(b.hits.map((h) => [h.id, h.score]));
    }
  });

  it("saves and loads while empty, keeping its build options for the first add", async () => {
    const dir = tempDir();
    const emb = new TableEmbedder(texts, data);
    const empty = LeannIndex.create({ embedder: emb, M: 12, pqBits: 8, storeVectors: true });
    await empty.save(dir);
    await empty.close();
    const loaded = await LeannIndex.load(dir, { embedder: emb });
    expect(loaded.size).toBe(0);
    expect(loaded.dimensions).toBe(0);
    expect(loaded.model).toBe("table-embedder");
    expect((await loaded.search(data[0]!)).hits).toEqual([]);
    await loaded.add(passages.slice(0, 100));
    expect(loaded.params.M).toBe(12);
    // storeVectors survived the empty save: the default search path reads stored vectors.
    const r = await loaded.search(data[3]!, { k: 1 });
    expect(r.stats.path).toBe("stored");
    expect(r.hits[0]!.id).toBe("p3");
    await loaded.save(dir);
    await loaded.close();
    const again = await LeannIndex.load(dir, { embedder: emb });
    expect(again.size).toBe(100);
    expect((await again.search(data[7]!, { k: 1 })).hits[0]!.id).toBe("p7");
    await again.close();
  });

  it("takes vectors on the first add and rejects other dimensions afterwards", async () => {
    const index = LeannIndex.create({ embedder: new TableEmbedder(texts, data) });
    await index.add(passages.slice(0, 10), { vectors: data.slice(0, 10) });
    expect(index.dimensions).toBe(dims);
    await expect(index.add([{ text: "short" }], { vectors: [[1, 2, 3]] })).rejects.toBeInstanceOf(DimensionMismatchError);
    expect(index.size).toBe(10);
  });

  it("refuses options without an embedder, with vectors, or out of range", () => {
    const emb = new TableEmbedder(texts, data);
    expect(() => LeannIndex.create({} as never)).toThrow(InvalidOptionsError);
    expect(() => LeannIndex.create({ embedder: emb, vectors: [] } as never)).toThrow(InvalidOptionsError);
    expect(() => LeannIndex.create({ embedder: emb, M: 1 })).toThrow(InvalidOptionsError);
  });
});

describe("close", () => {
  it("returns the promise it waits on, which resolves only after the search in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const emb = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(passages.slice(0, 50), { embedder: emb });
    const slow = {
      model: emb.model,
      embedDocuments: async (t: string[]) => {
        await gate;
        return emb.embedDocuments(t);
      },
    };
    // Rebind the index's embedder for this test by saving and loading with the gated one.
    const dir = tempDir();
    await index.save(dir);
    const gated = await LeannIndex.load(dir, { embedder: slow, probe: false });
    const search = gated.search("passage 3", { k: 1 });
    const closing = gated.close();
    expect(gated.close()).toBe(closing);
    let closed = false;
    void closing.then(() => (closed = true));
    // A full event-loop turn: an unguarded close would have released the file by now.
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    expect((await search).hits).toHaveLength(1);
    await closing;
    expect(closed).toBe(true);
    await expect(gated.search("passage 3")).rejects.toBeInstanceOf(ClosedError);
  });
});

describe("LeannIndex.create and embedders that settle their model on loading", () => {
  it("records the identity the embedder has after load(), so the saved index reloads with it", async () => {
    const texts = ["alpha", "beta", "gamma", "delta"];
    const vectors = texts.map((_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? 1 : 0.1)));
    // Named after its folder until it loads, then after the model it found there (as LocalEmbeddings does).
    const renaming = () => Object.assign(new TableEmbedder(texts, vectors, "./my-model-folder"), {
      loaded: 0,
      async load(this: { model: string; loaded: number }) {
        this.loaded++;
        this.model = "org/real-model";
      },
    });
    const first = renaming();
    const index = LeannIndex.create({ embedder: first });
    await index.add(texts.map((text, i) => ({ id: `t${i}`, text })));
    expect(first.loaded).toBe(1);
    expect(index.model).toBe("org/real-model");
    const dir = tempDir();
    await index.save(dir);
    const again = await LeannIndex.load(dir, { embedder: renaming() });
    expect(again.model).toBe("org/real-model");
    expect(again.size).toBe(4);
  });
});
