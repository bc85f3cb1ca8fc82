import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError, LeannError } from "@leann/core";
import { LocalEmbeddings, ModelLoadError, ModelNotFoundError, TextTooLongError, TokenizerMismatchError } from "../src/index.js";
import {
  bytesOf,
  encodeSafetensors,
  fromHalf,
  id,
  randomMatrix,
  tempDir,
  toHalf,
  VOCAB,
  wordPieceTokenizer,
  writeFiles,
} from "./helpers/fixtures.js";

const DIMS = 6;
const ROWS = VOCAB.length;

/** Builds a Model2Vec folder and returns it with the effective f64 table a reference should use. */
function staticFolder(
  dtype: "F32" | "F16" | "I8",
  opts: { weights?: boolean; mapping?: boolean; normalize?: boolean; file?: string; vocab?: readonly string[] } = {},
) {
  const base = randomMatrix(ROWS, DIMS, 11);
  const tensors: Parameters<typeof encodeSafetensors>[0] = {};
  let table: number[];
  if (dtype === "F32") {
    tensors["embeddings"] = { dtype, shape: [ROWS, DIMS], data: bytesOf(base) };
    table = Array.from(base);
  } else if (dtype === "F16") {
    const h = Uint16Array.from(base, toHalf);
    tensors["embeddings"] = { dtype, shape: [ROWS, DIMS], data: bytesOf(h) };
    table = Array.from(h, fromHalf);
  } else {
    const q = new Int8Array(ROWS * DIMS);
    const scales = new Float32Array(ROWS);
    table = [];
    for (let r = 0; r < ROWS; r++) {
      let max = 0;
      for (let j = 0; j < DIMS; j++) max = Math.max(max, Math.abs(base[r * DIMS + j]!));
      scales[r] = max / 127;
      for (let j = 0; j < DIMS; j++) {
        q[r * DIMS + j] = Math.round(base[r * DIMS + j]! / scales[r]!);
        table.push(q[r * DIMS + j]! * scales[r]!);
      }
    }
    tensors["embeddings"] = { dtype, shape: [ROWS, DIMS], data: bytesOf(q) };
    tensors["scales"] = { dtype: "F32", shape: [ROWS], data: bytesOf(scales) };
  }
  let weights: Float32Array | undefined;
  if (opts.weights) {
    weights = Float32Array.from({ length: ROWS }, (_, i) => 0.5 + (i % 5) / 4);
    tensors["weights"] = { dtype: "F32", shape: [ROWS], data: bytesOf(weights) };
  }
  let mapping: Int32Array | undefined;
  if (opts.mapping) {
    mapping = Int32Array.from({ length: ROWS }, (_, i) => (i * 7) % ROWS);
    tensors["mapping"] = { dtype: "I32", shape: [ROWS], data: bytesOf(mapping) };
  }
  const dir = writeFiles(tempDir(), {
    "tokenizer.json": wordPieceTokenizer(opts.vocab),
    [opts.file ?? "model.safetensors"]: encodeSafetensors(tensors),
    ...(opts.normalize === false ? { "config.json": { model_type: "model2vec", normalize: false } } : {}),
  });
  return { dir, table, weights, mapping };
}

/** Model2Vec by hand: drop specials, average (weighted) rows, normalise. `ids` are written out in the test. */
function reference(f: ReturnType<typeof staticFolder>, ids: number[], normalize = true): number[] {
  const acc = new Array<number>(DIMS).fill(0);
  let n = 0;
  for (const t of ids) {
    if (t < 5) continue;
    const row = f.mapping ? f.mapping[t]! : t;
    const w = f.weights ? f.weights[t]! : 1;
    for (let j = 0; j < DIMS; j++) acc[j]! += w * f.table[row * DIMS + j]!;
    n++;
  }
  const mean = acc.map((x) => x / n);
  if (!normalize) return mean;
  const norm = Math.sqrt(mean.reduce((s, x) => s + x * x, 0));
  return mean.map((x) => x / norm);
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
}

