import { describe, expect, it } from "vitest";
import { EmbedderError, LeannIndex, type MetadataFilters } from "../src/index.js";
import { GatedEmbedder } from "@leann/testing";
import { clustered, exactTopK, recall, rows, TableEmbedder, tempDir } from "./helpers.js";

function dataset(n: number, dims: number, seed: number) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `doc ${i}`);
  return { data, texts, emb: new TableEmbedder(texts, data) };
}

async function meanRecall(index: LeannIndex, data: number[][], liveIds: number[], queries: number[][]): Promise<number> {
  const live = liveIds.map((i) => data[i]!);
  let r = 0;
  for (const q of queries) {
    const { hits } = await index.search(q, { k: 10 });
    r += recall(hits.map((h) => Number(h.id)), exactTopK(live, q, 10).map((j) => liveIds[j]!));
  }
  return r / queries.length;
}

describe("updates", () => {
  it("stays within 0.02 recall of a fresh build after +10% inserts and -10% deletes", async () => {
    const { data, texts, emb } = dataset(2200, 32, 4);
    const queries = rows(clustered(2240, 32, 4), 32).slice(2200);
    const first = Array.from({ length: 2000 }, (_, i) => i);
    const index = await LeannIndex.build(first.map((i) => ({ id: String(i), text: texts[i]! })), { embedder: emb });
    const added = await index.add(Array.from({ length: 200 }, (_, j) => ({ id: String(2000 + j), text: texts[2000 + j]! })));
    expect(added.ids).toHaveLength(200);
    expect(added.stats.embedded).toBe(200);
    // Recomputation per insert is reported and bounded by the search budget.
    expect(added.stats.recomputed / 200).toBeLessThanOrEqual(128);
    const gone = Array.from({ length: 200 }, (_, j) => String(j * 10));
    expect((await index.delete(gone)).deleted).toBe(200);
    expect(index.size).toBe(2000);
    const liveIds = Array.from({ length: 2200 }, (_, i) => i).filter((i) => !(i < 2000 && i % 10 === 0));
    const updated = await meanRecall(index, data, liveIds, queries);
    const fresh = await LeannIndex.build(liveIds.map((i) => ({ id: String(i), text: texts[i]! })), { embedder: emb });
    const baseline = await meanRecall(fresh, data, liveIds, queries);
    expect(updated).toBeGreaterThanOrEqual(baseline - 0.02);
    expect(index.reachableCount()).toBe(2000);
  });

  it("never returns a deleted passage, and compacts on demand", async () => {
    const { data, texts, emb } = dataset(500, 16, 6);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb });
    const before = await index.search(data[42]!, { k: 5 });
    const victims = before.hits.map((h) => h.id);
    await index.delete(victims);
    const after = await index.search(data[42]!, { k: 5 });
    expect(after.hits).toHaveLength(5);
    expect(after.hits.some((h) => victims.includes(h.id))).toBe(false);
    expect(index.has(victims[0]!)).toBe(false);
    await index.compact();
    expect(index.size).toBe(495);
    expect((await index.search(data[42]!, { k: 5 })).hits.map((h) => h.id)).toEqual(after.hits.map((h) => h.id));
  });

  it("replaces a passage when its id is added again (upsert)", async () => {
    const { data, texts, emb } = dataset(300, 16, 7);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb });
    const r = await index.add([{ id: "5", text: texts[200]!, metadata: { v: 2 } }]);
    expect(r.stats.replaced).toBe(1);
    expect(index.size).toBe(300);
    expect(index.get("5")).toEqual({ id: "5", text: texts[200], metadata: { v: 2 } });
    const hits = (await index.search(data[200]!, { k: 2 })).hits.map((h) => h.id).sort();
    expect(hits).toEqual(["200", "5"]);
  });

  it("leaves the index unchanged when the embedder fails during add", async () => {
    const { data, texts, emb } = dataset(400, 16, 8);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb, cacheBytes: 0, embedBatchSize: 1 });
    const before = await index.search(data[3]!, { k: 5 });
    let calls = 0;
    const original = emb.embedDocuments.bind(emb);
    emb.embedDocuments = async (t: string[]) => {
      // The first new passage embeds fine; the second call (in flight beside it) fails.
      if (calls++ >= 1) throw new Error("model crashed");
      return original(t);
    };
    await expect(index.add([{ id: "x1", text: "doc 1 again" }, { id: "x2", text: "doc 2 again" }])).rejects.toBeInstanceOf(EmbedderError);
    emb.embedDocuments = original;
    expect(index.size).toBe(400);
    expect(index.has("x1")).toBe(false);
    expect((await index.search(data[3]!, { k: 5 })).hits).toEqual(before.hits);
    expect(index.reachableCount()).toBe(400);
  });

  it("can delete everything, then search (no hits) and add again", async () => {
    const { data, texts, emb } = dataset(40, 8, 9);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb });
    await index.delete(texts.map((_, i) => String(i)));
    expect(index.size).toBe(0);
    expect((await index.search(data[0]!, { k: 3 })).hits).toEqual([]);
    await index.add([{ id: "back", text: texts[0]! }]);
    expect((await index.search(data[0]!, { k: 3 })).hits.map((h) => h.id)).toEqual(["back"]);
  });

  it("serialises concurrent adds and keeps concurrent searches consistent", async () => {
    const { data, texts, emb } = dataset(600, 16, 10);
    const index = await LeannIndex.build(texts.slice(0, 400).map((text, i) => ({ id: String(i), text })), { embedder: emb });
    const adds = [0, 1, 2, 3].map((b) => index.add(Array.from({ length: 50 }, (_, j) => ({ id: String(400 + b * 50 + j), text: texts[400 + b * 50 + j]! }))));
    const searches = [1, 2, 3].map((i) => index.search(data[i]!, { k: 3 }));
    await Promise.all([...adds, ...searches]);
    expect(index.size).toBe(600);
    for (const i of [450, 599]) expect((await index.search(data[i]!, { k: 1 })).hits[0]!.id).toBe(String(i));
  });
});

