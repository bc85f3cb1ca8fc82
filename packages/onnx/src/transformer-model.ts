/**
 * Transformer sentence encoders exported to ONNX in the Hugging Face layout,
 * run on onnxruntime-node. Per call: tokenize every text once, sort by length,
 * cut into batches so each pads only to its own longest text, run the session,
 * pool over the attention mask (mean, CLS, max or last token, as the model's
 * sentence-transformers config says) and normalise straight into the output.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { EmbedderError } from "@leann/core";
import type { EmbeddingBackend } from "./backend.js";
import { ModelLoadError, ModelNotFoundError, ONNXRUNTIME_PACKAGE, OnnxRuntimeMissingError, TokenizerMismatchError } from "./errors.js";
import { exists, firstExisting } from "./fs-util.js";
import { float16Table } from "./safetensors.js";
import { tokenizeTexts, type TokenizeSettings } from "./text-batch.js";
import { loadTokenizer, readOptionalJson, type LoadedTokenizer } from "./tokenizer.js";

export type Pooling = "mean" | "cls" | "max" | "lasttoken";
export type ModelDType = "fp32" | "fp16" | "int8";

/** ONNX files looked for, by precision, in the order of preference (Hugging Face / transformers.js layouts). */
export const ONNX_FILES: Record<ModelDType, readonly string[]> = {
  fp32: ["onnx/model.onnx", "model.onnx"],
  fp16: ["onnx/model_fp16.onnx", "model_fp16.onnx"],
  int8: [
    "onnx/model_int8.onnx",
    "onnx/model_quantized.onnx",
    "onnx/model_qint8_avx512_vnni.onnx",
    "onnx/model_qint8_avx512.onnx",
    "onnx/model_quint8_avx2.onnx",
    "model_int8.onnx",
    "model_quantized.onnx",
  ],
};

/** Without any config, 512 tokens: BERT's position table. */
export const TRANSFORMER_DEFAULT_MAX_LENGTH = 512;
/** Texts per session.run: large enough to use both cores well, small enough to keep padding low after sorting. */
export const DEFAULT_BATCH_SIZE = 32;

const SUPPORTED_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids", "position_ids"]);
/** Output names, in preference order, that hold per-token states or a pooled vector. */
const OUTPUT_NAMES = ["last_hidden_state", "token_embeddings", "sentence_embedding", "sentence_embeddings"];

export interface TransformerModelOptions {
  onnxFile?: string | undefined;
  dtype?: ModelDType | undefined;
  pooling?: Pooling | undefined;
  normalize?: boolean | undefined;
  maxLength?: number | undefined;
  batchSize?: number | undefined;
  threads?: number | undefined;
  truncation: TokenizeSettings["truncation"];
  onWarning: (message: string) => void;
}

type Ort = typeof import("onnxruntime-node");

/**
 * onnxruntime-node is an optional peer (288 MB of native binaries): imported on first use,
 * by transformer models only. The specifier sits in a variable so bundlers leave it alone.
 */
async function loadOrt(): Promise<Ort> {
  const specifier: string = ONNXRUNTIME_PACKAGE;
  try {
    return (await import(specifier)) as Ort;
  } catch (err) {
    throw new OnnxRuntimeMissingError((err as Error).message.split("\n")[0] ?? String(err), { cause: err });
  }
}

/**
 * Picks the ONNX file of a folder.
 * @returns its path relative to `dir`, or undefined when the folder has none.
 */
export async function findOnnxFile(dir: string, dtype: ModelDType | undefined): Promise<string | undefined> {
  if (dtype) return firstExisting(dir, ONNX_FILES[dtype]);
  return firstExisting(dir, [...ONNX_FILES.fp32, ...ONNX_FILES.int8, ...ONNX_FILES.fp16]);
}

/** Reads the sentence-transformers pooling mode (modules.json → Pooling config), "mean" when there is none. */
async function readPooling(dir: string): Promise<Pooling> {
  let poolingDir = "1_Pooling";
  const modules = await readOptionalModules(dir);
  const entry = modules?.find((m) => typeof m.type === "string" && m.type.endsWith("Pooling"));
  if (entry && typeof entry.path === "string") poolingDir = entry.path;
  const cfg = await readOptionalJson(join(dir, poolingDir), "config.json");
  if (!cfg) return "mean";
  const modes: Pooling[] = [];
  if (cfg["pooling_mode_cls_token"] === true) modes.push("cls");
  if (cfg["pooling_mode_mean_tokens"] === true) modes.push("mean");
  if (cfg["pooling_mode_max_tokens"] === true) modes.push("max");
  if (cfg["pooling_mode_lasttoken"] === true) modes.push("lasttoken");
  if (cfg["pooling_mode_mean_sqrt_len_tokens"] === true || cfg["pooling_mode_weightedmean_tokens"] === true || modes.length > 1) {
    throw new ModelLoadError(
      `${join(dir, poolingDir, "config.json")} asks for a pooling this package does not run (${JSON.stringify(cfg)}). ` +
        `Supported: exactly one of cls, mean, max, lasttoken; pass the pooling option to override.`,
      { file: join(dir, poolingDir, "config.json") },
    );
  }
  return modes[0] ?? "mean";
}

