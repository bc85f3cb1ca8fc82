/**
 * The embedding models of the CLI, as a small registry: a model spec (what `--model`,
 * `$LEANN_MODEL` or an index's leann.json says) goes to one provider, which opens it
 * into an embedder and the identity the index records.
 *
 * A spec `PREFIX:NAME` goes to the provider registered for PREFIX (say `ollama:` or
 * `openai:`); anything else is a local model of @leann/onnx: the shipped default
 * `minishlab/potion-base-2M`, another Hugging Face id, or a model folder. A spec is
 * recorded as normalised here (folders absolute), so later commands reopen the same
 * model without a flag.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { LeannError, type Embedder } from "@leann/core";
import { DEFAULT_MODEL, defaultCacheDir, EMBEDDED_MODEL_DIR, listCached, LocalEmbeddings, OnnxRuntimeMissingError } from "@leann/onnx";
import { CliError, EXIT, usage } from "./exit-codes.js";
import type { TextSink } from "./progress.js";
import { ollamaProvider, openaiProvider } from "./remote-model.js";

type Env = Record<string, string | undefined>;

/** An embedder as the CLI drives it: batched into one flat Float32Array (row i = text i). */
export interface CliEmbedder extends Embedder {
  embedFlat(texts: readonly string[]): Promise<Float32Array>;
}

/** An opened model. */
export interface ModelHandle {
  /** The normalised spec, recorded in leann.json and used again by later commands. */
  readonly spec: string;
  readonly embedder: CliEmbedder;
  /** The identity the index records (compared on open, so a model swap is caught). */
  readonly modelId: string;
  readonly dimensions: number;
  /** Where it came from, for reports: "embedded", "folder", "cache", "hub", or a provider's own word. */
  readonly source: string;
}

/** One line of `leann models`. */
export interface ModelListing {
  /** What to pass as --model. */
  readonly spec: string;
  /** "ready": usable now without the network; "download": fetched on first use; "pattern": a form of spec. */
  readonly state: "ready" | "download" | "pattern";
  readonly note: string;
}

/** What a command knows besides the spec when it opens a model. */
export interface OpenModelOptions {
  /** `--base-url`: the server of a remote model. */
  readonly baseUrl?: string | undefined;
  /** The identity the index recorded (`IndexMeta.modelId`), when an index is being reopened. */
  readonly recordedModelId?: string | undefined;
}

export interface ModelProvider {
  /** The spec prefix without its colon (`"ollama"` for `ollama:nomic-embed-text`); `""` for local models. */
  readonly prefix: string;
  /** One line for `leann models`. */
  readonly summary: string;
  /** The spec to record for `name` (the part after the prefix). */
  normalize(name: string, cwd: string, env: Env): string;
  /**
   * Opens the model named by `name` (the part after the prefix) and loads it.
   * @throws a LeannError (MODEL_NOT_FOUND, MODEL_LOAD_FAILED, DOWNLOAD_FAILED, ...) saying how to get the model.
   */
  open(name: string, env: Env, warn: (message: string) => void, options: OpenModelOptions): Promise<Omit<ModelHandle, "spec">>;
  /** The models it can use on this machine now, and the forms of spec it takes. */
  list(env: Env): Promise<ModelListing[]>;
}

/** A model argument as LocalEmbeddings should get it: folders become absolute paths, hub ids stay as they are. */
export function normalizeModel(spec: string, cwd: string, env: Env): string {
  if (spec === "~" || spec.startsWith("~/")) return join(env.HOME || homedir(), spec.slice(1));
  if (isAbsolute(spec)) return spec;
  const local = resolve(cwd, spec);
  // "owner/name" is a hub id unless such a folder exists here; "./x", "../x" and "a/b/c" are paths.
  if (/^\.{1,2}([/\\]|$)/.test(spec) || spec.split("/").length > 2 || existsSync(local)) return local;
  return spec;
}

