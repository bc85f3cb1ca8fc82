/**
 * potion-base-2M (Model2Vec static embeddings) for the sotu-potion-64 dataset.
 *
 * Prefers `LocalEmbeddings` from the repository's `@leann/onnx` sources (../packages/onnx/src/index.ts); when that
 * does not exist yet (or fails to load), falls back to the minimal Model2Vec below: WordPiece-tokenise without
 * special tokens (`@huggingface/tokenizers`), drop special ids, average the token rows (int8 row x per-row scale,
 * or F32 rows), L2-normalise.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

/** The copy shipped in @leann/onnx (packages/onnx/models), so the repository alone runs the benchmarks. */
export const POTION_MODEL_DIR =
  process.env.LEANN_POTION_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "packages", "onnx", "models", "potion-base-2M-int8");

export interface TextEmbedder {
  /** What is embedding (recorded in dataset metadata). */
  description: string;
  dims: number;
  /** Row-major (texts.length x dims) vectors. */
  embed(texts: readonly string[]): Promise<Float32Array>;
}

interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads the tensors of a .safetensors file (F32, I8, F16 not needed here). */
export function readSafetensors(path: string): Map<string, { dtype: string; shape: number[]; data: Float32Array | Int8Array }> {
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString("utf8")) as Record<string, SafetensorsEntry>;
  const base = 8 + headerLen;
  const out = new Map<string, { dtype: string; shape: number[]; data: Float32Array | Int8Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const bytes = buf.subarray(base + e.data_offsets[0], base + e.data_offsets[1]);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes); // aligned copy
    if (e.dtype === "F32") out.set(name, { dtype: e.dtype, shape: e.shape, data: new Float32Array(copy.buffer) });
    else if (e.dtype === "I8") out.set(name, { dtype: e.dtype, shape: e.shape, data: new Int8Array(copy.buffer) });
    else throw new Error(`${path}: tensor ${name} has unsupported dtype ${e.dtype}`);
  }
  return out;
}

/** Minimal Model2Vec: mean of token vectors (without special tokens), L2-normalised. */
export class Model2VecLite implements TextEmbedder {
  readonly description: string;
  readonly dims: number;
  private readonly tokenizer: Tokenizer;
  private readonly table: Float32Array;
  private readonly special: Set<number>;
  private readonly maxTokens: number;

  constructor(modelDir: string = POTION_MODEL_DIR, opts: { maxTokens?: number } = {}) {
    const tokJson = JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8")) as { added_tokens?: { id: number; special: boolean }[] };
    this.tokenizer = new Tokenizer(tokJson, {});
    this.special = new Set((tokJson.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
    this.maxTokens = opts.maxTokens ?? 512;
    let tensors;
    let file = "model.int8.safetensors";
    try {
      tensors = readSafetensors(join(modelDir, file));
    } catch {
      file = "model.safetensors";
      tensors = readSafetensors(join(modelDir, file));
    }
    const emb = tensors.get("embeddings");
    if (!emb || emb.shape.length !== 2) throw new Error(`${modelDir}/${file}: no 2-d "embeddings" tensor`);
    const [rows, dims] = emb.shape as [number, number];
    this.dims = dims;
    const scales = tensors.get("scales")?.data as Float32Array | undefined;
    this.table = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++) {
      const s = scales ? scales[r]! : 1;
      for (let d = 0; d < dims; d++) this.table[r * dims + d] = emb.data[r * dims + d]! * s;
    }
    this.description = `bench/lib/potion.ts Model2VecLite (${file}: ${emb.dtype} [${rows}, ${dims}]${scales ? " x F32 scales" : ""}; mean of non-special tokens, first ${this.maxTokens} tokens, L2-normalised)`;
  }

  embedOne(text: string, out: Float32Array, offset: number): void {
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const dims = this.dims;
    let n = 0;
    for (let i = 0; i < ids.length && n < this.maxTokens; i++) {
      const id = ids[i]!;
      if (this.special.has(id)) continue;
      const row = id * dims;
      for (let d = 0; d < dims; d++) out[offset + d]! += this.table[row + d]!;
      n++;
    }
    let s = 0;
    for (let d = 0; d < dims; d++) s += out[offset + d]! * out[offset + d]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0; // mean then normalise = normalise the sum
    for (let d = 0; d < dims; d++) out[offset + d]! *= inv;
  }

  async embed(texts: readonly string[]): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dims);
    texts.forEach((t, i) => this.embedOne(t, out, i * this.dims));
    return out;
  }
}

interface LocalEmbeddingsLike {
  embedDocuments(texts: string[]): Promise<number[][] | Float32Array[]>;
}

/** `LocalEmbeddings` from ../packages/onnx/src/index.ts when it exists and works on the potion model, else Model2VecLite. */
export async function loadPotionEmbedder(opts: { preferRepo?: boolean } = {}): Promise<TextEmbedder> {
  if (opts.preferRepo ?? true) {
    try {
      // A computed specifier: the file may not exist yet, and tsc should not try to resolve it.
      const spec = new URL("../../packages/onnx/src/index.ts", import.meta.url).href;
      const mod = (await import(spec)) as { LocalEmbeddings?: new (o: { model: string }) => LocalEmbeddingsLike };
      if (typeof mod.LocalEmbeddings === "function") {
        const le = new mod.LocalEmbeddings({ model: POTION_MODEL_DIR });
        const probe = await le.embedDocuments(["hello world"]);
        const dims = probe[0]!.length;
        if (dims > 0) {
          return {
            description: "@leann/onnx LocalEmbeddings (packages/onnx/src)",
            dims,
            async embed(texts) {
              const out = new Float32Array(texts.length * dims);
              const step = 512;
              for (let i = 0; i < texts.length; i += step) {
                const rows = await le.embedDocuments(texts.slice(i, i + step) as string[]);
                rows.forEach((r, j) => out.set(r, (i + j) * dims));
              }
              return out;
            },
          };
        }
      }
      console.warn("packages/onnx/src/index.ts has no working LocalEmbeddings export: using bench/lib/potion.ts");
    } catch (e) {
      console.warn(`@leann/onnx LocalEmbeddings unavailable (${(e as Error).message.split("\n")[0]}): using bench/lib/potion.ts`);
    }
  }
  return new Model2VecLite();
}
