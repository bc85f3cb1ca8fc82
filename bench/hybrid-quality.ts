/**
 * Gold-passage hit@10 on the labelled sets of build-qa-sets.ts (issue 15): keyword-only BM25 (packages/core
 * keyword module), dense-only (potion-base-2M, exact brute-force cosine), and their fusions at several alphas.
 *
 *   pnpm --dir bench exec tsx hybrid-quality.ts                       # tuning halves, full table
 *   pnpm --dir bench exec tsx hybrid-quality.ts --split heldout --fusion minmax --alpha 0.3
 *                                                                     # held-out halves, one chosen setting
 *
 * The held-out split refuses to run without --fusion and --alpha, so it can only confirm a setting chosen on
 * the tuning split, never be searched. Each side contributes its top `--depth` (default 100) candidates to the
 * fusion, as a hybrid store retrieves a candidate list from each index before fusing.
 * Writes bench/results/hybrid-quality-<split>[-<set>].json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { KeywordIndex } from "../packages/core/src/keyword/keyword-index.ts";
import { type FusedHit, type ScoredId, reciprocalRankFusion, relativeScoreFusion } from "../packages/core/src/keyword/fusion.ts";
import { QA_SETS, type QaPassage, readQaSet } from "./build-qa-sets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";

/**
 * minmax / dist / rrf fuse the two top-`depth` lists as they are (a document missing from one list scores 0 on
 * that side). The "-full" variants first give every candidate its true score on both sides (its exact dense
 * similarity; its BM25 score, 0 only when it shares no term with the question), as the engine can when it
 * scores keyword candidates densely.
 */
type Fusion = "minmax" | "dist" | "rrf" | "minmax-full" | "dist-full";
const FUSIONS: Fusion[] = ["minmax", "dist", "rrf", "minmax-full", "dist-full"];
const ALPHAS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fuse(f: Fusion, dense: ScoredId<number>[], kw: ScoredId<number>[], alpha: number, k: number): FusedHit<number>[] {
  if (f === "rrf") return reciprocalRankFusion(dense, kw, { alpha, k });
  return relativeScoreFusion(dense, kw, { alpha, k, normalization: f.startsWith("dist") ? "distribution" : "min-max" });
}

/** Both lists over the union of candidates, each with its true score on its side. */
function completeLists(
  dense: ScoredId<number>[],
  kw: ScoredId<number>[],
  denseScore: (id: number) => number,
  bm25: Map<number, number>,
): [ScoredId<number>[], ScoredId<number>[]] {
  const ids = [...new Set([...dense.map((h) => h.id), ...kw.map((h) => h.id)])];
  const d = ids.map((id) => ({ id, score: denseScore(id) })).sort((a, b) => b.score - a.score);
  const w = ids.map((id) => ({ id, score: bm25.get(id) ?? 0 })).sort((a, b) => b.score - a.score);
  return [d, w];
}

function topDense(vectors: Float32Array, dims: number, q: Float32Array, depth: number): { top: ScoredId<number>[]; all: Float32Array } {
  const n = vectors.length / dims;
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += vectors[i * dims + d]! * q[d]!;
    scores[i] = s;
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return { top: idx.slice(0, depth).map((id) => ({ id, score: scores[id]! })), all: scores };
}

