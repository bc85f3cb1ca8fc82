/**
 * One JSON POST to an OpenAI-compatible server, made robust: a per-attempt timeout,
 * retries with exponential backoff (or the server's Retry-After) on 429, 5xx, timeouts
 * and dropped connections, and every failure turned into one of this package's errors.
 * Knows nothing of embeddings.
 */
import { backoffDelayMs, EmbedderError, networkErrorCode, retryLoop, UNREACHABLE_CODES, type AttemptOutcome } from "@leann/core";
import { OpenAIConnectionError, OpenAIModelNotFoundError, OpenAIResponseError } from "./errors.js";
import { MAX_RETRY_AFTER_MS, MAX_RETRY_DELAY_MS, type FetchLike } from "./options.js";

export interface PostOptions {
  baseURL: string;
  /** E.g. `/embeddings`. */
  path: string;
  model: string;
  apiKey: string | undefined;
  headers: Readonly<Record<string, string>> | undefined;
  fetch: FetchLike | undefined;
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  /** Called before every attempt (for counters). */
  onAttempt?: () => void;
  /** Called before every retry, with the delay about to be waited. */
  onRetry?: (attempt: number, delayMs: number, what: string) => void;
  /** Waits between attempts; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

/** What is kept of a transient failure, for the message when retries run out. */
interface Transient {
  what: string;
  status?: number;
  error?: unknown;
}

type Outcome = AttemptOutcome<unknown, Transient>;

/**
 * How long the server asks us to wait, in ms: OpenAI's `retry-after-ms`, else the
 * standard `Retry-After` in seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get("retry-after")?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The delay before retry `attempt` (0-based): the server's Retry-After when given, else equal-jitter exponential backoff. */
export function retryDelayMs(attempt: number, baseMs: number, serverMs: number | undefined, random: () => number = Math.random): number {
  return serverMs ?? backoffDelayMs(attempt, baseMs, MAX_RETRY_DELAY_MS, random);
}

/** The server's own words from an error body: OpenAI `{error:{message}}`, TEI `{error}`, vLLM `{message}`, or the text. */
function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const e = j.error;
    const m = typeof e === "object" && e !== null ? (e as { message?: unknown }).message : (e ?? j.message ?? j.detail);
    if (typeof m === "string" && m) return m;
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().slice(0, 300) || "(empty body)";
}

async function classifyResponse(res: Response, o: PostOptions): Promise<Outcome> {
  const where = `${o.baseURL}${o.path}`;
  const text = await res.text();
  if (res.ok) {
    try {
      return { kind: "ok", value: JSON.parse(text) };
    } catch (err) {
      return { kind: "fatal", error: new OpenAIResponseError(`${where} answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 120)}. Is baseURL an OpenAI-compatible API (usually ending in /v1)?`, { cause: err, status: res.status }) };
    }
  }
  const status = res.status;
  const said = serverMessage(text);
  if (status === 429 || status === 408 || status >= 500) {
    const after = retryAfterMs(res.headers);
    if (after !== undefined && after > MAX_RETRY_AFTER_MS) {
      return {
        kind: "fatal",
        error: new OpenAIResponseError(`${where} is rate limiting (HTTP ${status}: ${said}) and asks to wait ${Math.ceil(after / 1000)} s; try again then, or lower maxConcurrency.`, { status }),
      };
    }
    return { kind: "transient", failure: { what: `HTTP ${status}: ${said}`, status }, ...(after !== undefined && { retryAfterMs: after }) };
  }
  if (status === 404 && /model/i.test(said)) return { kind: "fatal", error: new OpenAIModelNotFoundError(o.baseURL, o.model, `HTTP 404: ${said}`) };
  let hint = "";
  if (status === 404) hint = " The endpoint does not exist: does baseURL end in /v1 (e.g. http://127.0.0.1:1234/v1)?";
  else if (status === 401 || status === 403) hint = ` Set OPENAI_API_KEY (or apiKey) to a key this server accepts${o.apiKey ? "; the one sent was refused" : "; none was sent"}.`;
  else if (status === 413 || /too long|context length|maximum.*tokens|too many/i.test(said)) hint = " Lower batchSize, or split long passages into smaller chunks.";
  return { kind: "fatal", error: new OpenAIResponseError(`${where} rejected the request for model "${o.model}" with HTTP ${status}: ${said}.${hint}`, { status }) };
}

