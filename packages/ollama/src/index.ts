export { OllamaEmbeddings } from "./ollama-embeddings.js";
export type { OllamaEmbeddingsStats, OllamaModelInfo } from "./ollama-embeddings.js";
export { OLLAMA_DEFAULTS } from "./options.js";
export type { FetchLike, OllamaEmbeddingsOptions, ResolvedOptions } from "./options.js";
export { checkOllama, withTag } from "./check.js";
export type { CheckOllamaOptions, CheckOllamaResult } from "./check.js";
export { OllamaConnectionError, OllamaModelNotFoundError, OllamaResponseError } from "./errors.js";
// The core's errors this package throws as they are, so users need not import @leann/core.
export { DimensionMismatchError, EmbedderError, InvalidInputError, InvalidOptionsError, LeannError } from "@leann/core";
