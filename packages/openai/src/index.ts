/**
 * @leann/openai: embeddings from any OpenAI-compatible `POST /embeddings` server
 * (OpenAI, LM Studio, vLLM, text-embeddings-inference, Ollama's /v1) for LEANN.
 */
export { OpenAICompatibleEmbeddings } from "./openai-embeddings.js";
export type { OpenAIEmbeddingsStats } from "./openai-embeddings.js";
export { OPENAI_DEFAULTS, endpointIdentity } from "./options.js";
export type { FetchLike, OpenAICompatibleEmbeddingsOptions, ResolvedOptions } from "./options.js";
export { retryAfterMs, retryDelayMs } from "./transport.js";
export { OpenAIConnectionError, OpenAIModelNotFoundError, OpenAIResponseError } from "./errors.js";
// The core's errors this package throws as they are, so users need not import @leann/core.
export { DimensionMismatchError, EmbedderError, InvalidInputError, InvalidOptionsError, LeannError } from "@leann/core";
