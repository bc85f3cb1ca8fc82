/**
 * Sweep of the default hybrid search's settings on the TUNING halves of the labelled sets (issue 15): alpha and
 * the fusion variants cheap to change in the engine, all on the engine's own candidates.
 *
 *   pnpm --dir bench exec tsx hybrid-sweep.ts [--set python-faq]
 *   pnpm --dir bench exec tsx hybrid-sweep.ts --summarize   # ranks the variants over the per-set results
 *
 * Per question the dense walk (the engine's, cold cache) and the keyword pass run once; each variant then does
 * what packages/core/src/search/hybrid.ts does after them, from copies of the same state:
 * - depth: candidates each side brings, 100 (today) or 200;
 * - kwDense: "pq" (today: keyword-only candidates get the PQ estimate of their dense score, the contenders
 *   rescored exactly within 0.25x the walk's recomputations) or "omit" (they count 0 on the dense side);
 * - fusion: "minmax" (today), "dist" (mean +- 3 sd, clipped), "rrf" (c = 60, alpha-weighted) over the same
 *   candidate lists. The rescoring picks contenders by the min-max criterion for every fusion (the engine has
 *   no other), so dist/rrf are measured with the same exact scores min-max would get.
 * minmax/depth 100/pq at alpha 0.4 is today's default: its hit@10 must equal hybrid-engine.ts's.
 * Writes bench/results/hybrid-sweep-tune[-<set>].json. Held-out halves are never read.
 * For rules beyond these three (score normalisations, query-adaptive alpha, BM25 variants), hybrid-dump.ts once
 * and hybrid-lab.ts after it compare thousands of variants offline in minutes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LeannIndex } from "../packages/core/src/index.ts";
import { reciprocalRankFusion, relativeScoreFusion, type ScoredId } from "../packages/core/src/keyword/fusion.ts";
import { searchBatchSize } from "../packages/core/src/options.ts";
import { pqScore, pqTable } from "../packages/core/src/quantize/pq.ts";
import { contenders } from "../packages/core/src/search/hybrid.ts";
import { ERROR_MARGIN } from "../packages/core/src/search/two-level.ts";
import type { IndexState } from "../packages/core/src/state.ts";
import { score } from "../packages/core/src/util/vector.ts";
import { QA_SETS, readQaSet } from "./build-qa-sets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";
import { denseWalkWithScores, LookupEmbedder, passageVectors } from "./lib/qa-engine.ts";

const ALPHAS = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5];
const DEPTHS = [100, 200];
const FUSIONS = ["minmax", "dist", "rrf"] as const;
const KW_DENSE = ["pq", "omit"] as const;
const K = 10;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Every variant's top-10 internal ids for one question, plus dense-only and keyword-only. */
async function variantsFor(state: IndexState, query: string): Promise<Map<string, number[]>> {
  const { walk, mode, options: o, base, q, exactScores: exact } = await denseWalkWithScores(state, query, K, "sweep");
  const out = new Map<string, number[]>();
  out.set("dense", walk.ids.slice(0, K));
  const maxDepth = Math.max(...DEPTHS);
  const denseAll = [...exact].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxDepth).map(([id]) => id);
  const kw = state.keyword!.search(query, { k: maxDepth, scoreIds: denseAll });
  out.set("keyword", kw.hits.slice(0, K).map((h) => h.id));
  const c = state.core;
  const table = pqTable(c.pq, q, c.metric === "l2" ? "l2" : "ip");
  const bias = c.params.scoreErrorMean ?? 0;
  const sd = c.params.scoreErrorSd;
  const margin = sd === undefined ? Infinity : ERROR_MARGIN * sd;
  const budget = mode === "stored" ? Infinity : Math.floor(0.25 * walk.exact);
  for (const depth of DEPTHS) {
    const dense = denseAll.slice(0, depth);
    const bm25 = new Map<number, number>();
    // BM25 of the dense candidates: scoreIds came in denseAll's order, of which dense is a prefix.
    dense.forEach((id, i) => bm25.set(id, kw.scores[i]!));
    const kwHits = kw.hits.slice(0, depth);
    for (const h of kwHits) bm25.set(h.id, h.score);
    const ids = [...bm25.keys()];
    const fromWalk = new Set(dense);
    for (const alpha of ALPHAS) {
      for (const kd of KW_DENSE) {
        // Each variant starts from the walk's exact scores and rescores on its own.
        const ex = new Map(exact);
        const estimate = new Map<number, number>();
        if (kd === "pq") {
          for (const id of ids) if (!ex.has(id)) estimate.set(id, pqScore(c.pq, c.codes, id, table) + bias);
          let rescored = 0;
          while (estimate.size > 0 && ids.length > K) {
            const room = budget - rescored;
            if (room < 1) break;
            const want = contenders(ids, ex, estimate, bm25, alpha, K, margin);
            if (want.length === 0) break;
            const batch = Uint32Array.from(want.slice(0, Math.min(room, searchBatchSize(o, false))));
            const vecs = await base.exact(batch);
            batch.forEach((id, i) => ex.set(id, score(base.metric, q, 0, vecs, i * base.dims, base.dims)));
            for (const id of batch) estimate.delete(id);
            rescored += batch.length;
          }
        }
        // "pq": every candidate on both sides (today's full fusion); "omit": dense side = the walk's candidates only.
        const denseSide: ScoredId<number>[] = kd === "pq" ? ids.map((id) => ({ id, score: ex.get(id) ?? estimate.get(id)! })) : ids.filter((id) => fromWalk.has(id)).map((id) => ({ id, score: ex.get(id)! }));
        const kwSide = ids.map((id) => ({ id, score: bm25.get(id)! }));
        for (const fusion of FUSIONS) {
          const fused =
            fusion === "rrf"
              ? reciprocalRankFusion(denseSide, kwSide, { alpha, k: K })
              : relativeScoreFusion(denseSide, kwSide, { alpha, k: K, normalization: fusion === "dist" ? "distribution" : "min-max" });
          out.set(`${fusion}/d${depth}/${kd}@${alpha}`, fused.map((h) => h.id));
        }
      }
    }
  }
  return out;
}

