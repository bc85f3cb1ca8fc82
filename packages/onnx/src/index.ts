/**
 * @leann/onnx: local embeddings for LEANN. Model2Vec static models run on plain
 * typed arrays; the default one (potion-base-2M, int8) ships inside the package.
 * Transformer sentence encoders exported to ONNX run on onnxruntime-node, an
 * optional peer. Other models come from a folder, the cache, or the Hugging Face hub.
 */
export { LocalEmbeddings, type LoadedModelInfo } from "./local-embeddings.js";
export {
  DEFAULT_MODEL,
  DEFAULT_HUB_URL,
  DEFAULT_REVISION,
  DEFAULT_DOWNLOAD_RETRIES,
  defaultCacheDir,
  type LocalEmbeddingsOptions,
  type ModelKind,
} from "./options.js";
export { EMBEDDED_MODEL_DIR } from "./embedded.js";
export {
  ModelNotFoundError,
  ModelLoadError,
  OnnxRuntimeMissingError,
  ONNXRUNTIME_PACKAGE,
  TokenizerMismatchError,
  DownloadError,
  TextTooLongError,
} from "./errors.js";
export { DEFAULT_BATCH_SIZE, TRANSFORMER_DEFAULT_MAX_LENGTH, type Pooling, type ModelDType } from "./transformer-model.js";
export { STATIC_DEFAULT_MAX_LENGTH } from "./static-model.js";
export { COMPLETE_MARKER, cacheFolder, listCached, type CachedModel, type DownloadProgress } from "./hub.js";
export type { TruncationPolicy } from "./text-batch.js";