/** @leann/onnx: the shipped default, hub ids (downloaded once into the cache), model folders. */
const local: ModelProvider = {
  prefix: "",
  summary: "run by @leann/onnx on this machine",
  normalize: normalizeModel,
  async open(name, env, warn, { baseUrl }) {
    // A server address given to a model that runs here is a mistake worth saying, not ignoring.
    if (baseUrl !== undefined) {
      throw usage(`--base-url ${baseUrl} names a server, but the model ${name} runs on this machine.`, "Leave out --base-url, or name a served model: --model openai:MODEL or --model ollama:MODEL.");
    }
    const embedder = new LocalEmbeddings({ model: name, env, onWarning: warn });
    const info = await embedder.load();
    return { embedder, modelId: info.modelId, dimensions: info.dimensions, source: info.source };
  },
  async list(env) {
    const cached = await listCached(defaultCacheDir(env));
    return [
      { spec: DEFAULT_MODEL, state: "ready", note: `the default: 64-d static model shipped with leann (${EMBEDDED_MODEL_DIR})` },
      ...cached
        .filter((c) => c.repo !== DEFAULT_MODEL || c.revision !== "main")
        .map((c): ModelListing => ({ spec: c.repo, state: "ready", note: `downloaded${c.revision === "main" ? "" : ` (revision ${c.revision})`}: ${c.dir}` })),
      { spec: "OWNER/NAME", state: "download", note: "a Hugging Face model: Model2Vec, or a sentence encoder with an ONNX export (needs onnxruntime-node); downloaded once, then cached" },
      { spec: "./path/to/folder", state: "pattern", note: "a model folder: tokenizer.json with model.safetensors (Model2Vec) or onnx/model.onnx" },
    ];
  },
};

const providers = new Map<string, ModelProvider>([
  ["", local],
  ["openai", openaiProvider],
  ["ollama", ollamaProvider],
]);

/**
 * Adds a provider for specs `PREFIX:NAME`.
 * @throws Error when the prefix is taken or not a lowercase word.
 */
export function registerModelProvider(provider: ModelProvider): void {
  if (!/^[a-z][a-z0-9-]*$/.test(provider.prefix)) throw new Error(`model provider prefix ${JSON.stringify(provider.prefix)} must be a lowercase word`);
  if (providers.has(provider.prefix)) throw new Error(`a model provider for "${provider.prefix}:" is already registered`);
  providers.set(provider.prefix, provider);
}

/** The provider of a spec, and the name it is given. Only registered prefixes count, so `C:\models\x` stays a path. */
function route(spec: string): { provider: ModelProvider; name: string } {
  // An empty name still goes to its provider, which says the spec names no model.
  const m = /^([a-z][a-z0-9-]*):(.*)$/s.exec(spec);
  const p = m ? providers.get(m[1]!) : undefined;
  return p ? { provider: p, name: m![2]! } : { provider: local, name: spec };
}

/** The spec of a command: --model, else the one the index was built with, else $LEANN_MODEL, else the default. */
export function modelSpec(flag: string | undefined, recorded: string | undefined, env: Env, cwd: string): string {
  const given = flag ?? (recorded === undefined ? env.LEANN_MODEL || undefined : undefined);
  if (given === undefined) return recorded ?? DEFAULT_MODEL;
  const { provider, name } = route(given);
  const normalized = provider.normalize(name, cwd, env);
  return provider.prefix ? `${provider.prefix}:${normalized}` : normalized;
}

/** Model errors keep their code and exit status and gain a hint: how to get the model, or what else to use. */
function explain(err: unknown): unknown {
  if (!LeannError.isInstance(err) || !["MODEL_NOT_FOUND", "MODEL_LOAD_FAILED", "DOWNLOAD_FAILED"].includes(err.code)) return err;
  const hint =
    err instanceof OnnxRuntimeMissingError
      ? `Install onnxruntime-node where leann is installed (npm install -g onnxruntime-node for a global leann), or pick a static model: \`leann models\`.`
      : `Run \`leann models\` for the models this leann can use; without --model, build uses ${DEFAULT_MODEL}, which ships with leann.`;
  return new CliError(EXIT.MODEL, err.code, err.message, hint);
}

/**
 * Opens the model of a spec and loads it; warnings go to stderr.
 * @throws CliError (exit 4, the model error's code) when the model cannot be had, with a hint.
 * @throws CliError (usage) when `--base-url` is given for a local model, or a remote spec names no model
 * @throws OpenAIConnectionError / OllamaConnectionError (exit 5) when a remote model's server does not answer
 */
export async function openModel(spec: string, env: Env, stderr: TextSink, options: OpenModelOptions = {}): Promise<ModelHandle> {
  const { provider, name } = route(spec);
  try {
    const opened = await provider.open(name, env, (m) => stderr.write(`leann: ${m}\n`), options);
    return { spec, ...opened };
  } catch (err) {
    throw explain(err);
  }
}

/** Every provider with the models it can use now. */
export async function listModels(env: Env): Promise<Array<{ prefix: string; summary: string; models: ModelListing[] }>> {
  const out = [];
  for (const p of providers.values()) out.push({ prefix: p.prefix, summary: p.summary, models: await p.list(env) });
  return out;
}
