import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../../src/index.js";
import { checkPassagePairing, readIndexFile } from "../../src/format/index-file.js";
import { MAX_BLOCK_BYTES } from "../../src/store/block-codec.js";
import { MAX_DICTIONARY_BYTES } from "../../src/store/dictionary.js";
import { encodePassageFile, FilePassageStore, MemoryPassageStore, writePassageFile, type PassageStore, type StoredParts } from "../../src/store/passages.js";
import { encodePart, encodeMetaPart, encodeTextPart, MAX_PART_BYTES } from "../../src/store/record-codec.js";
import { createRng } from "../../src/util/rng.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";
import { craftBlock, legacyPassageFile, refooter, v2PassageFile, v3PassageFile, v3Table, varint } from "./craft.js";

const enc = new TextEncoder();
const records = Array.from({ length: 40 }, (_, k) => ({
  id: k === 3 ? "lone \uD800 surrogate" : k === 4 ? "\uDC00" : `n${k}`,
  text: k === 5 ? `text with a lone \uDBFF surrogate ${k}` : `passage ${k} ${"lorem ipsum ".repeat(k)}`,
  metadata: k % 2 ? { k, tag: `t${k % 3}` } : {},
}));

/** A version-2 file whose records are given as raw parts, so a test can plant any part with valid checksums. */
function plantedV2(parts: StoredParts[]): string {
  const path = join(tempDir(), "passages.1.leann");
  writeFileSync(path, v2PassageFile(parts.map((_, i) => ({ id: `p${i}`, text: "", metadata: {} })), parts));
  return path;
}

function saved(store: PassageStore): string {
  const path = join(tempDir(), "passages.1.leann");
  writePassageFile(path, store);
  return path;
}

function written(file: Buffer): string {
  const path = join(tempDir(), "passages.1.leann");
  writeFileSync(path, file);
  return path;
}

/** Start and length of block b of a kind (0 text, 1 metadata) in a version-3 file. */
function blockAt(buf: Buffer, kind: 0 | 1, b: number): { start: number; length: number } {
  const { at, nt, nm } = v3Table(buf);
  const k = kind === 0 ? b : nt + b;
  const lengths = at + 8 * (nt + nm) + (kind === 0 ? 0 : 12 * nt);
  return { start: buf.readDoubleLE(at + 8 * k), length: buf.readUInt32LE(lengths + 4 * b) };
}

/** Texts long and alike enough (over 64 KiB) for the writer to train a dictionary. */
const prose = Array.from({ length: 400 }, (_, k) => ({
  id: `doc-${k}`,
  text: `Section ${k}: the index stores passages in blocks; each block of passages is compressed with a preset dictionary trained on a sample of ${k % 13} texts, so short records share their common words.`,
  metadata: k % 4 ? { k, source: `file-${k % 9}.md` } : {},
}));

const corrupt = expect.objectContaining({ code: "CORRUPT_INDEX" });

