import { InvalidOptionsError } from "@leann/core";
import { z } from "zod";

/** The `fetch` the client sends requests with. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Every tunable of `OllamaEmbeddings`, its default and the trade-off it controls.
 * The names are those LangChain's `OllamaEmbeddings` users already know.
 */
export const OLLAMA_DEFAULTS = {
  /** Where `ollama serve` listens by default. `OLLAMA_HOST` overrides it, `baseUrl` overrides both. */
  baseUrl: "http://127.0.0.1:11434",
  /**
   * Texts per `POST /api/embed`. A search recomputes up to 32 candidates a batch, so 32
   * makes each recomputation batch one request; larger batches amortise the HTTP round
   * trip further but a failed request then costs more work to redo.
   */
  batchSize: 32,
  /**
   * Requests in flight at once (shared by all calls on one instance). Ollama runs few
   * requests in parallel (`OLLAMA_NUM_PARALLEL`, often 1): a second request in flight
   * hides the round trip and JSON work behind the model's compute; more only queue.
   */
  maxConcurrency: 2,
  /** How long Ollama keeps the model loaded after a request: a search then never waits for a model load. */
  keepAlive: "5m" as string | number,
  /** Retries of a request on 5xx, 429, dropped connections and timeouts (never on 4xx such as a missing model). */
  maxRetries: 3,
  /** First backoff; doubled each retry (capped at 8 s), with jitter so clients do not retry in step. */
  retryDelayMs: 250,
  /** A request that has not answered in this many ms is aborted and retried; 0 = wait forever. Generous: the first request may load the model. */
  timeoutMs: 120_000,
} as const;

/** Backoff never waits longer than this between two attempts. */
export const MAX_RETRY_DELAY_MS = 8_000;

/** Options of `new OllamaEmbeddings(...)`. */
export interface OllamaEmbeddingsOptions {
  /** The Ollama model, e.g. `"nomic-embed-text"` or `"mxbai-embed-large:335m"`. Recorded in the index as its model identity. */
  model: string;
  /** Server URL; default `OLLAMA_HOST`, else `http://127.0.0.1:11434`. */
  baseUrl?: string;
  /** Texts per request (default 32). */
  batchSize?: number;
  /** Requests in flight at once across all calls on this instance (default 2). */
  maxConcurrency?: number;
  /** Sent as `keep_alive` with every request (default `"5m"`; `-1` keeps the model loaded, `0` unloads it). */
  keepAlive?: string | number;
  /** Retries of one request on transient failures (default 3; 0 disables). */
  maxRetries?: number;
  /** First retry delay in ms (default 250), doubled each retry, with jitter. */
  retryDelayMs?: number;
  /** Per-request timeout in ms (default 120000; 0 = none). A timed-out request is retried. */
  timeoutMs?: number;
  /**
   * Expected embedding length, e.g. the index's `dimensions`. Without it the length of
   * the first response is learnt and every later response must match it. Only checked,
   * never sent: Ollama's own `dimensions` request field truncates vectors, which would
   * silently change what the index was built with.
   */
  dimensions?: number;
  /** Sent as `truncate`: `false` makes Ollama reject texts longer than the model's context instead of cutting them (default: Ollama's, true). */
  truncate?: boolean;
  /** Extra HTTP headers (an auth proxy in front of Ollama). */
  headers?: Record<string, string>;
  /** A custom fetch; default: whatever `globalThis.fetch` is at request time (so HTTP mocks started later still apply). */
  fetch?: FetchLike;
}

export interface ResolvedOptions {
  readonly model: string;
  readonly baseUrl: string;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly keepAlive: string | number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  readonly dimensions: number | undefined;
  readonly truncate: boolean | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly fetch: FetchLike | undefined;
}

const schema = z.strictObject({
  model: z.string().trim().min(1, "a model name such as \"nomic-embed-text\" is required"),
  baseUrl: z.string().trim().min(1).optional(),
  batchSize: z.number().int().min(1).max(4096).optional(),
  maxConcurrency: z.number().int().min(1).max(64).optional(),
  keepAlive: z.union([z.string().min(1), z.number()]).optional(),
  maxRetries: z.number().int().min(0).max(20).optional(),
  retryDelayMs: z.number().min(0).max(60_000).optional(),
  timeoutMs: z.number().int().min(0).optional(),
  dimensions: z.number().int().positive().optional(),
  truncate: z.boolean().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z.custom<FetchLike>((v) => typeof v === "function", "must be a fetch function").optional(),
});

/**
 * Validates the options at the public boundary and fills in every default.
 * @throws InvalidOptionsError naming each bad field and what it received
 */
export function resolveOptions(options: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionsError(
      `OllamaEmbeddings: options must be an object such as { model: "nomic-embed-text" }, received ${options === null ? "null" : typeof options}.`,
    );
  }
  const r = schema.safeParse(options);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.length ? i.path.join(".") : "(options)";
      const got = i.path.length === 1 ? (options as Record<string, unknown>)[String(i.path[0])] : undefined;
      const shown = typeof got === "function" ? "a function" : JSON.stringify(got);
      return `  - ${path}: ${i.message}${i.code === "unrecognized_keys" ? "" : ` (received ${shown})`}`;
    });
    throw new InvalidOptionsError(`OllamaEmbeddings: invalid options:\n${lines.join("\n")}\nSee the option list in the @leann/ollama README.`);
  }
  const o = r.data;
  const host = o.baseUrl ?? (env.OLLAMA_HOST?.trim() || OLLAMA_DEFAULTS.baseUrl);
  return Object.freeze({
    model: o.model,
    baseUrl: host,
    batchSize: o.batchSize ?? OLLAMA_DEFAULTS.batchSize,
    maxConcurrency: o.maxConcurrency ?? OLLAMA_DEFAULTS.maxConcurrency,
    keepAlive: o.keepAlive ?? OLLAMA_DEFAULTS.keepAlive,
    maxRetries: o.maxRetries ?? OLLAMA_DEFAULTS.maxRetries,
    retryDelayMs: o.retryDelayMs ?? OLLAMA_DEFAULTS.retryDelayMs,
    timeoutMs: o.timeoutMs ?? OLLAMA_DEFAULTS.timeoutMs,
    dimensions: o.dimensions,
    truncate: o.truncate,
    headers: o.headers ? Object.freeze({ ...o.headers }) : undefined,
    fetch: o.fetch,
  });
}
