export * from "./errors.js";
export * from "./embedder.js";
export { LeannIndex } from "./leann-index.js";
export { withWriterLock } from "./persist/writer-lock.js";
export { acquireLock } from "./format/lock.js";
export { checkServedVector, checkTexts, embedInBatches, Limiter } from "./remote-batches.js";
export { backoffDelayMs, networkErrorCode, retryLoop, UNREACHABLE_CODES } from "./remote-retry.js";
export type { AttemptOutcome, RetryLoopOptions } from "./remote-retry.js";
export type {
  AddOptions,
  AddResult,
  BuildOptions,
  BuildPhase,
  BuildProgress,
  CreateOptions,
  FusionStats,
  IndexSizes,
  KeywordSideStats,
  LoadOptions,
  FilterOperator,
  Metadata,
  MetadataFilter,
  MetadataFilters,
  Metric,
  PassageInput,
  PassageRecord,
  SearchHit,
  SearchMode,
  SearchFilter,
  SearchOptions,
  SearchResult,
  SearchStats,
} from "./types.js";
export { DEFAULTS } from "./options.js";
export type { IndexParams } from "./state.js";
export { compileFilter } from "./search/filter.js";