describe("filters inside the search", () => {
  const n = 1000;
  const { data, texts, emb } = dataset(n, 16, 12);
  const meta = (i: number) => ({
    i,
    group: ["a", "b", "c", "d"][i % 4]!,
    tags: [`t${i % 5}`, `u${i % 3}`],
    title: `title ${i}`,
    ...(i % 7 === 0 ? {} : { opt: i % 2 }),
    ...(i % 11 === 0 ? { blank: "" } : {}),
  });
  const indexP = LeannIndex.build(texts.map((text, i) => ({ id: String(i), text, metadata: meta(i) })), { embedder: emb });
  const rowsTable: [string, MetadataFilters, (m: ReturnType<typeof meta>) => boolean][] = [
    ["==", { filters: [{ key: "group", operator: "==", value: "b" }] }, (m) => m.group === "b"],
    ["!=", { filters: [{ key: "group", operator: "!=", value: "b" }] }, (m) => m.group !== "b"],
    [">", { filters: [{ key: "i", operator: ">", value: 700 }] }, (m) => m.i > 700],
    ["<", { filters: [{ key: "i", operator: "<", value: 300 }] }, (m) => m.i < 300],
    [">=", { filters: [{ key: "i", operator: ">=", value: 500 }] }, (m) => m.i >= 500],
    ["<=", { filters: [{ key: "i", operator: "<=", value: 500 }] }, (m) => m.i <= 500],
    ["in", { filters: [{ key: "group", operator: "in", value: ["a", "c"] }] }, (m) => m.group === "a" || m.group === "c"],
    ["nin", { filters: [{ key: "group", operator: "nin", value: ["a", "c"] }] }, (m) => m.group !== "a" && m.group !== "c"],
    ["any", { filters: [{ key: "tags", operator: "any", value: ["t1", "t2"] }] }, (m) => m.tags.includes("t1") || m.tags.includes("t2")],
    ["all", { filters: [{ key: "tags", operator: "all", value: ["t1", "u1"] }] }, (m) => m.tags.includes("t1") && m.tags.includes("u1")],
    ["contains", { filters: [{ key: "tags", operator: "contains", value: "u2" }] }, (m) => m.tags.includes("u2")],
    ["text_match", { filters: [{ key: "title", operator: "text_match", value: "title 1" }] }, (m) => m.title.includes("title 1")],
    ["is_empty (missing or empty)", { filters: [{ key: "blank", operator: "is_empty" }] }, (m) => !("blank" in m) || (m as { blank?: string }).blank === ""],
    ["missing key fails ==", { filters: [{ key: "opt", operator: "!=", value: 5 }] }, (m) => "opt" in m],
    ["and", { filters: [{ key: "group", operator: "==", value: "a" }, { key: "i", operator: "<", value: 500 }], condition: "and" }, (m) => m.group === "a" && m.i < 500],
    ["or", { filters: [{ key: "group", operator: "==", value: "a" }, { key: "i", operator: "<", value: 100 }], condition: "or" }, (m) => m.group === "a" || m.i < 100],
  ];
  it.each(rowsTable)("operator %s returns only matches, k of them, near the exact filtered top k", async (_name, filter, pred) => {
    const index = await indexP;
    const q = data[17]!;
    const matching = Array.from({ length: n }, (_, i) => i).filter((i) => pred(meta(i)));
    const truth = exactTopK(matching.map((i) => data[i]!), q, 10).map((j) => matching[j]!);
    const { hits } = await index.search(q, { k: 10, filter });
    expect(hits).toHaveLength(Math.min(10, matching.length));
    for (const h of hits) expect(pred(h.metadata as ReturnType<typeof meta>)).toBe(true);
    expect(recall(hits.map((h) => Number(h.id)), truth)).toBeGreaterThanOrEqual(0.8);
  });

  it("switches to scoring the matches directly for a very selective filter, and says so", async () => {
    const index = await indexP;
    const { hits, stats } = await index.search(data[5]!, { k: 10, filter: (m) => (m.i as number) % 100 === 3 });
    expect(stats.path).toBe("scan");
    expect(hits.map((h) => Number(h.id)).sort((a, b) => a - b)).toEqual([3, 103, 203, 303, 403, 503, 603, 703, 803, 903]);
  });

  it("walks with the filter when many passages match", async () => {
    const index = await indexP;
    const { stats, hits } = await index.search(data[5]!, { k: 5, filter: { filters: [{ key: "group", operator: "!=", value: "d" }] } });
    expect(stats.path).toBe("two-level");
    expect(stats.filterShare).toBeGreaterThan(0.6);
    expect(stats.recomputed).toBeLessThan(n / 2);
    expect(hits).toHaveLength(5);
  });

  it("rejects malformed filters with a typed error", async () => {
    const index = await indexP;
    await expect(index.search(data[0]!, { filter: { filters: [{ key: "i", operator: "~" as never, value: 1 }] } })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    await expect(index.search(data[0]!, { filter: { filters: [{ key: "i", operator: "in", value: 3 }] } })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });
});

describe("growing from a small first batch", () => {
  it("rebuilds while small so an index grown by many small adds searches like a fresh one", async () => {
    const { data, texts, emb } = dataset(420, 16, 13);
    const queries = data.slice(400);
    // 128 B a passage: at the 16-d default (96 B, graph 40 B) the 89 passages inserted after the last rebuild
    // (321 -> 400) leave recall@10 at 0.96 against a fresh build's 1.00 whatever the search effort: a known limit
    // of inserts into a thin graph (docs/tuning.md, Updates), not of the rebuilds this test is about.
    const budget = 128;
    const index = await LeannIndex.build([{ id: "0", text: texts[0]! }], { embedder: emb, budget });
    let rebuilds = 0, recomputed = 0;
    for (let start = 1; start < 400; start += 10) {
      const batch = Array.from({ length: Math.min(10, 400 - start) }, (_, j) => ({ id: String(start + j), text: texts[start + j]! }));
      const before = emb.embedded;
      const r = await index.add(batch);
      // An add of n embeds at most 2n texts: its own, and as many old ones when it rebuilds.
      expect(emb.embedded - before).toBe(batch.length + r.stats.recomputed);
      expect(r.stats.recomputed).toBeLessThanOrEqual(r.stats.rebuilt ? batch.length : 0);
      if (r.stats.rebuilt) rebuilds++;
      recomputed += r.stats.recomputed;
    }
    expect(index.size).toBe(400);
    // Doublings: 1 -> 11 -> 21 -> 41 -> 81 -> 161 -> 321, each mostly from decoded vectors of the old passages.
    expect(rebuilds).toBeGreaterThanOrEqual(5);
    expect(recomputed).toBeLessThanOrEqual(10 * rebuilds);
    const ids = Array.from({ length: 400 }, (_, i) => i);
    const grown = await meanRecall(index, data, ids, queries);
    const fresh = await meanRecall(await LeannIndex.build(ids.map((i) => ({ id: String(i), text: texts[i]! })), { embedder: emb, budget }), data, ids, queries);
    expect(grown).toBeGreaterThanOrEqual(fresh - 0.03);
  });

  it("writes the passages again after a rebuild when saving to the same directory", async () => {
    const { texts, emb } = dataset(40, 8, 16);
    const dir = tempDir();
    const index = await LeannIndex.build(texts.slice(0, 10).map((text, i) => ({ id: String(i), text })), { embedder: emb });
    await index.save(dir);
    const r = await index.add(texts.slice(10, 30).map((text, j) => ({ id: String(10 + j), text })));
    expect(r.stats.rebuilt).toBe(true);
    await index.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder: emb });
    expect(loaded.size).toBe(30);
    expect(loaded.get("29")?.text).toBe(texts[29]);
  });

  it("saves and loads an empty index (everything deleted), then grows it again", async () => {
    const { data, texts, emb } = dataset(30, 8, 14);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb });
    await index.delete(texts.map((_, i) => String(i)));
    const dir = tempDir();
    await index.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder: emb });
    expect(loaded.size).toBe(0);
    expect((await loaded.search(data[0]!, { k: 3 })).hits).toEqual([]);
    await loaded.add([{ id: "a", text: texts[5]! }, { id: "b", text: texts[6]! }]);
    expect((await loaded.search(data[5]!, { k: 1 })).hits[0]!.id).toBe("a");
  });

  it("keeps a search in flight consistent while a delete compacts the index", async () => {
    const { texts, data } = dataset(400, 16, 15);
    const gated = new GatedEmbedder(new TableEmbedder(texts, data));
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: gated, cacheBytes: 0 });
    gated.hold();
    const inFlight = index.search(data[1]!, { k: 5 });
    await gated.nextCall(); // the search now waits on a recomputation
    const deleting = index.delete(texts.map((_, i) => String(i)).filter((_, i) => i % 2 === 0));
    await new Promise(setImmediate);
    expect(index.size).toBe(400); // the delete waits for the search
    gated.open();
    const { hits } = await inFlight;
    expect(hits).toHaveLength(5);
    await deleting;
    expect(index.size).toBe(200);
  });
});
