/**
 * @leann/onnx: local embeddings for LEANN. Model2Vec static models run on plain
 * typed arrays; transformer sentence encoders exported to ONNX run on
 * onnxruntime-node. Models come from a folder, the cache, or the Hugging Face hub.
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
export {
  UniversalSentenceEncoderEmbeddings,
  USE_LITE_MODEL_ID,
  USE_LITE_DIMENSIONS,
  USE_LITE_INSTALL,
} from "./universal-sentence-encoder.js";
export { ModelNotFoundError, ModelLoadError, TokenizerMismatchError, DownloadError, TextTooLongError } from "./errors.js";
export { DEFAULT_BATCH_SIZE, TRANSFORMER_DEFAULT_MAX_LENGTH, type Pooling, type ModelDType } from "./transformer-model.js";
export { STATIC_DEFAULT_MAX_LENGTH } from "./static-model.js";
export { COMPLETE_MARKER, cacheFolder, type DownloadProgress } from "./hub.js";
export type { TruncationPolicy } from "./text-batch.js";
