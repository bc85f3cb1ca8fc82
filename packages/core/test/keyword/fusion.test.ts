import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidOptionsError } from "../../src/errors.js";
import { reciprocalRankFusion, relativeScoreFusion } from "../../src/keyword/fusion.js";
import { createRng } from "../../src/util/rng.js";

const dense = [
  { id: "a", score: 0.9 },
  { id: "b", score: 0.8 },
  { id: "c", score: 0.5 },
];
const keyword = [
  { id: "c", score: 12 },
  { id: "d", score: 8 },
  { id: "a", score: 2 },
];

describe("relativeScoreFusion", () => {
  it("does return exactly the dense list when alpha is 1 and exactly the keyword list when alpha is 0", () => {
    expect(relativeScoreFusion(dense, keyword, { alpha: 1 }).map((h) => [h.id, h.score])).toEqual(dense.map((h) => [h.id, h.score]));
    expect(relativeScoreFusion(dense, keyword, { alpha: 0 }).map((h) => [h.id, h.score])).toEqual(keyword.map((h) => [h.id, h.score]));
  });

  it("does mix min-max normalised scores by alpha when alpha is between 0 and 1", () => {
    // dense norm: a 1, b 0.75, c 0; keyword norm: c 1, d 0.6, a 0.
    const fused = relativeScoreFusion(dense, keyword, { alpha: 0.5 });
    const byId = Object.fromEntries(fused.map((h) => [h.id, h.score]));
    expect(byId.a).toBeCloseTo(0.5, 12);
    expect(byId.b).toBeCloseTo(0.375, 12);
    expect(byId.c).toBeCloseTo(0.5, 12);
    expect(byId.d).toBeCloseTo(0.3, 12);
    // a and c tie: the dense side's order breaks it.
    expect(fused.map((h) => h.id)).toEqual(["a", "c", "b", "d"]);
    expect(fused[0]).toMatchObject({ dense: 1, keyword: 0 });
  });

  it("does keep the best k and treat a lone hit as fully relevant on its side", () => {
    const fused = relativeScoreFusion([{ id: 1, score: 0.3 }], [{ id: 2, score: 5 }, { id: 3, score: 1 }], { alpha: 0.7, k: 2 });
    expect(fused.map((h) => h.id)).toEqual([1, 2]);
    expect(fused[0]!.score).toBeCloseTo(0.7, 12);
  });

  it("does normalise with mean +- 3 standard deviations when normalization is distribution", () => {
    const fused = relativeScoreFusion(dense, keyword, { alpha: 0.5, normalization: "distribution" });
    for (const h of fused) {
      expect(h.score).toBeGreaterThanOrEqual(0);
      expect(h.score).toBeLessThanOrEqual(1);
    }
    expect(fused).toHaveLength(4);
  });

  it("does keep one entry per id (its best score) when a list repeats an id", () => {
    const fused = relativeScoreFusion([{ id: "x", score: 0.1 }, { id: "x", score: 0.9 }, { id: "y", score: 0.5 }], [], { alpha: 1 });
    expect(fused.map((h) => [h.id, h.score])).toEqual([["x", 0.9], ["y", 0.5]]);
  });

  it("does score every hit as alpha * dense + (1 - alpha) * keyword with both parts in [0, 1] (seeded lists)", () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 50; trial++) {
      const d = Array.from({ length: 20 }, (_, i) => ({ id: i, score: rng() * 2 - 1 }));
      const w = Array.from({ length: 20 }, (_, i) => ({ id: i + 10, score: rng() * 20 }));
      const alpha = rng();
      const fused = relativeScoreFusion(d, w, { alpha });
      expect(fused).toHaveLength(30);
      for (let i = 0; i < fused.length; i++) {
        const h = fused[i]!;
        const dn = h.dense ?? 0, kn = h.keyword ?? 0;
        expect(dn).toBeGreaterThanOrEqual(0);
        expect(dn).toBeLessThanOrEqual(1);
        expect(kn).toBeGreaterThanOrEqual(0);
        expect(kn).toBeLessThanOrEqual(1);
        expect(h.score).toBeCloseTo(alpha * dn + (1 - alpha) * kn, 12);
        if (i > 0) expect(h.score).toBeLessThanOrEqual(fused[i - 1]!.score);
      }
    }
  });
});

describe("reciprocalRankFusion", () => {
  it("does sum alpha-weighted reciprocal ranks with the rank constant", () => {
    const fused = reciprocalRankFusion(dense, keyword, { alpha: 0.5, rankConstant: 60 });
    const byId = Object.fromEntries(fused.map((h) => [h.id, h.score]));
    expect(byId.a).toBeCloseTo(0.5 / 61 + 0.5 / 63, 12);
    expect(byId.c).toBeCloseTo(0.5 / 63 + 0.5 / 61, 12);
    expect(byId.b).toBeCloseTo(0.5 / 62, 12);
    expect(byId.d).toBeCloseTo(0.5 / 62, 12);
    expect(fused.map((h) => h.id)).toEqual(["a", "c", "b", "d"]);
  });

  it("does return exactly one side when alpha is 0 or 1", () => {
    expect(reciprocalRankFusion(dense, keyword, { alpha: 1, k: 2 }).map((h) => h.id)).toEqual(["a", "b"]);
    expect(reciprocalRankFusion(dense, keyword, { alpha: 0 }).map((h) => h.id)).toEqual(["c", "d", "a"]);
  });
});

describe("fusion input checks", () => {
  it.each([[-0.1], [1.1], [Number.NaN], ["0.5"]])("does throw InvalidOptionsError when alpha is %j", (alpha) => {
    expect(() => relativeScoreFusion(dense, keyword, { alpha: alpha as number })).toThrow(InvalidOptionsError);
    expect(() => reciprocalRankFusion(dense, keyword, { alpha: alpha as number })).toThrow(InvalidOptionsError);
  });

  it("does throw InvalidOptionsError when k, the normalisation or the rank constant is invalid", () => {
    expect(() => relativeScoreFusion(dense, keyword, { alpha: 0.5, k: 0 })).toThrow(InvalidOptionsError);
    expect(() => relativeScoreFusion(dense, keyword, { alpha: 0.5, normalization: "z" as "min-max" })).toThrow(InvalidOptionsError);
    expect(() => reciprocalRankFusion(dense, keyword, { alpha: 0.5, rankConstant: -1 })).toThrow(InvalidOptionsError);
  });

  it("does throw InvalidInputError when a score is not finite", () => {
    expect(() => relativeScoreFusion([{ id: 1, score: Number.NaN }], [], { alpha: 0.5 })).toThrow(InvalidInputError);
    expect(() => reciprocalRankFusion([], [{ id: 1, score: Infinity }], { alpha: 0.5 })).toThrow(InvalidInputError);
  });
});
