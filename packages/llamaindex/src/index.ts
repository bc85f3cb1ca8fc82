export { LeannVectorStore } from "./leann-vector-store.js";
export { TEXT_SEARCH_MODE } from "./query-mode.js";
export type {
  LeannBuildOptions,
  LeannLoadOptions,
  LeannPersistDirOptions,
  LeannQueryParams,
  LeannSearchTuning,
  LeannVectorStoreOptions,
} from "./leann-vector-store.js";
export { embedderFromLlamaIndex, embeddingModelName } from "./embedder.js";
export { LeannEmbedding } from "./leann-embedding.js";
export type { LeannEmbeddingOptions } from "./leann-embedding.js";
export type { LlamaIndexEmbedder } from "./embedder.js";
export { nodeToPassage, passageToNode } from "./node-codec.js";
