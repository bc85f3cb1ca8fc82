/**
 * Model resolution: the shipped default, an explicit folder, then the cache, then
 * the hub; and, once a folder is there, which kind of model it holds.
 */
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import type { EmbeddingBackend } from "./backend.js";
import { ModelNotFoundError } from "./errors.js";
import { EMBEDDED_MODEL_DIR } from "./embedded.js";
import { firstExisting, isDirectory } from "./fs-util.js";
import { downloadModel, findCached, isRepoId, type ModelFileChoice } from "./hub.js";
import { DEFAULT_MODEL, DEFAULT_REVISION, type ResolvedOptions } from "./options.js";
import { STATIC_WEIGHT_FILES, StaticModel } from "./static-model.js";
import { readOptionalJson } from "./tokenizer.js";
import { findOnnxFile, ONNX_FILES, TransformerModel } from "./transformer-model.js";

export interface ResolvedModel {
  readonly dir: string;
  readonly source: "embedded" | "folder" | "cache" | "hub";
  /** The hub id, when the model came from (or is cached from) the hub. */
  readonly repo: string | undefined;
}

/** Retry pause per attempt; short because a cut transfer resumes where it stopped. */
const RETRY_DELAY_MS = 200;

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p;
}

function looksLikePath(s: string): boolean {
  return /^(\.{1,2}([/\\]|$)|[/\\~]|[A-Za-z]:[/\\])/.test(s) || s.includes("\\") || s.split("/").length > 2;
}

/**
 * True when the shipped copy answers for the options: the default model at its default
 * revision, in int8 or any precision. Asking for fp32/fp16, another revision or an ONNX
 * file means the hub's files, which are fetched as for any other model.
 */
export function usesEmbedded(o: ResolvedOptions): boolean {
  return o.model === DEFAULT_MODEL && o.revision === DEFAULT_REVISION && (o.dtype === undefined || o.dtype === "int8") && o.onnxFile === undefined && o.kind !== "transformer";
}

/**
 * Finds the model's folder: the shipped copy for the default model, else `model` as a
 * folder, else its cache folder, else a fresh download.
 * With `refresh`, skips the cache lookup (files already there and still matching the hub are kept).
 * @throws {ModelNotFoundError} when no folder exists and the hub cannot provide it.
 * @throws {DownloadError} when the hub is unreachable or a download fails.
 */
export async function resolveModel(o: ResolvedOptions, refresh = false): Promise<ResolvedModel> {
  if (usesEmbedded(o)) {
    if (!(await isDirectory(EMBEDDED_MODEL_DIR))) {
      throw new ModelNotFoundError(
        `the default model's files are missing from this install of @leann/onnx (${EMBEDDED_MODEL_DIR} does not exist). ` +
          `Reinstall @leann/onnx (its package ships the models/ folder), or pass dtype: "fp32" to download ${DEFAULT_MODEL} from the hub.`,
      );
    }
    return { dir: EMBEDDED_MODEL_DIR, source: "embedded", repo: DEFAULT_MODEL };
  }
  const asPath = resolve(expandHome(o.model));
  if (await isDirectory(asPath)) return { dir: asPath, source: "folder", repo: undefined };
  if (looksLikePath(o.model) || !isRepoId(o.model)) {
    throw new ModelNotFoundError(
      `model "${o.model}" is neither an existing folder (${asPath} does not exist) nor a Hugging Face model id of the form owner/name. ` +
        `Pass the path of a folder holding tokenizer.json and the weights, or an id such as "${DEFAULT_MODEL}".`,
    );
  }
  const cached = refresh ? undefined : await findCached(o.cacheDir, o.model, o.revision);
  if (cached) return { dir: cached, source: "cache", repo: o.model };
  if (o.offline) {
    throw new ModelNotFoundError(
      `${o.model} is not in the cache (${o.cacheDir}) and offline mode is on (the offline option or HF_HUB_OFFLINE=1), so it cannot be downloaded. ` +
        `Download it once with network access, set cacheDir to where it is cached, or pass the path of a model folder ` +
        `(the default model, ${DEFAULT_MODEL}, ships with this package and needs none of this).`,
    );
  }
  const dir = await downloadModel(
    o.model,
    {
      hubUrl: o.hubUrl,
      revision: o.revision,
      cacheDir: o.cacheDir,
      token: o.token,
      retries: o.downloadRetries,
      retryDelayMs: RETRY_DELAY_MS,
      fetch: undefined,
      onProgress: o.onProgress,
    },
    (available, config) => chooseFiles(o, available, config),
    [...STATIC_WEIGHT_FILES, ...(o.onnxFile ? [o.onnxFile] : o.dtype ? ONNX_FILES[o.dtype] : [...ONNX_FILES.fp32, ...ONNX_FILES.int8])],
  );
  return { dir, source: "hub", repo: o.model };
}