const TEXTS: Array<[string, number[]]> = [
  ["the cat sat on the mat", [id("the"), id("cat"), id("sat"), id("on"), id("the"), id("mat")]],
  ["A kitten rested.", [id("a"), id("kit"), id("##ten"), id("rest"), id("##ed"), id(".")]],
  ["Hello, WORLD [CLS] zzz", [id("hello"), id(","), id("world"), 2, 1]],
];

describe("Model2Vec static models", () => {
  it.each(["F32", "F16", "I8"] as const)("matches a by-hand mean of %s rows, normalised", async (dtype) => {
    const f = staticFolder(dtype);
    const e = new LocalEmbeddings({ model: f.dir });
    const got = await e.embedBatch(TEXTS.map((t) => t[0]));
    expect(e.dimensions).toBe(DIMS);
    expect(e.info?.kind).toBe("static");
    TEXTS.forEach(([, ids], i) => expectClose(got[i]!, reference(f, ids)));
  });

  it("applies per-token weights and the token-to-row mapping when the file has them", async () => {
    const f = staticFolder("F32", { weights: true, mapping: true });
    const got = await new LocalEmbeddings({ model: f.dir }).embedBatch(TEXTS.map((t) => t[0]));
    TEXTS.forEach(([, ids], i) => expectClose(got[i]!, reference(f, ids)));
  });

  it("returns the plain mean when config.json says normalize: false", async () => {
    const f = staticFolder("I8", { normalize: false });
    const [v] = await new LocalEmbeddings({ model: f.dir }).embedBatch([TEXTS[0]![0]]);
    expectClose(v!, reference(f, TEXTS[0]![1], false));
  });

  it("finds model.int8.safetensors and gives the same vectors through every public method", async () => {
    const f = staticFolder("I8", { file: "model.int8.safetensors" });
    const e = new LocalEmbeddings({ model: f.dir });
    const texts = TEXTS.map((t) => t[0]);
    const [docs, flat, q] = await Promise.all([e.embedDocuments(texts), e.embedFlat(texts), e.embedQuery(texts[1]!)]);
    expect(docs).toHaveLength(3);
    expect(Array.isArray(docs[0])).toBe(true);
    expectClose(flat.subarray(DIMS, 2 * DIMS), docs[1]!);
    expectClose(q, docs[1]!);
    expect(await e.embedDocuments([])).toEqual([]);
  });

  it("gives zeros for a text with no ordinary token, as Model2Vec does", async () => {
    const f = staticFolder("F32");
    const [v] = await new LocalEmbeddings({ model: f.dir }).embedBatch(["qqq [SEP]"]);
    expect(Array.from(v!)).toEqual(new Array(DIMS).fill(0));
  });

  it("truncates to maxLength tokens, warning once per call with truncation: warn", async () => {
    const f = staticFolder("F32");
    const warnings: string[] = [];
    const e = new LocalEmbeddings({ model: f.dir, maxLength: 3, truncation: "warn", onWarning: (m) => warnings.push(m) });
    const [long, short] = await e.embedBatch(["the cat sat on the mat", "the cat sat"]);
    expectClose(long!, short!);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/truncated 1 of 2 texts to the model's 3 tokens/);
  });

  it("throws TextTooLongError (INVALID_INPUT) with truncation: error", async () => {
    const f = staticFolder("F32");
    const e = new LocalEmbeddings({ model: f.dir, maxLength: 3, truncation: "error" });
    const err = await e.embedDocuments(["the cat", "the cat sat on the mat"]).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TextTooLongError);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as LeannError).code).toBe("INVALID_INPUT");
    expect((err as TextTooLongError).index).toBe(1);
    expect((err as Error).message).toMatch(/text 1 has 6 tokens; the model reads at most 3/);
  });

  it("rejects an empty or blank text with InvalidInputError naming its index", async () => {
    const f = staticFolder("F32");
    const e = new LocalEmbeddings({ model: f.dir });
    for (const bad of ["", "   \n"]) {
      const err = await e.embedDocuments(["the cat", bad]).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as LeannError).code).toBe("INVALID_INPUT");
      expect((err as Error).message).toMatch(/text 1 is empty/);
    }
    const err = await e.embedQuery(42 as unknown as string).catch((x: unknown) => x);
    expect((err as LeannError).code).toBe("INVALID_INPUT");
  });

  it("refuses a tokenizer whose vocabulary does not match the table (TokenizerMismatchError)", async () => {
    const f = staticFolder("F32", { vocab: [...VOCAB, "extra", "words"] });
    const err = await new LocalEmbeddings({ model: f.dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TokenizerMismatchError);
    expect((err as LeannError).code).toBe("MODEL_LOAD_FAILED");
    expect((err as Error).message).toMatch(/has 32 tokens but model.safetensors has 30 embedding rows/);
    expect((err as Error).message).toMatch(/use the tokenizer.json published with these weights/);
  });

  it("reports a corrupt or truncated safetensors file as ModelLoadError naming the file", async () => {
    const f = staticFolder("F32");
    const path = join(f.dir, "model.safetensors");
    const good = encodeSafetensors({ embeddings: { dtype: "F32", shape: [ROWS, DIMS], data: new Uint8Array(ROWS * DIMS * 4) } });
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array([1, 2, 3]), /fewer than the 8-byte header length/],
      [good.subarray(0, good.length - 10), /truncated file/],
      [Uint8Array.from([...good.subarray(0, 8), ...new TextEncoder().encode("not json at all!")]), /claims|not JSON/],
    ];
    for (const [bytes, why] of cases) {
      writeFileSync(path, bytes);
      const err = await new LocalEmbeddings({ model: f.dir }).load().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect((err as LeannError).code).toBe("MODEL_LOAD_FAILED");
      expect((err as ModelLoadError).file).toBe(path);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).toMatch(/download it again/);
    }
  });

  it("reports an int8 table without scales, and a table that is not Model2Vec", async () => {
    const dir = writeFiles(tempDir(), {
      "tokenizer.json": wordPieceTokenizer(),
      "model.safetensors": encodeSafetensors({ embeddings: { dtype: "I8", shape: [ROWS, DIMS], data: new Uint8Array(ROWS * DIMS) } }),
    });
    const err = await new LocalEmbeddings({ model: dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/no "scales" tensor/);

    writeFiles(dir, { "model.safetensors": encodeSafetensors({ "bert.weight": { dtype: "F32", shape: [2], data: new Uint8Array(8) } }) });
    const err2 = await new LocalEmbeddings({ model: dir }).load().catch((x: unknown) => x);
    expect(err2).toBeInstanceOf(ModelLoadError);
    expect((err2 as Error).message).toMatch(/no 2-D "embeddings" tensor/);
  });

  it("reports missing files with ModelNotFoundError saying what the folder needs", async () => {
    const noTokenizer = staticFolder("F32").dir;
    const { rmSync } = await import("node:fs");
    rmSync(join(noTokenizer, "tokenizer.json"));
    const cases: Array<[string, RegExp]> = [
      [noTokenizer, /has no tokenizer.json/],
      [tempDir(), /holds no model this package runs/],
      ["./no/such/model-folder", /neither an existing folder/],
    ];
    for (const [model, why] of cases) {
      const err = await new LocalEmbeddings({ model }).load().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ModelNotFoundError);
      expect((err as LeannError).code).toBe("MODEL_NOT_FOUND");
      expect((err as Error).message).toMatch(why);
    }
  });

  it("reports a corrupt tokenizer.json as ModelLoadError", async () => {
    const f = staticFolder("F32");
    writeFileSync(join(f.dir, "tokenizer.json"), '{"model": ');
    const err = await new LocalEmbeddings({ model: f.dir }).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/tokenizer.json \(tokenizer\) is not valid JSON/);
  });
});
