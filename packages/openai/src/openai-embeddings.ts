import { checkServedVector, checkTexts, embedInBatches, InvalidInputError, Limiter, type Embedder } from "@leann/core";
import { OpenAIResponseError } from "./errors.js";
import { endpointIdentity, resolveOptions, type OpenAICompatibleEmbeddingsOptions, type ResolvedOptions } from "./options.js";
import { postJson, type PostOptions } from "./transport.js";

/** What one instance has done so far. */
export interface OpenAIEmbeddingsStats {
  /** HTTP requests sent, each attempt counted. */
  requests: number;
  /** Texts embedded successfully. */
  texts: number;
  /** Attempts repeated after a transient failure. */
  retries: number;
  /** embedDocuments / embedQuery calls that threw. */
  failures: number;
}

/**
 * Embeddings from any server speaking OpenAI's `POST /embeddings`: OpenAI itself,
 * LM Studio, vLLM, Hugging Face text-embeddings-inference, Ollama's `/v1`. This is how a
 * LEANN deployment outgrows one machine: the index stays small and local, recomputation
 * runs on an inference service that scales out behind a load balancer.
 *
 * - Batched: `batchSize` texts a request; at most `maxConcurrency` requests in flight per
 *   instance (shared by all calls); results in input order.
 * - Retries with exponential backoff and jitter on 429, 5xx, timeouts and dropped
 *   connections, waiting what Retry-After says when the server says it; never on other 4xx.
 * - A timeout per request (default 60 s).
 * - Every vector checked: count, finiteness, and length (`dimensions`, or the length
 *   learnt from the first response).
 *
 * It is the core's `Embedder` and LangChain's `EmbeddingsInterface` structurally.
 * `modelId`, the identity an index records, names the model and the endpoint, never
 * the key. A failed call rejects only after its requests have settled, and nothing it
 * computed is returned.
 */
export class OpenAICompatibleEmbeddings implements Embedder {
  /** The model name sent to the server. */
  readonly model: string;
  /**
   * The identity an index records and checks on load: model, requested dimensions and
   * endpoint, e.g. `text-embedding-3-small via https://api.openai.com/v1`. Never the key.
   */
  readonly modelId: string;
  /** The resolved options, every default filled in. */
  readonly options: ResolvedOptions;

  private readonly limiter: Limiter;
  private learnt: number | undefined;
  private readonly counters: OpenAIEmbeddingsStats = { requests: 0, texts: 0, retries: 0, failures: 0 };

  /** @throws InvalidOptionsError for a missing model, a bad baseURL or an option out of range (each named, with what it received) */
  constructor(options: OpenAICompatibleEmbeddingsOptions) {
    this.options = resolveOptions(options);
    this.model = this.options.model;
    const dims = this.options.dimensions ? `[${this.options.dimensions}]` : "";
    this.modelId = `${this.model}${dims} via ${endpointIdentity(this.options.baseURL)}`;
    this.limiter = new Limiter(this.options.maxConcurrency);
  }

  /** The API root requests go to (no trailing slash). */
  get baseURL(): string {
    return this.options.baseURL;
  }

  /** The length every vector must have: `dimensions`, else the length learnt from the first response. */
  get dimensions(): number | undefined {
    return this.options.dimensions ?? this.learnt;
  }

  /** Counters since construction (a copy). */
  get stats(): OpenAIEmbeddingsStats {
    return { ...this.counters };
  }

  /**
   * Embeds texts, `batchSize` a request, up to `maxConcurrency` requests at once; returns
   * one vector per text, in order.
   * @throws InvalidInputError when `texts` is not an array of strings
   * @throws OpenAIConnectionError (CONNECTION_FAILED) when no server answers at `baseURL`
   * @throws OpenAIModelNotFoundError (MODEL_NOT_FOUND) when the server lacks the model
   * @throws DimensionMismatchError (DIMENSION_MISMATCH) for vectors of another length than expected
   * @throws OpenAIResponseError (EMBEDDER_FAILED) for malformed answers, rejections, or retries exhausted
   */
  async embedDocuments(texts: string[]): Promise<number[][]> {
    checkTexts(texts, "OpenAICompatibleEmbeddings.embedDocuments(texts)");
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
    if (typeof text !== "string") throw new InvalidInputError(`OpenAICompatibleEmbeddings.embedQuery(text): text must be a string, received ${typeof text}.`);
    return (await this.embedDocuments([text]))[0]!;
  }

  private postOptions(): PostOptions {
    const o = this.options;
    return {
      baseURL: o.baseURL,
      path: "/embeddings",
      model: o.model,
      apiKey: o.apiKey,
      headers: o.headers,
      fetch: o.fetch,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      onAttempt: () => void this.counters.requests++,
      onRetry: () => void this.counters.retries++,
    };
  }

  private async embedBatch(batch: string[]): Promise<number[][]> {
    const dims = this.options.dimensions;
    const body = { model: this.model, input: batch, ...(dims !== undefined && { dimensions: dims }) };
    return this.validate(await postJson(body, this.postOptions()), batch.length);
  }

  /** `{ data: [{ embedding, index }] }` -> vectors in input order, each checked. */
  private validate(response: unknown, count: number): number[][] {
    const where = `OpenAICompatibleEmbeddings("${this.model}") at ${this.baseURL}/embeddings`;
    const data = (response as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      const got = typeof response === "object" && response !== null ? `an object with keys [${Object.keys(response).join(", ")}]` : JSON.stringify(response);
      throw new OpenAIResponseError(`${where}: expected { data: [{ embedding: number[], index }] }, received ${got}. Is baseURL an OpenAI-compatible API?`);
    }
    if (data.length !== count) throw new OpenAIResponseError(`${where}: received ${data.length} embeddings for ${count} texts; expected one per text.`);
    const out: number[][] = new Array(count);
    for (let i = 0; i < count; i++) {
      const item = data[i] as { embedding?: unknown; index?: unknown } | null;
      // Servers may answer out of order; `index` says which input each vector belongs to.
      const at = typeof item?.index === "number" ? item.index : i;
      if (!Number.isInteger(at) || at < 0 || at >= count || out[at] !== undefined) {
        throw new OpenAIResponseError(`${where}: item ${i} has index ${JSON.stringify(item?.index)}; expected each of 0..${count - 1} exactly once.`);
      }
      const v = item?.embedding;
      this.learnt = checkServedVector(v, i, where, this.options.dimensions ?? this.learnt, (m) => new OpenAIResponseError(m));
      out[at] = v as number[];
    }
    return out;
  }
}
