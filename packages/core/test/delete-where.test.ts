import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidOptionsError, LeannIndex, type SearchFilter } from "../src/index.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

const dims = 16;
const data = rows(clustered(400, dims, 3), dims);
const texts = data.map((_, i) => `chunk ${i}`);
const docs = ["a", "b", "c", "d"];
/** Chunks of four reference documents, as a splitter would produce them. */
const passages = texts.map((text, i) => ({ id: `n${i}`, text, metadata: { ref_doc_id: docs[i % 4]!, part: i } }));
const emb = () => new TableEmbedder(texts, data);
const expected = (test: (i: number) => boolean) => passages.filter((_, i) => test(i)).map((p) => p.id).sort();
/** Ids come back in the index's internal order; compare them as sets. */
const sorted = (ids: string[]) => [...ids].sort();

describe("idsMatching", () => {
  const rowsOfFilters: [string, SearchFilter, (i: number) => boolean][] = [
    ["a declarative filter", { filters: [{ key: "ref_doc_id", operator: "==", value: "b" }] }, (i) => i % 4 === 1],
    ["two conditions joined by or", { filters: [{ key: "ref_doc_id", operator: "==", value: "a" }, { key: "part", operator: "<", value: 10 }], condition: "or" }, (i) => i % 4 === 0 || i < 10],
    ["a predicate on metadata and id", (m, id) => m.part === 7 || id === "n9", (i) => i === 7 || i === 9],
    ["a filter with no conditions", { filters: [] }, () => true],
    ["a filter nothing passes", { filters: [{ key: "ref_doc_id", operator: "==", value: "zz" }] }, () => false],
  ];
  for (const [name, filter, test] of rowsOfFilters) {
    it(`returns the ids of the live passages that pass when given ${name}`, async () => {
      const index = await LeannIndex.build(passages, { embedder: emb() });
      expect(sorted(await index.idsMatching(filter))).toEqual(expected(test));
    });
  }

  it("leaves out deleted passages and includes added ones", async () => {
    const index = await LeannIndex.build(passages.slice(0, 300), { embedder: emb() });
    await index.delete(["n1", "n5"]);
    await index.add(passages.slice(300));
    const filter: SearchFilter = { filters: [{ key: "ref_doc_id", operator: "==", value: "b" }] };
    expect(sorted(await index.idsMatching(filter))).toEqual(expected((i) => i % 4 === 1 && i !== 1 && i !== 5));
  });

  it("refuses a missing or malformed filter with a typed error", async () => {
    const index = await LeannIndex.build(passages.slice(0, 20), { embedder: emb() });
    await expect(index.idsMatching(undefined as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(index.idsMatching({ filters: [{ key: "x", operator: "~" as never, value: 1 }] })).rejects.toBeInstanceOf(InvalidOptionsError);
  });
});

describe("deleteWhere", () => {
  it("deletes every chunk of one reference document in one call and returns their ids", async () => {
    const index = await LeannIndex.build(passages, { embedder: emb() });
    const gone = await index.deleteWhere({ filters: [{ key: "ref_doc_id", operator: "==", value: "c" }] });
    expect(sorted(gone)).toEqual(expected((i) => i % 4 === 2));
    expect(index.size).toBe(300);
    for (const id of gone) expect(index.has(id)).toBe(false);
    expect(await index.idsMatching({ filters: [{ key: "ref_doc_id", operator: "==", value: "c" }] })).toEqual([]);
    // Deleted chunks never come back from a search, even when asked for by their own vectors.
    for (const i of [2, 6, 10]) {
      const { hits } = await index.search(data[i]!, { k: 10 });
      expect(hits.every((h) => h.metadata.ref_doc_id !== "c")).toBe(true);
    }
    expect(index.reachableCount()).toBe(300);
  });

  it("keeps the deletion through a save and load", async () => {
    const dir = tempDir();
    const index = await LeannIndex.build(passages, { embedder: emb() });
    await index.deleteWhere((m) => (m.part as number) >= 200);
    await index.save(dir);
    await index.close();
    const loaded = await LeannIndex.load(dir, { embedder: emb() });
    expect(loaded.size).toBe(200);
    expect(await loaded.idsMatching({ filters: [{ key: "part", operator: ">=", value: 200 }] })).toEqual([]);
    await loaded.close();
  });

  it("returns no ids and changes nothing when nothing passes", async () => {
    const index = await LeannIndex.build(passages.slice(0, 40), { embedder: emb() });
    expect(await index.deleteWhere({ filters: [{ key: "ref_doc_id", operator: "==", value: "zz" }] })).toEqual([]);
    expect(index.size).toBe(40);
  });

  it("refuses a filter without conditions instead of deleting everything", async () => {
    const index = await LeannIndex.build(passages.slice(0, 40), { embedder: emb() });
    await expect(index.deleteWhere({ filters: [] })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(index.deleteWhere(undefined as never)).rejects.toBeInstanceOf(InvalidInputError);
    expect(index.size).toBe(40);
  });
});
