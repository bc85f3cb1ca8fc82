import { HashEmbedder, tempDir, topicPassages, topicQueries } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../src/index.js";
import { expectKeywordSearchIsBruteForce } from "./keyword/engine-reference.js";

const QUERIES = [...topicQueries(10, 21), "zebra quokka", "unique marker"];
const embedder = () => new HashEmbedder({ dims: 32 });
const keywordIds = async (index: LeannIndex, q: string) => (await index.search(q, { k: 50, alpha: 0 })).hits.map((h) => h.id);

describe("keyword index maintenance", () => {
  it("does match brute-force BM25 over the live passages after each add of a created index (rebuilds while small)", async () => {
    const index = LeannIndex.create({ embedder: embedder(), threads: 1 });
    const all = topicPassages(120, 4);
    for (const [from, to] of [[0, 20], [20, 45], [45, 120]] as const) {
      // Each add after the first also replaces a passage of the previous one (upsert through the rebuild).
      const upsert = from > 0 ? [{ ...all[from - 1]!, text: `zebra quokka ${from}` }] : [];
      const r = await index.add([...all.slice(from, to), ...upsert]);
      expect(r.stats).toMatchObject({ rebuilt: true, replaced: upsert.length });
      await expectKeywordSearchIsBruteForce(index, QUERIES);
    }
    expect((await keywordIds(index, "zebra")).sort()).toEqual(["p19", "p44"]);
  });

  it("does match brute-force BM25 after inserts, upserts, deletes, deleteWhere, compaction and save/load", async () => {
    const e = embedder();
    const index = await LeannIndex.build(topicPassages(300, 8), { embedder: e, threads: 1 });
    // Inserts (no rebuild: the index is past its rebuild-while-small size).
    const extra = topicPassages(340, 9).slice(300).map((p, i) => ({ ...p, id: `x${i}`, text: i === 0 ? "unique marker zebra" : p.text }));
    expect((await index.add(extra)).stats.rebuilt).toBe(false);
    await expectKeywordSearchIsBruteForce(index, QUERIES);
    expect(await keywordIds(index, "zebra")).toEqual(["x0"]);

    // Upserts: the old text is gone from the keyword side, the new one is found.
    await index.add([{ id: "x0", text: "quokka habitat notes" }, { id: "p5", text: "another unique marker" }]);
    expect(await keywordIds(index, "zebra")).toEqual([]);
    expect(await keywordIds(index, "quokka")).toEqual(["x0"]);
    await expectKeywordSearchIsBruteForce(index, QUERIES);

    await index.delete(["p1", "p2", "x3", "x0"]);
    expect(await keywordIds(index, "quokka")).toEqual([]);
    await expectKeywordSearchIsBruteForce(index, QUERIES);

    await index.deleteWhere({ filters: [{ key: "topic", operator: "==", value: "music" }] });
    await expectKeywordSearchIsBruteForce(index, QUERIES);
    for (const q of QUERIES) for (const h of (await index.search(q, { k: 20, alpha: 0 })).hits) expect(h.metadata.topic).not.toBe("music");

    await index.compact();
    await expectKeywordSearchIsBruteForce(index, QUERIES);

    // Past a quarter deleted, a delete compacts by itself.
    await index.delete(index.listIds().filter((_, i) => i % 3 === 0));
    await expectKeywordSearchIsBruteForce(index, QUERIES);

    const dir = tempDir();
    await index.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder: e, probe: false });
    await expectKeywordSearchIsBruteForce(loaded, QUERIES);
    // And it keeps up after the load: an upsert of a passage, a delete, a save.
    await loaded.add([{ id: "p7", text: "zebra quokka" }, { id: "y1", text: "zebra crossing" }]);
    await loaded.delete(["p8"]);
    await expectKeywordSearchIsBruteForce(loaded, QUERIES);
    await loaded.save(dir);
    await expectKeywordSearchIsBruteForce(await LeannIndex.load(dir, { embedder: e, probe: false }), QUERIES);
  }, 60_000);

  it("does keep no keyword index through updates of an index built without one", async () => {
    const index = await LeannIndex.build(topicPassages(40, 2), { embedder: embedder(), threads: 1, keywordIndex: false });
    await index.add([{ id: "n1", text: "zebra" }]);
    await index.delete(["p1"]);
    await index.compact();
    expect(index.hasKeywordIndex).toBe(false);
    expect(index.sizes().keyword).toBe(0);
  });
});
