import { InvalidOptionsError } from "@leann/core";
import { z } from "zod";

/** The `fetch` requests are sent with. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Every tunable of `OpenAICompatibleEmbeddings`, its default and the trade-off it
 * controls. The option names are those of LangChain's `OpenAIEmbeddings` where one exists.
 */
export const OPENAI_DEFAULTS = {
  /** OpenAI itself. `OPENAI_BASE_URL` overrides it, `baseURL` overrides both. */
  baseURL: "https://api.openai.com/v1",
  /**
   * Texts per `POST /embeddings`. A search recomputes up to 32-64 candidates a batch, so
   * 64 keeps one recomputation batch to one request; OpenAI accepts up to 2048 inputs,
   * but a failed request then costs more work to redo and local servers (TEI's
   * `--max-client-batch-size` is 32 by default) may refuse large ones: lower it for them.
   */
  batchSize: 64,
  /**
   * Requests in flight at once, shared by every call on one instance. Inference servers
   * (vLLM, TEI, OpenAI) batch concurrent requests on the accelerator, so a few in flight
   * hide the round trip; many only queue and make 429s likelier.
   */
  maxConcurrency: 4,
  /** Retries of one request on 429, 5xx, timeouts and dropped connections (never on other 4xx). */
  maxRetries: 4,
  /** First backoff; doubled each retry (capped at 8 s), with jitter. A Retry-After header wins. */
  retryDelayMs: 500,
  /**
   * A request that has not answered in this many ms is aborted and retried; 0 = wait
   * forever. A search waits on these requests, so a stuck server must not hang it, yet a
   * cold local server loading its model may take tens of seconds for the first one.
   */
  timeoutMs: 60_000,
} as const;

/** Backoff never waits longer than this between two attempts. */
export const MAX_RETRY_DELAY_MS = 8_000;
/** A Retry-After longer than this is not waited out: the call fails and says when to try again. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Options of `new OpenAICompatibleEmbeddings(...)`. */
export interface OpenAICompatibleEmbeddingsOptions {
  /** The model name the server knows, e.g. `"text-embedding-3-small"`, `"nomic-embed-text"`, `"BAAI/bge-small-en-v1.5"`. */
  model: string;
  /** The API root, ending in `/v1` for most servers; default `OPENAI_BASE_URL`, else `https://api.openai.com/v1`. */
  baseURL?: string;
  /** Sent as `Authorization: Bearer ...`; default `OPENAI_API_KEY`. Local servers usually need none. Never recorded in an index. */
  apiKey?: string;
  /**
   * Embedding length. Sent as the request's `dimensions` (OpenAI's text-embedding-3
   * models shorten their vectors to it; servers that cannot may reject it) and checked on
   * every vector. Without it the length of the first response is learnt and checked after.
   */
  dimensions?: number;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Requests in flight at once across all calls on this instance (default 4). */
  maxConcurrency?: number;
  /** Retries of one request on transient failures (default 4; 0 disables). */
  maxRetries?: number;
  /** First retry delay in ms (default 500), doubled each retry, with jitter; a Retry-After header wins. */
  retryDelayMs?: number;
  /** Per-request timeout in ms (default 60000; 0 = none). A timed-out request is retried. */
  timeoutMs?: number;
  /** Extra HTTP headers (an organisation header, a proxy's auth). */
  headers?: Record<string, string>;
  /** A custom fetch; default: whatever `globalThis.fetch` is at request time (so HTTP mocks started later still apply). */
  fetch?: FetchLike;
}

export interface ResolvedOptions {
  readonly model: string;
  /** Normalised: no trailing slash. */
  readonly baseURL: string;
  readonly apiKey: string | undefined;
  readonly dimensions: number | undefined;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly fetch: FetchLike | undefined;
}

const schema = z.strictObject({
  model: z.string().trim().min(1, 'a model name such as "text-embedding-3-small" is required'),
  baseURL: z.string().trim().min(1).optional(),
  apiKey: z.string().optional(),
  dimensions: z.number().int().positive().max(65_536).optional(),
  batchSize: z.number().int().min(1).max(4096).optional(),
  maxConcurrency: z.number().int().min(1).max(256).optional(),
  maxRetries: z.number().int().min(0).max(20).optional(),
  retryDelayMs: z.number().min(0).max(60_000).optional(),
  timeoutMs: z.number().int().min(0).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z.custom<FetchLike>((v) => typeof v === "function", "must be a fetch function").optional(),
});

/**
 * `https://host/v1/` -> `https://host/v1`, after checking it is an http(s) URL.
 * @throws InvalidOptionsError for anything else
 */
export function normalizeBaseURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidOptionsError(`OpenAICompatibleEmbeddings: baseURL ${JSON.stringify(raw)} is not a URL; expected e.g. "http://127.0.0.1:1234/v1".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidOptionsError(`OpenAICompatibleEmbeddings: baseURL ${JSON.stringify(raw)} must start with http:// or https://.`);
  }
  return raw.trim().replace(/\/+$/, "");
}

/**
 * The endpoint as an index may record it: scheme, host, port and path, without any
 * user:password or query string a key could hide in.
 */
export function endpointIdentity(baseURL: string): string {
  const url = new URL(baseURL);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/**
 * Validates the options at the public boundary and fills in every default.
 * @throws InvalidOptionsError naming each bad field and what it received
 */
export function resolveOptions(options: unknown, env: Record<string, string | undefined> = process.env): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionsError(
      `OpenAICompatibleEmbeddings: options must be an object such as { model: "text-embedding-3-small" }, received ${options === null ? "null" : typeof options}.`,
    );
  }
  const r = schema.safeParse(options);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.length ? i.path.join(".") : "(options)";
      const key = String(i.path[0]);
      // Never echo a key back into a log.
      const got = key === "apiKey" ? "(hidden)" : i.path.length === 1 ? (options as Record<string, unknown>)[key] : undefined;
      const shown = typeof got === "function" ? "a function" : JSON.stringify(got);
      return `  - ${path}: ${i.message}${i.code === "unrecognized_keys" ? "" : ` (received ${shown})`}`;
    });
    throw new InvalidOptionsError(`OpenAICompatibleEmbeddings: invalid options:\n${lines.join("\n")}\nSee the option list in the @leann/openai README.`);
  }
  const o = r.data;
  return Object.freeze({
    model: o.model,
    baseURL: normalizeBaseURL(o.baseURL ?? (env.OPENAI_BASE_URL?.trim() || OPENAI_DEFAULTS.baseURL)),
    apiKey: o.apiKey ?? (env.OPENAI_API_KEY?.trim() || undefined),
    dimensions: o.dimensions,
    batchSize: o.batchSize ?? OPENAI_DEFAULTS.batchSize,
    maxConcurrency: o.maxConcurrency ?? OPENAI_DEFAULTS.maxConcurrency,
    maxRetries: o.maxRetries ?? OPENAI_DEFAULTS.maxRetries,
    retryDelayMs: o.retryDelayMs ?? OPENAI_DEFAULTS.retryDelayMs,
    timeoutMs: o.timeoutMs ?? OPENAI_DEFAULTS.timeoutMs,
    headers: o.headers ? Object.freeze({ ...o.headers }) : undefined,
    fetch: o.fetch,
  });
}
