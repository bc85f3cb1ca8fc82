import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_GENERATION, nextGeneration, readCurrent } from "../../src/format/current.js";
import { decodeIndexFile, encodeIndexFile, indexHeader } from "../../src/format/index-file.js";
import { crc32 } from "../../src/util/crc32.js";
import { tempDir } from "../helpers.js";

const header = {
  count: 2,
  dims: 2,
  metric: "cosine" as const,
  model: null,
  params: {},
  pq: { subspaces: 1, bits: 4 as const },
  entry: 0,
  createdAt: "now",
  generator: "test",
};
const corrupt = expect.objectContaining({ code: "CORRUPT_INDEX" });
const bytes = (chunks: Uint8Array[]) => Buffer.concat(chunks);

describe("index file", () => {
  it.each([
    ["f32 NaN", () => ({ vectors: Float32Array.from([1, Number.NaN, 0, 1]) })],
    ["f32 infinity", () => ({ vectors: Float32Array.from([1, 0, Infinity, 1]) })],
    ["f16 NaN", () => ({ "pq.centroids": Uint16Array.from([0x3c00, 0x7e00]) })],
    ["f16 infinity", () => ({ "pq.centroids": Uint16Array.from([0xfc00, 0x3c00]) })],
  ])("refuses to save, and refuses to load, a float section holding %s", (_, sections) => {
    expect(() => encodeIndexFile(header, sections())).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    // Planted by hand (with valid checksums): the loader refuses it.
    const [name, data] = Object.entries(sections())[0]!;
    expect(() => decodeIndexFile("index.1.leann", handMade(name, data instanceof Float32Array ? "f32" : "f16", new Uint8Array(data.buffer)))).toThrow(corrupt);
  });

  it("loads finite sections as they were saved", () => {
    const file = bytes(encodeIndexFile(header, { vectors: Float32Array.from([0.5, -2, 3, 65504]) }));
    expect(Array.from(decodeIndexFile("i", file).sections.get("vectors") as Float32Array)).toEqual([0.5, -2, 3, 65504]);
    // The hand-made layout is sound: only the planted values make it fail.
    const planted = handMade("vectors", "f32", new Uint8Array(Float32Array.from([1, 2]).buffer));
    expect(Array.from(decodeIndexFile("i", planted).sections.get("vectors") as Float32Array)).toEqual([1, 2]);
  });
});

/** An index file made by hand: a header padded to 4 KiB, then one section with a valid checksum. */
function handMade(name: string, type: "f32" | "f16", data: Uint8Array): Buffer {
  const json = JSON.stringify({ format: "leann-index", version: 1, ...header, sections: [{ name, type, offset: 4096, length: data.length, crc32: crc32(data) }] });
  const head = Buffer.alloc(4096, 0x20);
  head.write("LEANNIDX", 0, "latin1");
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(4076, 12);
  head.write(json, 20);
  head.writeUInt32LE(crc32(head.subarray(20)), 16);
  return Buffer.concat([head, data]);
}

describe("CURRENT", () => {
  const write = (dir: string, generation: number) =>
    writeFileSync(join(dir, "CURRENT"), JSON.stringify({ format: "leann", version: 1, generation, index: `index.1.leann`, passages: "passages.1.leann" }));

  it.each([2 ** 53 - 1, MAX_GENERATION + 1, 0, -1, 1.5])("raises CorruptIndexError for generation %s", (g) => {
    const dir = tempDir();
    write(dir, g);
    expect(() => readCurrent(dir)).toThrow(corrupt);
  });

  it("reads the last valid generation, and refuses to go past it on the next save", () => {
    const dir = tempDir();
    write(dir, MAX_GENERATION);
    const cur = readCurrent(dir)!;
    expect(cur.generation).toBe(MAX_GENERATION);
    expect(() => nextGeneration(dir, cur)).toThrow(corrupt);
    expect(nextGeneration(dir, null)).toBe(1);
  });

  it("refuses file names outside the directory or of later generations", () => {
    const dir = tempDir();
    for (const index of ["../index.1.leann", "index.9.leann", "passages.1.leann"]) {
      writeFileSync(join(dir, "CURRENT"), JSON.stringify({ format: "leann", version: 1, generation: 2, index, passages: "passages.1.leann" }));
      expect(() => readCurrent(dir)).toThrow(corrupt);
    }
  });

  it("refuses a CURRENT that is a FIFO without blocking", () => {
    const dir = tempDir();
    execFileSync("mkfifo", [join(dir, "CURRENT")]);
    expect(() => readCurrent(dir)).toThrow(corrupt);
  });
});
