/**
 * onnxruntime-node is an optional peer: without it, static models (the default
 * included) still load, and an ONNX encoder fails with a typed error that says what
 * to install. The package is made unimportable here the way a missing install is.
 */
import { describe, expect, it, vi } from "vitest";
import { DEFAULT_MODEL, LocalEmbeddings, ModelLoadError, OnnxRuntimeMissingError } from "../src/index.js";
import { tempDir, tinyEncoderModel, tinyEncoderWeights, VOCAB, HIDDEN, wordPieceTokenizer, writeFiles } from "./helpers/fixtures.js";

vi.mock("onnxruntime-node", () => {
  throw new Error("Cannot find package 'onnxruntime-node' imported from @leann/onnx");
});

describe("without onnxruntime-node installed", () => {
  it("still loads and runs the default static model", async () => {
    const e = new LocalEmbeddings();
    expect(await e.embedQuery("a light install")).toHaveLength(64);
    expect(e.info).toMatchObject({ modelId: DEFAULT_MODEL, kind: "static" });
  });

  it("fails on an ONNX encoder with OnnxRuntimeMissingError naming the install command", async () => {
    const { bytes } = tinyEncoderModel(tinyEncoderWeights(), {});
    const dir = writeFiles(tempDir(), {
      "onnx/model.onnx": bytes,
      "tokenizer.json": wordPieceTokenizer(),
      "config.json": { model_type: "bert", vocab_size: VOCAB.length, hidden_size: HIDDEN, max_position_embeddings: 16 },
    });
    const err = await new LocalEmbeddings({ model: dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(OnnxRuntimeMissingError);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as OnnxRuntimeMissingError).code).toBe("MODEL_LOAD_FAILED");
    expect((err as OnnxRuntimeMissingError).install).toBe("npm install onnxruntime-node");
    expect((err as Error).message).toMatch(/ONNX encoder, which runs on onnxruntime-node, and it cannot be loaded \(.+\)\. Install it .*`npm install onnxruntime-node`/);
  });
});
