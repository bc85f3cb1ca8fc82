import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LeannIndex, type IndexSizes } from "../src/index.js";
import { coreFileSize } from "../src/persist/codec.js";
import type { IndexState } from "../src/state.js";
import { MutablePassages } from "../src/store/mutable-passages.js";
import { recordBytes, type PassageRecord, type PassageStore } from "../src/store/passages.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

function corpus(n: number, dims = 16, seed = 5) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `passage ${i}`);
  return { passages: texts.map((text, i) => ({ id: `p${i}`, text })), emb: new TableEmbedder(texts, data) };
}

const stateOf = (index: LeannIndex) => (index as unknown as { state: IndexState }).state;

/** The figures computed from nothing kept: the graph compressed anew, every record measured anew. */
function fromScratch(index: LeannIndex): IndexSizes {
  const { core: c, passages } = stateOf(index);
  const frozen = c.graph.frozen().graph;
  const graph = { offsets: frozen.offsets.byteLength, data: frozen.data.byteLength };
  const parts = {
    graph: graph.offsets + graph.data,
    pqCodes: c.codes.byteLength,
    pqCodebooks: c.pq.centroids.length * 2 + c.pq.bounds.byteLength,
    rotation: c.pq.rotation ? c.dims * c.dims * 2 : 0,
    storedVectors: (c.storedVectors?.byteLength ?? 0) + c.hubVectors.byteLength + c.hubIds.byteLength,
  };
  const indexTotal = coreFileSize(c, passages.count, graph);
  let text = 16 + 64 + 8;
  for (let i = 0; i < passages.count; i++) text += recordBytes(passages.get(i));
  const counted = Object.values(parts).reduce((a, b) => a + b, 0);
  return { ...parts, other: indexTotal - counted, indexTotal, passages: text };
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
    const same = (step: string, of = index) => expect(of.sizes(), step).toEqual(fromScratch(of));
    same("build");
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

  it("measures only what changed: one added passage remeasures a handful of lists and no old record", async () => {
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
    expect(after).toEqual(fromScratch(index));
    await index.close();
  });
});

describe("MutablePassages.bytes", () => {
  /** A base store of `n` records that counts how often a record is measured or read. */
  function countingStore(n: number) {
    const records: PassageRecord[] = Array.from({ length: n }, (_, i) => ({ id: `b${i}`, text: `base passage ${i}`, metadata: {} }));
    let reads = 0;
    const store: PassageStore = {
      count: n,
      bytes: 16 + 64 + 8 + records.reduce((a, r) => a + recordBytes(r), 0),
      id: (i) => records[i]!.id,
      get: (i) => (reads++, records[i]!),
      metadata: (i) => records[i]!.metadata,
      storedBytes: (i) => (reads++, recordBytes(records[i]!)),
      close: () => {},
    };
    return { store, records, reads: () => reads };
  }

  it("measures each base record once, then only appended ones, and keeps the sum through compaction", () => {
    const { store, records, reads } = countingStore(50);
    const p = new MutablePassages(store);
    expect(p.bytes).toBe(store.bytes);
    expect(reads()).toBe(0);
    const extra = (i: number): PassageRecord => ({ id: `x${i}`, text: `appended passage ${i}`, metadata: { i } });
    p.append(extra(0));
    const all = [...records, extra(0)];
    const expected = (rs: PassageRecord[]) => 16 + 64 + 8 + rs.reduce((a, r) => a + recordBytes(r), 0);
    expect(p.bytes).toBe(expected(all));
    expect(reads()).toBe(50);
    p.append(extra(1));
    all.push(extra(1));
    expect(p.bytes).toBe(expected(all));
    expect(reads()).toBe(50); // the base records were not measured again
    const keep = all.map((_, i) => i).filter((i) => i % 4 !== 0);
    p.compact(keep);
    expect(p.bytes).toBe(expected(keep.map((i) => all[i]!)));
    expect(reads()).toBe(50);
  });
});
