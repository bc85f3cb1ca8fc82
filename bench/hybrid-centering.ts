/**
 * Experiment (issue 15, not adopted): static embeddings such as potion-base-2M share a common direction, so passages
 * near the corpus mean ("hubs") score well for every query. Does removing it make the dense side a better partner
 * for BM25? Brute-force dense scores over every passage, as they are (b0), with beta times each passage's
 * similarity to the corpus mean subtracted (= the query minus beta * the mean: b.25-b1), and as cosines of the
 * centred vectors (cos-c); and, apart from centring, the query embedded with its question and stop words left out
 * (q-stop). Then min-max fusion with BM25 (the engine's keyword index, on the whole question) over both top 100s.
 *
 *   pnpm --dir bench exec tsx hybrid-centering.ts [sets=python-faq,...] [split=tune]
 *
 * Prints hit@10 of each dense variant alone and fused at alpha 0.3 / 0.4 / 0.5.
 */
import { LeannIndex } from "../packages/core/src/index.ts";
import type { IndexState } from "../packages/core/src/state.ts";
import { readQaSet } from "./build-qa-sets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";
import { LookupEmbedder, passageVectors } from "./lib/qa-engine.ts";
const sets = (process.argv[2] ?? "python-faq,perl-faq,linux-doc-faq,tools-faq,man-pages,faq-100k").split(",");
const split = (process.argv[3] ?? "tune") as "tune" | "heldout";
const model = await loadPotionEmbedder();
const D = model.dims;
/** [name, beta (-1: centred cosine), query with its stop words left out]. */
const variants: [string, number, boolean][] = [["b0", 0, false], ["b.25", 0.25, false], ["b.5", 0.5, false], ["b.75", 0.75, false], ["b1", 1, false], ["cos-c", -1, false], ["q-stop", 0, true]];
/** Question words and common stop words, which a static model averages into the query's vector. */
const STOP = new Set("a an and are as at be but by for if in into is it no not of on or such that the their then there these they this to was will with what how why when where which who whom do does did can could i my me we you your am should would".split(" "));
const stopped = (q: string) => {
  const words = q.split(/\s+/).filter((w) => !STOP.has(w.toLowerCase().replace(/[?.,!]/g, "")));
  return words.length > 0 ? words.join(" ") : q;
};
const alphas = [0.3, 0.4, 0.5];
for (const set of sets) {
  const { passages } = readQaSet(set, "tune");
  const { questions } = readQaSet(set, split);
  const { vectors } = await passageVectors(set, passages, model);
  const n = passages.length;
  const embedder = new LookupEmbedder(passages, vectors, D, model);
  const rows = Array.from({ length: n }, (_, i) => vectors.subarray(i * D, (i + 1) * D));
  const index = await LeannIndex.build(passages.map((p) => ({ id: String(p.id), text: p.text })), { embedder, vectors: rows, cacheBytes: 0, keywordIndex: true });
  const state = (index as unknown as { state: IndexState }).state;
  const internalOf = new Int32Array(n); // passage index -> internal id
  for (let id = 0; id < n; id++) internalOf[Number(state.passages.get(id).id)] = id;
  const mu = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mu[j]! += vectors[i * D + j]! / n;
  const muDot = new Float64Array(n), cNorm = new Float64Array(n);
  let muMu = 0; for (let j = 0; j < D; j++) muMu += mu[j]! ** 2;
  for (let i = 0; i < n; i++) { let s = 0, pp = 0; for (let j = 0; j < D; j++) { s += vectors[i * D + j]! * mu[j]!; pp += vectors[i * D + j]! ** 2; } muDot[i] = s; cNorm[i] = Math.sqrt(Math.max(1e-12, pp - 2 * s + muMu)); }
  const qv = await model.embed(questions.map((q) => q.question));
  const qvStopped = await model.embed(questions.map((q) => stopped(q.question)));
  const denseHits = variants.map(() => 0), fusedHits = variants.map(() => alphas.map(() => 0));
  let kwHits = 0;
  const raw = new Float64Array(n), rawStopped = new Float64Array(n);
  for (let qi = 0; qi < questions.length; qi++) {
    const q = qv.subarray(qi * D, (qi + 1) * D), qs = qvStopped.subarray(qi * D, (qi + 1) * D);
    const gold = new Set(questions[qi]!.gold.map(Number));
    let qMu = 0, qq = 0; for (let j = 0; j < D; j++) { qMu += q[j]! * mu[j]!; qq += q[j]! ** 2; }
    const qcNorm = Math.sqrt(Math.max(1e-12, qq - 2 * qMu + muMu));
    for (let i = 0; i < n; i++) {
      let s = 0, t = 0;
      for (let j = 0; j < D; j++) (s += q[j]! * vectors[i * D + j]!), (t += qs[j]! * vectors[i * D + j]!);
      raw[i] = s;
      rawStopped[i] = t;
    }
    const kw = state.keyword!.search(questions[qi]!.question, { k: 100 });
    const kwTop = kw.hits.map((h) => Number(state.passages.get(h.id).id));
    if (kwTop.slice(0, 10).some((p) => gold.has(p))) kwHits++;
    variants.forEach(([, beta, stop], vi) => {
      const r = stop ? rawStopped : raw;
      const sc = (i: number) => (beta >= 0 ? r[i]! - beta * muDot[i]! : (r[i]! - qMu - muDot[i]! + muMu) / (cNorm[i]! * qcNorm));
      const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => sc(b) - sc(a)).slice(0, 100);
      if (idx.slice(0, 10).some((p) => gold.has(p))) denseHits[vi]!++;
      const pool = [...new Set([...idx, ...kwTop])];
      const res = state.keyword!.search(questions[qi]!.question, { k: 1, scoreIds: pool.map((p) => internalOf[p]!) });
      const bm = res.scores;
      const ds = pool.map(sc);
      const mm = (xs: ArrayLike<number>) => { let lo = Infinity, hi = -Infinity; for (const x of Array.from(xs)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } return (x: number) => (hi > lo ? (x - lo) / (hi - lo) : 1); };
      const nd = mm(ds), nb = mm(bm);
      alphas.forEach((a, ai) => {
        const top = pool.map((p, i) => ({ p, s: a * nd(ds[i]!) + (1 - a) * nb(bm[i]!) })).sort((x, y) => y.s - x.s).slice(0, 10);
        if (top.some((x) => gold.has(x.p))) fusedHits[vi]![ai]!++;
      });
    });
  }
  console.log(`${set} ${split} n ${questions.length} keyword ${kwHits}`);
  variants.forEach(([name], vi) => console.log(`  ${name.padEnd(6)} dense ${denseHits[vi]}  fused ${alphas.map((a, ai) => `@${a}:${fusedHits[vi]![ai]}`).join(" ")}`));
}
