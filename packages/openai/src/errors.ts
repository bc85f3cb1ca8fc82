/**
 * The errors this package adds to `@leann/core`'s hierarchy. They extend `EmbedderError`
 * so `LeannIndex` passes them through unchanged (it wraps anything else in a generic
 * EMBEDDER_FAILED): a search that cannot reach the server rejects with this very error,
 * its code and its hint.
 */
import { EmbedderError, type LeannErrorCode } from "@leann/core";

/** Nothing answers at the base URL (refused, unresolvable, or the connection kept dropping). */
export class OpenAIConnectionError extends EmbedderError {
  override readonly code: LeannErrorCode = "CONNECTION_FAILED";
  /** The base URL that did not answer. */
  readonly baseURL: string;
  constructor(baseURL: string, detail: string, options?: { cause?: unknown }) {
    super(
      `No embedding server answers at ${baseURL}: start it (LM Studio, vLLM, text-embeddings-inference, \`ollama serve\`) ` +
        `or point baseURL / OPENAI_BASE_URL at the one you run. ${detail}`,
      options,
    );
    this.baseURL = baseURL;
  }
}

/** The server runs but knows no model of that name (HTTP 404 naming the model). Never retried. */
export class OpenAIModelNotFoundError extends EmbedderError {
  override readonly code: LeannErrorCode = "MODEL_NOT_FOUND";
  readonly model: string;
  constructor(baseURL: string, model: string, detail: string, options?: { cause?: unknown }) {
    super(`The server at ${baseURL} has no embedding model "${model}" (${detail}). List its models with GET ${baseURL}/models, or load the model first.`, options);
    this.model = model;
  }
}

/**
 * The server answered, but not with something usable: a malformed body, a rejection
 * retrying cannot fix (400, 401, 413, ...), or retries exhausted on 429/5xx/timeouts.
 */
export class OpenAIResponseError extends EmbedderError {
  /** HTTP status, when the server answered with one. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}
