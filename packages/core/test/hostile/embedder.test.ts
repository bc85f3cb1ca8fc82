import { describe, expect, it } from "vitest";
import { embedBatched, embedQueryChecked, LeannIndex, MAX_COMPONENT } from "../../src/index.js";

/** Returns `bad` as component 3 of the vector of the text "bad", ordinary vectors otherwise. */
function embedderWith(bad: number) {
  const vec = (t: string) => Array.from({ length: 8 }, (_, i) => (t === "bad" && i === 3 ? bad : Math.sin(t.length + i)));
  return {
    async embedDocuments(texts: string[]) {
      return texts.map(vec);
    },
    async embedQuery(text: string) {
      return vec(text);
    },
  };
}

describe("embedder values", () => {
  it.each([1e300, -1e300, 1e39, MAX_COMPONENT * 2, Number.NaN, Infinity])("rejects a component of %s with EmbedderError", async (bad) => {
    const e = embedderWith(bad);
    await expect(embedBatched(e, ["ok", "bad"], 0, 64)).rejects.toMatchObject({ code: "EMBEDDER_FAILED" });
    await expect(embedQueryChecked(e, "bad", 8)).rejects.toMatchObject({ code: "EMBEDDER_FAILED" });
    await expect(LeannIndex.build([{ text: "ok" }, { text: "bad" }], { embedder: e })).rejects.toMatchObject({ code: "EMBEDDER_FAILED" });
  });

  it("accepts components up to the bound and keeps them exactly", async () => {
    const { vectors } = await embedBatched(embedderWith(-MAX_COMPONENT), ["bad"], 0, 64);
    expect(vectors[3]).toBe(-MAX_COMPONENT);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects a batch size of %s with InvalidOptionsError instead of looping", async (size) => {
    await expect(embedBatched(embedderWith(0), ["a"], 0, size)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });
});
