import { InvalidOptionsError } from "@leann/core";
import { OllamaModelNotFoundError, OllamaResponseError } from "./errors.js";
import { OLLAMA_DEFAULTS, type FetchLike } from "./options.js";
import { createClient, withRetries } from "./transport.js";

export interface CheckOllamaOptions {
  /** Server URL; default `OLLAMA_HOST`, else `http://127.0.0.1:11434`. */
  baseUrl?: string;
  /** Models that must be installed, e.g. `["llama3.2", "nomic-embed-text"]`. */
  models?: string[];
  headers?: Record<string, string>;
  fetch?: FetchLike;
  /** Per-request timeout in ms (default 10000: listing models is quick). */
  timeoutMs?: number;
  /** Retries on transient failures (default 1). */
  maxRetries?: number;
  retryDelayMs?: number;
}

export interface CheckOllamaResult {
  /** The normalised server URL that answered. */
  host: string;
  /** Every installed model, as `/api/tags` names it (`name:tag`). */
  installed: string[];
}

/** `name` -> `name:latest`; a name with a tag is kept (a `:` before the last `/` is a registry port, not a tag). */
export function withTag(name: string): string {
  const last = name.slice(name.lastIndexOf("/") + 1);
  return last.includes(":") ? name : `${name}:latest`;
}

/**
 * Start-up check for an app: one `GET /api/tags`, then the models it needs that the
 * server lacks, all named in one error with the `ollama pull` lines to run.
 * @throws OllamaConnectionError (CONNECTION_FAILED) when no server answers
 * @throws OllamaModelNotFoundError (MODEL_NOT_FOUND) naming every missing model
 */
export async function checkOllama(options: CheckOllamaOptions = {}): Promise<CheckOllamaResult> {
  if (options.models !== undefined && (!Array.isArray(options.models) || options.models.some((m) => typeof m !== "string" || !m))) {
    throw new InvalidOptionsError(`checkOllama: models must be an array of model names, received ${JSON.stringify(options.models)}.`);
  }
  const client = createClient({
    baseUrl: options.baseUrl ?? (process.env.OLLAMA_HOST?.trim() || OLLAMA_DEFAULTS.baseUrl),
    headers: options.headers,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  const host = client.host;
  const list = await withRetries(() => client.list(), {
    host,
    endpoint: "/api/tags",
    model: options.models?.join(", ") ?? "",
    maxRetries: options.maxRetries ?? 1,
    retryDelayMs: options.retryDelayMs ?? OLLAMA_DEFAULTS.retryDelayMs,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  if (!Array.isArray(list?.models)) {
    throw new OllamaResponseError(`Ollama at ${host} answered /api/tags without a models array; is it an Ollama server?`);
  }
  const installed = list.models.map((m) => String(m.name ?? m.model));
  const have = new Set(installed.map(withTag));
  const missing = (options.models ?? []).filter((m) => !have.has(withTag(m)));
  if (missing.length > 0) throw new OllamaModelNotFoundError(host, missing, { available: installed });
  return { host, installed };
}
