import { readdirSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../../src/index.js";
import { BlockBuilder, BLOCK_TARGET, blockEntry, decodeBlock } from "../../src/store/block-codec.js";
import { dictionarySizeFor, MAX_DICTIONARY_BYTES, trainDictionary } from "../../src/store/dictionary.js";
import { FilePassageStore } from "../../src/store/passages.js";
import { createRng } from "../../src/util/rng.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";

const enc = new TextEncoder();
const WORDS = "the index stores passages in blocks compressed with a preset dictionary trained on a sample of texts so short records share common words graph search query".split(" ");
/** Sentences of random common words: alike enough for a dictionary to pay, never identical. */
function sentences(n: number, seed: number): string[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, k) => `Record ${k}: ` + Array.from({ length: 30 + Math.floor(rng() * 20) }, () => WORDS[Math.floor(rng() * WORDS.length)]).join(" ") + ".");
}

describe("dictionary training", () => {
  it("has no dictionary below 64 KiB of text and at most 32 KiB above", () => {
    expect(dictionarySizeFor(10_000)).toBe(0);
    expect(dictionarySizeFor(200_000)).toBeGreaterThan(0);
    expect(dictionarySizeFor(1e9)).toBe(MAX_DICTIONARY_BYTES);
  });

  it("trains the same dictionary from the same sample, and one that shrinks records it was not trained on", () => {
    const train = enc.encode(sentences(2000, 1).join("\n"));
    const dict = trainDictionary(train, 8192);
    expect(dict.length).toBeGreaterThan(0);
    expect(dict.length).toBeLessThanOrEqual(8192);
    expect(trainDictionary(train, 8192)).toEqual(dict);
    let plain = 0, withDict = 0;
    for (const s of sentences(200, 2)) {
      plain += deflateRawSync(enc.encode(s)).length;
      withDict += deflateRawSync(enc.encode(s), { dictionary: dict }).length;
    }
    expect(withDict).toBeLessThan(plain * 0.8);
  });
});

describe("blocks", () => {
  it("round-trips entries, empty ones included, and closes a block near the target size", () => {
    const b = new BlockBuilder();
    const entries = [enc.encode("first"), new Uint8Array(0), enc.encode("x".repeat(300)), enc.encode("last")];
    for (const e of entries) b.push(e);
    const { bytes, count } = b.take(new Uint8Array(0));
    expect(count).toBe(4);
    const decoded = decodeBlock(bytes, 4, new Uint8Array(0));
    entries.forEach((e, k) => expect(Buffer.from(blockEntry(decoded, k))).toEqual(Buffer.from(e)));
    expect(b.empty).toBe(true);
    b.push(new Uint8Array(BLOCK_TARGET - 10));
    expect(b.full(100)).toBe(true);
  });

  it("stores a block of empty entries as nothing at all", () => {
    const b = new BlockBuilder();
    for (let k = 0; k < 500; k++) b.push(new Uint8Array(0));
    const { bytes } = b.take(new Uint8Array(0));
    expect(bytes.length).toBe(1);
    expect(blockEntry(decodeBlock(bytes, 500, new Uint8Array(0)), 499).length).toBe(0);
  });
});

describe("passage file across updates", () => {
  const embedder = new HashEmbedder();
  const passages = sentences(600, 3).map((text, k) => ({ id: `r${k}`, text, metadata: k % 3 ? { k } : {} }));
  const passageFile = (dir: string) => new FilePassageStore(join(dir, readdirSync(dir).find((f) => f.startsWith("passages."))!));

  it("keeps the dictionary and the untouched blocks after an add, a delete and a compaction", async () => {
    const dir = tempDir();
    const index = await LeannIndex.build(passages.slice(0, 500), { embedder });
    await index.save(dir);
    const first = passageFile(dir);
    const dict = first.dictionary()!;
    expect(dict.length).toBeGreaterThan(0);
    // A text block after the last deleted passage (r250) and before the added ones.
    let at = 260;
    while (!first.storedBlock(0, at)) at++;
    const untouched = first.storedBlock(0, at)!;
    expect(at + untouched.count).toBeLessThanOrEqual(500);
    first.close();
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    await loaded.add(passages.slice(500));
    await loaded.delete(["r0", "r1", "r250"]);
    await loaded.save(dir);
    const second = passageFile(dir);
    expect(second.dictionary()).toEqual(dict);
    expect(second.count).toBe(597);
    // That block is in the second file as it was, three passages earlier.
    expect(Buffer.from(second.storedBlock(0, at - 3)!.bytes)).toEqual(Buffer.from(untouched.bytes));
    second.close();
    for (const p of passages) expect(loaded.get(p.id)).toEqual(["r0", "r1", "r250"].includes(p.id) ? undefined : p);
    await loaded.close();
    const again = await LeannIndex.load(dir, { embedder, probe: false });
    for (const p of passages.slice(495, 505)) expect(again.get(p.id)).toEqual(p);
    await again.close();
  });
});
