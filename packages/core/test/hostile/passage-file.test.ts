import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../../src/index.js";
import { checkPassagePairing, readIndexFile } from "../../src/format/index-file.js";
import { encodePassageFile, FilePassageStore, MemoryPassageStore, writePassageFile, type PassageStore, type StoredParts } from "../../src/store/passages.js";
import { encodePart, encodeMetaPart, encodeTextPart, MAX_PART_BYTES } from "../../src/store/record-codec.js";
import { createRng } from "../../src/util/rng.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";
import { legacyPassageFile, refooter, varint } from "./craft.js";

const enc = new TextEncoder();
const records = Array.from({ length: 40 }, (_, k) => ({
  id: k === 3 ? "lone \uD800 surrogate" : k === 4 ? "\uDC00" : `n${k}`,
  text: k === 5 ? `text with a lone \uDBFF surrogate ${k}` : `passage ${k} ${"lorem ipsum ".repeat(k)}`,
  metadata: k % 2 ? { k, tag: `t${k % 3}` } : {},
}));

/** A store whose records are given as raw parts, so a test can plant any part with valid checksums. */
function plantedStore(parts: StoredParts[]): PassageStore {
  return {
    count: parts.length,
    bytes: 0,
    id: (i) => `p${i}`,
    get: () => {
      throw new Error("not used");
    },
    metadata: () => ({}),
    raw: (i) => parts[i],
    close() {},
  };
}

function saved(store: PassageStore): string {
  const path = join(tempDir(), "passages.1.leann");
  writePassageFile(path, store);
  return path;
}

const corrupt = expect.objectContaining({ code: "CORRUPT_INDEX" });

describe("passage file", () => {
  it("round-trips ids and text exactly, lone surrogates included, and reads metadata alone", () => {
    const path = saved(new MemoryPassageStore(records));
    const store = new FilePassageStore(path);
    for (let i = 0; i < records.length; i++) {
      expect(store.get(i)).toEqual(records[i]);
      expect(store.metadata(i)).toEqual(records[i]!.metadata);
    }
    // Damage the text of passage 1: its metadata still reads, as a filter needs nothing else.
    const buf = readFileSync(path);
    buf[16 + store.raw(0)!.text.length + store.raw(0)!.meta.length + 2]! ^= 0xff;
    writeFileSync(path, buf);
    const damaged = new FilePassageStore(path);
    expect(damaged.metadata(1)).toEqual(records[1]!.metadata);
    expect(() => damaged.get(1)).toThrow(corrupt);
  });

  it("reads metadata passage after passage through a read-ahead window, checking each part", () => {
    const many = Array.from({ length: 2000 }, (_, k) => ({ id: `m${k}`, text: `text ${k} `.repeat(1 + (k % 9)), metadata: k % 5 ? { k } : {} }));
    const path = saved(new MemoryPassageStore(many));
    const store = new FilePassageStore(path);
    for (let i = 0; i < many.length; i++) expect(store.metadata(i)).toEqual(many[i]!.metadata);
    // Random order after a scan still reads the right parts.
    for (const i of [1999, 3, 1000, 1001, 17]) expect(store.metadata(i)).toEqual(many[i]!.metadata);
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
    const store = new FilePassageStore(saved(plantedStore([{ text: part(), meta: new Uint8Array(0) }])));
    const before = process.memoryUsage().arrayBuffers;
    expect(() => store.get(0)).toThrow(corrupt);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it.each(["null", "[1,2]", "3", '"text"'])("raises CorruptIndexError for metadata JSON %s", (json) => {
    const store = new FilePassageStore(saved(plantedStore([{ text: encodeTextPart("t", "p0"), meta: encodePart(enc.encode(json), "m") }])));
    expect(() => store.metadata(0)).toThrow(corrupt);
    expect(() => store.get(0)).toThrow(corrupt);
  });

  it("raises CorruptIndexError for fractional or out-of-record offsets, with valid checksums", () => {
    const parts = [0, 1, 2].map((k) => ({ text: encodeTextPart(`text ${k}`, "x"), meta: encodeMetaPart({ k }, "x") }));
    const good = readFileSync(saved(plantedStore(parts)));
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
