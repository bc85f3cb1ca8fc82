/**
 * Tiny model folders built by the tests themselves: a WordPiece tokenizer.json,
 * safetensors files, and ONNX graphs with known weights.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRng, tempDir as kitTempDir } from "@leann/testing";
import { DataType, encodeModel, floatTensor, GraphBuilder, int64Tensor, int8Tensor, type ValueInfo } from "./onnx-proto.js";

export const SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;
export const WORDS = [
  "the", "cat", "sat", "on", "mat", "dog", "ran", "a", "kit", "##ten", "##s", "hello", "world",
  "rest", "##ed", "park", "in", "quick", "brown", "fox", "jump", "over", "lazy", ".", ",",
] as const;
/** Full vocabulary: specials first (ids 0-4), then WORDS. */
export const VOCAB: readonly string[] = [...SPECIALS, ...WORDS];
export const id = (tok: string): number => {
  const i = VOCAB.indexOf(tok);
  if (i < 0) throw new Error(`no token ${tok}`);
  return i;
};
export const CLS = 2;
export const SEP = 3;

/** A lowercasing BERT WordPiece tokenizer.json over `vocab`, shaped like the ones the hub serves. */
export function wordPieceTokenizer(vocab: readonly string[] = VOCAB): object {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, i) => ({
      id: i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [CLS], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [SEP], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

export function tempDir(prefix = "leann-onnx-"): string {
  return kitTempDir(prefix);
}

export function writeFiles(dir: string, files: Record<string, string | Uint8Array | object>): string {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === "string" || content instanceof Uint8Array ? content : JSON.stringify(content));
  }
  return dir;
}

/** The kit's seeded PRNG under the name the bench scripts import. */
export { createRng as rng } from "@leann/testing";

/** A seeded matrix with entries uniform in [-scale, scale), so fixtures are reproducible. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const r = createRng(seed);
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = (r() * 2 - 1) * scale;
  return m;
}

export interface SafetensorsEntry {
  dtype: "F32" | "F16" | "I8" | "I32" | "I64";
  shape: number[];
  data: Uint8Array;
}

/** Serialises tensors in the safetensors layout (header padded to 8 bytes, as writers do). */
export function encodeSafetensors(tensors: Record<string, SafetensorsEntry>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let at = 8 + hbytes.length;
  for (const t of Object.values(tensors)) {
    out.set(t.data, at);
    at += t.data.byteLength;
  }
  return out;
}

export const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** f32 → IEEE half (round to nearest even), for f16 fixtures. */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  let exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  if (exp >= 31) return sign | 0x7c00;
  let half = (exp << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Exact decode of an IEEE half, written independently of the package's lookup table. */
export function fromHalf(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const s = h & 0x8000 ? -1 : 1;
  return e === 0 ? s * m * Math.pow(2, -24) : s * (1 + m / 1024) * Math.pow(2, e - 15);
}

export const HIDDEN = 8;
export const MAX_POS = 16;

export interface TinyEncoder {
  word: Float32Array; // [VOCAB.length, HIDDEN]
  pos: Float32Array; // [MAX_POS, HIDDEN]
  type: Float32Array; // [2, HIDDEN]
}

export function tinyEncoderWeights(seed = 7): TinyEncoder {
  return {
    word: randomMatrix(VOCAB.length, HIDDEN, seed),
    pos: randomMatrix(MAX_POS, HIDDEN, seed + 1, 0.3),
    type: randomMatrix(2, HIDDEN, seed + 2, 0.1),
  };
}

/**
 * A BERT-embeddings-shaped graph: last_hidden_state[b, t] = word[ids[b, t]] + pos[t] + type[tt[b, t]].
 * With `int8`, the word table is stored as int8 with one scale and goes through DequantizeLinear,
 * as in dynamically quantised exports. Returns the serialised model and the effective word table.
 */
export function tinyEncoderModel(w: TinyEncoder, opts: { int8?: boolean; withTypeIds?: boolean } = {}): { bytes: Uint8Array; word: Float32Array } {
  const g = new GraphBuilder();
  let word = w.word;
  let wordName: string;
  if (opts.int8) {
    let max = 0;
    for (const x of w.word) max = Math.max(max, Math.abs(x));
    const scale = max / 127;
    const q = Int8Array.from(w.word, (x) => Math.round(x / scale));
    word = Float32Array.from(q, (x) => x * scale);
    const qName = g.init(int8Tensor("word_q", [VOCAB.length, HIDDEN], q));
    const sName = g.init(floatTensor("word_scale", [], [scale]));
    const zName = g.init(int8Tensor("word_zero", [], [0]));
    wordName = g.op("DequantizeLinear", [qName, sName, zName]);
  } else {
    wordName = g.init(floatTensor("word_embeddings", [VOCAB.length, HIDDEN], w.word));
  }
  const posName = g.init(floatTensor("position_embeddings", [MAX_POS, HIDDEN], w.pos));
  const we = g.op("Gather", [wordName, "input_ids"]);
  const shape = g.op("Shape", ["input_ids"]);
  const seq = g.op("Gather", [shape, g.init(int64Tensor("one_idx", [], [1]))]);
  const range = g.op("Range", [g.init(int64Tensor("zero", [], [0])), seq, g.init(int64Tensor("step", [], [1]))]);
  const pe = g.op("Gather", [posName, range]);
  let h = g.op("Add", [we, pe]);
  const inputs: ValueInfo[] = [
    { name: "input_ids", elemType: DataType.INT64, shape: ["batch", "sequence"] },
    { name: "attention_mask", elemType: DataType.INT64, shape: ["batch", "sequence"] },
  ];
  if (opts.withTypeIds !== false) {
    const typeName = g.init(floatTensor("token_type_embeddings", [2, HIDDEN], w.type));
    h = g.op("Add", [h, g.op("Gather", [typeName, "token_type_ids"])]);
    inputs.push({ name: "token_type_ids", elemType: DataType.INT64, shape: ["batch", "sequence"] });
  }
  // The mask enters the graph (as in a real encoder) without changing unmasked states: h * 1 + 0 * mask.
  const maskF = g.op("Cast", ["attention_mask"], { to: { kind: "int", v: DataType.FLOAT } });
  const zeroMask = g.op("Mul", [maskF, g.const("zero_f", [], [0])]);
  const unsq = g.op("Unsqueeze", [zeroMask, g.constI64("axes", [2])]);
  g.op("Add", [h, unsq], undefined, "last_hidden_state");
  const bytes = encodeModel({
    nodes: g.nodes,
    initializers: g.initializers,
    inputs,
    outputs: [{ name: "last_hidden_state", elemType: DataType.FLOAT, shape: ["batch", "sequence", HIDDEN] }],
  });
  return { bytes, word };
}

/** Reference: token states of a sequence of ids, computed from the weights directly (f64). */
export function referenceStates(w: TinyEncoder, word: Float32Array, ids: readonly number[], withTypeIds = true): number[][] {
  return ids.map((tok, t) => {
    const row: number[] = [];
    for (let j = 0; j < HIDDEN; j++) row.push(word[tok * HIDDEN + j]! + w.pos[t * HIDDEN + j]! + (withTypeIds ? w.type[j]! : 0));
    return row;
  });
}

export function normalized(v: readonly number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
}

export function meanOf(rows: readonly number[][]): number[] {
  const out = new Array<number>(rows[0]!.length).fill(0);
  for (const r of rows) r.forEach((x, j) => (out[j]! += x));
  return out.map((x) => x / rows.length);
}
