import { describe, expect, it } from "vitest";
import { InvalidOptionsError, LeannIndex } from "../../src/index.js";
import { clustered, rows, TableEmbedder } from "../helpers.js";

/**
 * Counts that size an allocation are bounded at the boundary: an absurd value is an
 * InvalidOptionsError naming the option and the value, never a RangeError (or an
 * out-of-memory) from inside the search or the build.
 */
describe("option bounds", () => {
  const dims = 8;
  const data = rows(clustered(60, dims, 4), dims);
  const texts = data.map((_, i) => `t${i}`);
  const passages = texts.map((text, i) => ({ id: `p${i}`, text }));
  const embedder = new TableEmbedder(texts, data);

  it.each([
    ["batchSize", 1e10],
    ["k", 1e12],
    ["ef", 2 ** 40],
    ["maxRecompute", 1e15],
    ["patience", 1e13],
  ])("refuses search option %s = %d with InvalidOptionsError", async (name, value) => {
    const index = await LeannIndex.build(passages, { embedder });
    const err = await index.search(data[0]!, { [name]: value }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as InvalidOptionsError).message).toContain(name);
    await index.close();
  });

  it.each([
    ["embedBatchSize", 1e10],
    ["pqSample", 1e12],
    ["pqIterations", 1e9],
    ["pqSubspaces", 1e7],
    ["cacheBytes", 2 ** 60],
  ])("refuses build option %s = %d with InvalidOptionsError", async (name, value) => {
    const err = await LeannIndex.build(passages, { embedder, [name]: value }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as InvalidOptionsError).message).toContain(name);
  });
});
