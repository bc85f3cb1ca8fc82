import { describe, expect, it } from "vitest";
import { CliError } from "../src/exit-codes.js";
import { listModels, modelSpec, openModel, registerModelProvider, type ModelProvider } from "../src/embedder.js";

const sink = () => {
  let text = "";
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
};

/** A provider with a fixed 3-d embedder: what an `ollama:` or `openai:` provider plugs in as. */
const fake: ModelProvider = {
  prefix: "fake",
  summary: "test models",
  normalize: (name) => name.trim().toLowerCase(),
  async open(name, _env, warn) {
    warn(`opening ${name}`);
    const embedFlat = async (texts: readonly string[]) => new Float32Array(texts.length * 3).fill(1);
    return {
      embedder: { embedFlat, embedDocuments: async (t: string[]) => t.map(() => [1, 1, 1]) },
      modelId: `fake/${name}`,
      dimensions: 3,
      source: "test",
    };
  },
  async list() {
    return [{ spec: "fake:NAME", state: "pattern", note: "any name" }];
  },
};
registerModelProvider(fake);

describe("the model registry", () => {
  const env = { HF_HUB_OFFLINE: "1", LEANN_CACHE_DIR: "/nonexistent-leann-cache" };

  it("picks --model, else the recorded spec, else $LEANN_MODEL, else the default", () => {
    expect(modelSpec("fake: Big ", "recorded", env, "/w")).toBe("fake:big");
    expect(modelSpec(undefined, "recorded", { LEANN_MODEL: "fake:x" }, "/w")).toBe("recorded");
    expect(modelSpec(undefined, undefined, { LEANN_MODEL: "FAKE:x" }, "/w")).toBe("FAKE:x"); // prefixes are lowercase words: a local name
    expect(modelSpec(undefined, undefined, { LEANN_MODEL: "./m" }, "/w")).toBe("/w/m");
    expect(modelSpec(undefined, undefined, {}, "/w")).toBe("minishlab/potion-base-2M");
    expect(modelSpec("owner/name", undefined, {}, "/nonexistent")).toBe("owner/name");
  });

  it("routes a PREFIX:NAME spec to its provider, with warnings on stderr", async () => {
    const err = sink();
    const h = await openModel("fake:tiny", env, err);
    expect(h).toMatchObject({ spec: "fake:tiny", modelId: "fake/tiny", dimensions: 3, source: "test" });
    expect(await h.embedder.embedFlat(["a", "b"])).toHaveLength(6);
    expect(err.text).toBe("leann: opening tiny\n");
  });

  it("sends an unregistered prefix to the local models, where it is a missing model with a hint", async () => {
    const err = await openModel("nope:thing", env, sink()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe("MODEL_NOT_FOUND");
    expect((err as CliError).exitCode).toBe(4);
    expect((err as CliError).hint).toContain("leann models");
  });

  it("opens the shipped default offline and names the identity an index records", async () => {
    const h = await openModel("minishlab/potion-base-2M", env, sink());
    expect(h).toMatchObject({ modelId: "minishlab/potion-base-2M", dimensions: 64, source: "embedded" });
  });

  it("lists every provider's models, and refuses a taken or malformed prefix", async () => {
    const all = await listModels(env);
    expect(all.map((p) => p.prefix)).toEqual(["", "openai", "ollama", "fake"]);
    expect(all[0]!.models[0]).toMatchObject({ spec: "minishlab/potion-base-2M", state: "ready" });
    expect(() => registerModelProvider(fake)).toThrow(/already registered/);
    expect(() => registerModelProvider({ ...fake, prefix: "Bad Prefix" })).toThrow(/lowercase word/);
  });
});
