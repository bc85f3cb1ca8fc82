export * from "./errors.js";
export * from "./embedder.js";
export { LeannIndex } from "./leann-index.js";
export type {
  BuildOptions,
  BuildPhase,
  BuildProgress,
  IndexSizes,
  LoadOptions,
  Metadata,
  Metric,
  PassageInput,
  PassageRecord,
  SearchHit,
  SearchMode,
  SearchOptions,
  SearchResult,
  SearchStats,
} from "./leann-index.js";
export { DEFAULTS } from "./options.js";