async function readOptionalModules(dir: string): Promise<Array<{ type?: unknown; path?: unknown }> | undefined> {
  const path = join(dir, "modules.json");
  if (!(await exists(path))) return undefined;
  try {
    const v: unknown = JSON.parse(await readFile(path, "utf8"));
    return Array.isArray(v) ? (v as Array<{ type?: unknown; path?: unknown }>) : undefined;
  } catch (err) {
    throw new ModelLoadError(`${path} is not valid JSON: ${(err as Error).message}; delete it and download the model again.`, {
      cause: err,
      file: path,
    });
  }
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}

export class TransformerModel implements EmbeddingBackend {
  readonly kind = "transformer" as const;
  readonly dimensions: number;
  readonly maxLength: number;
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly batchSize: number;
  readonly onnxFile: string;
  readonly tokenizer: LoadedTokenizer;
  readonly session: InferenceSession;
  private readonly ort: Ort;
  private readonly inputs: ReadonlyArray<{ name: string; int32: boolean }>;
  private readonly outputName: string;
  private readonly settings: TokenizeSettings;
  private f16: Float32Array | undefined;

  private constructor(init: {
    ort: Ort;
    session: InferenceSession;
    tokenizer: LoadedTokenizer;
    inputs: ReadonlyArray<{ name: string; int32: boolean }>;
    outputName: string;
    dims: number;
    maxLength: number;
    pooling: Pooling;
    normalize: boolean;
    batchSize: number;
    onnxFile: string;
    settings: TokenizeSettings;
  }) {
    this.ort = init.ort;
    this.session = init.session;
    this.tokenizer = init.tokenizer;
    this.inputs = init.inputs;
    this.outputName = init.outputName;
    this.dimensions = init.dims;
    this.maxLength = init.maxLength;
    this.pooling = init.pooling;
    this.normalize = init.normalize;
    this.batchSize = init.batchSize;
    this.onnxFile = init.onnxFile;
    this.settings = init.settings;
  }

