/**
 * Hybrid search through the engine (issue 15): `LeannIndex.search` at alpha 1 (dense), 0 (keyword) and the
 * default, on the labelled sets of build-qa-sets.ts (potion-base-2M, the same model as hybrid-quality.ts).
 *
 *   pnpm --dir bench exec tsx hybrid-engine.ts                   # held-out halves of every set (QA_SETS)
 *   pnpm --dir bench exec tsx hybrid-engine.ts --set python-faq --split tune
 *   pnpm --dir bench exec tsx hybrid-engine.ts --alpha 0.5       # another default alpha (tuning halves only)
 *   pnpm --dir bench exec tsx hybrid-engine.ts --model use       # USE-lite (512-d) instead of potion-base-2M
 *
 * Prints per set: hit@10 of the three (gold passage in the top 10), recall@10 of alpha 1 against exact dense
 * search, recomputations per query of the default against alpha 1 with a cold cache (cacheBytes 0, so every
 * search starts cold), keyword-side ms per query (wall, and CPU for alpha 0), and build time of the structures
 * with and without the keyword index (vectors given, so embedding is apart; its time is printed too; best of
 * --build-reps, default 2, wall and process CPU; --no-build-time builds once, with it). Writes
 * bench/results/hybrid-engine-<split>[-<set>][-use].json. Passage vectors are cached in bench/.cache/qa-vectors/,
 * one file per set and model.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEFAULTS, LeannIndex, type SearchResult } from "../packages/core/src/index.ts";
import { QA_SETS, readQaSet } from "./build-qa-sets.ts";
import { exactSearchOne } from "./lib/exact.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";
import { LookupEmbedder, passageVectors } from "./lib/qa-engine.ts";
import { USE_MODEL_NAME, useTextEmbedder } from "./lib/use.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const split = (arg("split") ?? "heldout") as "tune" | "heldout";
  const only = arg("set");
  const alphaArg = arg("alpha") !== undefined ? Number(arg("alpha")) : undefined;
  if (split === "heldout" && alphaArg !== undefined) throw new Error("--alpha is for the tuning halves; the held-out halves run the default");
  const skipBuildTime = process.argv.includes("--no-build-time");
  const modelKey = arg("model") ?? "potion";
  if (modelKey !== "potion" && modelKey !== "use") throw new Error(`--model ${modelKey}: expected potion or use`);
  // The engine records the embedder's model name; USE's says which package version made the vectors.
  const model = modelKey === "use" ? useTextEmbedder : await loadPotionEmbedder();
  const modelName = modelKey === "use" ? USE_MODEL_NAME : undefined;
  const dims = model.dims;
  const report: Record<string, unknown>[] = [];
  for (const set of QA_SETS) {
    if (only && only !== set) continue;
    const { passages, questions } = readQaSet(set, split);
    const { vectors, embedMs } = await passageVectors(set, passages, model, modelKey);
    const embedder = new LookupEmbedder(passages, vectors, dims, model, modelName);
    const input = passages.map((p) => ({ id: String(p.id), text: p.text }));
    const rows = Array.from({ length: passages.length }, (_, i) => vectors.subarray(i * dims, (i + 1) * dims));
    // cacheBytes 0: nothing is kept between searches, so every search recomputes as from a cold cache.
    const common = { embedder, vectors: rows, cacheBytes: 0 };
    // Builds with and without the keyword index, interleaved and repeated (the best of each counts): wall-clock
    // on a shared machine wanders, so process CPU time (all threads) is reported beside it.
    const reps = skipBuildTime ? 0 : Number(arg("build-reps") ?? 2);
    const build = { withKeyword: { wallMs: Infinity, cpuMs: Infinity }, withoutKeyword: { wallMs: Infinity, cpuMs: Infinity } };
    const timedBuild = async (keywordIndex: boolean) => {
      const w = performance.now(), c = process.cpuUsage();
      const built = await LeannIndex.build(input, { ...common, keywordIndex });
      const cu = process.cpuUsage(c);
      const slot = build[keywordIndex ? "withKeyword" : "withoutKeyword"];
      slot.wallMs = Math.min(slot.wallMs, performance.now() - w);
      slot.cpuMs = Math.min(slot.cpuMs, (cu.user + cu.system) / 1000);
      return built;
    };
    for (let r = 0; r < reps; r++) await timedBuild(false);
    let index = await timedBuild(true);
    for (let r = 1; r < reps; r++) index = await timedBuild(true);
    const sizes = index.sizes();

    const qv = await model.embed(questions.map((q) => q.question));
    const runs = { dense: { alpha: 1 }, keyword: { alpha: 0 }, hybrid: alphaArg !== undefined ? { alpha: alphaArg } : {} } as const;
    const hit: Record<string, number> = { dense: 0, keyword: 0, hybrid: 0 };
    const recomputed: Record<string, number> = { dense: 0, keyword: 0, hybrid: 0 };
    const kwMs: Record<string, number> = { keyword: 0, hybrid: 0 };
    // alpha 0 runs no embedder and no await but the lock's: the process CPU time of the call is the keyword side's.
    let kwCpuMs = 0;
    const fused = { fromDense: 0, fromKeyword: 0, both: 0, rescored: 0, estimated: 0 };
    let recall = 0;
    let alphaSum = 0;
    for (let qi = 0; qi < questions.length; qi++) {
      const q = questions[qi]!;
      const gold = new Set(q.gold.map(String));
      for (const [name, o] of Object.entries(runs)) {
        const c = process.cpuUsage();
        const r: SearchResult = await index.search(q.question, { k: 10, ...o });
        if (name === "keyword") {
          const cu = process.cpuUsage(c);
          kwCpuMs += (cu.user + cu.system) / 1000;
        }
        if (r.hits.some((h) => gold.has(h.id))) hit[name]!++;
        recomputed[name]! += r.stats.recomputed;
        if (r.stats.keyword) kwMs[name]! += r.stats.keyword.ms;
        if (name === "hybrid") alphaSum += r.stats.alpha;
        if (name === "hybrid" && r.stats.fused) for (const key of Object.keys(fused) as (keyof typeof fused)[]) fused[key] += r.stats.fused[key];
        if (name === "dense") {
          const truth = new Set(exactSearchOne(vectors, dims, qv.subarray(qi * dims, (qi + 1) * dims), 10).map(String));
          recall += r.hits.filter((h) => truth.has(h.id)).length / 10;
        }
      }
    }
    const nq = questions.length;
    const per = (x: number) => x / nq;
    const row = {
      set,
      split,
      ...(modelKey === "use" ? { model: model.description } : {}),
      passages: passages.length,
      questions: nq,
      hitAt10: { dense: per(hit.dense!), keyword: per(hit.keyword!), hybrid: per(hit.hybrid!) },
      defaultAlpha: alphaArg ?? DEFAULTS.alpha,
      meanAlpha: alphaSum / nq,
      denseRecallAt10VsExact: per(recall),
      recomputedPerQuery: { dense: per(recomputed.dense!), hybrid: per(recomputed.hybrid!), ratio: recomputed.hybrid! / recomputed.dense! },
      keywordMsPerQuery: { keywordOnly: per(kwMs.keyword!), hybrid: per(kwMs.hybrid!), keywordOnlyCpu: per(kwCpuMs) },
      fusedPerQuery: Object.fromEntries(Object.entries(fused).map(([k, v]) => [k, per(v)])),
      build: { ...build, reps, embedMs: embedMs === null ? "cached" : Math.round(embedMs) },
      sizes,
    };
    report.push(row);
    console.log(`\n## ${set} (${split}: ${nq} questions, ${passages.length} passages)`);
    console.log(`hit@10  dense ${row.hitAt10.dense.toFixed(3)}  keyword ${row.hitAt10.keyword.toFixed(3)}  default(alpha ${row.defaultAlpha}; mean used ${row.meanAlpha.toFixed(3)}) ${row.hitAt10.hybrid.toFixed(3)}`);
    console.log(`recall@10 of alpha 1 vs exact dense: ${row.denseRecallAt10VsExact.toFixed(3)}`);
    console.log(`recomputed/query (cold): alpha 1 ${row.recomputedPerQuery.dense.toFixed(1)}, default ${row.recomputedPerQuery.hybrid.toFixed(1)} (x${row.recomputedPerQuery.ratio.toFixed(3)})`);
    console.log(`keyword side ms/query: alpha 0 ${row.keywordMsPerQuery.keywordOnly.toFixed(2)} (CPU ${row.keywordMsPerQuery.keywordOnlyCpu.toFixed(2)}), default ${row.keywordMsPerQuery.hybrid.toFixed(2)}`);
    console.log(`fused hits/query: ${JSON.stringify(row.fusedPerQuery)}`);
    const f = (ms: number) => (ms / 1000).toFixed(1);
    if (reps > 0) {
      const a = build.withKeyword, b = build.withoutKeyword;
      console.log(`build (vectors given, best of ${reps}): with keyword index ${f(a.wallMs)} s wall / ${f(a.cpuMs)} s CPU, without ${f(b.wallMs)} s / ${f(b.cpuMs)} s ` +
        `(x${(a.wallMs / b.wallMs).toFixed(3)} wall, x${(a.cpuMs / b.cpuMs).toFixed(3)} CPU); embedding ${embedMs === null ? "cached" : `${f(embedMs)} s`}`);
    }
    console.log(`sizes: ${JSON.stringify(sizes)}`);
  }
  const out = join(import.meta.dirname, "results", `hybrid-engine-${split}${only ? `-${only}` : ""}${alphaArg !== undefined ? `-alpha${alphaArg}` : ""}${modelKey === "use" ? "-use" : ""}.json`);
  mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), argv: process.argv.slice(2), sets: report }, null, 2) + "\n");
  console.log(`\nwrote ${out}`);
}

await main();