describe("passage file", () => {
  it("round-trips ids and text exactly, lone surrogates included, and reads metadata alone", () => {
    const path = saved(new MemoryPassageStore(records));
    const store = new FilePassageStore(path);
    for (let i = 0; i < records.length; i++) {
      expect(store.get(i)).toEqual(records[i]);
      expect(store.metadata(i)).toEqual(records[i]!.metadata);
    }
    // Damage the text block of passage 1: its metadata still reads, as a filter needs nothing else.
    const buf = readFileSync(path);
    const text = blockAt(buf, 0, 0);
    buf[text.start + (text.length >> 1)]! ^= 0xff;
    writeFileSync(path, buf);
    const damaged = new FilePassageStore(path);
    expect(damaged.metadata(1)).toEqual(records[1]!.metadata);
    expect(() => damaged.get(1)).toThrow(corrupt);
  });

  it("writes version 4 with a trained dictionary, round-trips, and is smaller than version 2", () => {
    const path = saved(new MemoryPassageStore(prose));
    const store = new FilePassageStore(path);
    expect(store.version).toBe(4);
    const dict = store.dictionary()!;
    expect(dict.length).toBeGreaterThan(0);
    expect(dict.length).toBeLessThanOrEqual(MAX_DICTIONARY_BYTES);
    for (const i of [399, 0, 17, 200, 201, 5]) expect(store.get(i)).toEqual(prose[i]);
    for (let i = 0; i < prose.length; i++) expect(store.metadata(i)).toEqual(prose[i]!.metadata);
    // The same passages give the same dictionary: training is deterministic.
    expect(new FilePassageStore(saved(new MemoryPassageStore(prose))).dictionary()).toEqual(dict);
    expect(store.bytes).toBeLessThan(v2PassageFile(prose).length * 0.8);
    expect(new MemoryPassageStore(prose).bytes).toBe(store.bytes);
  });

  it("reads version-2 files, metadata passage after passage through a read-ahead window, checking each part", () => {
    const many = Array.from({ length: 2000 }, (_, k) => ({ id: `m${k}`, text: `text ${k} `.repeat(1 + (k % 9)), metadata: k % 5 ? { k } : {} }));
    const path = written(v2PassageFile(many));
    const store = new FilePassageStore(path);
    expect(store.version).toBe(2);
    for (let i = 0; i < many.length; i++) expect(store.metadata(i)).toEqual(many[i]!.metadata);
    for (const i of [1999, 3, 1000, 1001, 17]) expect(store.get(i)).toEqual(many[i]);
    const parts = store.raw(1501)!;
    const at = 16 + Array.from({ length: 1501 }, (_, i) => store.raw(i)!).reduce((s, p) => s + p.text.length + p.meta.length, 0) + parts.text.length + 2;
    const buf = readFileSync(path);
    buf[at]! ^= 0x01;
    writeFileSync(path, buf);
    const damaged = new FilePassageStore(path);
    expect(() => {
      for (let i = 0; i < many.length; i++) damaged.metadata(i);
    }).toThrow(corrupt);
  });

  it("reads metadata passage after passage from metadata blocks alone, checking each block", () => {
    const many = Array.from({ length: 2000 }, (_, k) => ({ id: `m${k}`, text: `text ${k} `.repeat(1 + (k % 9)), metadata: k % 5 ? { k } : {} }));
    const path = saved(new MemoryPassageStore(many));
    const store = new FilePassageStore(path);
    for (let i = 0; i < many.length; i++) expect(store.metadata(i)).toEqual(many[i]!.metadata);
    // Random order after a scan still reads the right entries.
    for (const i of [1999, 3, 1000, 1001, 17]) expect(store.get(i)).toEqual(many[i]);
    // Every text block damaged: metadata still reads. A metadata block damaged: the scan stops there.
    const buf = readFileSync(path);
    const { nt, nm } = v3Table(buf);
    for (let b = 0; b < nt; b++) buf[blockAt(buf, 0, b).start]! ^= 0x01;
    const textless = new FilePassageStore(written(Buffer.from(buf)));
    for (let i = 0; i < many.length; i++) expect(textless.metadata(i)).toEqual(many[i]!.metadata);
    expect(() => textless.get(0)).toThrow(corrupt);
    expect(nm).toBeGreaterThan(1);
    const meta = blockAt(buf, 1, nm - 1);
    buf[meta.start + meta.length - 1]! ^= 0x01;
    const damaged = new FilePassageStore(written(buf));
    expect(() => {
      for (let i = 0; i < many.length; i++) damaged.metadata(i);
    }).toThrow(corrupt);
  });

  it("keeps a lone-surrogate id after save and reload: has, get and delete find it", async () => {
    const embedder = new HashEmbedder();
    const id = "doc-\uD83D";
    const index = await LeannIndex.build([{ id, text: "a passage" }, { id: "other", text: "another passage" }], { embedder });
    const dir = tempDir();
    await index.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    expect(loaded.has(id)).toBe(true);
    expect(loaded.get(id)?.text).toBe("a passage");
    await loaded.delete([id]);
    expect(loaded.has(id)).toBe(false);
    await loaded.close();
  });

  it("reads version-1 files (text and metadata in one record, no file id)", () => {
    const path = join(tempDir(), "passages.1.leann");
    const wellFormed = records.filter((r) => !/\p{Cs}/u.test(r.id + r.text));
    writeFileSync(path, legacyPassageFile(wellFormed));
    const store = new FilePassageStore(path);
    expect(store.version).toBe(1);
    expect(store.identity).toBeUndefined();
    for (let i = 0; i < wellFormed.length; i++) {
      expect(store.get(i)).toEqual(wellFormed[i]);
      expect(store.metadata(i)).toEqual(wellFormed[i]!.metadata);
    }
  });

  it("streams: the first chunks are produced before the last passage is read, none larger than a block", () => {
    let reads = 0;
    const rng = createRng(5);
    const noise = () => Array.from({ length: 1500 }, () => String.fromCharCode(33 + Math.floor(rng() * 90))).join("");
    const big = new MemoryPassageStore(Array.from({ length: 3000 }, (_, k) => ({ id: `n${k}`, text: noise(), metadata: {} })));
    const counting: PassageStore = { ...big, count: big.count, bytes: 0, id: (i) => big.id(i), metadata: (i) => big.metadata(i), close() {}, get: (i) => (reads++, big.get(i)) };
    const it = encodePassageFile(counting)[Symbol.iterator]();
    it.next();
    const second = it.next().value as Uint8Array;
    expect(reads).toBeLessThan(3000);
    expect(second.byteLength).toBeLessThanOrEqual(1 << 20);
    let total = 0;
    for (let r = it.next(); !r.done; r = it.next()) total += r.value.byteLength;
    expect(total).toBeGreaterThan(1 << 21);
  });

  it.each([
    ["a part claiming 1 GiB", () => Uint8Array.from([...varint(2 ** 31 + 1), ...deflateRawSync(Buffer.alloc(1 << 20))])],
    ["a part inflating beyond its stated length", () => Uint8Array.from([...varint(2 * 100 + 1), ...deflateRawSync(Buffer.alloc(8 << 20))])],
    ["a part claiming more than DEFLATE can expand", () => Uint8Array.from([...varint(2 * (MAX_PART_BYTES - 1) + 1), ...deflateRawSync(Buffer.alloc(1 << 20))])],
    ["a stored part whose length is wrong", () => Uint8Array.from([...varint(2 * 50), ...enc.encode("short")])],
  ])("raises CorruptIndexError without inflating for %s", (_, part) => {
    const store = new FilePassageStore(plantedV2([{ text: part(), meta: new Uint8Array(0) }]));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => store.get(0)).toThrow(corrupt);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it.each(["null", "[1,2]", "3", '"text"'])("raises CorruptIndexError for metadata JSON %s", (json) => {
    const store = new FilePassageStore(plantedV2([{ text: encodeTextPart("t", "p0"), meta: encodePart(enc.encode(json), "m") }]));
    expect(() => store.metadata(0)).toThrow(corrupt);
    expect(() => store.get(0)).toThrow(corrupt);
    const v3 = new FilePassageStore(written(v3PassageFile({ text: [{ bytes: craftBlock([enc.encode("t")]), count: 1 }], meta: [{ bytes: craftBlock([enc.encode(json)]), count: 1 }], ids: ["p0"] })));
    expect(() => v3.metadata(0)).toThrow(corrupt);
    expect(() => v3.get(0)).toThrow(corrupt);
  });

  it("raises CorruptIndexError for fractional or out-of-record offsets, with valid checksums", () => {
    const parts = [0, 1, 2].map((k) => ({ text: encodeTextPart(`text ${k}`, "x"), meta: encodeMetaPart({ k }, "x") }));
    const good = readFileSync(plantedV2(parts));
    const tableAt = good.readDoubleLE(good.length - 64 + 32);
    for (const [slot, value] of [
      [1, 20.5],
      [3 + 1, 21.25],
      [3 + 1, 1e6],
    ] as const) {
      const bad = Buffer.from(good);
      bad.writeDoubleLE(value, tableAt + 8 * slot);
      refooter(bad, 64);
      const path = join(tempDir(), "passages.1.leann");
      writeFileSync(path, bad);
      expect(() => new FilePassageStore(path)).toThrow(corrupt);
    }
  });

  describe("version 3: dictionary and blocks", () => {
    const dictionary = Buffer.from("the passage store compresses short records with a preset dictionary ".repeat(40));
    const ok = (texts: string[], o: { dictionaryLength?: number; dict?: Uint8Array } = {}) =>
      v3PassageFile({
        dictionary: o.dict ?? dictionary,
        dictionaryLength: o.dictionaryLength,
        text: [{ bytes: craftBlock(texts.map((t) => enc.encode(t)), { dictionary: o.dict ?? dictionary }), count: texts.length }],
        meta: [{ bytes: craftBlock([]), count: texts.length }],
        ids: texts.map((_, i) => `p${i}`),
      });

    it("reads a crafted file whose block references its dictionary", () => {
      const store = new FilePassageStore(written(ok(["the passage store compresses short records", "with a preset dictionary"])));
      expect(store.get(1)).toEqual({ id: "p1", text: "with a preset dictionary", metadata: {} });
    });

    it.each([
      ["a dictionary stated longer than 32 KiB", () => ok(["x"], { dictionaryLength: MAX_DICTIONARY_BYTES + 1 })],
      ["a dictionary stated longer than the file", () => ok(["x"], { dictionaryLength: 30000 })],
      ["a dictionary length that disagrees with the checksummed bytes", () => ok(["x"], { dictionaryLength: 10 })],
    ])("raises CorruptIndexError on open for %s", (_, file) => {
      expect(() => new FilePassageStore(written(file()))).toThrow(corrupt);
    });

    it("raises CorruptIndexError when a byte of the dictionary changed", () => {
      const buf = ok(["the passage store compresses short records"]);
      buf[20]! ^= 0x20;
      expect(() => new FilePassageStore(written(buf))).toThrow(corrupt);
      // The checksum made to match: the block then decodes against another dictionary, and still the text comes back right or the read fails.
      refooter(buf, 88);
      const store = new FilePassageStore(written(buf));
      let text: string | undefined;
      try {
        text = store.get(0).text;
      } catch (err) {
        expect(err).toEqual(corrupt);
      }
      if (text !== undefined) expect(text).not.toBe("");
    });

    it.each([
      // Megabytes made of the dictionary's own text, stated as 100 bytes: inflating stops at the stated length.
      ["a block inflating far beyond its stated length through its dictionary", () => Uint8Array.from([...varint(2 * 100 + 1), ...deflateRawSync(Buffer.concat([dictionary, Buffer.alloc(4 << 20, dictionary.subarray(0, 64))]), { dictionary })])],
      ["a block stating more than a block may hold", () => Uint8Array.from([...varint(2 * (MAX_BLOCK_BYTES + 1) + 1), ...deflateRawSync(Buffer.alloc(1 << 20))])],
      ["a block stating more than DEFLATE can expand its bytes to", () => Uint8Array.from([...varint(2 * (MAX_BLOCK_BYTES - 1) + 1), ...deflateRawSync(Buffer.alloc(1 << 16))])],
      ["a block holding fewer entries than its passages", () => craftBlock([enc.encode("one")])],
      ["a block holding more than its passages", () => craftBlock(["one", "two", "three"].map((t) => enc.encode(t)))],
      ["a block whose entry runs past its end", () => Uint8Array.from([...varint(2 * 3), 50, 65, 66])],
    ])("raises CorruptIndexError without unbounded inflating for %s", (_, block) => {
      const file = v3PassageFile({ dictionary, text: [{ bytes: block(), count: 2 }], meta: [{ bytes: craftBlock([]), count: 2 }], ids: ["a", "b"] });
      const store = new FilePassageStore(written(file));
      const before = process.memoryUsage().arrayBuffers;
      expect(() => store.get(1)).toThrow(corrupt);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
      expect(store.metadata(1)).toEqual({});
    });

    it.each([
      ["an ids block claiming far more than its bytes can hold", () => Uint8Array.from([...varint(2 * 2 ** 30 + 1), ...deflateRawSync(Buffer.alloc(1 << 16))])],
      ["an ids block inflating past its stated length", () => Uint8Array.from([...varint(2 * 4 + 1), ...deflateRawSync(Buffer.alloc(1 << 20, 1))])],
      ["an ids block stored shorter than it states", () => Uint8Array.from([...varint(2 * 40), 1, 65])],
      ["an ids block of fewer ids than passages", () => Uint8Array.from([...varint(2 * 2), 1, 65])],
    ])("raises CorruptIndexError on open, with bounded memory, for %s", (_, idsBlock) => {
      const file = v3PassageFile({ text: [{ bytes: craftBlock([enc.encode("a"), enc.encode("b")]), count: 2 }], meta: [{ bytes: craftBlock([]), count: 2 }], ids: ["a", "b"], idsBlock: idsBlock() });
      const before = process.memoryUsage().arrayBuffers;
      expect(() => new FilePassageStore(written(file))).toThrow(corrupt);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    });

    it("raises CorruptIndexError for a block table that does not cover the passages in order, with valid checksums", () => {
      const good = ok(["a", "b", "c"]);
      const { at, nt, nm } = v3Table(good);
      const firsts = at + 8 * (nt + nm) + 4 * nt;
      for (const edit of [
        (b: Buffer) => b.writeDoubleLE(b.readDoubleLE(at) + 0.5, at),
        (b: Buffer) => b.writeDoubleLE(3, at),
        (b: Buffer) => b.writeDoubleLE(1e6, at),
        (b: Buffer) => b.writeUInt32LE(1, firsts),
        (b: Buffer) => b.writeUInt32LE(0, at + 8 * (nt + nm)),
        (b: Buffer) => b.writeUInt32LE(2 ** 31, at + 8 * (nt + nm)),
        (b: Buffer) => b.writeDoubleLE(4, b.length - 88 + 64),
        (b: Buffer) => b.writeDoubleLE(0, b.length - 88 + 72),
        (b: Buffer) => b.writeDoubleLE(1e9, b.length - 88 + 8),
      ]) {
        const bad = Buffer.from(good);
        edit(bad);
        refooter(bad, 88);
        expect(() => new FilePassageStore(written(bad))).toThrow(corrupt);
      }
    });

    it("keeps the dictionary across an add and copies untouched blocks byte for byte", () => {
      const first = new FilePassageStore(saved(new MemoryPassageStore(prose)));
      const more: PassageStore = {
        count: prose.length + 1,
        bytes: 0,
        id: (i) => (i < prose.length ? first.id(i) : "late"),
        get: (i) => (i < prose.length ? first.get(i) : { id: "late", text: "a later passage", metadata: { late: true } }),
        metadata: (i) => (i < prose.length ? first.metadata(i) : { late: true }),
        dictionary: () => first.dictionary(),
        storedBlock: (kind, i) => (i < prose.length ? first.storedBlock(kind, i) : undefined),
        close() {},
      };
      const second = new FilePassageStore(saved(more));
      expect(second.dictionary()).toEqual(first.dictionary());
      expect(second.storedBlock(0, 0)!.bytes).toEqual(first.storedBlock(0, 0)!.bytes);
      expect(second.get(prose.length)).toEqual({ id: "late", text: "a later passage", metadata: { late: true } });
      for (let i = 0; i < prose.length; i += 37) expect(second.get(i)).toEqual(prose[i]);
    });
  });

  it("ties a passage file to the index file that recorded it", () => {
    const a = saved(new MemoryPassageStore(records));
    const b = saved(new MemoryPassageStore(records));
    const idA = new FilePassageStore(a).identity!;
    expect(idA.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(() => checkPassagePairing({ passages: idA }, a, new FilePassageStore(a).identity)).not.toThrow();
    // The same passages written again are another file: refused.
    expect(() => checkPassagePairing({ passages: idA }, b, new FilePassageStore(b).identity)).toThrow(corrupt);
    expect(() => checkPassagePairing({ passages: idA }, b, undefined)).toThrow(corrupt);
    expect(() => checkPassagePairing({ passages: { ...idA, crc32: idA.crc32 ^ 1 } }, a, idA)).toThrow(corrupt);
    expect(() => checkPassagePairing({}, a, idA)).not.toThrow();
  });
});

describe("files that are not regular files", () => {
  const dir = tempDir();
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const zero = join(dir, "zero");
  symlinkSync("/dev/zero", zero);
  const sub = join(dir, "sub");
  mkdirSync(sub);

  it.each([
    ["a FIFO", fifo],
    ["a link to /dev/zero", zero],
    ["a directory", sub],
    ["a missing file", join(dir, "missing")],
  ])("refuses %s with CorruptIndexError, without blocking or reading", (_, path) => {
    expect(() => new FilePassageStore(path)).toThrow(corrupt);
    expect(() => readIndexFile(path)).toThrow(corrupt);
  });
});