  /**
   * Loads an ONNX encoder folder: the ONNX file, tokenizer.json, and the optional config.json,
   * sentence_bert_config.json, modules.json and pooling config.
   * @throws {ModelNotFoundError} when there is no ONNX file or tokenizer.
   * @throws {ModelLoadError} when onnxruntime rejects the file or its inputs are not a text encoder's.
   * @throws {TokenizerMismatchError} when the tokenizer has more tokens than the model's vocabulary.
   */
  static async load(dir: string, opts: TransformerModelOptions): Promise<TransformerModel> {
    const onnxFile = opts.onnxFile ?? (await findOnnxFile(dir, opts.dtype));
    if (!onnxFile || !(await exists(join(dir, onnxFile)))) {
      const looked = opts.onnxFile ? [opts.onnxFile] : opts.dtype ? ONNX_FILES[opts.dtype] : [...ONNX_FILES.fp32, ...ONNX_FILES.int8];
      throw new ModelNotFoundError(
        `${dir} has no ONNX model (looked for ${looked.join(", ")}). Export one with \`optimum-cli export onnx --model ID dir\`, ` +
          `or pick a file with the onnxFile option.`,
      );
    }
    const tokenizer = await loadTokenizer(dir);
    const config = (await readOptionalJson(dir, "config.json")) ?? {};
    const stConfig = (await readOptionalJson(dir, "sentence_bert_config.json")) ?? {};

    const vocab = positiveInt(config["vocab_size"]);
    if (vocab !== undefined && tokenizer.vocabSize > vocab) {
      throw new TokenizerMismatchError(
        `${join(dir, "tokenizer.json")} has ${tokenizer.vocabSize} tokens but ${join(dir, "config.json")} says the model has ${vocab}. ` +
          `The tokenizer belongs to another model: use the tokenizer.json published with this ONNX export.`,
        { file: join(dir, "tokenizer.json") },
      );
    }

    // Position table limit; RoBERTa-style models offset positions by padding_idx + 1.
    let posLimit = positiveInt(config["max_position_embeddings"]);
    const modelType = typeof config["model_type"] === "string" ? config["model_type"] : "";
    if (posLimit !== undefined && /roberta|camembert/.test(modelType)) posLimit -= 2;
    let maxLength =
      opts.maxLength ?? positiveInt(stConfig["max_seq_length"]) ?? tokenizer.maxLength ?? posLimit ?? TRANSFORMER_DEFAULT_MAX_LENGTH;
    if (posLimit !== undefined) maxLength = Math.min(maxLength, posLimit);
    const specials = tokenizer.prefix.length + tokenizer.suffix.length;
    if (maxLength <= specials) {
      throw new ModelLoadError(`maxLength ${maxLength} leaves no room for text after the ${specials} special tokens; use a larger maxLength.`);
    }

    const pooling = opts.pooling ?? (await readPooling(dir));
    const ort = await loadOrt();
    const path = join(dir, onnxFile);
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
        intraOpNumThreads: opts.threads ?? 0,
        interOpNumThreads: 1,
        executionMode: "sequential",
        // Failures surface as typed errors carrying onnxruntime's message; its own stderr log would only repeat them.
        logSeverityLevel: 4,
      });
    } catch (err) {
      throw new ModelLoadError(
        `onnxruntime cannot load ${path}: ${(err as Error).message}. The file is corrupt, truncated or not an ONNX model: ` +
          `delete it (or the model's cache folder) and download it again, or re-export the model.`,
        { cause: err, file: path },
      );
    }

    const inputs: Array<{ name: string; int32: boolean }> = [];
    for (const meta of session.inputMetadata) {
      if (!SUPPORTED_INPUTS.has(meta.name)) {
        await session.release();
        throw new ModelLoadError(
          `${path} takes an input "${meta.name}"; a text encoder takes ${[...SUPPORTED_INPUTS].join(", ")}. ` +
            `Export the model with the feature-extraction task (\`optimum-cli export onnx --task feature-extraction\`).`,
          { file: path },
        );
      }
      inputs.push({ name: meta.name, int32: meta.isTensor && meta.type === "int32" });
    }
    if (!inputs.some((i) => i.name === "input_ids")) {
      await session.release();
      throw new ModelLoadError(`${path} has no input_ids input (inputs: ${session.inputNames.join(", ")}); it is not a text encoder.`, { file: path });
    }
    const outputName = OUTPUT_NAMES.find((n) => session.outputNames.includes(n)) ?? session.outputNames[0]!;

    const settings: TokenizeSettings = { budget: maxLength - specials, truncation: opts.truncation, onWarning: opts.onWarning };
    const model = new TransformerModel({
      ort,
      session,
      tokenizer,
      inputs,
      outputName,
      dims: 0,
      maxLength,
      pooling,
      normalize: opts.normalize ?? true,
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      onnxFile,
      settings,
    });
    // The hidden size is not in every config; one tiny run tells it for sure.
    const probe = new Float32Array(0);
    const dims = await model.runBatch([[...tokenizer.prefix, ...tokenizer.encode("hello").slice(0, 1), ...tokenizer.suffix]], [0], probe, true);
    (model as { dimensions: number }).dimensions = dims;
    return model;
  }

  async embed(texts: readonly string[], out: Float32Array): Promise<void> {
    const { prefix, suffix } = this.tokenizer;
    const body = tokenizeTexts(this.tokenizer, texts, this.settings);
    const seqs: number[][] = new Array(body.length);
    for (let i = 0; i < body.length; i++) seqs[i] = prefix.length || suffix.length ? [...prefix, ...body[i]!, ...suffix] : body[i]!;
    // Longest first, so a batch pads only to its own longest text.
    const order = Array.from(seqs.keys()).sort((a, b) => seqs[b]!.length - seqs[a]!.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const rows = order.slice(start, start + this.batchSize);
      await this.runBatch(
        rows.map((r) => seqs[r]!),
        rows,
        out,
        false,
      );
    }
  }

  /**
   * Runs one padded batch and pools row k into `out` at `rows[k] * dimensions`.
   * With `probeOnly`, returns the hidden size without writing anything.
   */
  private async runBatch(seqs: readonly number[][], rows: readonly number[], out: Float32Array, probeOnly: boolean): Promise<number> {
    const b = seqs.length;
    let len = 0;
    for (const s of seqs) if (s.length > len) len = s.length;
    const feeds: Record<string, Tensor> = {};
    const { Tensor } = this.ort;
    for (const input of this.inputs) feeds[input.name] = new Tensor(input.int32 ? "int32" : "int64", this.fill(input, seqs, b, len), [b, len]);

    let result: Tensor;
    try {
      const res = await this.session.run(feeds, [this.outputName]);
      result = res[this.outputName]!;
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      const hint = /indices|out of (range|bounds)|index/i.test(msg)
        ? " A token id is outside the model's vocabulary: the tokenizer.json probably belongs to another model."
        : "";
      throw new EmbedderError(`onnxruntime failed on a batch of ${b} texts of up to ${len} tokens: ${msg}.${hint}`, { cause: err });
    }
    try {
      const dims = result.dims;
      const data = this.floatData(result);
      const rank3 = dims.length === 3;
      const hidden = rank3 ? dims[2]! : dims[1]!;
      if ((!rank3 && dims.length !== 2) || dims[0] !== b || (rank3 && dims[1] !== len)) {
        throw new EmbedderError(
          `the model's output "${this.outputName}" has shape [${dims.join(", ")}]; expected [${b}, ${len}, hidden] or [${b}, hidden].`,
        );
      }
      if (probeOnly) return hidden;
      for (let k = 0; k < b; k++) {
        const off = rows[k]! * hidden;
        if (rank3) poolRow(data, k * len * hidden, seqs[k]!.length, hidden, this.pooling, out, off);
        else for (let j = 0; j < hidden; j++) out[off + j] = data[k * hidden + j]!;
        if (this.normalize) normalizeRow(out, off, hidden);
      }
      return hidden;
    } finally {
      result.dispose?.();
    }
  }

  /** Builds one input's [b, len] buffer; int64 values are written through an int32 view (ids are small and non-negative). */
  private fill(input: { name: string; int32: boolean }, seqs: readonly number[][], b: number, len: number): Int32Array | BigInt64Array {
    const stride = input.int32 ? 1 : 2;
    const words = new Int32Array(b * len * stride);
    const pad = this.tokenizer.padId;
    for (let k = 0; k < b; k++) {
      const s = seqs[k]!;
      const base = k * len * stride;
      switch (input.name) {
        case "input_ids":
          for (let t = 0; t < len; t++) words[base + t * stride] = t < s.length ? s[t]! : pad;
          break;
        case "attention_mask":
          for (let t = 0; t < s.length; t++) words[base + t * stride] = 1;
          break;
        case "position_ids":
          for (let t = 0; t < len; t++) words[base + t * stride] = t;
          break;
        default: // token_type_ids: one segment
          break;
      }
    }
    return input.int32 ? words : new BigInt64Array(words.buffer);
  }

  private floatData(t: Tensor): Float32Array {
    if (t.type === "float32") return t.data as Float32Array;
    if (t.type === "float16") {
      this.f16 ??= float16Table();
      const src = t.data as Uint16Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = this.f16[src[i]!]!;
      return out;
    }
    throw new EmbedderError(`the model's output "${this.outputName}" is ${t.type}; expected float32 or float16.`);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

let meanScratch = new Float64Array(0);

/** Pools the first `n` token states of one row (the attention mask is 1 exactly there: right padding). */
export function poolRow(
  data: Float32Array,
  base: number,
  n: number,
  hidden: number,
  pooling: Pooling,
  out: Float32Array,
  off: number,
): void {
  switch (pooling) {
    case "cls":
      for (let j = 0; j < hidden; j++) out[off + j] = data[base + j]!;
      return;
    case "lasttoken": {
      const at = base + (n - 1) * hidden;
      for (let j = 0; j < hidden; j++) out[off + j] = data[at + j]!;
      return;
    }
    case "max":
      for (let j = 0; j < hidden; j++) {
        let m = -Infinity;
        for (let t = 0; t < n; t++) m = Math.max(m, data[base + t * hidden + j]!);
        out[off + j] = m;
      }
      return;
    case "mean": {
      // Summed in f64 row by row (contiguous reads), then scaled once.
      if (meanScratch.length < hidden) meanScratch = new Float64Array(hidden);
      const acc = meanScratch;
      acc.fill(0, 0, hidden);
      for (let t = 0; t < n; t++) {
        const at = base + t * hidden;
        for (let j = 0; j < hidden; j++) acc[j]! += data[at + j]!;
      }
      for (let j = 0; j < hidden; j++) out[off + j] = acc[j]! / n;
      return;
    }
  }
}

export function normalizeRow(v: Float32Array, off: number, n: number): void {
  let s = 0;
  for (let j = 0; j < n; j++) s += v[off + j]! * v[off + j]!;
  if (s === 0) return;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < n; j++) v[off + j]! *= inv;
}
