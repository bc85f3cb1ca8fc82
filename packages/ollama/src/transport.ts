/**
 * One Ollama request, made robust: a per-attempt timeout, retries with exponential
 * backoff and jitter on transient failures, and every failure turned into one of
 * this package's errors. Knows nothing of embeddings.
 */
import { backoffDelayMs, EmbedderError, networkErrorCode, retryLoop, UNREACHABLE_CODES } from "@leann/core";
import { Ollama } from "ollama";
import { OllamaConnectionError, OllamaModelNotFoundError, OllamaResponseError } from "./errors.js";
import { MAX_RETRY_DELAY_MS, type FetchLike } from "./options.js";

/** The `ollama` client, exposing the normalised host it talks to. */
export class OllamaClient extends Ollama {
  /** The server URL as the client normalised it (scheme and port filled in). */
  get host(): string {
    return this.config.host;
  }
}

export interface ClientOptions {
  baseUrl: string;
  headers?: Readonly<Record<string, string>> | undefined;
  fetch?: FetchLike | undefined;
  /** Abort each HTTP request after this many ms (0 = never). */
  timeoutMs: number;
}

/**
 * An `ollama` client whose fetch is looked up at request time (`globalThis.fetch` unless
 * one was given), so an HTTP mock started after construction still applies, and which
 * aborts each request after `timeoutMs`.
 */
export function createClient(o: ClientOptions): OllamaClient {
  const given = o.fetch;
  const fetchAtRequestTime: FetchLike = (input, init = {}) => {
    const f = given ?? globalThis.fetch;
    if (!o.timeoutMs) return f(input, init);
    const timeout = AbortSignal.timeout(o.timeoutMs);
    return f(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  return new OllamaClient({
    host: o.baseUrl,
    fetch: fetchAtRequestTime as typeof fetch,
    ...(o.headers && { headers: { ...o.headers } }),
  });
}

export type Failure =
  /** Try again after a backoff (5xx, 429, timeouts, dropped connections). */
  | { kind: "transient"; error: unknown; what: string; status?: number }
  /** Give up now with this error. */
  | { kind: "fatal"; error: EmbedderError };

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = networkErrorCode(err);
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}${code && !`${err.message}${cause}`.includes(code) ? ` (${code})` : ""}`;
}

/**
 * Sorts one failed attempt of `endpoint` for `model` into retry-or-give-up, and for
 * give-up the error to throw.
 */
export function classify(err: unknown, host: string, endpoint: string, model: string): Failure {
  if (err instanceof EmbedderError) return { kind: "fatal", error: err };
  const name = (err as { name?: unknown })?.name;
  const status = (err as { status_code?: unknown })?.status_code;
  if (name === "ResponseError" && typeof status === "number") {
    const message = (err as Error).message;
    if (status === 404) {
      // Ollama: `model "x" not found, try pulling it first`. A bare "404 page not found"
      // is the router: a server too old for the endpoint, or not Ollama at all.
      if (/model/i.test(message)) return { kind: "fatal", error: new OllamaModelNotFoundError(host, [model], { cause: err }) };
      return {
        kind: "fatal",
        error: new OllamaResponseError(
          `${host}${endpoint} does not exist (404: ${message.trim()}). Is this Ollama, and version 0.3 or newer (the first with /api/embed)? Upgrade Ollama or fix baseUrl.`,
          { cause: err, status },
        ),
      };
    }
    if (status >= 500 || status === 429 || status === 408) return { kind: "transient", error: err, what: `HTTP ${status}: ${message}`, status };
    const hint = /context length|too long|exceeds/i.test(message)
      ? " Split long passages into chunks, or leave truncate unset (Ollama then cuts them to the model's context)."
      : "";
    return {
      kind: "fatal",
      error: new OllamaResponseError(`Ollama at ${host} rejected ${endpoint} for model "${model}" with HTTP ${status}: ${message}.${hint}`, { cause: err, status }),
    };
  }
  if (name === "TimeoutError") return { kind: "transient", error: err, what: "no answer before timeoutMs" };
  if (err instanceof SyntaxError) {
    return { kind: "fatal", error: new OllamaResponseError(`Ollama at ${host} answered ${endpoint} with a body that is not JSON: ${err.message}.`, { cause: err }) };
  }
  const code = networkErrorCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return { kind: "fatal", error: new OllamaConnectionError(host, `(${describe(err)})`, { cause: err }) };
  }
  // A network error without a telling code: a reset, a closed socket, a proxy hiccup.
  if (err instanceof TypeError || code !== undefined) return { kind: "transient", error: err, what: describe(err) };
  return { kind: "fatal", error: new EmbedderError(`Ollama ${endpoint} at ${host} failed: ${describe(err)}`, { cause: err }) };
}

/** Equal jitter: half the exponential delay fixed, half random, capped. */
export function backoffMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return backoffDelayMs(attempt, baseMs, MAX_RETRY_DELAY_MS, random);
}

export interface RetryOptions {
  host: string;
  endpoint: string;
  model: string;
  maxRetries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Called before each retry (for counters). */
  onRetry?: (attempt: number, delayMs: number, failure: Extract<Failure, { kind: "transient" }>) => void;
}

/**
 * Runs `attempt` until it succeeds, fails fatally, or has failed transiently
 * `maxRetries + 1` times.
 * @throws OllamaConnectionError when nothing answers at the host
 * @throws OllamaModelNotFoundError on 404 for the model (never retried)
 * @throws OllamaResponseError on other rejections, malformed bodies, or retries exhausted
 */
export function withRetries<T>(attempt: () => Promise<T>, o: RetryOptions): Promise<T> {
  type Transient = Extract<Failure, { kind: "transient" }>;
  return retryLoop<T, Transient>(
    async () => {
      try {
        return { kind: "ok", value: await attempt() };
      } catch (err) {
        const failure = classify(err, o.host, o.endpoint, o.model);
        return failure.kind === "fatal" ? failure : { kind: "transient", failure };
      }
    },
    {
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      maxDelayMs: MAX_RETRY_DELAY_MS,
      exhausted: (last, attempts) => exhausted(last, attempts, o),
      ...(o.onRetry && { onRetry: o.onRetry }),
    },
  );
}

function exhausted(f: Extract<Failure, { kind: "transient" }>, attempts: number, o: RetryOptions): EmbedderError {
  const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
  if (f.status !== undefined) {
    return new OllamaResponseError(
      `Ollama at ${o.host} kept failing ${o.endpoint} for model "${o.model}" (${tries}; last: ${f.what}). Check the server's log (\`ollama serve\` output); raise maxRetries if it is only busy.`,
      { cause: f.error, status: f.status },
    );
  }
  if ((f.error as { name?: unknown })?.name === "TimeoutError") {
    return new OllamaResponseError(
      `Ollama at ${o.host} did not answer ${o.endpoint} within ${o.timeoutMs} ms (${tries}). A first request may wait for the model to load: raise timeoutMs, or lower batchSize.`,
      { cause: f.error },
    );
  }
  return new OllamaConnectionError(o.host, `The connection failed ${tries} (last: ${f.what}).`, { cause: f.error });
}
