import { DEFAULTS, EmbedderError, embedderIdentity, InvalidOptionsError, LeannError, type Embedder } from "@leann/core";
import { BaseEmbedding } from "llamaindex";

export interface LeannEmbeddingOptions {
  /**
   * Texts per `embedDocuments` call when LlamaIndex embeds nodes (default: the core's
   * embedBatchSize, 64). LlamaIndex's own default of 10 is made for remote APIs; a local model
   * embeds larger batches faster.
   */
  embedBatchSize?: number;
}

type QueryContent = Parameters<BaseEmbedding["getQueryEmbedding"]>[0];

/** True for an object shaped like LangChain's `Embeddings` (what `@leann/core` calls an Embedder). */
export function isLangChainEmbedder(value: unknown): value is Embedder {
  return typeof value === "object" && value !== null && typeof (value as Embedder).embedDocuments === "function";
}

/** What a value is, for error messages: its class, or its type and value. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return `${typeof value} ${JSON.stringify(value)}`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : `an object with keys ${JSON.stringify(Object.keys(value).slice(0, 8))}`;
}

async function calling<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // Typed errors of embedders built on @leann/core (a missing model, say) pass as they are.
    if (LeannError.isInstance(err)) throw err;
    throw new EmbedderError(`${what} failed: ${(err as Error)?.message ?? err}`, { cause: err });
  }
}

/**
 * A LlamaIndex embedding model over any LangChain-shaped embedder (`embedDocuments(texts)`,
 * optional `embedQuery(text)`): `LocalEmbeddings` from `@leann/onnx`, `OllamaEmbeddings` from
 * `@leann/ollama`, or a LangChain `Embeddings` class. Use it for `Settings.embedModel` and for the
 * store's `embedModel`; the store then calls the wrapped embedder directly, so the index records
 * its model identity and loads it (`load()`) the way `@leann/core` does.
 *
 * `model` is the wrapped embedder's identity (`modelId`, `model`, `modelName`), read when asked,
 * so an embedder that settles its model on loading reports the loaded one.
 */
export class LeannEmbedding extends BaseEmbedding {
  /** The wrapped embedder. */
  readonly embedder: Embedder;

  /**
   * @throws InvalidOptionsError when `embedder` has no `embedDocuments` method, or `embedBatchSize` is not a positive integer
   */
  constructor(embedder: Embedder, options: LeannEmbeddingOptions = {}) {
    super();
    if (!isLangChainEmbedder(embedder)) {
      throw new InvalidOptionsError(
        `LeannEmbedding(embedder): expected an embedder with embedDocuments(texts) and optionally embedQuery(text), such as LocalEmbeddings from @leann/onnx; received ${describeValue(embedder)}.`,
      );
    }
    const batch = options.embedBatchSize ?? DEFAULTS.embedBatchSize;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new InvalidOptionsError(`LeannEmbedding: options.embedBatchSize must be a positive integer, received ${JSON.stringify(batch)}.`);
    }
    this.embedder = embedder;
    this.embedBatchSize = batch;
  }

  /** The wrapped embedder's model identity, if it exposes one. */
  get model(): string | undefined {
    return embedderIdentity(this.embedder);
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.getTextEmbeddings([text]);
    return vector!;
  }

  // An arrow-function property in BaseEmbedding: overridden as a class field.
  override getTextEmbeddings = (texts: string[]): Promise<number[][]> =>
    calling(`${this.embedder.constructor.name}.embedDocuments`, () => this.embedder.embedDocuments(texts));

  /** Embeds a text query with `embedQuery` (so query instructions apply), else `embedDocuments`; other content gives null, as in BaseEmbedding. */
  override async getQueryEmbedding(query: QueryContent): Promise<number[] | null> {
    const text = typeof query === "string" ? query : query.type === "text" ? query.text : undefined;
    if (text === undefined) return null;
    const embedder = this.embedder;
    if (embedder.embedQuery) return calling(`${embedder.constructor.name}.embedQuery`, () => embedder.embedQuery!(text));
    return this.getTextEmbedding(text);
  }
}