interface SetRow {
  set: string;
  questions: number;
  hitCount: Record<string, number>;
}

const TODAY = "minmax/d100/pq@0.4";

/**
 * Ranks the variants by their mean margin over max(dense, keyword) across the sets swept, keeping those that
 * lose at most one question to today's default on every set (one question is the noise floor).
 */
function summarize(): void {
  const rows: SetRow[] = [];
  for (const set of QA_SETS) {
    const f = join(import.meta.dirname, "results", `hybrid-sweep-tune-${set}.json`);
    if (existsSync(f)) rows.push(...(JSON.parse(readFileSync(f, "utf8")) as { sets: SetRow[] }).sets);
  }
  const names = Object.keys(rows[0]!.hitCount).filter((n) => n !== "dense" && n !== "keyword");
  const table = names.map((name) => {
    const margins = rows.map((r) => (r.hitCount[name]! - Math.max(r.hitCount.dense!, r.hitCount.keyword!)) / r.questions);
    const vsToday = rows.map((r) => r.hitCount[name]! - r.hitCount[TODAY]!);
    return { name, meanMargin: margins.reduce((a, b) => a + b, 0) / rows.length, minMargin: Math.min(...margins), margins, vsToday, eligible: vsToday.every((d) => d >= -1) };
  });
  table.sort((a, b) => b.meanMargin - a.meanMargin || b.minMargin - a.minMargin);
  console.log(`sets: ${rows.map((r) => `${r.set} (${r.questions} q, dense ${r.hitCount.dense}, keyword ${r.hitCount.keyword})`).join(", ")}`);
  console.log("variant                    mean margin  min margin  per-set margin                 questions vs today  eligible");
  for (const t of table.slice(0, 25)) {
    console.log(`${t.name.padEnd(26)} ${t.meanMargin.toFixed(4).padStart(11)}  ${t.minMargin.toFixed(3).padStart(10)}  ${t.margins.map((m) => m.toFixed(3)).join(" ").padEnd(30)} ${t.vsToday.map((d) => (d > 0 ? `+${d}` : `${d}`)).join(" ").padEnd(18)}  ${t.eligible}`);
  }
  const today = table.find((t) => t.name === TODAY)!;
  console.log(`today ${TODAY}: mean margin ${today.meanMargin.toFixed(4)}, rank ${table.indexOf(today) + 1} of ${table.length}`);
  const out = join(import.meta.dirname, "results", "hybrid-sweep-tune-summary.json");
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), sets: rows.map((r) => r.set), today: TODAY, ranking: table }, null, 2) + "\n");
  console.log(`wrote ${out}`);
}

async function main(): Promise<void> {
  if (process.argv.includes("--summarize")) return summarize();
  const only = arg("set");
  const model = await loadPotionEmbedder();
  const dims = model.dims;
  const report: Record<string, unknown>[] = [];
  for (const set of QA_SETS) {
    if (only && only !== set) continue;
    const { passages, questions } = readQaSet(set, "tune");
    const { vectors } = await passageVectors(set, passages, model);
    const embedder = new LookupEmbedder(passages, vectors, dims, model);
    const rows = Array.from({ length: passages.length }, (_, i) => vectors.subarray(i * dims, (i + 1) * dims));
    const index = await LeannIndex.build(
      passages.map((p) => ({ id: String(p.id), text: p.text })),
      { embedder, vectors: rows, cacheBytes: 0, keywordIndex: true },
    );
    const state = (index as unknown as { state: IndexState }).state;
    const hits = new Map<string, number>();
    for (const q of questions) {
      const gold = new Set(q.gold.map(String));
      for (const [name, top] of await variantsFor(state, q.question)) {
        const found = top.some((id) => gold.has(state.passages.get(id).id));
        hits.set(name, (hits.get(name) ?? 0) + (found ? 1 : 0));
      }
    }
    const hitCount = Object.fromEntries(hits);
    const nq = questions.length;
    const best = Math.max(hitCount.dense!, hitCount.keyword!);
    report.push({ set, split: "tune", passages: passages.length, questions: nq, hitCount });
    console.log(`\n## ${set} (tune: ${nq} questions)  dense ${hitCount.dense} keyword ${hitCount.keyword} (hits of ${nq})`);
    const sorted = [...hits].filter(([n]) => n !== "dense" && n !== "keyword").sort((a, b) => b[1] - a[1]);
    for (const [n, h] of sorted.slice(0, 12)) console.log(`${n.padEnd(24)} ${h}  hit@10 ${(h / nq).toFixed(3)}  margin ${((h - best) / nq).toFixed(3)}`);
    console.log(`today (minmax/d100/pq@0.4): ${hitCount["minmax/d100/pq@0.4"]}`);
  }
  const out = join(import.meta.dirname, "results", `hybrid-sweep-tune${only ? `-${only}` : ""}.json`);
  mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), argv: process.argv.slice(2), sets: report }, null, 2) + "\n");
  console.log(`\nwrote ${out}`);
}

await main();
