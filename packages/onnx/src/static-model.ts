/**
 * Model2Vec static models: a text's vector is the mean of its tokens' rows in
 * one embedding table, normalised. No session, no padding: the table stays in
 * its stored precision (f32, f16 decoded through a lookup table, or int8 with a
 * per-row scale) and the loop reads it directly.
 *
 * Plain typed arrays beat onnxruntime here (see bench/embed-bench.ts): the work
 * is ~64 multiply-adds per token, so a session's tensor setup and padding cost
 * more than the maths.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ModelLoadError, ModelNotFoundError, TokenizerMismatchError } from "./errors.js";
import {
  asFloat32,
  asInt32,
  asInt8,
  asUint16,
  bfloat16ToFloat32,
  float16Table,
  parseSafetensors,
  type SafetensorsTensor,
} from "./safetensors.js";
import { tokenizeTexts, type TokenizeSettings } from "./text-batch.js";
import { loadTokenizer, readOptionalJson, type LoadedTokenizer } from "./tokenizer.js";
import type { EmbeddingBackend } from "./backend.js";
import { firstExisting } from "./fs-util.js";

/** Model2Vec's own default: longer texts are cut to their first 512 tokens. */
export const STATIC_DEFAULT_MAX_LENGTH = 512;

/** Weight files of a static model, in the order they are preferred. */
export const STATIC_WEIGHT_FILES = ["model.safetensors", "model.int8.safetensors", "model.f16.safetensors"] as const;

type Table =
  | { kind: "f32"; data: Float32Array }
  | { kind: "f16"; data: Uint16Array; lut: Float32Array }
  | { kind: "i8"; data: Int8Array; scales: Float32Array };

export interface StaticModelOptions {
  /** Weight file name inside the folder; default: the first of STATIC_WEIGHT_FILES present. */
  weightsFile?: string | undefined;
  maxLength?: number | undefined;
  normalize?: boolean | undefined;
  truncation: TokenizeSettings["truncation"];
  onWarning: (message: string) => void;
}

export class StaticModel implements EmbeddingBackend {
  readonly kind = "static" as const;
  readonly dimensions: number;
  readonly rows: number;
  readonly maxLength: number;
  readonly normalize: boolean;
  readonly tokenizer: LoadedTokenizer;
  readonly weightsFile: string;
  private readonly table: Table;
  private readonly weights: Float32Array | undefined;
  private readonly mapping: Int32Array | undefined;
  private readonly settings: TokenizeSettings;
  /** Reused accumulator: f64 so long texts lose no precision to summation order. */
  private readonly acc: Float64Array;
  /** Seen-set for counting repeated tokens: stamp[id] === epoch means seen in this text. */
  private readonly stamp: Uint32Array;
  private readonly mult: Uint32Array;
  private uniq = new Int32Array(256);
  private epoch = 0;

  private constructor(init: {
    tokenizer: LoadedTokenizer;
    table: Table;
    rows: number;
    dims: number;
    weights: Float32Array | undefined;
    mapping: Int32Array | undefined;
    maxLength: number;
    normalize: boolean;
    weightsFile: string;
    settings: TokenizeSettings;
  }) {
    this.tokenizer = init.tokenizer;
    this.table = init.table;
    this.rows = init.rows;
    this.dimensions = init.dims;
    this.weights = init.weights;
    this.mapping = init.mapping;
    this.maxLength = init.maxLength;
    this.normalize = init.normalize;
    this.weightsFile = init.weightsFile;
    this.settings = init.settings;
    this.acc = new Float64Array(init.dims);
    this.stamp = new Uint32Array(init.tokenizer.vocabSize);
    this.mult = new Uint32Array(init.tokenizer.vocabSize);
  }

