import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../../src/index.js";
import { expandFrontCoded, frontCode } from "../../src/store/front-coding.js";
import { decodeOrder, encodeOrder, invertOrder, isIdentity, rebuiltOrder } from "../../src/store/order-codec.js";
import { encodeCompressed } from "../../src/store/record-codec.js";
import { FilePassageStore, MemoryPassageStore, writePassageFile, type PassageRecord } from "../../src/store/passages.js";
import { craftBlock, refooter, replaceV4Tail, v3PassageFile, varint } from "../hostile/craft.js";
import { createRng } from "../../src/util/rng.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";

const enc = new TextEncoder();
const corrupt = expect.objectContaining({ code: "CORRUPT_INDEX" });
const FOOTER = 96;

/** Consecutive entries share their headword's words, as a dictionary's or a document's neighbours do. */
function entries(n: number, seed: number): PassageRecord[] {
  const rng = createRng(seed);
  const word = () => Array.from({ length: 5 + Math.floor(rng() * 5) }, () => String.fromCharCode(97 + Math.floor(rng() * 26))).join("");
  const out: PassageRecord[] = [];
  while (out.length < n) {
    const head = word(), gloss = Array.from({ length: 12 }, word).join(" ");
    for (let s = 1; s <= 3 && out.length < n; s++) out.push({ id: `e${out.length}`, text: `${head} (sense ${s}): ${gloss} ${word()} ${word()}.`, metadata: out.length % 4 ? {} : { s } });
  }
  return out;
}

