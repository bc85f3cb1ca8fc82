/**
 * The kit's embedders against the real engine: the contract the migrated tests rely on
 * (wrappers keep the model identity, the gate holds a search's embedder calls, a planned
 * failure surfaces as the engine's typed error).
 */
import { EmbedderError, LeannIndex, ModelMismatchError } from "@leann/core";
import { afterAll, describe, expect, it } from "vitest";
import { FailingEmbedder, GatedEmbedder, HashEmbedder, leannErrorOf, tempDirs, topicPassages } from "../src/index.js";

const dirs = tempDirs("leann-testing-");
afterAll(() => dirs.cleanup());

describe("the kit with LeannIndex", () => {
  it("loads an index built with a HashEmbedder through a gated and a failing wrapper of it (same model identity)", async () => {
    const base = new HashEmbedder({ dims: 32 });
    const index = await LeannIndex.build(topicPassages(60), { embedder: base });
    const dir = dirs.make();
    await index.save(dir);
    index.close();
    for (const wrapped of [new GatedEmbedder(base), new FailingEmbedder(base)]) {
      const loaded = await LeannIndex.load(dir, { embedder: wrapped });
      expect(loaded.size).toBe(60);
      loaded.close();
    }
    // The check is real: a HashEmbedder under another name is refused.
    const renamed = new GatedEmbedder(new HashEmbedder({ dims: 32, model: "another-model" }));
    expect(await leannErrorOf(LeannIndex.load(dir, { embedder: renamed }))).toBeInstanceOf(ModelMismatchError);
  });

  it("holds a search on its query embedding until the test releases it", async () => {
    const base = new HashEmbedder({ dims: 32 });
    const gated = new GatedEmbedder(base);
    const index = await LeannIndex.build(topicPassages(60), { embedder: gated });
    gated.hold();
    let settled = false;
    const search = index.search("telescope orbit comet", { k: 3 }).finally(() => (settled = true));
    const call = await gated.nextCall();
    expect(call.texts).toEqual(["telescope orbit comet"]);
    expect(settled).toBe(false);
    gated.open();
    const { hits } = await search;
    expect(hits).toHaveLength(3);
    expect(hits[0]!.metadata?.topic).toBe("astronomy");
  });

  it("surfaces a planned embedder failure during a build as EmbedderError", async () => {
    const failing = new FailingEmbedder(new HashEmbedder({ dims: 32 })).failNext(1);
    const err = await leannErrorOf(LeannIndex.build(topicPassages(20), { embedder: failing }));
    expect(err).toBeInstanceOf(EmbedderError);
    expect(err.code).toBe("EMBEDDER_FAILED");
  });
});
