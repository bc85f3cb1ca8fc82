/**
 * The errors this package adds to `@leann/core`'s hierarchy.
 *
 * They extend the core's `EmbedderError` on purpose: `LeannIndex` passes an
 * `EmbedderError` from the embedder through unchanged (anything else it wraps in a
 * generic EMBEDDER_FAILED), so a search that cannot reach Ollama rejects with this
 * very error and its specific `code` and hint. `instanceof EmbedderError` still holds
 * for code that catches every embedder failure.
 */
import { EmbedderError, type LeannErrorCode } from "@leann/core";

/** Nothing answers at the Ollama URL (refused, unresolvable, or the connection kept dropping). */
export class OllamaConnectionError extends EmbedderError {
  override readonly code: LeannErrorCode = "CONNECTION_FAILED";
  /** The URL that did not answer. */
  readonly host: string;
  constructor(host: string, detail: string, options?: { cause?: unknown }) {
    super(
      `Ollama is not answering at ${host}: start it with \`ollama serve\` ` +
        `(or point baseUrl / OLLAMA_HOST at the server you run). ${detail}`,
      options,
    );
    this.host = host;
  }
}

/** The server runs but has no model of that name. Never retried. */
export class OllamaModelNotFoundError extends EmbedderError {
  override readonly code: LeannErrorCode = "MODEL_NOT_FOUND";
  /** The missing model(s). */
  readonly models: string[];
  constructor(host: string, models: string[], options?: { cause?: unknown; available?: string[] }) {
    const pull = models.map((m) => `\`ollama pull ${m}\``).join(" and ");
    const available = options?.available;
    super(
      `Ollama at ${host} has no model ${models.map((m) => JSON.stringify(m)).join(", ")}: run ${pull}` +
        (available === undefined ? "." : `. Installed: ${available.length ? available.join(", ") : "none"}.`),
      options,
    );
    this.models = models;
  }
}

/**
 * Ollama answered, but not with something usable: a malformed body, an error status
 * that retrying cannot fix (400, 413, ...), or retries exhausted on 5xx/timeouts.
 */
export class OllamaResponseError extends EmbedderError {
  /** HTTP status, when the server answered with one. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}