  /**
   * Loads a Model2Vec folder: tokenizer.json, a safetensors file with an `embeddings` table
   * (F32, F16, BF16, or I8 with `scales`), optional `weights`/`mapping`, optional config.json.
   * @throws {ModelNotFoundError} when the weights or tokenizer file is missing.
   * @throws {ModelLoadError} when a file is corrupt or of an unsupported layout.
   * @throws {TokenizerMismatchError} when the tokenizer's ids do not fit the table.
   */
  static async load(dir: string, opts: StaticModelOptions): Promise<StaticModel> {
    const weightsFile = opts.weightsFile ?? (await firstExisting(dir, STATIC_WEIGHT_FILES));
    if (!weightsFile) {
      throw new ModelNotFoundError(
        `${dir} has no static-model weights (looked for ${STATIC_WEIGHT_FILES.join(", ")}). ` +
          `A Model2Vec folder needs a safetensors file with an "embeddings" table next to tokenizer.json.`,
      );
    }
    const path = join(dir, weightsFile);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new ModelNotFoundError(`${path} does not exist; check the weightsFile option or download the model again.`, { cause: err });
      }
      throw new ModelLoadError(`cannot read ${path}: ${(err as Error).message}`, { cause: err, file: path });
    }
    const tensors = parseSafetensors(buf, path);
    const config = (await readOptionalJson(dir, "config.json")) ?? {};
    const tokenizer = await loadTokenizer(dir);

    const emb = tensors.get("embeddings");
    if (!emb || emb.shape.length !== 2) {
      throw new ModelLoadError(
        `${path} has no 2-D "embeddings" tensor (found: ${[...tensors.keys()].join(", ") || "none"}). ` +
          `This is not a Model2Vec static model; for a transformer encoder, provide its ONNX export (model.onnx or onnx/model.onnx).`,
        { file: path },
      );
    }
    const [rows, dims] = emb.shape as [number, number];
    if (rows === 0 || dims === 0) throw new ModelLoadError(`${path}: the "embeddings" table is empty ([${rows}, ${dims}]).`, { file: path });
    const table = toTable(emb, tensors.get("scales"), rows, path);
    const weights = vectorOf(tensors.get("weights"), "weights", path);
    const mappingT = tensors.get("mapping");
    const mapping = mappingT ? asInt32(mappingT, path) : undefined;

    // A tokenizer from another model yields ids with no row, or rows for other tokens: refuse both.
    const vocab = tokenizer.vocabSize;
    const tokPath = join(dir, "tokenizer.json");
    if (mapping) {
      if (mapping.length < vocab) {
        throw new TokenizerMismatchError(
          `${tokPath} has ${vocab} tokens but ${basename(path)}'s "mapping" covers ${mapping.length}. The tokenizer belongs to another model: use the tokenizer.json published with these weights.`,
          { file: tokPath },
        );
      }
      for (let i = 0; i < mapping.length; i++) {
        if (mapping[i]! < 0 || mapping[i]! >= rows) {
          throw new ModelLoadError(`${path}: "mapping"[${i}] = ${mapping[i]} is outside the ${rows} rows of "embeddings"; the file is corrupt.`, { file: path });
        }
      }
    } else if (vocab !== rows) {
      throw new TokenizerMismatchError(
        `${tokPath} has ${vocab} tokens but ${basename(path)} has ${rows} embedding rows; a Model2Vec table has exactly one row per token. ` +
          `The tokenizer belongs to another model: use the tokenizer.json published with these weights.`,
        { file: tokPath },
      );
    }
    if (weights && weights.length < vocab) {
      throw new ModelLoadError(`${path}: "weights" has ${weights.length} entries for ${vocab} tokens; the file is corrupt.`, { file: path });
    }

    const maxLength = opts.maxLength ?? STATIC_DEFAULT_MAX_LENGTH;
    const normalize = opts.normalize ?? (typeof config["normalize"] === "boolean" ? (config["normalize"] as boolean) : true);
    return new StaticModel({
      tokenizer,
      table,
      rows,
      dims,
      weights,
      mapping,
      maxLength,
      normalize,
      weightsFile,
      settings: { budget: maxLength, truncation: opts.truncation, onWarning: opts.onWarning },
    });
  }

  async embed(texts: readonly string[], out: Float32Array): Promise<void> {
    this.embedSync(texts, out);
  }

  /** Synchronous core of `embed`: row i of `out` gets text i. */
  embedSync(texts: readonly string[], out: Float32Array): void {
    const ids = tokenizeTexts(this.tokenizer, texts, this.settings);
    for (let i = 0; i < ids.length; i++) this.embedIds(ids[i]!, out, i * this.dimensions);
  }

  /**
   * Mean of the rows of `ids` (special tokens skipped), normalised when the model says so,
   * written to `out[offset .. offset + dimensions)`. A text with no ordinary token gets zeros,
   * as in Model2Vec.
   *
   * Repeated tokens are counted first (an epoch-stamped seen-set, reused across calls) so
   * each distinct row is read once with its multiplicity as weight: in 100-word passages a
   * third or more of the tokens are repeats.
   */
  embedIds(ids: readonly number[], out: Float32Array, offset: number): void {
    const dims = this.dimensions;
    const special = this.tokenizer.special;
    const stamp = this.stamp;
    const mult = this.mult;
    if (this.uniq.length < ids.length) this.uniq = new Int32Array(Math.max(ids.length, this.uniq.length * 2));
    const uniq = this.uniq;
    let epoch = ++this.epoch;
    if (epoch === 0xffffffff) {
      stamp.fill(0);
      this.epoch = epoch = 1;
    }
    let u = 0;
    let count = 0;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (id >= stamp.length || special[id] === 1) continue;
      count++;
      if (stamp[id] !== epoch) {
        stamp[id] = epoch;
        mult[id] = 1;
        uniq[u++] = id;
      } else mult[id]!++;
    }
    if (count === 0) {
      out.fill(0, offset, offset + dims);
      return;
    }
    const acc = this.acc;
    acc.fill(0);
    const mapping = this.mapping;
    const weights = this.weights;
    const t = this.table;
    // One loop per storage type keeps each inner loop monomorphic.
    if (t.kind === "i8") {
      const d = t.data;
      const scales = t.scales;
      for (let k = 0; k < u; k++) {
        const id = uniq[k]!;
        const row = mapping ? mapping[id]! : id;
        addRowI8(acc, d, row * dims, dims, mult[id]! * (weights ? weights[id]! : 1) * scales[row]!);
      }
    } else if (t.kind === "f32") {
      const d = t.data;
      for (let k = 0; k < u; k++) {
        const id = uniq[k]!;
        addRowF32(acc, d, (mapping ? mapping[id]! : id) * dims, dims, mult[id]! * (weights ? weights[id]! : 1));
      }
    } else {
      const d = t.data;
      const lut = t.lut;
      for (let k = 0; k < u; k++) {
        const id = uniq[k]!;
        const base = (mapping ? mapping[id]! : id) * dims;
        const w = mult[id]! * (weights ? weights[id]! : 1);
        for (let j = 0; j < dims; j++) acc[j]! += w * lut[d[base + j]!]!;
      }
    }
    let scale = 1 / count;
    if (this.normalize) {
      let norm = 0;
      for (let j = 0; j < dims; j++) norm += acc[j]! * acc[j]!;
      scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    }
    for (let j = 0; j < dims; j++) out[offset + j] = acc[j]! * scale;
  }

  async dispose(): Promise<void> {}
}

