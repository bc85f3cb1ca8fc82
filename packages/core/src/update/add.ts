import { embedderIdentity, loadModel } from "../embedder.js";
import { DimensionMismatchError } from "../errors.js";
import type { IndexState } from "../state.js";
import type { PassageRecord } from "../store/passages.js";
import type { AddResult } from "../types.js";
import { normalizeRows } from "../util/vector.js";
import { vectorsFrom } from "../validate.js";
import { insert } from "./insert.js";
import type { KeywordTokens } from "../build/keyword-tokens.js";
import { keywordsAdded, tokenizeAdded } from "./keywords.js";
import { rebuild } from "./rebuild.js";
import { retire } from "./retire.js";

/**
 * Adds validated passages: embeds them (unless vectors are given), then either links them
 * into the graph or, while the index is small, rebuilds it; an id that exists is replaced.
 * An empty index learns its dimensions here.
 * @throws DimensionMismatchError when given vectors do not match the index
 * @throws EmbedderError when the embedder misbehaves
 */
export async function add(state: IndexState, records: PassageRecord[], given: ArrayLike<number>[] | undefined): Promise<AddResult> {
  if (records.length === 0) return { ids: [], stats: { embedded: 0, recomputed: 0, cacheHits: 0, replaced: 0, rebuilt: false } };
  // Tokenised for the keyword index while the embedder and the graph insertion run.
  const tokens = tokenizeAdded(state, records);
  try {
    return await addRecords(state, records, given, tokens);
  } finally {
    tokens?.stop();
  }
}

async function addRecords(state: IndexState, records: PassageRecord[], given: ArrayLike<number>[] | undefined, tokens: KeywordTokens | null): Promise<AddResult> {
  const stats = { embedded: 0, recomputed: 0, cacheHits: 0, replaced: 0, rebuilt: false };
  const c = state.core;
  if (c.dims === 0 && state.learnsModel) {
    await loadModel(state.embed.embedder, state.embed.timeoutMs);
    c.model = embedderIdentity(state.embed.embedder) ?? c.model;
  }
  let vectors: Float32Array, dims: number;
  if (given !== undefined) {
    ({ vectors, dims } = vectorsFrom(given, records.length));
    if (c.dims !== 0 && dims !== c.dims) throw new DimensionMismatchError(c.dims, dims, "LeannIndex.add options.vectors");
    if (c.metric === "cosine") normalizeRows(vectors, dims);
  } else {
    ({ vectors, dims } = await state.embedTexts(records.map((r) => r.text), c.dims));
    stats.embedded = records.length;
  }
  const ids = records.map((r) => r.id);
  // PQ codebooks (and the graph's early structure) learnt from a small first batch fit a
  // grown collection badly: while the collection is small, rebuild whenever it doubles,
  // from the old passages' PQ-decoded vectors and this add's exact ones, re-embedding at
  // most as many old passages as this add brings.
  const { trainedOn, pqSample } = c.params;
  if (state.size === 0 || (trainedOn < pqSample && state.size + records.length >= 2 * trainedOn)) {
    const r = await rebuild(state, records, vectors, dims);
    return { ids, stats: { ...stats, replaced: r.replaced, recomputed: r.recomputed, rebuilt: true } };
  }
  // The id map must describe the index before this add (upserts look up old nodes).
  const map = state.ids.get();
  const walk = { recomputed: 0, cacheHits: 0, embedderCalls: 0, ms: { embed: 0 } };
  const n0 = await insert(state, records, vectors, walk);
  stats.recomputed = walk.recomputed;
  stats.cacheHits = walk.cacheHits;
  // Upsert: the ids that existed before now point to the new nodes; retire the old ones.
  const old: number[] = [];
  records.forEach((rec, j) => {
    const prev = map.get(rec.id);
    if (prev !== undefined && prev < n0) old.push(prev);
    map.set(rec.id, n0 + j);
  });
  stats.replaced = old.length;
  keywordsAdded(state, n0, records, tokens ?? undefined);
  if (old.length) retire(state, old);
  return { ids, stats };
}