async function main(): Promise<void> {
  const split = (arg("split") ?? "tune") as "tune" | "heldout";
  const depth = Number(arg("depth") ?? 100);
  const k = 10;
  const only = arg("set");
  const chosenFusion = arg("fusion") as Fusion | undefined;
  const chosenAlpha = arg("alpha") !== undefined ? Number(arg("alpha")) : undefined;
  if (split === "heldout" && (chosenFusion === undefined || chosenAlpha === undefined)) {
    throw new Error("--split heldout needs --fusion and --alpha chosen on the tuning split (the held-out half is not for searching settings)");
  }
  const configs: { fusion: Fusion; alpha: number }[] =
    split === "heldout"
      ? [{ fusion: chosenFusion!, alpha: chosenAlpha! }]
      : FUSIONS.flatMap((fusion) => ALPHAS.filter((a) => a > 0 && a < 1).map((alpha) => ({ fusion, alpha })));

  const embedder = await loadPotionEmbedder();
  const report: Record<string, unknown>[] = [];
  for (const set of QA_SETS) {
    if (only && only !== set) continue;
    const { passages, questions } = readQaSet(set, split);

    let t = performance.now();
    const kw = KeywordIndex.create();
    for (const p of passages) kw.add(p.id, p.text);
    const kwBuildMs = performance.now() - t;
    const kwBytes = kw.toBytes().length;
    const rawBytes = passages.reduce((n, p) => n + Buffer.byteLength(p.text), 0);

    t = performance.now();
    const vectors = await embedder.embed(passages.map((p) => p.text));
    const embedMs = performance.now() - t;
    const qVectors = await embedder.embed(questions.map((q) => q.question));
    const dims = embedder.dims;

    let kwQueryMs = 0;
    const hits = new Map<string, number>();
    const count = (key: string, list: readonly { id: number }[], gold: Set<number>) => {
      if (list.slice(0, k).some((h) => gold.has(h.id))) hits.set(key, (hits.get(key) ?? 0) + 1);
    };
    let candidateRecall = 0;
    questions.forEach((q, qi) => {
      const gold = new Set(q.gold);
      const tq = performance.now();
      const kwHits = kw.search(q.question, { k: depth }).hits;
      kwQueryMs += performance.now() - tq;
      const { top: dense, all: denseAll } = topDense(vectors, dims, qVectors.subarray(qi * dims, (qi + 1) * dims), depth);
      // Every document with a non-zero BM25 score (untimed): the keyword side's true score for any candidate.
      const bm25 = new Map(kw.search(q.question, { k: 10_000 }).hits.map((h) => [h.id, h.score] as const));
      const [fullDense, fullKw] = completeLists(dense, kwHits, (id) => denseAll[id]!, bm25);
      count("keyword", kwHits, gold);
      count("dense", dense, gold);
      if ([...kwHits, ...dense].some((h) => gold.has(h.id))) candidateRecall++;
      for (const c of configs) {
        const full = c.fusion.endsWith("-full");
        count(`${c.fusion}@${c.alpha}`, fuse(c.fusion, full ? fullDense : dense, full ? fullKw : kwHits, c.alpha, k), gold);
      }
    });
    const rate = (key: string) => (hits.get(key) ?? 0) / questions.length;
    const row: Record<string, unknown> = {
      set,
      split,
      passages: passages.length,
      questions: questions.length,
      depth,
      hitAt10: Object.fromEntries(["keyword", "dense", ...configs.map((c) => `${c.fusion}@${c.alpha}`)].map((key) => [key, rate(key)])),
      candidateRecallAtDepth: candidateRecall / questions.length,
      keyword: {
        buildMs: Math.round(kwBuildMs),
        bytes: kwBytes,
        rawTextBytes: rawBytes,
        ratioToRaw: kwBytes / rawBytes,
        bytesPerPassage: kwBytes / passages.length,
        terms: kw.postings.termCount,
        meanQueryMs: kwQueryMs / questions.length,
      },
      dense: { embedder: embedder.description, dims, embedMs: Math.round(embedMs) },
    };
    report.push(row);

    console.log(`\n## ${set} (${split} half: ${questions.length} questions, ${passages.length} passages; candidates: top ${depth} a side)`);
    console.log(`keyword index ${(kwBytes / 1024).toFixed(0)} KiB = ${(100 * kwBytes / rawBytes).toFixed(1)}% of raw text, ` +
      `${(kwBytes / passages.length).toFixed(0)} B/passage, built in ${(kwBuildMs / 1000).toFixed(1)} s, ` +
      `${(kwQueryMs / questions.length).toFixed(2)} ms/query; gold in either top ${depth}: ${(100 * candidateRecall / questions.length).toFixed(1)}%`);
    console.log(`hit@10  keyword-only ${rate("keyword").toFixed(3)}   dense-only ${rate("dense").toFixed(3)}`);
    if (split === "heldout") {
      console.log(`hit@10  ${chosenFusion} alpha ${chosenAlpha}: ${rate(`${chosenFusion}@${chosenAlpha}`).toFixed(3)}`);
    } else {
      console.log(`| fusion | ${ALPHAS.filter((a) => a > 0 && a < 1).map((a) => `a=${a}`).join(" | ")} |`);
      console.log(`|---|${ALPHAS.filter((a) => a > 0 && a < 1).map(() => "---").join("|")}|`);
      for (const f of FUSIONS) {
        console.log(`| ${f} | ${ALPHAS.filter((a) => a > 0 && a < 1).map((a) => rate(`${f}@${a}`).toFixed(3)).join(" | ")} |`);
      }
    }
  }
  const out = join(import.meta.dirname, "results", `hybrid-quality-${split}${only ? `-${only}` : ""}.json`);
  mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), argv: process.argv.slice(2), sets: report }, null, 2) + "\n");
  console.log(`\nwrote ${out}`);
}

await main();
