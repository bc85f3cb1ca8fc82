import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HashEmbedder, leannErrorOf, tempDir, topicPassages, topicQueries } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { CorruptIndexError, InvalidOptionsError, LeannIndex } from "../src/index.js";
import { decodeIndexFile } from "../src/format/index-file.js";
import { readCurrent } from "../src/format/current.js";
import { KEYWORD_SECTION } from "../src/persist/codec.js";
import { rewriteSections } from "./hostile/craft.js";
import { expectKeywordSearchIsBruteForce } from "./keyword/engine-reference.js";

const PASSAGES = topicPassages(300, 11);
const QUERIES = topicQueries(8, 13);

describe("keyword index persistence", () => {
  it("does save the keyword index and load it back: keyword search answers as before, sizes count it", async () => {
    const embedder = new HashEmbedder({ dims: 32 });
    const index = await LeannIndex.build(PASSAGES, { embedder, threads: 1 });
    const dir = tempDir();
    await index.save(dir);
    const sizes = index.sizes();
    expect(sizes.keyword).toBeGreaterThan(0);
    const path = join(dir, readCurrent(dir)!.index);
    const { sections } = decodeIndexFile(path, readFileSync(path));
    expect(sections.get(KEYWORD_SECTION)!.byteLength).toBe(sizes.keyword);
    expect(Math.abs(readFileSync(path).length - sizes.indexTotal)).toBeLessThan(16);
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    expect(loaded.hasKeywordIndex).toBe(true);
    for (const q of QUERIES) {
      expect((await loaded.search(q, { k: 10, alpha: 0 })).hits).toEqual((await index.search(q, { k: 10, alpha: 0 })).hits);
      expect((await loaded.search(q, { k: 10 })).hits.map((h) => h.id)).toEqual((await index.search(q, { k: 10 })).hits.map((h) => h.id));
    }
    await expectKeywordSearchIsBruteForce(loaded, QUERIES);
  });

  it("does load a file without a keyword section as a dense-only index", async () => {
    const embedder = new HashEmbedder({ dims: 32 });
    const index = await LeannIndex.build(PASSAGES, { embedder, threads: 1 });
    const dir = tempDir();
    await index.save(dir);
    // As written before keyword indexes existed: the same file, minus the section.
    rewriteSections(dir, (s) => s.delete(KEYWORD_SECTION));
    const old = await LeannIndex.load(dir, { embedder, probe: false });
    expect(old.hasKeywordIndex).toBe(false);
    expect(old.sizes().keyword).toBe(0);
    const r = await old.search("guitar melody", { k: 5 });
    expect(r.stats.alpha).toBe(1);
    expect(r.hits.map((h) => h.id)).toEqual((await index.search("guitar melody", { k: 5, alpha: 1 })).hits.map((h) => h.id));
    expect(await leannErrorOf(old.search("guitar", { alpha: 0.5 }))).toBeInstanceOf(InvalidOptionsError);
    // Saved again, it stays without one.
    await old.save(dir);
    expect((await LeannIndex.load(dir, { embedder, probe: false })).hasKeywordIndex).toBe(false);
  });

  it("does keep keywordIndex: false across save and load", async () => {
    const embedder = new HashEmbedder({ dims: 32 });
    const index = await LeannIndex.build(PASSAGES, { embedder, threads: 1, keywordIndex: false });
    expect(index.hasKeywordIndex).toBe(false);
    const dir = tempDir();
    await index.save(dir);
    const path = join(dir, readCurrent(dir)!.index);
    expect(decodeIndexFile(path, readFileSync(path)).sections.has(KEYWORD_SECTION)).toBe(false);
  });

  it.each([
    ["a damaged keyword section", (b: Uint8Array) => b.subarray(0, b.length >> 1)],
    ["a keyword section of another index", () => new Uint8Array(0)],
    ["a keyword section with the wrong element type", (b: Uint8Array) => new Uint32Array(b.buffer.slice(0, b.length & ~3))],
  ])("does reject %s with CorruptIndexError even when its checksum is right", async (_, mutate) => {
    const embedder = new HashEmbedder({ dims: 32 });
    const dir = tempDir();
    await (await LeannIndex.build(PASSAGES.slice(0, 50), { embedder, threads: 1 })).save(dir);
    const other = tempDir();
    await (await LeannIndex.build(PASSAGES.slice(0, 40), { embedder, threads: 1 })).save(other);
    const otherPath = join(other, readCurrent(other)!.index);
    const otherKw = decodeIndexFile(otherPath, readFileSync(otherPath)).sections.get(KEYWORD_SECTION) as Uint8Array;
    rewriteSections(dir, (s) => {
      const mine = s.get(KEYWORD_SECTION) as Uint8Array;
      const replaced = mutate(mine);
      s.set(KEYWORD_SECTION, replaced.byteLength === 0 ? otherKw : replaced);
    });
    const e = await leannErrorOf(LeannIndex.load(dir, { embedder, probe: false }));
    expect(e).toBeInstanceOf(CorruptIndexError);
    expect(e.message).toMatch(/keyword index/);
  });
});
