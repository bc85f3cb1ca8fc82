/**
 * The one options resolver of `LocalEmbeddings`: defaults are named here with
 * their trade-off, every option is checked with a message that names the bad
 * value and the expected one, and the environment is read once, at construction.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidOptionsError } from "@leann/core";
import type { DownloadProgress } from "./hub.js";
import type { TruncationPolicy } from "./text-batch.js";
import { DEFAULT_BATCH_SIZE, type ModelDType, type Pooling } from "./transformer-model.js";

/**
 * The default model: Model2Vec potion-base-2M (64 dimensions). Static, so a text
 * costs one tokenization and a table lookup: thousands of texts per second on one
 * core, which is what a recomputing index needs from its embedder. Its int8 copy
 * ships inside this package (2.7 MB, see embedded.ts), so the default never touches
 * the network; `dtype: "fp32"` or another `revision` fetches the hub's files instead.
 */
export const DEFAULT_MODEL = "minishlab/potion-base-2M";
export const DEFAULT_HUB_URL = "https://huggingface.co";
export const DEFAULT_REVISION = "main";
/** Retries per file after the first attempt; each resumes where the last stopped. */
export const DEFAULT_DOWNLOAD_RETRIES = 3;

export type ModelKind = "auto" | "static" | "transformer";

export interface LocalEmbeddingsOptions {
  /**
   * A Hugging Face model id (`owner/name`) or a local model folder.
   * Default: {@link DEFAULT_MODEL}, loaded from the copy shipped in this package.
   */
  model?: string;
  /** Hub revision (branch, tag or commit) to download. Default "main". */
  revision?: string;
  /** Force a model kind instead of detecting it from the folder. Default "auto". */
  kind?: ModelKind;
  /**
   * Precision of the weights to pick where a model ships several: "fp32" (`onnx/model.onnx`,
   * `model.safetensors`), "int8" (`onnx/model_int8.onnx`, `onnx/model_quantized.onnx`,
   * `model.int8.safetensors`), "fp16". Default: fp32 when present, else whatever is there.
   */
  dtype?: ModelDType;
  /** ONNX file inside the model folder, e.g. "onnx/model_O4.onnx"; overrides dtype. */
  onnxFile?: string;
  /** Pooling of token states for transformer models. Default: the model's sentence-transformers config, else "mean". */
  pooling?: Pooling;
  /** Normalise vectors to unit length. Default: true (Model2Vec: the model's config, true when absent). */
  normalize?: boolean;
  /** Tokens read per text. Default: the model's maximum (transformers) or 512 (static models). */
  maxLength?: number;
  /**
   * What to do with a text longer than maxLength: "truncate" (embed its first tokens, the
   * default, as sentence-transformers does), "warn" (the same, plus one warning per call
   * through onWarning), "error" (throw TextTooLongError).
   */
  truncation?: TruncationPolicy;
  /** Texts per session.run for transformer models. Default 32. */
  batchSize?: number;
  /** onnxruntime intra-op threads. Default 0: one per physical core. */
  threads?: number;
  /** Model cache. Default: $LEANN_CACHE_DIR, else $XDG_CACHE_HOME/leann/models, else ~/.cache/leann/models. */
  cacheDir?: string;
  /** Hugging Face hub (or mirror) base URL. Default: $HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** Never touch the network; only local folders and the cache. Default: $HF_HUB_OFFLINE=1, else false. */
  offline?: boolean;
  /** Hub token for private or gated models. Default: $HF_TOKEN (or $HUGGING_FACE_HUB_TOKEN). */
  token?: string;
  /** Download attempts per file after the first. Default 3. */
  downloadRetries?: number;
  /** Identity recorded by indexes built with this embedder. Default: the hub id, or the folder's name. */
  modelId?: string;
  /** Receives warnings (truncation). Default console.warn. */
  onWarning?: (message: string) => void;
  /** Receives download progress. */
  onProgress?: (event: DownloadProgress) => void;
  /** Environment to read instead of process.env (tests, embedding hosts). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedOptions {
  readonly model: string;
  readonly isDefaultModel: boolean;
  readonly revision: string;
  readonly kind: ModelKind;
  readonly dtype: ModelDType | undefined;
  readonly onnxFile: string | undefined;
  readonly pooling: Pooling | undefined;
  readonly normalize: boolean | undefined;
  readonly maxLength: number | undefined;
  readonly truncation: TruncationPolicy;
  readonly batchSize: number;
  readonly threads: number;
  readonly cacheDir: string;
  readonly hubUrl: string;
  readonly offline: boolean;
  readonly token: string | undefined;
  readonly downloadRetries: number;
  readonly modelId: string | undefined;
  readonly onWarning: (message: string) => void;
  readonly onProgress: ((event: DownloadProgress) => void) | undefined;
}

const KNOWN = new Set<string>([
  "model",
  "revision",
  "kind",
  "dtype",
  "onnxFile",
  "pooling",
  "normalize",
  "maxLength",
  "truncation",
  "batchSize",
  "threads",
  "cacheDir",
  "hubUrl",
  "offline",
  "token",
  "downloadRetries",
  "modelId",
  "onWarning",
  "onProgress",
  "env",
]);

function bad(name: string, value: unknown, expected: string): InvalidOptionsError {
  const shown = typeof value === "string" ? JSON.stringify(value) : typeof value === "function" ? "a function" : String(value);
  return new InvalidOptionsError(`LocalEmbeddings: option ${name} is ${shown}; expected ${expected}.`);
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) throw bad(name, value, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
  return value as T;
}

function int(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw bad(name, value, `an integer from ${min} to ${max}`);
  return value;
}

function str(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") throw bad(name, value, "a non-empty string");
  return value;
}

function bool(name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw bad(name, value, "true or false");
  return value;
}

function fn<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") throw bad(name, value, "a function");
  return value as T;
}

function truthyEnv(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Default cache folder for the given environment. */
export function defaultCacheDir(env: Record<string, string | undefined>): string {
  if (env["LEANN_CACHE_DIR"]) return resolve(env["LEANN_CACHE_DIR"]);
  if (env["XDG_CACHE_HOME"]) return join(resolve(env["XDG_CACHE_HOME"]), "leann", "models");
  return join(homedir(), ".cache", "leann", "models");
}

/**
 * Checks options and fills in the defaults.
 * @throws {InvalidOptionsError} naming the first bad option.
 */
export function resolveOptions(options: LocalEmbeddingsOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(`LocalEmbeddings: options must be an object, received ${Array.isArray(options) ? "an array" : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new InvalidOptionsError(`LocalEmbeddings: unknown option "${key}"; known options: ${[...KNOWN].join(", ")}.`);
    }
  }
  const o = options as Record<string, unknown>;
  const env = (o["env"] as Record<string, string | undefined> | undefined) ?? process.env;
  if (typeof env !== "object" || env === null) throw bad("env", env, "an object of environment variables");

  const model = str("model", o["model"]) ?? DEFAULT_MODEL;
  const hubUrl = str("hubUrl", o["hubUrl"]) ?? (env["HF_ENDPOINT"] || DEFAULT_HUB_URL);
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch {
    throw bad("hubUrl", hubUrl, "an http(s) URL such as https://huggingface.co");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad("hubUrl", hubUrl, "an http(s) URL such as https://huggingface.co");

  const cacheDirOpt = str("cacheDir", o["cacheDir"]);
  const isDefaultModel = model === DEFAULT_MODEL;
  return Object.freeze({
    model,
    isDefaultModel,
    revision: str("revision", o["revision"]) ?? DEFAULT_REVISION,
    kind: oneOf<ModelKind>("kind", o["kind"], ["auto", "static", "transformer"]) ?? "auto",
    dtype: oneOf<ModelDType>("dtype", o["dtype"], ["fp32", "fp16", "int8"]),
    onnxFile: str("onnxFile", o["onnxFile"]),
    pooling: oneOf<Pooling>("pooling", o["pooling"], ["mean", "cls", "max", "lasttoken"]),
    normalize: bool("normalize", o["normalize"]),
    maxLength: int("maxLength", o["maxLength"], 1, 1_000_000),
    truncation: oneOf<TruncationPolicy>("truncation", o["truncation"], ["truncate", "warn", "error"]) ?? "truncate",
    batchSize: int("batchSize", o["batchSize"], 1, 4096) ?? DEFAULT_BATCH_SIZE,
    threads: int("threads", o["threads"], 0, 1024) ?? 0,
    cacheDir: cacheDirOpt ? resolve(cacheDirOpt) : defaultCacheDir(env),
    hubUrl: hubUrl.replace(/\/+$/, ""),
    offline: bool("offline", o["offline"]) ?? truthyEnv(env["HF_HUB_OFFLINE"]),
    token: str("token", o["token"]) ?? (env["HF_TOKEN"] || env["HUGGING_FACE_HUB_TOKEN"] || undefined),
    downloadRetries: int("downloadRetries", o["downloadRetries"], 0, 100) ?? DEFAULT_DOWNLOAD_RETRIES,
    modelId: str("modelId", o["modelId"]),
    onWarning: fn<(m: string) => void>("onWarning", o["onWarning"]) ?? ((m: string) => console.warn(m)),
    onProgress: fn<(e: DownloadProgress) => void>("onProgress", o["onProgress"]),
  });
}