/** Picks the model kind and weight file from a hub listing; a string explains why nothing fits. */
function chooseFiles(o: ResolvedOptions, available: ReadonlySet<string>, config: Record<string, unknown> | undefined): ModelFileChoice | string {
  const staticOrder = o.dtype === "int8" ? ["model.int8.safetensors", "model.safetensors", "model.f16.safetensors"] : STATIC_WEIGHT_FILES;
  const staticFile = staticOrder.find((f) => available.has(f));
  const onnxOrder = o.onnxFile ? [o.onnxFile] : o.dtype ? ONNX_FILES[o.dtype] : [...ONNX_FILES.fp32, ...ONNX_FILES.int8, ...ONNX_FILES.fp16];
  const onnxFile = onnxOrder.find((f) => available.has(f));
  const archs = config?.["architectures"];
  // Model2Vec repos may also publish an ONNX export (input_ids + offsets, not a text encoder's inputs): recognise them by config.
  const isModel2Vec =
    config?.["model_type"] === "model2vec" ||
    (Array.isArray(archs) && archs.includes("StaticModel")) ||
    (config !== undefined && "hidden_dim" in config && !("num_hidden_layers" in config));
  if (o.kind !== "transformer" && staticFile && (o.kind === "static" || isModel2Vec || !onnxFile)) return { kind: "static", weights: staticFile };
  if (o.kind !== "static" && onnxFile) return { kind: "transformer", weights: onnxFile };
  return (
    `the hub's ${o.model} has no ${o.kind === "static" ? "Model2Vec weights" : o.kind === "transformer" ? "ONNX export" : "ONNX export nor Model2Vec weights"} ` +
    `(looked for ${[...(o.kind === "transformer" ? [] : staticOrder), ...(o.kind === "static" ? [] : onnxOrder)].join(", ")}). ` +
    `Pick a model that publishes an ONNX export (onnx/model.onnx) or a Model2Vec model, or export it yourself and pass the folder.`
  );
}

/** True when a safetensors file's header names an "embeddings" tensor; reads only the header. */
async function hasEmbeddingsTable(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (n <= 0 || n > 100 * 1024 * 1024) return false;
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    const header = JSON.parse(buf.toString("utf8")) as Record<string, unknown>;
    return "embeddings" in header;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/**
 * Loads the model a folder holds: Model2Vec when its config says so or its safetensors
 * has an "embeddings" table, else an ONNX encoder.
 * @throws {ModelNotFoundError} when the folder holds neither.
 */
export async function loadBackend(dir: string, o: ResolvedOptions): Promise<EmbeddingBackend> {
  const common = { maxLength: o.maxLength, normalize: o.normalize, truncation: o.truncation, onWarning: o.onWarning };
  const staticOrder = o.dtype === "int8" ? ["model.int8.safetensors", "model.safetensors", "model.f16.safetensors"] : STATIC_WEIGHT_FILES;
  const loadStatic = (weightsFile?: string) => StaticModel.load(dir, { ...common, weightsFile });
  const loadTransformer = () =>
    TransformerModel.load(dir, { ...common, onnxFile: o.onnxFile, dtype: o.dtype, pooling: o.pooling, batchSize: o.batchSize, threads: o.threads });

  if (o.kind === "static") return loadStatic(await firstExisting(dir, staticOrder));
  if (o.kind === "transformer") return loadTransformer();

  const staticFile = await firstExisting(dir, staticOrder);
  if (staticFile) {
    const config = await readOptionalJson(dir, "config.json");
    if (config?.["model_type"] === "model2vec" || (await hasEmbeddingsTable(join(dir, staticFile)))) return loadStatic(staticFile);
  }
  if (o.onnxFile || (await findOnnxFile(dir, undefined))) return loadTransformer(); // explains a missing dtype itself
  if (staticFile) return loadStatic(staticFile); // lets the static loader explain what the file lacks
  throw new ModelNotFoundError(
    `${dir} holds no model this package runs: expected an ONNX encoder (${ONNX_FILES.fp32.join(" or ")}, with tokenizer.json) ` +
      `or a Model2Vec model (${STATIC_WEIGHT_FILES.join(" or ")}, with tokenizer.json).`,
  );
}

/** The identity an index records: the hub id, or the folder's name. */
export function identityOf(o: ResolvedOptions, r: ResolvedModel): string {
  return o.modelId ?? r.repo ?? basename(r.dir);
}
