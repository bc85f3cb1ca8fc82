import { describe, expect, it } from "vitest";
import { fromHalf, toHalf } from "../src/util/f16.js";

describe("half-precision codebooks", () => {
  it.each([
    [0, 0x0000],
    [1, 0x3c00],
    [-2.5, 0xc100],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [65504, 0x7bff],
    [70000, 0x7c00],
    [5.96e-8, 0x0001],
    [1e-9, 0x0000],
  ])("encodes %f as 0x%s (IEEE 754 binary16, round to nearest even)", (x, h) => {
    expect(toHalf(x)).toBe(h);
  });

  it("round-trips values in [-1, 1] within half precision (relative error < 2^-11)", () => {
    for (let i = -1000; i <= 1000; i++) {
      const x = i / 1000 + 0.000123;
      expect(Math.abs(fromHalf(toHalf(x)) - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25);
    }
  });
});
