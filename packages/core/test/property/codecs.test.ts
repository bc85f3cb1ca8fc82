/**
 * The byte-level codecs of util/: half-precision floats (f16.ts) against an exhaustive
 * table of every binary16 value, and CRC-32 (crc32.ts) against zlib and a bitwise
 * reference.
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/util/crc32.js";
import { decodeHalf, encodeHalf, fromHalf, roundToHalf, toHalf } from "../../src/util/f16.js";

/** binary16 bits -> value, decoded from the IEEE 754 definition. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (exp === 0 ? mant * 2 ** -24 : (1024 + mant) * 2 ** (exp - 25));
}

/** Every non-negative finite half in increasing order (bits 0x0000..0x7bff are ordered as values). */
const POSITIVE = Array.from({ length: 0x7c00 }, (_, h) => halfValue(h));

/** Reference rounding: the nearest half, ties to the even one, overflow to infinity. */
function nearestHalf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  // Halfway between the largest finite half (65504) and 2^16 rounds to infinity.
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0, hi = POSITIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POSITIVE[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === POSITIVE.length - 1) return sign | lo;
  const below = a - POSITIVE[lo]!, above = POSITIVE[lo + 1]! - a;
  const h = below < above ? lo : above < below ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
  return sign | h;
}

describe("half precision", () => {
  it("decodes every one of the 65536 bit patterns as IEEE 754 says, and re-encodes it to the same bits", () => {
    // Checked in plain code and reported at once: 65536 expect() calls would take seconds.
    const wrong: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = fromHalf(h), want = halfValue(h);
      const ok = Number.isNaN(want) ? Number.isNaN(v) && Number.isNaN(fromHalf(toHalf(v))) : Object.is(v, want) && toHalf(v) === h;
      if (!ok) wrong.push(`0x${h.toString(16)}: fromHalf ${v}, expected ${want}, re-encoded 0x${toHalf(v).toString(16)}`);
    }
    expect(wrong).toEqual([]);
  });

  it("rounds every exact midpoint between two adjacent halves to the even one, and a hair off it to the nearer", () => {
    // Random floats almost never hit a tie (1 in 8192), so all 31743 midpoints are checked.
    const wrong: string[] = [];
    for (let h = 0; h + 1 < POSITIVE.length; h++) {
      const lo = POSITIVE[h]!, hi = POSITIVE[h + 1]!;
      const mid = (lo + hi) / 2; // 12 significant bits: exact in float32
      const even = h % 2 === 0 ? h : h + 1;
      const got = [toHalf(mid), toHalf(-mid), toHalf(Math.fround(mid - (hi - lo) / 64)), toHalf(Math.fround(mid + (hi - lo) / 64))];
      const want = [even, 0x8000 | even, h, h + 1];
      if (got.some((g, i) => g !== want[i])) wrong.push(`between 0x${h.toString(16)} and 0x${(h + 1).toString(16)}: got ${got.map((g) => g.toString(16))}, want ${want.map((g) => g.toString(16))}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // Past the largest half (65504) the midpoint is 65520: it and above overflow to infinity.
    expect([toHalf(65520), toHalf(Math.fround(65519.9)), toHalf(-65520)]).toEqual([0x7c00, 0x7bff, 0xfc00]);
  });

  it("rounds any float32 to the nearest half, ties to even, when given any float32", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        expect(toHalf(x)).toBe(nearestHalf(x));
      }),
      { numRuns: 5000 },
    );
  });

  it("rounds monotonically, and the array forms agree with the scalar ones", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -70000, max: 70000 }), { minLength: 1, maxLength: 50 }), (xs) => {
        const a = Float32Array.from(xs);
        const bits = encodeHalf(a);
        expect(Array.from(bits)).toEqual(Array.from(a, toHalf));
        const back = decodeHalf(bits);
        const inPlace = a.slice();
        roundToHalf(inPlace);
        expect(inPlace).toEqual(back);
        const order = Array.from(a.keys()).sort((i, j) => a[i]! - a[j]!);
        for (let r = 1; r < order.length; r++) expect(back[order[r]!]!).toBeGreaterThanOrEqual(back[order[r - 1]!]!);
      }),
    );
  });
});

/** Bitwise CRC-32 (reflected polynomial 0xEDB88320), no table: the definition itself. */
function crcReference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("crc32", () => {
  it("gives the standard check value for '123456789' and 0 for no bytes", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("agrees with zlib and the bitwise definition when given any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        const c = crc32(data);
        expect(c).toBe(crcReference(data));
        expect(c).toBe(zlibCrc32(data));
      }),
    );
  });

  it("continues a running checksum across chunks as over the whole", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const whole = new Uint8Array(a.length + b.length);
        whole.set(a);
        whole.set(b, a.length);
        expect(crc32(b, crc32(a))).toBe(crc32(whole));
      }),
    );
  });
});
