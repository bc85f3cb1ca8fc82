import { checkServedVector, checkTexts, embedInBatches, InvalidInputError, Limiter, type Embedder } from "@leann/core";
import { OllamaResponseError } from "./errors.js";
import { resolveOptions, type OllamaEmbeddingsOptions, type ResolvedOptions } from "./options.js";
import { createClient, withRetries, type OllamaClient } from "./transport.js";

/** What one instance has done so far: requests sent (retries included), texts embedded, retries, failed calls. */
export interface OllamaEmbeddingsStats {
  /** HTTP requests sent, each attempt counted. */
  requests: number;
  /** Texts embedded successfully. */
  texts: number;
  /** Attempts repeated after a transient failure. */
  retries: number;
  /** embedDocuments / embedQuery calls that threw. */
  failures: number;
}

/** What `POST /api/show` tells about the model, in the parts that matter for embedding. */
export interface OllamaModelInfo {
  model: string;
  family: string | undefined;
  parameterSize: string | undefined;
  quantization: string | undefined;
  /** `<arch>.embedding_length` from the model's metadata: usually the length of its embeddings. */
  embeddingLength: number | undefined;
  /** `<arch>.context_length`: tokens the model reads; longer texts are truncated (or rejected with truncate: false). */
  contextLength: number | undefined;
  /** E.g. `["embedding"]` or `["completion", "tools"]`, on servers that report it. */
  capabilities: string[];
}

/**
 * Embeddings from a local Ollama server, shaped for LEANN's hot path: a search
 * recomputes a few dozen passage embeddings in batches, so each batch must be one
 * quick request to a model that is already loaded.
 *
 * - Batched `POST /api/embed`: `batchSize` texts a request, at most `maxConcurrency`
 *   requests in flight per instance, results in input order.
 * - `keep_alive` on every request, so the model stays loaded between searches.
 * - Retries with exponential backoff and jitter on 5xx, 429, timeouts and dropped
 *   connections; never on a missing model or other 4xx.
 * - Every vector checked: count, finiteness, and length (the expected `dimensions`,
 *   or the length learnt from the first response).
 *
 * It is the core's `Embedder` and LangChain's `EmbeddingsInterface` structurally
 * (`embedDocuments`, `embedQuery`), so it plugs into `LeannIndex`, `@leann/langchain`
 * and, through a small `BaseEmbedding` wrapper, `@leann/llamaindex`. `model` is the
 * identity the index records.
 *
 * A failed call rejects only after all of its requests have settled, and nothing it
 * computed is returned: a failed recomputation never reaches the index.
 */
export class OllamaEmbeddings implements Embedder {
  /** The Ollama model name, as given. The index records it and refuses another model on load. */
  readonly model: string;
  /** Same as `model` (the core reads `modelId` first). */
  readonly modelId: string;
  /** The resolved options, every default filled in. */
  readonly options: ResolvedOptions;

  private readonly client: OllamaClient;
  private readonly limiter: Limiter;
  private learnt: number | undefined;
  private readonly counters: OllamaEmbeddingsStats = { requests: 0, texts: 0, retries: 0, failures: 0 };

  /** @throws InvalidOptionsError for a missing model or an option out of range (each named, with what it received) */
  constructor(options: OllamaEmbeddingsOptions) {
    this.options = resolveOptions(options);
    this.model = this.options.model;
    this.modelId = this.options.model;
    this.client = createClient(this.options);
    this.limiter = new Limiter(this.options.maxConcurrency);
  }

  /** The server URL requests go to, normalised (`localhost:11434` -> `http://localhost:11434`). */
  get baseUrl(): string {
    return this.client.host;
  }

  /** The embedding length every response must have: the `dimensions` option, else the length learnt from the first response. */
  get dimensions(): number | undefined {
    return this.options.dimensions ?? this.learnt;
  }

  /** Counters since construction (a copy). */
  get stats(): OllamaEmbeddingsStats {
    return { ...this.counters };
  }