function shuffled(n: number, seed: number): Uint32Array {
  const rng = createRng(seed);
  const a = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function saved(store: MemoryPassageStore): string {
  const path = join(tempDir(), "passages.1.leann");
  writePassageFile(path, store);
  return path;
}

/** The file at `path` with its ids or order block replaced, offsets and checksum made valid. */
function withTail(path: string, o: { ids?: Uint8Array; order?: Uint8Array }): string {
  const to = join(tempDir(), "passages.1.leann");
  writeFileSync(to, replaceV4Tail(readFileSync(path), o));
  return to;
}

describe("stored order codec", () => {
  it("round-trips a shuffle, an identity and a mostly ascending order", () => {
    for (const order of [shuffled(1000, 1), Uint32Array.from({ length: 50 }, (_, i) => i), Uint32Array.from([1, 2, 3, 0, 4, 5, 9, 6, 7, 8])]) {
      expect(decodeOrder(encodeOrder(order), order.length)).toEqual(order);
      expect(invertOrder(invertOrder(order))).toEqual(order);
    }
    expect(isIdentity([0, 1, 2])).toBe(true);
    expect(isIdentity([0, 2, 1])).toBe(false);
    // An order kept through adds is mostly zeros: next to nothing stored.
    expect(encodeOrder(Uint32Array.from({ length: 10_000 }, (_, i) => (i === 0 ? 9999 : i - 1))).length).toBeLessThan(100);
  });

  it.each([
    ["a passage named twice", [...varint(6), 0, 1, 0]],
    ["a passage out of range", [...varint(6), 0, 2, 20]],
    ["fewer entries than passages", [...varint(4), 0, 0]],
    ["bytes after the last entry", [...varint(8), 0, 0, 0, 0]],
    ["an entry cut inside its varint", [...varint(6), 0, 0, 0x80]],
  ])("throws for %s", (_, part) => {
    expect(() => decodeOrder(Uint8Array.from(part), 3)).toThrow();
  });

  it("keeps the stored order of kept passages across a rebuild and puts added ones last", () => {
    // Before: nodes 0..3 stored as 2, 0, 3, 1; node 3 dropped; rows 0..2 = nodes 0, 1, 2, row 3 added.
    const order = Uint32Array.from([3, 1, 0, 2]); // new node -> row
    const stored = rebuiltOrder([2, 0, 3, 1], 4, [0, 1, 2], order);
    // Rows in stored order: node 2 (row 2), node 0 (row 0), node 1 (row 1), then row 3; as new nodes: 3, 2, 1, 0.
    expect(Array.from(stored)).toEqual([3, 2, 1, 0]);
  });
});

describe("passage file version 4: passages in their stored order", () => {
  // Passages numbered by a shuffle, as the graph numbers them; their input order is the one to store.
  const input = entries(3000, 7);
  const nodes = shuffled(input.length, 3);
  const records = Array.from(nodes, (row) => input[row]!);
  const order = invertOrder(nodes);

  it("reads every passage by internal id whatever order it is stored in", () => {
    const store = new FilePassageStore(saved(new MemoryPassageStore(records, order)));
    expect(store.version).toBe(4);
    expect(Array.from(store.order()!)).toEqual(Array.from(order));
    for (const i of [0, 2999, 17, 1500, 1501, 4]) expect(store.get(i)).toEqual(records[i]);
    for (let i = 0; i < records.length; i++) {
      expect(store.id(i)).toBe(records[i]!.id);
      expect(store.metadata(i)).toEqual(records[i]!.metadata);
    }
    // Stored position p holds passage order[p]: its block starts there for the first one.
    expect(store.storedBlock(0, 0)!.count).toBeGreaterThan(1);
  });

  it("stores no order when the passages are stored as numbered", () => {
    const plain = new FilePassageStore(saved(new MemoryPassageStore(records)));
    const identity = new FilePassageStore(saved(new MemoryPassageStore(records, Uint32Array.from({ length: records.length }, (_, i) => i))));
    expect(plain.order()).toBeUndefined();
    expect(identity.order()).toBeUndefined();
    expect(identity.bytes).toBe(plain.bytes);
  });

  it("is smaller with neighbouring texts stored together than scattered, the order included", () => {
    const scattered = new FilePassageStore(saved(new MemoryPassageStore(records)));
    const together = new FilePassageStore(saved(new MemoryPassageStore(records, order)));
    expect(together.bytes).toBeLessThan(scattered.bytes * 0.9);
    for (const i of [0, 100, 2999]) expect(together.get(i)).toEqual(records[i]);
  });

  it("stores the passages as numbered when the order it is given compresses worse (input that came shuffled)", () => {
    const numbered = new FilePassageStore(saved(new MemoryPassageStore(input)));
    const given = new FilePassageStore(saved(new MemoryPassageStore(input, shuffled(input.length, 5))));
    expect(given.order()).toBeUndefined();
    expect(given.bytes).toBe(numbered.bytes);
    for (const i of [0, 1500, 2999]) expect(given.get(i)).toEqual(input[i]);
  });

  it("reads version-3 files (stored in node order) and saves them as version 4 with their blocks copied", () => {
    const dictionary = Buffer.from("the passage store compresses short records with a preset dictionary ".repeat(40));
    const texts = ["the passage store", "compresses short records", "with a preset dictionary", "added later"];
    const v3 = join(tempDir(), "passages.1.leann");
    writeFileSync(v3, v3PassageFile({
      dictionary,
      text: [{ bytes: craftBlock(texts.slice(0, 2).map((t) => enc.encode(t)), { dictionary }), count: 2 }, { bytes: craftBlock([enc.encode(texts[2]!)], { dictionary }), count: 1 }],
      meta: [{ bytes: craftBlock([]), count: 3 }],
      ids: ["a", "b", "c"],
    }));
    const old = new FilePassageStore(v3);
    expect(old.version).toBe(3);
    expect(old.order()).toBeUndefined();
    expect(old.get(2)).toEqual({ id: "c", text: texts[2], metadata: {} });
    const more = new MemoryPassageStore([...[0, 1, 2].map((i) => old.get(i)), { id: "d", text: texts[3]!, metadata: {} }]);
    // Through the same interface a loaded-and-added index gives: the old blocks, then the new passage.
    const grown = Object.assign(Object.create(more) as MemoryPassageStore, { dictionary: () => old.dictionary(), storedBlock: (kind: 0 | 1, p: number) => (p < 3 ? old.storedBlock(kind, p) : undefined) });
    const next = new FilePassageStore(saved(grown));
    expect(next.version).toBe(4);
    expect(Buffer.from(next.storedBlock(0, 0)!.bytes)).toEqual(Buffer.from(old.storedBlock(0, 0)!.bytes));
    texts.forEach((t, i) => expect(next.get(i).text).toBe(t));
  });

  it.each([
    ["names a passage twice", () => encodeOrder(Uint32Array.from({ length: 3000 }, (_, i) => (i === 5 ? 4 : i)))],
    ["names a passage beyond the count", () => encodeOrder(Uint32Array.from({ length: 3000 }, (_, i) => (i === 0 ? 3000 : i)))],
    ["holds fewer entries than passages", () => encodeOrder(Uint32Array.from({ length: 2999 }, (_, i) => 2998 - i))],
    ["holds more entries than passages", () => encodeOrder(Uint32Array.from({ length: 3001 }, (_, i) => 3000 - i))],
    ["claims to inflate to a gigabyte", () => Uint8Array.from([...varint(2 * 2 ** 30 + 1), 0x63, 0, 0])],
    ["is not valid DEFLATE", () => Uint8Array.from([...varint(2 * 3000 + 1), 0xff, 0xff, 0xff, 0xff])],
  ])("refuses on open, with CorruptIndexError, a stored order that %s (checksums valid)", (_, block) => {
    const path = withTail(saved(new MemoryPassageStore(records, order)), { order: block() });
    const before = process.memoryUsage().arrayBuffers;
    expect(() => new FilePassageStore(path)).toThrow(corrupt);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it("refuses an order length that does not fit between the ids and the table", () => {
    const path = saved(new MemoryPassageStore(records, order));
    const buf = readFileSync(path);
    buf.writeDoubleLE(buf.readDoubleLE(buf.length - FOOTER + 88) + 1, buf.length - FOOTER + 88);
    refooter(buf, FOOTER);
    writeFileSync(path, buf);
    expect(() => new FilePassageStore(path)).toThrow(corrupt);
  });
});

describe("front-coded ids", () => {
  const plain = (ids: string[]) => Buffer.concat(ids.map((id) => Buffer.from([...varint(enc.encode(id).length), ...enc.encode(id)])));

  it("round-trips ids sharing beginnings, shared or not, and codes numbered ids in next to nothing", () => {
    const ids = ["doc.md#9", "doc.md#10", "doc.md#11", "", "d\u00e9j\u00e0", "d\u00e9but", "other", "other"];
    for (const share of [true, false]) expect(expandFrontCoded(frontCode(plain(ids), ids.length, share), ids.length, 1 << 20)).toEqual(plain(ids));
    const numbered = Array.from({ length: 20_000 }, (_, i) => `doc-${Math.floor(i / 40)}.md#${i % 40}`);
    const path = saved(new MemoryPassageStore(numbered.map((id, i) => ({ id, text: `entry ${i}`, metadata: {} }))));
    const store = new FilePassageStore(path);
    expect(Array.from({ length: numbered.length }, (_, i) => store.id(i))).toEqual(numbered);
    const buf = readFileSync(path);
    expect(buf.readDoubleLE(buf.length - FOOTER + 24)).toBeLessThan(numbered.length * 0.1);
  });

  it.each([
    ["shares more than the previous id holds", [0, 2, 65, 66, 5, 0], 1 << 20],
    ["runs past its end", [0, 9, 65], 1 << 20],
    ["holds bytes after the last id", [0, 1, 65, 1, 0, 7], 1 << 20],
    ["expands beyond its limit by sharing a long id over and over", [0, 100, ...new Array(100).fill(65), 100, 0, 100, 0], 250],
  ])("throws when the coded ids %s", (_, coded, limit) => {
    expect(() => expandFrontCoded(Uint8Array.from(coded), 3, limit)).toThrow();
  });

  it("refuses on open, with CorruptIndexError and bounded memory, ids that share one long id over and over", () => {
    const path = saved(new MemoryPassageStore(entries(3000, 1)));
    // 3000 ids of 50,000 bytes from a few hundred stored bytes (within what the ids part may
    // inflate to): a 150 MB claim against a file of ~100 KB.
    const coded = Buffer.concat([Buffer.from([0, ...varint(50_000)]), Buffer.alloc(50_000, 65), Buffer.from(Array.from({ length: 2999 }, () => [...varint(50_000), 0]).flat())]);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => new FilePassageStore(withTail(path, { ids: encodeCompressed(coded) }))).toThrow(/expand beyond/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });
});

describe("an index keeps its passages in input order across updates", () => {
  const embedder = new HashEmbedder();
  const records = entries(900, 11);
  const passageFile = (dir: string) => new FilePassageStore(join(dir, readdirSync(dir).find((f) => f.startsWith("passages."))!));
  const storedIds = (f: FilePassageStore) => Array.from(f.order() ?? Array.from({ length: f.count }, (_, i) => i), (i) => f.id(i));

  it("stores a build in input order, then keeps it through add, delete, upsert and compaction", async () => {
    const dir = tempDir();
    const index = await LeannIndex.build(records.slice(0, 800), { embedder });
    await index.save(dir);
    const first = passageFile(dir);
    expect(storedIds(first)).toEqual(records.slice(0, 800).map((r) => r.id));
    first.close();
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    await loaded.add(records.slice(800));
    await loaded.delete(["e0", "e1", "e400"]);
    const upserted = { id: "e500", text: "a replaced entry", metadata: { new: true } };
    await loaded.add([upserted]);
    await loaded.compact();
    await loaded.save(dir);
    const second = passageFile(dir);
    const expected = records.map((r) => r.id).filter((id) => !["e0", "e1", "e400", "e500"].includes(id));
    expect(storedIds(second)).toEqual([...expected, "e500"]);
    second.close();
    await loaded.close();
    const again = await LeannIndex.load(dir, { embedder, probe: false });
    for (const r of records) {
      if (["e0", "e1", "e400"].includes(r.id)) expect(again.get(r.id)).toBeUndefined();
      else expect(again.get(r.id)).toEqual(r.id === "e500" ? upserted : r);
    }
    expect((await again.search(records[300]!.text, { k: 1, alpha: 0 })).hits[0]!.id).toBe("e300");
    await again.close();
  });

  it("stores the passages of an index grown from empty (a rebuild) in the order they were added", async () => {
    const index = LeannIndex.create({ embedder });
    await index.add(records.slice(0, 100));
    await index.add(records.slice(100, 300));
    const dir = tempDir();
    await index.save(dir);
    const f = passageFile(dir);
    expect(storedIds(f)).toEqual(records.slice(0, 300).map((r) => r.id));
    f.close();
    await index.close();
  });
});
