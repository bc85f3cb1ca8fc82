import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tokenizer } from "@huggingface/tokenizers";
import { EmbedderError, InvalidInputError, type LeannError } from "@leann/core";
import { createRng } from "@leann/testing";
import { LocalEmbeddings, ModelLoadError, ModelNotFoundError, TextTooLongError, TokenizerMismatchError } from "../src/index.js";
import {
  CLS,
  HIDDEN,
  id,
  meanOf,
  normalized,
  referenceStates,
  SEP,
  tempDir,
  tinyEncoderModel,
  tinyEncoderWeights,
  VOCAB,
  WORDS,
  wordPieceTokenizer,
  writeFiles,
} from "./helpers/fixtures.js";

const W = tinyEncoderWeights();

function encoderFolder(opts: { int8?: boolean; pooling?: "cls" | "mean" | "max"; maxSeq?: number; vocabSize?: number; withTypeIds?: boolean } = {}) {
  const { bytes, word } = tinyEncoderModel(W, { int8: opts.int8 ?? false, withTypeIds: opts.withTypeIds ?? true });
  const files: Record<string, string | Uint8Array | object> = {
    [opts.int8 ? "onnx/model_int8.onnx" : "onnx/model.onnx"]: bytes,
    "tokenizer.json": wordPieceTokenizer(),
    "config.json": { model_type: "bert", vocab_size: opts.vocabSize ?? VOCAB.length, hidden_size: HIDDEN, max_position_embeddings: 16 },
  };
  if (opts.pooling) {
    files["modules.json"] = [
      { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
      { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
      { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
    ];
    files["1_Pooling/config.json"] = {
      word_embedding_dimension: HIDDEN,
      pooling_mode_cls_token: opts.pooling === "cls",
      pooling_mode_mean_tokens: opts.pooling === "mean",
      pooling_mode_max_tokens: opts.pooling === "max",
      pooling_mode_mean_sqrt_len_tokens: false,
    };
  }
  if (opts.maxSeq) files["sentence_bert_config.json"] = { max_seq_length: opts.maxSeq, do_lower_case: false };
  return { dir: writeFiles(tempDir(), files), word };
}

/** Pooled, normalised reference for a sequence of ids written out by hand (special tokens included). */
function reference(word: Float32Array, ids: number[], pooling: "mean" | "cls" | "max", withTypeIds = true): number[] {
  const states = referenceStates(W, word, ids, withTypeIds);
  const pooled =
    pooling === "cls" ? states[0]! : pooling === "max" ? states[0]!.map((_, j) => Math.max(...states.map((r) => r[j]!))) : meanOf(states);
  return normalized(pooled);
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
}

const CASES: Array<[string, number[]]> = [
  ["the cat sat on the mat", [CLS, id("the"), id("cat"), id("sat"), id("on"), id("the"), id("mat"), SEP]],
  ["Kittens rested", [CLS, id("kit"), id("##ten"), id("##s"), id("rest"), id("##ed"), SEP]],
  ["hello", [CLS, id("hello"), SEP]],
  ["The quick brown fox, a lazy dog.", [CLS, id("the"), id("quick"), id("brown"), id("fox"), id(","), id("a"), id("lazy"), id("dog"), id("."), SEP]],
];

describe("transformer encoders on onnxruntime", () => {
  it.each(["mean", "cls", "max"] as const)("pools (%s) and normalises the graph's states to 1e-5 of a by-hand reference", async (pooling) => {
    const f = encoderFolder({ pooling });
    const e = new LocalEmbeddings({ model: f.dir });
    const got = await e.embedBatch(CASES.map((c) => c[0]));
    expect(e.info).toMatchObject({ kind: "transformer", dimensions: HIDDEN, source: "folder" });
    CASES.forEach(([, ids], i) => expectClose(got[i]!, reference(f.word, ids, pooling)));
    await e.dispose();
  });

  it("runs an int8 export (DequantizeLinear weights) picked with dtype: int8", async () => {
    const f = encoderFolder({ int8: true });
    const e = new LocalEmbeddings({ model: f.dir, dtype: "int8" });
    const got = await e.embedBatch(CASES.map((c) => c[0]));
    CASES.forEach(([, ids], i) => expectClose(got[i]!, reference(f.word, ids, "mean")));
    await e.dispose();
  });

  it("runs a graph without token_type_ids", async () => {
    const f = encoderFolder({ withTypeIds: false });
    const e = new LocalEmbeddings({ model: f.dir });
    const [v] = await e.embedBatch([CASES[0]![0]]);
    expectClose(v!, reference(f.word, CASES[0]![1], "mean", false));
    await e.dispose();
  });

  it("gives each text the same vector alone and in sorted, padded batches across batch boundaries", async () => {
    const f = encoderFolder();
    const tok = new Tokenizer(wordPieceTokenizer() as object, {});
    const next = createRng(3);
    const plain = WORDS.filter((w) => !w.startsWith("##"));
    const texts = Array.from({ length: 37 }, () => Array.from({ length: 1 + Math.floor(next() * 12) }, () => plain[Math.floor(next() * plain.length)]).join(" "));
    const e = new LocalEmbeddings({ model: f.dir, batchSize: 4 });
    const batched = await e.embedBatch(texts);
    texts.forEach((t, i) => {
      const ids = tok.encode(t).ids; // with [CLS]/[SEP], from the library directly
      expectClose(batched[i]!, reference(f.word, ids, "mean"));
    });
    const alone = await e.embedBatch([texts[5]!]);
    expectClose(alone[0]!, batched[5]!, 1e-6);
    await e.dispose();
  });

  it("truncates to max_seq_length (special tokens included), warning when asked", async () => {
    const f = encoderFolder({ maxSeq: 5 });
    const warnings: string[] = [];
    const e = new LocalEmbeddings({ model: f.dir, truncation: "warn", onWarning: (m) => warnings.push(m) });
    const [v] = await e.embedBatch(["the cat sat on the mat"]);
    expect(e.info?.maxLength).toBe(5);
    expectClose(v!, reference(f.word, [CLS, id("the"), id("cat"), id("sat"), SEP], "mean"));
    expect(warnings).toEqual([expect.stringMatching(/truncated 1 of 1 texts to the model's 3 tokens/)]);

    const strict = new LocalEmbeddings({ model: f.dir, truncation: "error" });
    const err = await strict.embedQuery("the cat sat on the mat").catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TextTooLongError);
    expect((err as LeannError).code).toBe("INVALID_INPUT");
    await e.dispose();
    await strict.dispose();
  });

  it("caps maxLength at the position table of config.json", async () => {
    const f = encoderFolder();
    const e = new LocalEmbeddings({ model: f.dir, maxLength: 1000 });
    expect((await e.load()).maxLength).toBe(16);
    const long = Array.from({ length: 40 }, () => "cat").join(" ");
    const [v] = await e.embedBatch([long]);
    expectClose(v!, reference(f.word, [CLS, ...new Array(14).fill(id("cat")), SEP], "mean"));
    await e.dispose();
  });

  it("refuses a tokenizer larger than the model's vocabulary (TokenizerMismatchError)", async () => {
    const f = encoderFolder({ vocabSize: 20 });
    const err = await new LocalEmbeddings({ model: f.dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TokenizerMismatchError);
    expect((err as LeannError).code).toBe("MODEL_LOAD_FAILED");
    expect((err as Error).message).toMatch(/has 30 tokens but .*config.json says the model has 20/);
  });

  it("turns an out-of-vocabulary id at run time into EmbedderError with a tokenizer hint", async () => {
    const f = encoderFolder();
    // No config.json to check against, and a tokenizer with more words than the graph's table.
    const { rmSync } = await import("node:fs");
    rmSync(join(f.dir, "config.json"));
    writeFiles(f.dir, { "tokenizer.json": wordPieceTokenizer([...VOCAB, ...Array.from({ length: 20 }, (_, i) => `w${i}`)]) });
    const e = new LocalEmbeddings({ model: f.dir });
    const err = await e.embedQuery("w19 cat").catch((x: unknown) => x);
    expect(err).toBeInstanceOf(EmbedderError);
    expect((err as LeannError).code).toBe("EMBEDDER_FAILED");
    expect((err as Error).message).toMatch(/tokenizer.json probably belongs to another model/);
    await e.dispose();
  });

  it("reports a corrupt ONNX file as ModelLoadError naming the file", async () => {
    const f = encoderFolder();
    const path = join(f.dir, "onnx/model.onnx");
    writeFileSync(path, new Uint8Array([8, 1, 0x42, 0xff, 0xff, 1, 2, 3]));
    const err = await new LocalEmbeddings({ model: f.dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as LeannError).code).toBe("MODEL_LOAD_FAILED");
    expect((err as ModelLoadError).file).toBe(path);
    expect((err as Error).message).toMatch(/onnxruntime cannot load .* download it again/);
  });

  it("reports a missing ONNX file for kind: transformer, and a missing int8 export", async () => {
    const f = encoderFolder();
    const err = await new LocalEmbeddings({ model: f.dir, dtype: "int8" }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toMatch(/has no ONNX model \(looked for onnx\/model_int8.onnx/);
    const empty = writeFiles(tempDir(), { "tokenizer.json": wordPieceTokenizer() });
    const err2 = await new LocalEmbeddings({ model: empty, kind: "transformer" }).load().catch((x: unknown) => x);
    expect((err2 as LeannError).code).toBe("MODEL_NOT_FOUND");
  });

  it("rejects an empty text before running the session", async () => {
    const f = encoderFolder();
    const e = new LocalEmbeddings({ model: f.dir });
    const err = await e.embedDocuments(["the cat", ""]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(InvalidInputError);
    await e.dispose();
  });
});
