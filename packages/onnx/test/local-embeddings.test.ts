import { describe, expect, it, vi } from "vitest";
import { InvalidOptionsError, LeannIndex, type Embedder, type LeannError } from "@leann/core";
import { readdirSync } from "node:fs";
import { DEFAULT_MODEL, EMBEDDED_MODEL_DIR, LocalEmbeddings, ModelNotFoundError, type LocalEmbeddingsOptions } from "../src/index.js";
import { StaticModel } from "../src/static-model.js";
import { tempDir } from "./helpers/fixtures.js";
import { requirePotion } from "./helpers/potion.js";

const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe("LocalEmbeddings options", () => {
  const rows: Array<[string, Record<string, unknown>, RegExp]> = [
    ["an unknown option", { modle: "x" }, /unknown option "modle"/],
    ["an empty model", { model: "" }, /option model is "".*non-empty string/],
    ["a bad batchSize", { batchSize: 0 }, /option batchSize is 0; expected an integer from 1 to 4096/],
    ["a fractional maxLength", { maxLength: 2.5 }, /option maxLength is 2.5/],
    ["a bad truncation", { truncation: "cut" }, /option truncation is "cut"; expected one of "truncate", "warn", "error"/],
    ["a bad pooling", { pooling: "sum" }, /option pooling is "sum"/],
    ["a bad kind", { kind: "bert" }, /option kind is "bert"/],
    ["a bad dtype", { dtype: "q4" }, /option dtype is "q4"/],
    ["a non-http hubUrl", { hubUrl: "ftp://x" }, /option hubUrl is "ftp:\/\/x"; expected an http\(s\) URL/],
    ["a non-boolean offline", { offline: "yes" }, /option offline is "yes"; expected true or false/],
    ["a non-function onWarning", { onWarning: "log" }, /option onWarning is "log"; expected a function/],
    ["negative threads", { threads: -1 }, /option threads is -1/],
    ["the removed fallback option", { fallback: true }, /unknown option "fallback"/],
  ];
  it.each(rows)("rejects %s with InvalidOptionsError", (_, opts, message) => {
    let err: unknown;
    try {
      new LocalEmbeddings(opts as LocalEmbeddingsOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as LeannError).code).toBe("INVALID_OPTIONS");
    expect((err as Error).message).toMatch(message);
  });

  it("names the requested model before loading and the loaded one after", async () => {
    const e = new LocalEmbeddings({ env: {} });
    expect(e.modelId).toBe(DEFAULT_MODEL);
    expect(e.dimensions).toBeUndefined();
    const local = new LocalEmbeddings({ model: requirePotion(), modelId: "potion-base-2M" });
    expect(local.modelId).toBe("potion-base-2M");
    await local.load();
    expect(local.modelId).toBe("potion-base-2M");
    expect(local.dimensions).toBe(64);
  });
});

describe("LocalEmbeddings loading", () => {
  it("loads lazily, once, when first calls run concurrently", async () => {
    const spy = vi.spyOn(StaticModel, "load");
    try {
      const e = new LocalEmbeddings({ model: requirePotion() });
      expect(spy).not.toHaveBeenCalled();
      const [a, b, c] = await Promise.all([e.embedQuery("first"), e.embedDocuments(["second"]), e.embedBatch(["third"])]);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(a).toHaveLength(64);
      expect(b[0]).toHaveLength(64);
      expect(c[0]).toHaveLength(64);
      await e.embedQuery("again");
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });

  it("tries a failed load again on the next call", async () => {
    const dir = tempDir();
    const e = new LocalEmbeddings({ model: dir });
    await expect(e.load()).rejects.toBeInstanceOf(ModelNotFoundError);
    const { cpSync } = await import("node:fs");
    cpSync(requirePotion(), dir, { recursive: true });
    expect((await e.load()).dimensions).toBe(64);
  });

  it("plugs into LeannIndex as its embedder and finds the paraphrase", async () => {
    const embedder: Embedder = new LocalEmbeddings({ model: requirePotion() });
    const passages = [
      "How do I reset my password?",
      "The stock market closed higher on Friday.",
      "Recipes for a quick vegetarian dinner.",
      "The train to Paris leaves at nine.",
      "Photosynthesis turns light into chemical energy.",
    ].map((text, i) => ({ id: `p${i}`, text }));
    const index = await LeannIndex.build(passages, { embedder });
    const res = await index.search("I forgot my password", { k: 1 });
    expect(res.hits[0]?.id).toBe("p0");
  });
});

describe("the default model, shipped in the package", () => {
  it("loads with no hub, no download and no cache when no option is given, and records the hub id", async () => {
    const cacheDir = tempDir("leann-empty-cache-");
    // Offline with an empty cache: any attempt to reach the hub or the cache would fail.
    const e = new LocalEmbeddings({ cacheDir, env: { HF_HUB_OFFLINE: "1" } });
    const info = await e.load();
    expect(info).toMatchObject({ source: "embedded", kind: "static", dimensions: 64, modelId: DEFAULT_MODEL, dir: EMBEDDED_MODEL_DIR });
    expect(e.modelId).toBe(DEFAULT_MODEL);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it("gives exactly the vectors of its folder loaded by path", async () => {
    const texts = ["How do I reset my password?", "Photosynthesis turns light into chemical energy."];
    const byDefault = await new LocalEmbeddings().embedFlat(texts);
    const byFolder = await new LocalEmbeddings({ model: requirePotion() }).embedFlat(texts);
    expect(Array.from(byDefault)).toEqual(Array.from(byFolder));
    const [a, b] = await new LocalEmbeddings().embedBatch(["How do I reset my password?", "I forgot my password and need to change it."]);
    expect(cos(a!, b!)).toBeGreaterThan(0.5);
  });

  it("stands in for no other model: a named model neither cached nor downloadable is ModelNotFoundError", async () => {
    const o: LocalEmbeddingsOptions = { model: "BAAI/bge-small-en-v1.5", cacheDir: tempDir("leann-empty-cache-"), env: { HF_HUB_OFFLINE: "1" } };
    const err = await new LocalEmbeddings(o).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as LeannError).code).toBe("MODEL_NOT_FOUND");
    expect((err as Error).message).toMatch(/not in the cache .* offline mode is on.*pass the path of a model folder/);
  });
});
