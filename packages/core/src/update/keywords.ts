/**
 * Keeps the keyword index in step with the passages: same internal ids, a deleted node deleted there too. Every
 * change goes through here, and drops the cached encoding that `sizes()` and `save` reuse while nothing changes.
 */
import { KeywordTokens } from "../build/keyword-tokens.js";
import { KeywordIndex } from "../keyword/keyword-index.js";
import type { IndexState } from "../state.js";
import type { PassageRecord } from "../store/passages.js";

/** A keyword index of `records`, record i under internal id i. */
export function keywordIndexOf(records: readonly PassageRecord[]): KeywordIndex {
  const kw = KeywordIndex.create();
  records.forEach((r, i) => kw.add(i, r.text));
  return kw;
}

/**
 * Indexes passages just appended as nodes first, first + 1, ... New nodes always take fresh ids (an upsert
 * retires the old node and appends a new one), so the ids are unused here; should postings of a node past
 * `first` ever remain (the postings index refuses to reuse a deleted id until compaction), they are dropped first.
 * `tokens`: the records' texts, tokenised while they were embedded (same order).
 */
export function keywordsAdded(state: IndexState, first: number, records: readonly PassageRecord[], tokens?: KeywordTokens): void {
  const kw = state.keyword;
  if (!kw) return;
  if (kw.postings.docCapacity > first) kw.compact((id) => (id < first ? id : -1));
  if (tokens) tokens.addTo(kw, undefined, first);
  else records.forEach((r, j) => kw.add(first + j, r.text));
  state.keywordBytes = null;
}

/**
 * The texts of `records` tokenised for the keyword index in the background (see KeywordTokens), started now;
 * null without a keyword index. The caller stops it if it does not reach keywordsAdded.
 */
export function tokenizeAdded(state: IndexState, records: readonly PassageRecord[]): KeywordTokens | null {
  if (!state.keyword) return null;
  const tokens = new KeywordTokens(records.map((r) => r.text), state.keyword.tokenizer);
  tokens.start();
  return tokens;
}

/** Deletes retired nodes. */
export function keywordsRetired(state: IndexState, nodes: readonly number[]): void {
  const kw = state.keyword;
  if (!kw) return;
  for (const x of nodes) kw.delete(x);
  state.keywordBytes = null;
}

/** Drops deleted postings and renumbers as the graph's compaction did (`remap[old]` = new id, or -1). */
export function keywordsCompacted(state: IndexState, remap: Int32Array): void {
  const kw = state.keyword;
  if (!kw) return;
  kw.compact((old) => (old < remap.length ? remap[old]! : -1));
  state.keywordBytes = null;
}

/** The whole keyword index replaced (a rebuild): records in their new node order. */
export function keywordsRebuilt(state: IndexState, records: readonly PassageRecord[]): void {
  if (!state.keyword) return;
  state.keyword = keywordIndexOf(records);
  state.keywordBytes = null;
}

/**
 * The length of the keyword index's saved form, 0 without one: the cached encoding's while nothing changed, else
 * measured at the cost of what changed (KeywordIndex.byteLength; exact but for the compressed dictionary).
 */
export function keywordByteLength(state: IndexState): number {
  if (!state.keyword) return 0;
  return state.keywordBytes?.byteLength ?? state.keyword.byteLength();
}

/** The keyword index's saved form (cached until the next change); null without one. */
export function keywordBytes(state: IndexState): Uint8Array | null {
  if (!state.keyword) return null;
  state.keywordBytes ??= state.keyword.toBytes();
  return state.keywordBytes;
}
