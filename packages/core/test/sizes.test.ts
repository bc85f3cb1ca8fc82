import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LeannIndex, type IndexSizes } from "../src/index.js";
import { coreFileSize } from "../src/persist/codec.js";
import type { IndexState } from "../src/state.js";
import { MutablePassages } from "../src/store/mutable-passages.js";
import { passageFileBytes } from "../src/store/passage-file.js";
import { MemoryPassageStore, type PassageRecord, type PassageStore } from "../src/store/passages.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

function corpus(n: number, dims = 16, seed = 5) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `passage ${i}`);
  return { passages: texts.map((text, i) => ({ id: `p${i}`, text })), emb: new TableEmbedder(texts, data) };
}

const stateOf = (index: LeannIndex) => (index as unknown as { state: IndexState }).state;

/**
 * The figures computed from nothing kept: the graph compressed anew, the keyword section and the passage file
 * encoded anew.
 */
function fromScratch(index: LeannIndex): IndexSizes {
  const state = stateOf(index);
  const { core: c, passages } = state;
  const frozen = c.graph.frozen().graph;
  const graph = { offsets: frozen.offsets.byteLength, data: frozen.data.byteLength };
  const kw = state.keyword ? state.keyword.toBytes() : null;
  const parts = {
    graph: graph.offsets + graph.data,
    pqCodes: c.codes.byteLength,
    // int8 centroids with a float32 scale a subspace (half floats in older files).
    pqCodebooks: (c.pq.centroidScales ? c.pq.centroids.length + 4 * c.pq.subspaces : c.pq.centroids.length * 2) + c.pq.bounds.byteLength,
    rotation: c.pq.rotation ? (c.pq.rotationScales ? c.dims * c.dims + 4 * c.dims : c.dims * c.dims * 2) : 0,
    storedVectors: (c.storedVectors?.byteLength ?? 0) + c.hubVectors.byteLength + c.hubIds.byteLength,
    keyword: kw?.byteLength ?? 0,
  };
  const indexTotal = coreFileSize(c, passages.count, graph, kw);
  const records = Array.from({ length: passages.count }, (_, i) => passages.get(i));
  const counted = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, other: indexTotal - counted, indexTotal, passages: passageFileBytes(new MemoryPassageStore(records)) };
}

/**
 * The index figures must equal a from-scratch computation; the passage file's is exact while the records are as
 * stored, and after a change an estimate (blocks are compressed together, so a record's share is not its own size)
 * that must stay near what a save writes.
 */
function expectSizes(actual: IndexSizes, expected: IndexSizes, step: string, passagesExact: boolean) {
  const { passages: a, ...indexA } = actual;
  const { passages: e, ...indexE } = expected;
  expect(indexA, step).toEqual(indexE);
  if (passagesExact) expect(a, step).toBe(e);
  else expect(Math.abs(a - e), `${step}: passages ${a} against ${e}`).toBeLessThanOrEqual(Math.max(0.25 * e, 256));
}

function savedIndexBytes(dir: string): number {
  const file = readdirSync(dir).find((f) => /^index\.\d+\.leann$/.test(f))!;
  return statSync(join(dir, file)).size;
}