function classifyThrown(err: unknown, o: PostOptions): Outcome {
  if (err instanceof EmbedderError) return { kind: "fatal", error: err };
  const name = (err as { name?: unknown })?.name;
  if (name === "TimeoutError") return { kind: "transient", failure: { what: `no answer within ${o.timeoutMs} ms`, error: err } };
  const code = networkErrorCode(err);
  const detail = `${(err as Error)?.message ?? err}${code ? ` (${code})` : ""}`;
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return { kind: "fatal", error: new OpenAIConnectionError(o.baseURL, `(${detail})`, { cause: err }) };
  // A reset, a closed socket, a proxy hiccup: worth another try.
  if (err instanceof TypeError || code !== undefined) return { kind: "transient", failure: { what: detail, error: err } };
  return { kind: "fatal", error: new EmbedderError(`POST ${o.baseURL}${o.path} failed: ${detail}`, { cause: err }) };
}

async function attempt(body: unknown, o: PostOptions): Promise<Outcome> {
  // Looked up per request, so an HTTP mock installed after construction still applies.
  const f = o.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json", ...o.headers };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  try {
    const res = await f(`${o.baseURL}${o.path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      // The timeout covers the body too: a server that stalls mid-answer is cut off as well.
      ...(o.timeoutMs > 0 && { signal: AbortSignal.timeout(o.timeoutMs) }),
    });
    return await classifyResponse(res, o);
  } catch (err) {
    return classifyThrown(err, o);
  }
}

/**
 * POSTs `body` as JSON until an attempt succeeds, one fails for good, or `maxRetries + 1`
 * attempts have failed transiently; returns the parsed JSON answer.
 * @throws OpenAIConnectionError (CONNECTION_FAILED) when nothing answers, or connections kept dropping
 * @throws OpenAIModelNotFoundError (MODEL_NOT_FOUND) on a 404 naming the model
 * @throws OpenAIResponseError (EMBEDDER_FAILED) on other rejections, bodies that are not JSON, or retries exhausted
 */
export function postJson(body: unknown, o: PostOptions): Promise<unknown> {
  return retryLoop(
    () => {
      o.onAttempt?.();
      return attempt(body, o);
    },
    {
      maxRetries: o.maxRetries,
      retryDelayMs: o.retryDelayMs,
      maxDelayMs: MAX_RETRY_DELAY_MS,
      exhausted: (last, attempts) => exhausted(last, attempts, o),
      onRetry: (i, delay, f) => o.onRetry?.(i, delay, f.what),
      ...(o.sleep && { sleep: o.sleep }),
    },
  );
}

function exhausted(r: Transient, attempts: number, o: PostOptions): EmbedderError {
  const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
  const where = `${o.baseURL}${o.path}`;
  if (r.status !== undefined) {
    return new OpenAIResponseError(
      `${where} kept failing for model "${o.model}" (${tries}; last: ${r.what}). Check the server's log; if it is only busy, raise maxRetries or lower maxConcurrency.`,
      { status: r.status },
    );
  }
  if ((r.error as { name?: unknown })?.name === "TimeoutError") {
    return new OpenAIResponseError(`${where} did not answer within ${o.timeoutMs} ms (${tries}). A cold server may be loading the model: raise timeoutMs, or lower batchSize.`, { cause: r.error });
  }
  return new OpenAIConnectionError(o.baseURL, `The connection failed ${tries} (last: ${r.what}).`, { cause: r.error });
}
