import { describe, expect, it } from "vitest";
import { BitReader, BitWriter, readGamma, readRice, riceParameter, writeGamma, writeRice } from "../../src/keyword/rice.js";
import { createRng } from "../../src/util/rng.js";

describe("rice and gamma codes", () => {
  it("does read back every value written when values, parameters and interleaving are random", () => {
    const rng = createRng(21);
    for (let trial = 0; trial < 100; trial++) {
      const k = Math.floor(rng() * 12);
      const vals = Array.from({ length: 1 + Math.floor(rng() * 200) }, () => [Math.floor(rng() * 2 ** (k + 3)), 1 + Math.floor(rng() ** 4 * 1000)] as const);
      const w = new BitWriter(4);
      w.bits(k, 5);
      for (const [g, tf] of vals) {
        writeRice(w, g, k);
        writeGamma(w, tf);
      }
      const bytes = w.finish();
      const r = new BitReader(bytes, 0, bytes.length);
      expect(r.bits(5)).toBe(k);
      for (const [g, tf] of vals) {
        expect(readRice(r, k, 1 << 20)).toBe(g);
        expect(readGamma(r, 20)).toBe(tf);
      }
    }
  });

  it("does return -1 instead of reading past the end when the data is cut", () => {
    const w = new BitWriter();
    writeRice(w, 1000, 2);
    const bytes = w.finish();
    expect(readRice(new BitReader(bytes, 0, bytes.length - 1), 2, 1 << 20)).toBe(-1);
    expect(readRice(new BitReader(bytes, 0, bytes.length), 2, 10)).toBe(-1); // quotient over the bound
    expect(readGamma(new BitReader(new Uint8Array([0, 0, 0]), 0, 3), 17)).toBe(-1);
  });

  it("does spend one bit on a term frequency of 1 and about log2 of the mean gap on a gap", () => {
    const w = new BitWriter();
    writeGamma(w, 1);
    expect(w.finish()).toEqual(new Uint8Array([0b10000000]));
    expect(riceParameter(1000, 1000)).toBe(0);
    expect(riceParameter(100_000, 100)).toBe(9); // mean gap 1000 * ln 2 = 693 -> 2^9
  });
});