describe("sizes()", () => {
  it("reports the index file a save writes (to within a few bytes) without encoding it, also after changes", async () => {
    const { passages, emb } = corpus(700);
    const index = await LeannIndex.build(passages.slice(0, 600), { embedder: emb });
    // Checksums are counted at their longest decimal form: never less than the file, at most a few bytes more.
    const near = (reported: number, written: number) => {
      expect(reported).toBeGreaterThanOrEqual(written);
      expect(reported - written).toBeLessThan(128);
    };
    const check = async () => {
      const dir = tempDir();
      const before = index.sizes().indexTotal;
      await index.save(dir);
      const written = savedIndexBytes(dir);
      near(index.sizes().indexTotal, written);
      return { before, written };
    };
    let r = await check();
    near(r.before, r.written);
    await index.add(passages.slice(600));
    r = await check();
    near(r.before, r.written);
    await index.delete(passages.slice(0, 50).map((p) => p.id));
    // Deleted passages stay in the structures until compaction, which a save runs first.
    r = await check();
    expect(r.before).toBeGreaterThan(r.written);
    await index.close();
  });

  it("keeps every figure equal to a from-scratch computation through build, add, delete, upsert, compact, save and load", async () => {
    const { passages, emb } = corpus(800);
    const withMeta = passages.map((p, i) => ({ ...p, metadata: { n: i, tag: i % 3 ? "a" : "b" } }));
    const index = await LeannIndex.build(withMeta.slice(0, 600), { embedder: emb, pqRotation: true });
    const same = (step: string, of = index) => expectSizes(of.sizes(), fromScratch(of), step, step === "build" || step === "save" || step === "load");
    same("build");
    // Half floats: rotations narrower than 128-d are not rounded to int8.
    expect(index.sizes().rotation).toBe(16 * 16 * 2);
    await index.add(withMeta.slice(600, 650));
    same("add");
    await index.delete(withMeta.slice(0, 20).map((p) => p.id));
    same("delete");
    await index.add(withMeta.slice(30, 40).map((p) => ({ ...p, text: `${p.text} revised`, metadata: { revised: true } })));
    same("upsert");
    await index.compact();
    same("compact");
    const dir = tempDir();
    await index.save(dir);
    same("save");
    const loaded = await LeannIndex.load(dir, { embedder: emb });
    same("load", loaded);
    await loaded.add(withMeta.slice(650, 700));
    same("add after load", loaded);
    await loaded.delete(withMeta.slice(100, 130).map((p) => p.id));
    same("delete after load", loaded);
    await Promise.all([index.close(), loaded.close()]);
  });

  it("measures only what changed: one added passage remeasures a handful of lists", async () => {
    const { passages, emb } = corpus(700);
    const index = await LeannIndex.build(passages.slice(0, 600), { embedder: emb });
    await index.add(passages.slice(600, 601));
    index.sizes();
    const graph = stateOf(index).core.graph;
    const before = graph.listsMeasured;
    await index.add(passages.slice(601, 602));
    const after = index.sizes();
    // The new node's list and the lists that linked back to it: at most its degree and one more.
    expect(graph.listsMeasured - before).toBeGreaterThan(0);
    expect(graph.listsMeasured - before).toBeLessThanOrEqual(stateOf(index).core.params.prunedDegree + 2);
    expectSizes(after, fromScratch(index), "add", false);
    await index.close();
  });
});

describe("MutablePassages.bytes", () => {
  it("estimates a changed store without reading its stored records, near what a rewrite writes", () => {
    const records: PassageRecord[] = Array.from({ length: 400 }, (_, i) => ({ id: `b${i}`, text: `base passage ${i} about topic ${i % 9}`, metadata: {} }));
    const stored = new MemoryPassageStore(records);
    let reads = 0;
    const store: PassageStore = {
      count: stored.count,
      bytes: stored.bytes,
      id: (i) => stored.id(i),
      get: (i) => (reads++, stored.get(i)),
      metadata: (i) => stored.metadata(i),
      close: () => {},
    };
    const p = new MutablePassages(store);
    expect(p.bytes).toBe(stored.bytes);
    const extra = (i: number): PassageRecord => ({ id: `x${i}`, text: `appended passage ${i} about topic ${i % 9}`, metadata: { i } });
    const all = [...records];
    for (let i = 0; i < 40; i++) {
      p.append(extra(i));
      all.push(extra(i));
    }
    const keep = all.map((_, i) => i).filter((i) => i % 4 !== 0);
    p.compact(keep);
    const estimate = p.bytes;
    expect(reads).toBe(0);
    const actual = passageFileBytes(new MemoryPassageStore(keep.map((i) => all[i]!)));
    expect(Math.abs(estimate - actual)).toBeLessThanOrEqual(0.25 * actual);
  });
});
