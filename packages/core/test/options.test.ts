import { describe, expect, it } from "vitest";
import { embedderIdentity, InvalidOptionsError, MODEL_IDENTITY_FIELDS } from "../src/index.js";
import { buildOptionsSchema, DEFAULTS, loadOptionsSchema, parseOptions, searchBatchSize, searchOptionsSchema } from "../src/options.js";

describe("options", () => {
  it("fills every default and freezes the result when build options are partial", () => {
    const o = parseOptions(buildOptionsSchema, { M: 12 }, "test");
    expect(o).toMatchObject({ M: 12, metric: DEFAULTS.metric, efConstruction: DEFAULTS.efConstruction, seed: DEFAULTS.seed, pqBits: DEFAULTS.pqBits, embedTimeoutMs: DEFAULTS.embedTimeoutMs, embedConcurrency: DEFAULTS.embedConcurrency, threads: 0 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(o.modelId).toBeUndefined();
  });

  it("fills load defaults: the probe on, model mismatches refused", () => {
    expect(parseOptions(loadOptionsSchema, undefined, "test")).toEqual({
      allowModelMismatch: false,
      lock: false,
      probe: true,
      cacheBytes: DEFAULTS.cacheBytes,
      embedBatchSize: DEFAULTS.embedBatchSize,
      embedTimeoutMs: DEFAULTS.embedTimeoutMs,
      embedConcurrency: DEFAULTS.embedConcurrency,
    });
  });

  it("uses the batch size of the path that runs when the search gives none", () => {
    const o = parseOptions(searchOptionsSchema, {}, "test");
    expect(searchBatchSize(o, false)).toBe(DEFAULTS.batchSize);
    expect(searchBatchSize(o, true)).toBe(DEFAULTS.exactWalkBatchSize);
    expect(searchBatchSize(parseOptions(searchOptionsSchema, { batchSize: 5 }, "test"), true)).toBe(5);
  });

  it("names the bad field when an option is out of range or unknown", () => {
    expect(() => parseOptions(buildOptionsSchema, { M: 1 }, "where")).toThrow(InvalidOptionsError);
    expect(() => parseOptions(searchOptionsSchema, { kk: 3 }, "where")).toThrow(/kk/);
  });
});

describe("model identity", () => {
  it("reads the identity from the first field of MODEL_IDENTITY_FIELDS an embedder has", () => {
    expect(MODEL_IDENTITY_FIELDS).toEqual(["modelId", "model", "modelName", "model_name", "modelType"]);
    expect(embedderIdentity({ model_name: "d", modelName: "c", model: "b" })).toBe("b");
    expect(embedderIdentity({ model_name: "d" })).toBe("d");
    expect(embedderIdentity({ modelType: "e" })).toBe("e");
    expect(embedderIdentity({ model: "" , modelName: "c" })).toBe("c");
    expect(embedderIdentity({})).toBeUndefined();
  });
});