/** acc += w * row, unrolled by four (V8 does not vectorise; this halves loop overhead). One copy per array type keeps each monomorphic. */
function addRowI8(acc: Float64Array, d: Int8Array, base: number, dims: number, w: number): void {
  let j = 0;
  for (const end = dims - 3; j < end; j += 4) {
    acc[j]! += w * d[base + j]!;
    acc[j + 1]! += w * d[base + j + 1]!;
    acc[j + 2]! += w * d[base + j + 2]!;
    acc[j + 3]! += w * d[base + j + 3]!;
  }
  for (; j < dims; j++) acc[j]! += w * d[base + j]!;
}

function addRowF32(acc: Float64Array, d: Float32Array, base: number, dims: number, w: number): void {
  let j = 0;
  for (const end = dims - 3; j < end; j += 4) {
    acc[j]! += w * d[base + j]!;
    acc[j + 1]! += w * d[base + j + 1]!;
    acc[j + 2]! += w * d[base + j + 2]!;
    acc[j + 3]! += w * d[base + j + 3]!;
  }
  for (; j < dims; j++) acc[j]! += w * d[base + j]!;
}

function toTable(emb: SafetensorsTensor, scalesT: SafetensorsTensor | undefined, rows: number, path: string): Table {
  switch (emb.dtype) {
    case "F32":
      return { kind: "f32", data: asFloat32(emb) };
    case "F16":
      return { kind: "f16", data: asUint16(emb), lut: float16Table() };
    case "BF16":
      return { kind: "f32", data: bfloat16ToFloat32(asUint16(emb)) };
    case "I8": {
      const scales = vectorOf(scalesT, "scales", path);
      if (!scales) {
        throw new ModelLoadError(
          `${path}: "embeddings" is int8 but there is no "scales" tensor. An int8 table needs one f32 scale per row ([${rows}]) to be dequantised.`,
          { file: path },
        );
      }
      if (scales.length !== rows) {
        throw new ModelLoadError(`${path}: "scales" has ${scales.length} entries for ${rows} rows; expected one scale per row.`, { file: path });
      }
      return { kind: "i8", data: asInt8(emb), scales };
    }
    default:
      throw new ModelLoadError(`${path}: "embeddings" is ${emb.dtype}; supported: F32, F16, BF16, I8 (with "scales").`, { file: path });
  }
}

/** A 1-D (or [n, 1]) float tensor as Float32Array. */
function vectorOf(t: SafetensorsTensor | undefined, name: string, path: string): Float32Array | undefined {
  if (!t) return undefined;
  const n = t.shape[0] ?? 0;
  if (t.shape.length > 2 || (t.shape.length === 2 && t.shape[1] !== 1)) {
    throw new ModelLoadError(`${path}: "${name}" has shape [${t.shape.join(", ")}]; expected [n] or [n, 1].`, { file: path });
  }
  if (t.dtype === "F32") return asFloat32(t);
  if (t.dtype === "F16") {
    const lut = float16Table();
    const src = asUint16(t);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lut[src[i]!]!;
    return out;
  }
  if (t.dtype === "BF16") return bfloat16ToFloat32(asUint16(t));
  throw new ModelLoadError(`${path}: "${name}" is ${t.dtype}; expected F32 or F16.`, { file: path });
}
