import { describe, expect, it } from "vitest";
import { BUDGET_PRESETS, chooseLayout, meanTextBytes, readGiven, rebuildLayoutOptions, scaledDefaultBudget } from "../src/build/budget.js";
import { LeannIndex } from "../src/index.js";
import { clustered, rows, tempDir, TableEmbedder } from "./helpers.js";

describe("default budget from the passages' length", () => {
  it("does scale the default budget to 24% of the mean text when passages are short, the same for the same input", () => {
    expect(scaledDefaultBudget(229.4)).toBe(55);
    expect(scaledDefaultBudget(10)).toBe(40);
    expect(scaledDefaultBudget(1000)).toBe(BUDGET_PRESETS.balanced);
    expect(scaledDefaultBudget(undefined)).toBe(BUDGET_PRESETS.balanced);
    const a = chooseLayout("balanced", 100_000, 384, {}, 229.4);
    expect(a).toEqual(chooseLayout("balanced", 100_000, 384, {}, 229.4));
    expect(a).toMatchObject({ budget: 55, preset: "balanced", scaledForTextBytes: 229.4 });
    expect(a.expectedBytes).toBeLessThanOrEqual(55);
    expect(a.reason).toMatch(/^balanced budget 128 B a passage scaled to 55 B \(24% of the passages' mean 229 B of text/);
  });

  it("does keep the preset when passages are long enough or their length is unknown", () => {
    for (const t of [900, undefined]) {
      const l = chooseLayout("balanced", 100_000, 384, {}, t);
      expect(l).toMatchObject({ budget: BUDGET_PRESETS.balanced, scaledForTextBytes: null });
      expect(l.reason).toMatch(/^balanced budget 128 B a passage: /);
    }
  });

  it("does keep the preset for short passages when there are fewer than 10000, and says so", () => {
    const l = chooseLayout("balanced", 9_999, 384, {}, 229.4);
    expect(l).toMatchObject({ budget: BUDGET_PRESETS.balanced, scaledForTextBytes: null });
    expect(l.reason).toMatch(/^balanced budget 128 B a passage \(not scaled to the passages' short text under 10000 passages\): /);
    expect(chooseLayout("balanced", 10_000, 384, {}, 229.4).budget).toBe(55);
  });

  it("does honour a budget the caller named or gave as a number, however short the passages", () => {
    expect(chooseLayout("balanced", 100_000, 384, { budget: "balanced" }, 50)).toMatchObject({ budget: 128, scaledForTextBytes: null });
    expect(chooseLayout("tiny", 100_000, 384, { budget: "tiny" }, 50)).toMatchObject({ budget: 64, scaledForTextBytes: null });
    expect(chooseLayout(200, 100_000, 384, { budget: 200 }, 50)).toMatchObject({ budget: 200, scaledForTextBytes: null });
  });

  it("does measure text in UTF-8 bytes", () => {
    expect(meanTextBytes([])).toBeUndefined();
    expect(meanTextBytes(["ab", "é€"])).toBe((2 + 5) / 2);
  });

  it("does rebuild with the default again when none was given, and with the caller's budget when one was", () => {
    const pq = { subspaces: 8, bits: 4 } as never;
    expect(rebuildLayoutOptions({ pq, params: { budget: "balanced", given: "{}" } as never })).toEqual({});
    expect(rebuildLayoutOptions({ pq, params: { budget: "balanced", given: '{"budget":"balanced"}' } as never })).toEqual({ budget: "balanced" });
    // Files from before the distinction: a preset other than the default, or a number, was the caller's.
    expect(rebuildLayoutOptions({ pq, params: { budget: 96, given: "{}" } as never })).toEqual({ budget: 96 });
    expect(readGiven('{"budget":2}')).toEqual({});
  });

  it("does record why in params.layout, and keeps it after save, load and a rebuild while small", async () => {
    const dims = 16, n = 300;
    const data = rows(clustered(n, dims, 7), dims);
    const texts = data.map((_, i) => `passage ${i}`);
    const embedder = new TableEmbedder(texts, data);
    const input = texts.map((text) => ({ text }));
    const auto = await LeannIndex.build(input, { embedder, threads: 1 });
    expect(auto.params.budget).toBe("balanced");
    // 16-d vectors: the balanced preset is 96 B there (presetBytes); too few passages to scale it down.
    expect(auto.params.layout).toMatch(/^balanced budget 96 B a passage \(not scaled to the passages' short text under 10000 passages\)/);
    const dir = tempDir("leann-budget-default-");
    await auto.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    expect(loaded.params.layout).toBe(auto.params.layout);
    // A rebuild while small chooses the default again for the passages it then holds.
    await loaded.add([{ text: texts[0]! }]);
    expect(loaded.params.layout).toMatch(/not scaled/);
    expect(JSON.parse(loaded.params.given!)).toEqual({});
    const named = await LeannIndex.build(input, { embedder, threads: 1, budget: "balanced" });
    expect(named.params.layout).toMatch(/^balanced budget 96 B a passage: /);
    expect(JSON.parse(named.params.given!)).toEqual({ budget: "balanced" });
    await Promise.all([auto.close(), loaded.close(), named.close()]);
  });
});