  /**
   * Embeds texts, `batchSize` a request, up to `maxConcurrency` requests at once; returns
   * one vector per text, in order.
   * @throws InvalidInputError when `texts` is not an array of strings
   * @throws OllamaConnectionError (CONNECTION_FAILED) when no server answers at `baseUrl`
   * @throws OllamaModelNotFoundError (MODEL_NOT_FOUND) when the server lacks the model
   * @throws DimensionMismatchError (DIMENSION_MISMATCH) for vectors of another length than expected
   * @throws OllamaResponseError (EMBEDDER_FAILED) for malformed answers, other rejections, or retries exhausted
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    checkTexts(texts, "OllamaEmbeddings.embedDocuments(texts)");
    if (texts.length === 0) return [];
    let out: number[][];
    try {
      out = await embedInBatches(texts, this.options.batchSize, this.limiter, (batch) => this.embedBatch(batch));
    } catch (error) {
      this.counters.failures++;
      throw error;
    }
    this.counters.texts += texts.length;
    return out;
  }

  /**
   * Embeds one query (a batch of one).
   * @throws the same errors as `embedDocuments`
   */
  async embedQuery(text: string): Promise<number[]> {
    if (typeof text !== "string") throw new InvalidInputError(`OllamaEmbeddings.embedQuery(text): text must be a string, received ${typeof text}.`);
    return (await this.embedDocuments([text]))[0]!;
  }

  /**
   * Asks the server about the model (`POST /api/show`) without embedding anything: a
   * cheap start-up check that the server answers and has the model.
   * @throws OllamaConnectionError when no server answers at `baseUrl`
   * @throws OllamaModelNotFoundError when the server lacks the model
   */
  async check(): Promise<OllamaModelInfo> {
    const show = await withRetries(() => this.client.show({ model: this.model }), this.retryOptions("/api/show"));
    if (typeof show !== "object" || show === null) {
      throw new OllamaResponseError(`Ollama at ${this.baseUrl} answered /api/show with ${show === null ? "null" : typeof show}; expected an object.`);
    }
    const info = (show.model_info ?? {}) as unknown as Record<string, unknown>;
    const numberAt = (suffix: string): number | undefined => {
      for (const [k, v] of Object.entries(info)) if (k.endsWith(suffix) && typeof v === "number") return v;
      return undefined;
    };
    return {
      model: this.model,
      family: show.details?.family,
      parameterSize: show.details?.parameter_size,
      quantization: show.details?.quantization_level,
      embeddingLength: numberAt(".embedding_length"),
      contextLength: numberAt(".context_length"),
      capabilities: Array.isArray(show.capabilities) ? show.capabilities : [],
    };
  }

  private retryOptions(endpoint: string) {
    const o = this.options;
    return {
      host: this.baseUrl,
      endpoint,
      model: this.model,
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      timeoutMs: o.timeoutMs,
      onRetry: () => {
        this.counters.retries++;
      },
    };
  }

  /** One request (with its retries), its answer validated. */
  private async embedBatch(batch: string[]): Promise<number[][]> {
    const o = this.options;
    const response = await withRetries(() => {
      this.counters.requests++;
      return this.client.embed({
        model: this.model,
        input: batch,
        keep_alive: o.keepAlive,
        ...(o.truncate !== undefined && { truncate: o.truncate }),
      });
    }, this.retryOptions("/api/embed"));
    return this.validate(response, batch.length);
  }

  private validate(response: unknown, count: number): number[][] {
    const where = `OllamaEmbeddings("${this.model}") at ${this.baseUrl}/api/embed`;
    const embeddings = (response as { embeddings?: unknown } | null)?.embeddings;
    if (!Array.isArray(embeddings)) {
      const got = typeof response === "object" && response !== null ? `an object with keys [${Object.keys(response).join(", ")}]` : JSON.stringify(response);
      throw new OllamaResponseError(`${where}: expected { embeddings: number[][] }, received ${got}. Is the server an Ollama 0.3 or newer?`);
    }
    if (embeddings.length !== count) {
      throw new OllamaResponseError(`${where}: received ${embeddings.length} embeddings for ${count} texts; expected one per text.`);
    }
    for (let i = 0; i < count; i++) {
      this.learnt = checkServedVector(embeddings[i], i, where, this.options.dimensions ?? this.learnt, (m) => new OllamaResponseError(m));
    }
    return embeddings as number[][];
  }
}
