import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock } from "../src/format/lock.js";
import { GatedEmbedder } from "@leann/testing";
import { LeannIndex } from "../src/index.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

function corpus(n: number, seed: number) {
  const data = rows(clustered(n, 16, seed), 16);
  const texts = data.map((_, i) => `doc ${i}`);
  return { data, texts, emb: new TableEmbedder(texts, data) };
}

describe("found in review", () => {
  it("sizes() during an add in flight changes nothing: the add lands and the save loads", async () => {
    const { texts, data, emb: table } = corpus(320, 31);
    const emb = new GatedEmbedder(table);
    const index = await LeannIndex.build(texts.slice(0, 300).map((text, i) => ({ id: String(i), text })), { embedder: emb, cacheBytes: 0 });
    emb.hold();
    const adding = index.add(texts.slice(300, 305).map((text, j) => ({ id: String(300 + j), text })));
    const own = await emb.nextCall();
    expect(own.texts).toEqual(texts.slice(300, 305)); // the new passages' own embeddings
    // The add is in flight (its embeddings outstanding; linking needs no other embedder call).
    const during = index.sizes();
    own.release();
    emb.open();
    await adding;
    expect(index.sizes().pqCodes).toBeGreaterThan(during.pqCodes);
    expect(index.reachableCount()).toBe(305);
    expect((await index.search(data[303]!, { k: 1 })).hits[0]!.id).toBe("303");
    const dir = tempDir();
    await index.save(dir);
    expect((await LeannIndex.load(dir, { embedder: emb })).size).toBe(305);
  });

  it("rejects calls after close() with ClosedError, and closes after the search in flight", async () => {
    const { texts, data, emb } = corpus(200, 32);
    const dir = tempDir();
    await (await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb })).save(dir);
    const index = await LeannIndex.load(dir, { embedder: emb });
    const inFlight = index.search(data[2]!, { k: 3 });
    const closing = index.close();
    expect((await inFlight).hits).toHaveLength(3);
    await closing;
    await expect(index.search(data[2]!, { k: 3 })).rejects.toMatchObject({ code: "CLOSED" });
    await expect(index.add([{ text: "x" }])).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("loads a lazily resolved embedder before comparing model identities", async () => {
    const { texts, emb } = corpus(40, 34);
    const dir = tempDir();
    const built = Object.assign(new TableEmbedder([...emb.table.keys()], [...emb.table.values()]), { model: "fallback-model" });
    await (await LeannIndex.build(texts.map((text) => ({ text })), { embedder: built })).save(dir);
    // Before load() it names the model it was asked for; after, the one it resolved to.
    const lazy = Object.assign(new TableEmbedder([...emb.table.keys()], [...emb.table.values()]), {
      model: "requested-model",
      loads: 0,
      async load() {
        this.loads++;
        this.model = "fallback-model";
      },
    });
    const index = await LeannIndex.load(dir, { embedder: lazy });
    expect(lazy.loads).toBe(1);
    expect(index.size).toBe(40);
  });

  it("validates load options", async () => {
    const { texts, emb } = corpus(50, 33);
    const dir = tempDir();
    await (await LeannIndex.build(texts.map((text) => ({ text })), { embedder: emb })).save(dir);
    for (const bad of [{ embedBatchSize: 0 }, { embedBatchSize: Number.NaN }, { cacheBytes: -1 }, { bogus: true }]) {
      await expect(LeannIndex.load(dir, { embedder: emb, ...bad } as never)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    }
  });

  it("lets one writer hold a directory, and takes over the lock of a dead process", () => {
    const dir = tempDir();
    const release = acquireLock(dir);
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "LOCKED" }));
    release();
    writeFileSync(join(dir, "LOCK"), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "then", token: "dead" }));
    const again = acquireLock(dir);
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "LOCKED" }));
    again();
  });
});
