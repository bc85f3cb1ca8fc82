/**
 * Model specs that name an inference server instead of a local model:
 *   openai:MODEL   any OpenAI-compatible /v1/embeddings server (@leann/openai)
 *   ollama:MODEL   Ollama's native /api/embed (@leann/ollama)
 * Anything else is a local model (a hub id or a folder) and is not handled here.
 */
import type { Embedder } from "@leann/core";
import { OLLAMA_DEFAULTS, OllamaEmbeddings } from "@leann/ollama";
import { endpointIdentity, OPENAI_DEFAULTS, OpenAICompatibleEmbeddings } from "@leann/openai";
import type { ModelProvider } from "./embedder.js";
import { usage } from "./exit-codes.js";

export interface RemoteModelOptions {
  /** `--base-url`: the server; wins over everything else. */
  baseUrl?: string | undefined;
  /** Read for OPENAI_BASE_URL, OPENAI_API_KEY and OLLAMA_HOST. */
  env: Record<string, string | undefined>;
  /**
   * The identity the index recorded (`IndexMeta.modelId`), e.g.
   * `text-embedding-3-small[256] via http://gpu-box:8000/v1` or `nomic-embed-text via
   * http://gpu-box:11434`. Without --base-url, an index goes back to the endpoint (and
   * dimensions) it was built with, so a search needs no flags the build had.
   */
  recordedModelId?: string | undefined;
  /** openai: vectors of this length (sent as `dimensions`, which text-embedding-3 models honour). */
  dimensions?: number | undefined;
}

/**
 * An embedder of a remote spec, shaped like the CLI's LocalEmbeddings where the commands
 * use it (`load()` -> identity and dimensions, `embedFlat`), so either can serve a command.
 */
export interface RemoteEmbedder extends Embedder {
  /** The identity the index records: model and endpoint (never the key). */
  readonly modelId: string;
  /** The client underneath, with its options and counters. */
  readonly client: OpenAICompatibleEmbeddings | OllamaEmbeddings;
  /**
   * Identity and embedding length; asks the server for one embedding when the length is
   * not known yet (a start-up check that the server answers and has the model).
   */
  load(): Promise<{ modelId: string; dimensions: number }>;
  /** One Float32Array, row i = text i. */
  embedFlat(texts: readonly string[]): Promise<Float32Array>;
  embedQuery(text: string): Promise<number[]>;
}

class RemoteModel implements RemoteEmbedder {
  readonly modelId: string;
  private loaded: Promise<{ modelId: string; dimensions: number }> | undefined;

  constructor(
    readonly client: OpenAICompatibleEmbeddings | OllamaEmbeddings,
    modelId = client.modelId,
  ) {
    this.modelId = modelId;
  }

