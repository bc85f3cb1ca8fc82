/** Keyword side of hybrid retrieval: pure modules (no I/O), wired into search by the facade. */
export { type Stemmer, type Tokenizer, type TokenizerOptions, createTokenizer, foldCase, identifierParts } from "./tokenize.js";
export { PostingsIndex, MAX_DOC_ID, MAX_TF } from "./postings.js";
export { encodeKeywordIndex, decodeKeywordIndex, KEYWORD_FORMAT_VERSION } from "./codec.js";
export { riceParameter } from "./rice.js";
export { type Bm25Options, type Bm25Params, BM25_DEFAULTS, bm25Idf, bm25Tf, resolveBm25 } from "./bm25.js";
export { type KeywordHit, type KeywordSearchOptions, type KeywordSearchResult, type KeywordSearchStats, bm25TopK, MAX_K } from "./search.js";
export { KeywordIndex } from "./keyword-index.js";
export {
  type FusedHit,
  type FusionOptions,
  type RelativeFusionOptions,
  type RrfOptions,
  type ScoreNormalization,
  type ScoredId,
  DEFAULT_RRF_CONSTANT,
  reciprocalRankFusion,
  relativeScoreFusion,
} from "./fusion.js";
