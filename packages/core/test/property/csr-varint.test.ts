/**
 * Round trips of the compressed graph (graph/csr.ts) and the varint/zigzag codes it is
 * built on (util/varint.ts), checked with fast-check over random graphs and integers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compressedSize, compressGraph, decompressGraph, neighbors, type Adjacency } from "../../src/graph/csr.js";
import { unzigzag, varintSize, writeVarint, zigzag } from "../../src/util/varint.js";

/** Reference LEB128 reader, written from the format's definition (7 bits a byte, low first). */
function readVarint(buf: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0; ; shift++) {
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** (7 * shift);
    if ((b & 0x80) === 0) return { value, next: pos };
  }
}

/** A random graph: n nodes, each with a set of distinct neighbour ids in [0, n). */
const graphs = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 24) }), { minLength: n, maxLength: n }),
);

function toAdjacency(lists: number[][]): Adjacency {
  const starts = new Uint32Array(lists.length + 1);
  lists.forEach((l, v) => (starts[v + 1] = starts[v]! + l.length));
  return { starts, ids: Uint32Array.from(lists.flat()) };
}

function toLists(adj: Adjacency): number[][] {
  return Array.from({ length: adj.starts.length - 1 }, (_, v) => Array.from(adj.ids.subarray(adj.starts[v]!, adj.starts[v + 1]!)));
}

const sorted = (lists: number[][]) => lists.map((l) => [...l].sort((a, b) => a - b));

describe("zigzag and varint codes", () => {
  it("does a zigzag round trip and maps small magnitudes to small codes when given any safe integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (v) => {
        const z = zigzag(v);
        expect(z).toBeGreaterThanOrEqual(0);
        expect(unzigzag(z)).toBe(v);
        // The code is at most twice the magnitude, so small deltas stay one byte.
        expect(z).toBeLessThanOrEqual(2 * Math.abs(v));
      }),
    );
  });

  it("writes exactly varintSize bytes that read back as the value when given any safe natural number", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 4 }), (v, at) => {
        const buf = new Uint8Array(at + 8);
        const end = writeVarint(buf, at, v);
        expect(end - at).toBe(varintSize(v));
        expect(readVarint(buf, at)).toEqual({ value: v, next: end });
        // Only the last byte has the continuation bit clear.
        for (let i = at; i < end - 1; i++) expect(buf[i]! & 0x80).toBe(0x80);
      }),
    );
  });

  it("uses one byte per 7 bits, at the boundaries 2^7k - 1 and 2^7k", () => {
    for (let k = 1; k <= 7; k++) {
      expect(varintSize(2 ** (7 * k) - 1)).toBe(k);
      expect(varintSize(2 ** (7 * k))).toBe(k + 1);
    }
  });
});

describe("compressed adjacency (CSR of varint gaps)", () => {
  it("decompresses to the same sorted lists when given any graph", () => {
    fc.assert(
      fc.property(graphs, (lists) => {
        const maxDegree = Math.max(1, ...lists.map((l) => l.length));
        const g = compressGraph(toAdjacency(lists));
        expect(toLists(decompressGraph(g, maxDegree))).toEqual(sorted(lists));
        // compressedSize predicts the bytes exactly: the data plus a u32 offset per node and one more.
        expect(compressedSize(toAdjacency(lists))).toBe(g.data.length + 4 * (lists.length + 1));
      }),
    );
  });

  it("decodes each node's list alone with neighbors(), and refuses a buffer too small for it", () => {
    fc.assert(
      fc.property(graphs, (lists) => {
        const g = compressGraph(toAdjacency(lists));
        const want = sorted(lists);
        const out = new Uint32Array(64);
        want.forEach((l, v) => {
          const c = neighbors(g, v, out);
          expect(Array.from(out.subarray(0, c))).toEqual(l);
          if (l.length > 0) expect(neighbors(g, v, new Uint32Array(l.length - 1))).toBe(-1);
        });
      }),
    );
  });

  it("never yields an id outside [0, n) when the neighbour bytes are damaged", () => {
    fc.assert(
      fc.property(graphs, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (lists, damage) => {
        const g = compressGraph(toAdjacency(lists));
        fc.pre(g.data.length > 0);
        for (const [at, byte] of damage) g.data[at % g.data.length] = byte;
        const out = new Uint32Array(64);
        for (let v = 0; v < lists.length; v++) {
          const c = neighbors(g, v, out);
          if (c === -1) continue;
          for (let i = 0; i < c; i++) expect(out[i]).toBeLessThan(lists.length);
        }
      }),
    );
  });
});