  load(): Promise<{ modelId: string; dimensions: number }> {
    this.loaded ??= (async () => {
      const dimensions = this.client.dimensions ?? (await this.client.embedQuery("dimension probe")).length;
      return { modelId: this.modelId, dimensions };
    })().catch((err: unknown) => {
      // Not cached: the server may be up by the next call.
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return this.client.embedDocuments(texts);
  }

  embedQuery(text: string): Promise<number[]> {
    return this.client.embedQuery(text);
  }

  async embedFlat(texts: readonly string[]): Promise<Float32Array> {
    const rows = await this.client.embedDocuments([...texts]);
    const d = rows[0]?.length ?? 0;
    const out = new Float32Array(rows.length * d);
    rows.forEach((row, i) => out.set(row, i * d));
    return out;
  }
}

const SPEC = /^(openai|ollama):(.*)$/s;
const RECORDED = /^(.+?)(?:\[(\d+)\])? via (https?:\/\/\S+)$/;

/**
 * Maps `openai:MODEL` / `ollama:MODEL` to an embedder; undefined for any other spec
 * (a local model, for LocalEmbeddings).
 * @throws CliError (usage) when the spec names no model
 * @throws InvalidOptionsError when the base URL is not an http(s) URL
 */
export function remoteEmbedder(spec: string, o: RemoteModelOptions): RemoteEmbedder | undefined {
  const m = SPEC.exec(spec.trim());
  if (!m) return undefined;
  const [, kind, rawModel] = m as unknown as [string, "openai" | "ollama", string];
  const model = rawModel.trim();
  if (!model) {
    throw usage(
      `--model ${JSON.stringify(spec)} names no model.`,
      kind === "openai" ? "Write openai:MODEL, e.g. openai:text-embedding-3-small (with --base-url for LM Studio, vLLM or TEI)." : "Write ollama:MODEL, e.g. ollama:nomic-embed-text.",
    );
  }
  const flag = o.baseUrl?.trim() || undefined;
  const recorded = o.recordedModelId ? RECORDED.exec(o.recordedModelId) : null;
  const sameModel = recorded !== null && recorded[1] === model;
  if (kind === "ollama") {
    const client = new OllamaEmbeddings({ model, baseUrl: flag ?? (sameModel ? recorded[3] : undefined) ?? (o.env.OLLAMA_HOST?.trim() || OLLAMA_DEFAULTS.baseUrl) });
    // @leann/ollama's identity is the model name alone; the CLI adds the server, as for
    // openai:, so an index reopens on the Ollama it was built with and not on whichever
    // OLLAMA_HOST is set today.
    return new RemoteModel(client, `${model} via ${endpointIdentity(client.baseUrl)}`);
  }
  const baseURL = flag ?? (sameModel ? recorded[3] : undefined) ?? (o.env.OPENAI_BASE_URL?.trim() || OPENAI_DEFAULTS.baseURL);
  const dimensions = o.dimensions ?? (sameModel && recorded[2] ? Number(recorded[2]) : undefined);
  // Both always given, from `o.env` only: the embedder would otherwise read process.env itself.
  const apiKey = o.env.OPENAI_API_KEY?.trim() ?? "";
  return new RemoteModel(new OpenAICompatibleEmbeddings({ model, baseURL, apiKey, ...(dimensions !== undefined && { dimensions }) }));
}

/** A served model's spec is recorded as written: its name belongs to the server (`ollama:hf.co/a/b` is no path). */
const asWritten = (name: string) => name.trim();

function remoteProvider(kind: "openai" | "ollama", summary: string, list: ModelProvider["list"]): ModelProvider {
  return {
    prefix: kind,
    summary,
    normalize: asWritten,
    async open(name, env, _warn, { baseUrl, recordedModelId }) {
      const embedder = remoteEmbedder(`${kind}:${name}`, { baseUrl, env, recordedModelId })!;
      // The first request doubles as the check that the server answers and has the model.
      const { modelId, dimensions } = await embedder.load();
      const where = embedder.client instanceof OpenAICompatibleEmbeddings ? embedder.client.baseURL : embedder.client.baseUrl;
      // Shown in reports: no user:password a URL may carry.
      return { embedder, modelId, dimensions, source: `${kind} server at ${endpointIdentity(where)}` };
    },
    list,
  };
}

/** `openai:MODEL`: any OpenAI-compatible /v1/embeddings server (OpenAI, LM Studio, vLLM, TEI, Ollama's /v1). */
export const openaiProvider = remoteProvider("openai", "served by an OpenAI-compatible /v1/embeddings server (@leann/openai)", async (env) => [
  {
    spec: "openai:MODEL",
    state: "pattern",
    note:
      `a model of an OpenAI-compatible server: --base-url URL, else $OPENAI_BASE_URL${env.OPENAI_BASE_URL?.trim() ? ` (now ${env.OPENAI_BASE_URL.trim()})` : ""}, else ${OPENAI_DEFAULTS.baseURL}; ` +
      `key from $OPENAI_API_KEY (${env.OPENAI_API_KEY?.trim() ? "set" : "not set: local servers need none"}), never stored. ` +
      "E.g. openai:text-embedding-3-small. The index records model and endpoint: later commands need neither flag",
  },
]);

/** `ollama:MODEL`: Ollama's native /api/embed. */
export const ollamaProvider = remoteProvider("ollama", "served by Ollama's /api/embed (@leann/ollama)", async (env) => [
  {
    spec: "ollama:MODEL",
    state: "pattern",
    note:
      `a model pulled into the Ollama at --base-url, else $OLLAMA_HOST, else ${OLLAMA_DEFAULTS.baseUrl}` +
      `${env.OLLAMA_HOST?.trim() ? ` (now ${env.OLLAMA_HOST.trim()})` : ""}. E.g. ollama:nomic-embed-text (ollama pull nomic-embed-text first)`,
  },
]);
