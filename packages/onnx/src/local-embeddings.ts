/**
 * `LocalEmbeddings`: the local embedder. It has the LangChain `Embeddings` shape
 * (`embedDocuments`, `embedQuery`) that `@leann/core` takes, plus typed-array
 * methods for callers that keep vectors in Float32Arrays.
 */
import { EmbedderError, LeannError } from "@leann/core";
import type { EmbeddingBackend } from "./backend.js";
import { ModelNotFoundError } from "./errors.js";
import { resolveOptions, type LocalEmbeddingsOptions, type ResolvedOptions } from "./options.js";
import { identityOf, loadBackend, resolveModel, type ResolvedModel } from "./resolve.js";
import { checkTexts } from "./text-batch.js";

/** What was loaded, and from where. */
export interface LoadedModelInfo {
  /** Identity recorded by indexes: the hub id (also for the shipped default), the folder name, or the modelId option. */
  readonly modelId: string;
  readonly kind: "static" | "transformer";
  readonly dimensions: number;
  /** Tokens read per text. */
  readonly maxLength: number;
  /** Folder the model was loaded from. */
  readonly dir: string;
  /** "embedded": the copy of the default model shipped in this package. */
  readonly source: "embedded" | "folder" | "cache" | "hub";
}

interface Loaded {
  readonly backend: EmbeddingBackend;
  readonly info: LoadedModelInfo;
}

/**
 * Embeddings computed on this machine: Model2Vec static models with plain typed
 * arrays, transformer encoders with onnxruntime-node.
 *
 * The model loads on first use (or on `load()`); concurrent first calls share one load,
 * and a failed load is tried again by the next call.
 *
 * @example
 * const embeddings = new LocalEmbeddings(); // minishlab/potion-base-2M, shipped in the package
 * const [a, b] = await embeddings.embedDocuments(["a cat", "a kitten"]);
 */
export class LocalEmbeddings {
  private readonly options: ResolvedOptions;
  private loading: Promise<Loaded> | undefined;
  private loaded: Loaded | undefined;

  /**
   * @throws {InvalidOptionsError} when an option is of the wrong type or out of range.
   */
  constructor(options: LocalEmbeddingsOptions = {}) {
    this.options = resolveOptions(options);
  }

  /** The model's identity: after loading, the loaded model's; before, the requested one. */
  get modelId(): string {
    return this.loaded?.info.modelId ?? this.options.modelId ?? this.options.model;
  }

  /** Vector length once the model is loaded; undefined before. */
  get dimensions(): number | undefined {
    return this.loaded?.info.dimensions;
  }

  /** What was loaded; undefined before loading. */
  get info(): LoadedModelInfo | undefined {
    return this.loaded?.info;
  }

  /**
   * Resolves and loads the model (once).
   * @throws {ModelNotFoundError} when the model is neither a folder, nor cached, nor on the hub.
   * @throws {DownloadError} when the hub cannot be reached or a file fails its checksum.
   * @throws {OnnxRuntimeMissingError} when the model is an ONNX encoder and onnxruntime-node is not installed.
   * @throws {ModelLoadError} when a model file is corrupt or the tokenizer does not match the model.
   */
  async load(): Promise<LoadedModelInfo> {
    if (this.loaded) return this.loaded.info;
    this.loading ??= this.doLoad().then(
      (l) => {
        this.loaded = l;
        return l;
      },
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return (await this.loading).info;
  }

  private async doLoad(): Promise<Loaded> {
    const o = this.options;
    let resolved: ResolvedModel = await resolveModel(o);
    let backend: EmbeddingBackend;
    try {
      backend = await loadBackend(resolved.dir, o);
    } catch (err) {
      // The cache holds another variant of the model (say fp32 where int8 is now asked for): fetch what is missing.
      if (resolved.source !== "cache" || o.offline || !(err instanceof ModelNotFoundError)) throw err;
      resolved = await resolveModel(o, true);
      backend = await loadBackend(resolved.dir, o);
    }
    return {
      backend,
      info: Object.freeze({
        modelId: identityOf(o, resolved),
        kind: backend.kind,
        dimensions: backend.dimensions,
        maxLength: backend.maxLength,
        dir: resolved.dir,
        source: resolved.source,
      }),
    };
  }

  /**
   * Embeds texts into one row-major Float32Array (row i = text i): the fastest form.
   * @throws {InvalidInputError} when a text is empty or not a string.
   * @throws {TextTooLongError} when a text is too long and truncation is "error".
   * @throws {EmbedderError} when the model fails while running.
   */
  async embedFlat(texts: readonly string[]): Promise<Float32Array> {
    checkTexts(texts);
    const { backend } = this.loaded ?? (await this.load(), this.loaded!);
    const out = new Float32Array(texts.length * backend.dimensions);
    if (texts.length === 0) return out;
    try {
      await backend.embed(texts, out);
    } catch (err) {
      if (LeannError.isInstance(err)) throw err;
      throw new EmbedderError(`${this.modelId} failed to embed ${texts.length} texts: ${(err as Error)?.message ?? err}`, { cause: err });
    }
    return out;
  }

  /** One Float32Array per text (views into one buffer). Throws as {@link embedFlat}. */
  async embedBatch(texts: readonly string[]): Promise<Float32Array[]> {
    const flat = await this.embedFlat(texts);
    const d = this.loaded!.info.dimensions;
    const rows: Float32Array[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) rows[i] = flat.subarray(i * d, (i + 1) * d);
    return rows;
  }

  /** LangChain `Embeddings.embedDocuments`. Throws as {@link embedFlat}. */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (Array.isArray(texts) && texts.length === 0) return [];
    const flat = await this.embedFlat(texts);
    const d = this.loaded!.info.dimensions;
    const rows: number[][] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) rows[i] = Array.from(flat.subarray(i * d, (i + 1) * d));
    return rows;
  }

  /** LangChain `Embeddings.embedQuery`. Throws as {@link embedFlat}. */
  async embedQuery(text: string): Promise<number[]> {
    return Array.from(await this.embedFlat([text]));
  }

  /** Releases the model (its onnxruntime session); the next call loads it again. */
  async dispose(): Promise<void> {
    const l = this.loaded ?? (await this.loading?.catch(() => undefined));
    this.loaded = undefined;
    this.loading = undefined;
    await l?.backend.dispose();
  }
}
