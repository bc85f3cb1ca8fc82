/**
 * Dumps, per question of a labelled set, everything a fusion rule can use (issue 15), so that fusion rules can be
 * compared offline in seconds (bench/hybrid-lab.ts) instead of rebuilding and re-searching for each one:
 * - the engine's dense walk (cold cache): the ids it scored exactly, its top 10 (= alpha 1) and its exact count;
 * - BM25 top DEPTH and the BM25 of the walk's best DEPTH;
 * - for every candidate of the union: exact dense score (looked up, whether or not the walk scored it), the PQ
 *   estimate the engine would use, and whether it is gold;
 * - the query's terms: document frequency of each (0 when not in the dictionary), N, average length.
 *
 *   pnpm --dir bench exec tsx hybrid-dump.ts [--set S] [--split tune|heldout|both]
 *
 * Writes bench/.cache/hybrid-dump/<set>-<split>.json (gitignored cache). The rescoring budget is not applied
 * here: the lab replays it per rule from `walkExact`, `pq`, `margin`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LeannIndex } from "../packages/core/src/index.ts";
import { decodeList } from "../packages/core/src/keyword/postings.ts";
import { pqScore, pqTable } from "../packages/core/src/quantize/pq.ts";
import { ERROR_MARGIN } from "../packages/core/src/search/two-level.ts";
import type { IndexState } from "../packages/core/src/state.ts";
import { QA_SETS, readQaSet } from "./build-qa-sets.ts";
import { CACHE_DIR } from "./lib/datasets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";
import { denseWalkWithScores, LookupEmbedder, passageVectors } from "./lib/qa-engine.ts";

const DEPTH = 200;
const K = 10;

export interface DumpCandidate {
  id: number;
  /** Exact dense score. */
  d: number;
  /** PQ estimate (bias added), as the engine computes it for candidates the walk did not score. */
  pq: number;
  /** Scored exactly by the walk. */
  walk: boolean;
  /** BM25 (0 when no term matches). */
  bm: number;
  /** Rank (0-based) in the walk's exact order, or -1 when not in its best DEPTH. */
  dRank: number;
  /** Rank (0-based) in BM25 top DEPTH, or -1. */
  kRank: number;
  gold: boolean;
  /** The passage's own id (the engine's internal ids follow the graph's locality order). */
  pid: string;
  /** Term frequency of each of the question's distinct indexed terms (`DumpQuestion.distinct`), for BM25 variants. */
  tf: number[];
  /** Passage length in tokens. */
  len: number;
}

export interface DumpQuestion {
  question: string;
  denseTop: number[];
  keywordTop: number[];
  walkExact: number;
  margin: number;
  /** Query terms (tokeniser output, repeats kept) with their live document frequency (0: not indexed). */
  terms: { t: string; df: number }[];
  /** Distinct indexed query terms with their count in the query. */
  distinct: { t: string; df: number; q: number }[];
  candidates: DumpCandidate[];
}

export interface Dump {
  set: string;
  split: string;
  passages: number;
  avgLength: number;
  questions: DumpQuestion[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function dumpQuestion(state: IndexState, query: string, gold: Set<string>): Promise<DumpQuestion> {
  const { walk, q, exactScores: exact, score: scoreExactly } = await denseWalkWithScores(state, query, K, "dump");
  const walkExact = walk.exact;
  const denseAll = [...exact].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, DEPTH).map(([id]) => id);
  const kw = state.keyword!.search(query, { k: DEPTH, scoreIds: denseAll });
  const bm = new Map<number, number>();
  denseAll.forEach((id, i) => bm.set(id, kw.scores[i]!));
  kw.hits.forEach((h) => bm.set(h.id, h.score));
  const ids = [...bm.keys()];
  const walked = new Set(exact.keys());
  const missing = Uint32Array.from(ids.filter((id) => !exact.has(id)));
  if (missing.length > 0) await scoreExactly(missing);
  const c = state.core;
  const table = pqTable(c.pq, q, c.metric === "l2" ? "l2" : "ip");
  const bias = c.params.scoreErrorMean ?? 0;
  const sd = c.params.scoreErrorSd;
  const dRank = new Map(denseAll.map((id, i) => [id, i]));
  const kRank = new Map(kw.hits.map((h, i) => [h.id, i]));
  const post = state.keyword!.postings;
  const terms = state.keyword!.tokenizer.tokenize(query).map((t) => {
    const tid = post.termId(t);
    return { t, df: tid === undefined ? 0 : post.liveDocFrequency(tid) };
  });
  const distinct = new Map<string, { t: string; df: number; q: number }>();
  for (const x of terms) if (x.df > 0) distinct.set(x.t, { ...x, q: (distinct.get(x.t)?.q ?? 0) + 1 });
  const inPool = new Map(ids.map((id, i) => [id, i]));
  const tfs = ids.map(() => new Array<number>(distinct.size).fill(0));
  [...distinct.keys()].forEach((t, j) => {
    const { bytes, end } = post.listOf(post.termId(t)!);
    decodeList(bytes, end, (doc, tf) => {
      const i = inPool.get(doc);
      if (i !== undefined) tfs[i]![j] = tf;
    });
  });
  return {
    question: query,
    distinct: [...distinct.values()],
    denseTop: walk.ids.slice(0, K),
    keywordTop: kw.hits.slice(0, K).map((h) => h.id),
    walkExact,
    margin: sd === undefined ? Infinity : ERROR_MARGIN * sd,
    terms,
    candidates: ids.map((id) => ({
      id,
      d: exact.get(id)!,
      pq: pqScore(c.pq, c.codes, id, table) + bias,
      walk: walked.has(id),
      bm: bm.get(id)!,
      dRank: dRank.get(id) ?? -1,
      kRank: kRank.get(id) ?? -1,
      gold: gold.has(state.passages.get(id).id),
      pid: state.passages.get(id).id,
      tf: tfs[inPool.get(id)!]!,
      len: post.lengthOf(id),
    })),
  };
}

async function main(): Promise<void> {
  const only = arg("set");
  const splits = (arg("split") ?? "tune") === "both" ? (["tune", "heldout"] as const) : ([arg("split") ?? "tune"] as ("tune" | "heldout")[]);
  const model = await loadPotionEmbedder();
  const dims = model.dims;
  const dir = join(CACHE_DIR, "hybrid-dump");
  mkdirSync(dir, { recursive: true });
  for (const set of QA_SETS) {
    if (only && only !== set) continue;
    const { passages } = readQaSet(set, "tune");
    const { vectors } = await passageVectors(set, passages, model);
    const embedder = new LookupEmbedder(passages, vectors, dims, model);
    const rows = Array.from({ length: passages.length }, (_, i) => vectors.subarray(i * dims, (i + 1) * dims));
    const t = Date.now();
    const index = await LeannIndex.build(passages.map((p) => ({ id: String(p.id), text: p.text })), { embedder, vectors: rows, cacheBytes: 0, keywordIndex: true });
    console.log(`${set}: built in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const state = (index as unknown as { state: IndexState }).state;
    for (const split of splits) {
      const { questions } = readQaSet(set, split);
      const out: Dump = { set, split, passages: passages.length, avgLength: state.keyword!.postings.averageLength, questions: [] };
      for (const q of questions) out.questions.push(await dumpQuestion(state, q.question, new Set(q.gold.map(String))));
      const file = join(dir, `${set}-${split}.json`);
      writeFileSync(file, JSON.stringify(out));
      console.log(`${set} ${split}: ${questions.length} questions -> ${file}`);
    }
  }
}

await main();
