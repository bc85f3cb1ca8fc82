export { LeannVectorStore } from "./leann-vector-store.js";
export type { LeannAddOptions, LeannDocumentFilter, LeannFilter, LeannHybridSearchOptions, LeannVectorStoreArgs } from "./leann-vector-store.js";
export { LeannHybridRetriever } from "./hybrid-retriever.js";
export type { LeannHybridRetrieverFields, LeannHybridSearchKwargs } from "./hybrid-retriever.js";
// The core's errors and filter types, so users need not import @leann/core themselves
// (the same classes: instanceof works across both imports).
export {
  ClosedError,
  CorruptIndexError,
  DimensionMismatchError,
  DuplicateIdError,
  EmbedderError,
  IndexNotFoundError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  ModelMismatchError,
} from "@leann/core";
export type { FilterOperator, MetadataFilter, MetadataFilters } from "@leann/core";
