/**
 * Offline comparison of fusion rules on the dumps of bench/hybrid-dump.ts (issue 15). Each rule sees what the
 * engine sees at query time: the candidates (dense top DEPTH of the walk's exact scores ∪ BM25 top DEPTH), their
 * dense score (exact when the walk scored them, else the PQ estimate until rescored within 0.25x the walk's
 * recomputations, contenders first, as search/hybrid.ts does), their BM25, and the query's terms with their
 * document frequencies. Rules are ranked by their WORST margin over max(dense, keyword) across the sets.
 *
 *   pnpm --dir bench exec tsx hybrid-lab.ts [--split tune] [--filter substring] [--top 30] [--bm25] [--common] [--coord] [--rare] [--exact] [--bounds]
 *
 * --bm25 adds BM25 k1/b variants, --common Lucene-style common-term cut-offs, --coord a coordination term (the
 * share of the query's idf a passage holds) added to the fusion, --rare the same for the query's 1-3 rarest
 * terms (all recomputed from the dumped term
 * frequencies over the dumped pool, so an approximation of a full re-search), --exact every rule with exact dense
 * scores for all candidates (the rescoring budget's upper bound). --bounds prints only what any fusion of the
 * two lists could reach on each set (see `bounds`). Without --filter, writes
 * bench/results/hybrid-lab-<split>.json. Run it on the held-out halves only to confirm a rule chosen on tune.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bm25Idf } from "../packages/core/src/keyword/bm25.ts";
import { QA_SETS } from "./build-qa-sets.ts";
import type { Dump, DumpCandidate, DumpQuestion } from "./hybrid-dump.ts";
import { CACHE_DIR } from "./lib/datasets.ts";

const K = 10;
const K1 = 1.2;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** What a rule knows about the query besides the candidates. */
interface QueryInfo {
  n: number;
  terms: { t: string; df: number }[];
  /** Pool member came from the dense side's top depth / the keyword side's. */
  fromD: boolean[];
  fromK: boolean[];
  pool: DumpCandidate[];
  distinct: { t: string; df: number; q: number }[];
  avgdl: number;
}

/** BM25 of every pool member with other k1 / b (the dump's term frequencies; same idf as the engine). */
function bm25With(q: QueryInfo, k1: number, b: number, maxShare = 1): number[] {
  const w = q.distinct.map((t) => (t.df / q.n > maxShare ? 0 : Math.max(1e-6, bm25Idf(q.n, t.df)) * t.q));
  return q.pool.map((c) => {
    let s = 0;
    c.tf.forEach((tf, j) => {
      if (tf > 0) s += (w[j]! * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * c.len) / (q.avgdl || 1)));
    });
    return s;
  });
}

/** Given the candidates' dense and BM25 scores, a function from (candidate, its dense score) to the fused score. */
type Rule = (dense: number[], bm: number[], q: QueryInfo) => (i: number, d: number) => number;

function minmax(xs: number[]): (x: number) => number {
  let lo = Infinity, hi = -Infinity;
  for (const x of xs) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  return (x) => (hi > lo ? Math.min(1, Math.max(0, (x - lo) / (hi - lo))) : 1);
}
function zscore(xs: number[]): (x: number) => number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  return (x) => (sd > 0 ? (x - m) / sd : 0);
}
function dist(xs: number[]): (x: number) => number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  return (x) => (sd > 0 ? Math.min(1, Math.max(0, (x - (m - 3 * sd)) / (6 * sd))) : 1);
}
function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const r = new Array<number>(xs.length);
  order.forEach(([, i], p) => (r[i] = p + 1));
  return r;
}
/** The BM25 a passage would score if it held every query term with tf -> infinity: sum of idf (k1 + 1). */
function maxBm25(q: QueryInfo): number {
  let s = 0;
  for (const { df } of q.terms) if (df > 0) s += bm25Idf(q.n, df) * (K1 + 1);
  return s;
}
function top(xs: number[], k: number): number[] {
  return [...xs].sort((a, b) => b - a).slice(0, k);
}

const rules = new Map<string, Rule>();
const ALPHAS = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6];
for (const a of ALPHAS) {
  rules.set(`minmax@${a}`, (d, b) => {
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  rules.set(`z@${a}`, (d, b) => {
    const nd = zscore(d), nb = zscore(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  rules.set(`dist@${a}`, (d, b) => {
    const nd = dist(d), nb = dist(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  // BM25 over the query's maximum, dense min-max: the keyword side keeps its absolute strength.
  rules.set(`bmmax-ddmm@${a}`, (d, b, q) => {
    const nd = minmax(d), m = maxBm25(q) || 1;
    return (i, x) => a * nd(x) + (1 - a) * (b[i]! / m);
  });
  // Each side divided by its own max (0 stays 0): BM25 has a real zero; dense min-max.
  rules.set(`bmtop-ddmm@${a}`, (d, b) => {
    const nd = minmax(d), m = Math.max(...b) || 1;
    return (i, x) => a * nd(x) + (1 - a) * (b[i]! / m);
  });
  for (const c of [10, 60]) {
    rules.set(`rrf${c}@${a}`, (d, b) => {
      const rb = ranks(b);
      // Ranks of dense are recomputed per call of the scorer only through x; approximate by rank of current d.
      const rd = ranks(d);
      return (i, x) => a / (c + (x === d[i] ? rd[i]! : rankOf(d, x))) + (1 - a) / (c + rb[i]!);
    });
  }
}
function rankOf(d: number[], x: number): number {
  let r = 1;
  for (const y of d) if (y > x) r++;
  return r;
}

// Query-adaptive alpha on min-max fusion: alpha moves with how peaked BM25's top is, a signal of an exact match.
for (const [lo, hi] of [[0.2, 0.5], [0.25, 0.5], [0.25, 0.45], [0.3, 0.5], [0.2, 0.6], [0.15, 0.55]] as const) {
  // coverage: best BM25 over the query's maximum (how much of the query's information one passage holds).
  rules.set(`adapt-cov[${lo},${hi}]`, (d, b, q) => {
    const m = maxBm25(q) || 1;
    const cov = Math.min(1, Math.max(...b) / m);
    const a = hi - (hi - lo) * cov;
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  // gap: (top1 - top10) / top1 of BM25: a lone strong match pulls alpha down.
  rules.set(`adapt-gap[${lo},${hi}]`, (d, b) => {
    const t = top(b, K);
    const gap = t[0]! > 0 ? (t[0]! - t[t.length - 1]!) / t[0]! : 0;
    const a = hi - (hi - lo) * gap;
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  // matched share of the query's idf mass.
  rules.set(`adapt-idfmatch[${lo},${hi}]`, (d, b, q) => {
    let all = 0, hit = 0;
    for (const { df } of q.terms) {
      const w = bm25Idf(q.n, Math.max(df, 1));
      all += w;
      if (df > 0) hit += w;
    }
    const share = all > 0 ? hit / all : 0;
    const a = hi - (hi - lo) * share;
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
}

function sideConf(xs: number[]): number {
  if (xs.length < 2) return 0;
  const t = top(xs, xs.length);
  const m = t.reduce((a, b) => a + b, 0) / t.length;
  const sd = Math.sqrt(t.reduce((a, b) => a + (b - m) ** 2, 0) / t.length);
  return sd > 0 ? (t[0]! - m) / sd : 0;
}
for (const a of ALPHAS) {
  // Each side min-max normalised over its OWN list (the other side's candidates clipped to 0 below it).
  rules.set(`own-mm@${a}`, (d, b, q) => {
    const nd = minmax(d.filter((_, i) => q.fromD[i])), nb = minmax(b.filter((_, i) => q.fromK[i]));
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  rules.set(`own-z@${a}`, (d, b, q) => {
    const nd = zscore(d.filter((_, i) => q.fromD[i])), nb = zscore(b.filter((_, i) => q.fromK[i]));
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  // alpha scaled by each side's confidence: how far its leader stands above its own list (z of top 1).
  rules.set(`conf-mm@${a}`, (d, b, q) => {
    const cd = sideConf(d.filter((_, i) => q.fromD[i])), ck = sideConf(b.filter((_, i) => q.fromK[i]));
    const aq = cd + ck > 0 ? (a * cd) / (a * cd + (1 - a) * ck) : a;
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => aq * nd(x) + (1 - aq) * nb(b[i]!);
  });
}

if (process.argv.includes("--bm25")) {
  for (const k1 of [0.6, 0.9, 1.2, 1.6, 2.0]) {
    for (const bb of [0.3, 0.5, 0.75, 0.9]) {
      for (const a of [0, 0.3, 0.35, 0.4, 0.45]) {
        rules.set(`mm-k${k1}b${bb}@${a}`, (d, _b, q) => {
          const bm = bm25With(q, k1, bb);
          const nd = minmax(d), nb = minmax(bm);
          return (i, x) => a * nd(x) + (1 - a) * nb(bm[i]!);
        });
      }
    }
  }
}

// Bruch, Gai & Ingber 2023 ("An Analysis of Fusion Functions for Hybrid Retrieval"): TM2C2, the theoretical
// minimum of each score (0 for BM25, -1 for cosine) and the observed maximum.
for (const a of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9]) {
  rules.set(`tm2c2@${a}`, (d, b) => {
    const dm = Math.max(...d), bmax = Math.max(...b) || 1;
    return (i, x) => a * ((x + 1) / (dm + 1)) + (1 - a) * (b[i]! / bmax);
  });
}

// Query-adaptive alpha from signals the search has anyway.
function rarity(q: QueryInfo): number {
  let m = 0;
  for (const { df } of q.terms) if (df > 0) m = Math.max(m, bm25Idf(q.n, df));
  return m / bm25Idf(q.n, 1);
}
for (const [lo, hi] of [[0.2, 0.6], [0.25, 0.55], [0.3, 0.5], [0.1, 0.7], [0.2, 0.5], [0.3, 0.6], [0.35, 0.55]] as const) {
  rules.set(`adapt-rare[${lo},${hi}]`, (d, b, q) => {
    const a = hi - (hi - lo) * rarity(q);
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  // dense confidence: the spread of the walk's exact top 10 over the spread of all its exact scores.
  rules.set(`adapt-dgap[${lo},${hi}]`, (d, b, q) => {
    const w = top(d.filter((_, i) => q.fromD[i]), 100);
    const g = w.length > 1 ? (w[0]! - w[Math.min(9, w.length - 1)]!) / (w[0]! - w[w.length - 1]! || 1) : 0;
    const a = lo + (hi - lo) * g;
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  rules.set(`adapt-covup[${lo},${hi}]`, (d, b, q) => {
    const m = maxBm25(q) || 1;
    const a = lo + (hi - lo) * Math.min(1, Math.max(...b) / m);
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
  rules.set(`adapt-overlap[${lo},${hi}]`, (d, b, q) => {
    const dt = new Set(ranks(d).map((r, i) => (r <= K ? i : -1)).filter((i) => i >= 0));
    let ov = 0;
    ranks(b).forEach((r, i) => { if (r <= K && dt.has(i)) ov++; });
    const a = lo + (hi - lo) * Math.min(1, ov / 3);
    const nd = minmax(d), nb = minmax(b);
    return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
  });
}

// Agreement of the two sides' own top 10s (before any fusion or rescoring): the more they share, the more the
// dense side is on the query's topic; alpha moves from lo (no overlap) to hi (sat or more shared).
for (const [lo, hi] of [[0.3, 0.5], [0.3, 0.6], [0.25, 0.55], [0.3, 0.55], [0.25, 0.5], [0.35, 0.6], [0.2, 0.6], [0.3, 0.7]] as const) {
  for (const sat of [1, 2, 3, 4, 5, 10]) {
    rules.set(`agree${sat}[${lo},${hi}]`, (d, b, q) => {
      let ov = 0;
      q.pool.forEach((c) => { if (c.dRank >= 0 && c.dRank < K && c.kRank >= 0 && c.kRank < K) ov++; });
      const a = lo + (hi - lo) * Math.min(1, ov / sat);
      const nd = minmax(d), nb = minmax(b);
      return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
    });
  }
}

for (const base of [0.25, 0.3, 0.35]) {
  for (const step of [0.05, 0.075, 0.1, 0.15]) {
    for (const cap of [0.5, 0.6, 0.7, 0.8]) {
      rules.set(`step(${base},${step},${cap})`, (d, b, q) => {
        let ov = 0;
        q.pool.forEach((c) => { if (c.dRank >= 0 && c.dRank < K && c.kRank >= 0 && c.kRank < K) ov++; });
        const a = Math.min(cap, base + step * ov);
        const nd = minmax(d), nb = minmax(b);
        return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!);
      });
    }
  }
}

if (process.argv.includes("--common")) {
  // Lucene's CommonTermsQuery idea: terms in more than a share of the passages do not count.
  for (const share of [0.05, 0.1, 0.2, 0.3]) {
    for (const a of [0, 0.3, 0.35, 0.4, 0.45, 0.5]) {
      rules.set(`ct${share}@${a}`, (d, _b, q) => {
        const bm = bm25With(q, 1.2, 0.75, share);
        const nd = minmax(d), nb = minmax(bm);
        return (i, x) => a * nd(x) + (1 - a) * nb(bm[i]!);
      });
    }
  }
  rules.set(`ct1@0`, (d, _b, q) => {
    const bm = bm25With(q, 1.2, 0.75, 1);
    return (i) => bm[i]!;
  });
}

if (process.argv.includes("--coord")) {
  // Coordination: the share of the query's idf mass a passage holds (each distinct term once), added to the fusion.
  const coord = (q: QueryInfo): number[] => {
    const w = q.distinct.map((t) => (t.df > 0 ? Math.max(0, bm25Idf(q.n, t.df)) : 0));
    const all = w.reduce((a, b) => a + b, 0) || 1;
    return q.pool.map((c) => c.tf.reduce((s, tf, j) => s + (tf > 0 ? w[j]! : 0), 0) / all);
  };
  for (const a of [0, 0.3, 0.35, 0.4, 0.45, 0.5]) {
    for (const g of [0.05, 0.1, 0.2, 0.3, 0.5]) {
      rules.set(`coord${g}@${a}`, (d, b, q) => {
        const cv = coord(q);
        const nd = minmax(d), nb = minmax(b);
        return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!) + g * cv[i]!;
      });
      rules.set(`coordmm${g}@${a}`, (d, b, q) => {
        const cv = coord(q), nc = minmax(cv);
        const nd = minmax(d), nb = minmax(b);
        return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!) + g * nc(cv[i]!);
      });
    }
  }
}

if (process.argv.includes("--rare")) {
  // The query's rarest indexed terms: a passage holding them gets a bonus (a slice of coordination).
  const rareBonus = (q: QueryInfo, top: number): number[] => {
    const order = q.distinct.map((t, j) => ({ j, w: t.df > 0 ? bm25Idf(q.n, t.df) : 0 })).filter((x) => x.w > 0).sort((a, b) => b.w - a.w).slice(0, top);
    const all = order.reduce((a, x) => a + x.w, 0) || 1;
    return q.pool.map((c) => order.reduce((s, x) => s + (c.tf[x.j]! > 0 ? x.w : 0), 0) / all);
  };
  for (const top of [1, 2, 3]) {
    for (const a of [0.3, 0.35, 0.4, 0.45]) {
      for (const g of [0.05, 0.1, 0.2, 0.3]) {
        rules.set(`rare${top}x${g}@${a}`, (d, b, q) => {
          const rb = rareBonus(q, top);
          const nd = minmax(d), nb = minmax(b);
          return (i, x) => a * nd(x) + (1 - a) * nb(b[i]!) + g * rb[i]!;
        });
      }
    }
  }
}

interface Eval {
  hits: number;
  rescored: number;
}

function evalRule(rule: Rule, dq: DumpQuestion, n: number, avgdl: number, depth: number, exactAll: boolean): { hit: boolean; rescored: number } {
  const byD = dq.candidates.filter((c) => c.dRank >= 0 && c.dRank < depth);
  const byK = dq.candidates.filter((c) => c.kRank >= 0 && c.kRank < depth);
  const pool = [...new Map([...byD, ...byK].map((c) => [c.id, c])).values()];
  const dIds = new Set(byD.map((c) => c.id)), kIds = new Set(byK.map((c) => c.id));
  const q: QueryInfo = { n, terms: dq.terms, fromD: pool.map((c) => dIds.has(c.id)), fromK: pool.map((c) => kIds.has(c.id)), pool, distinct: dq.distinct ?? [], avgdl };
  const bm = pool.map((c) => c.bm);
  const known = pool.map((c) => exactAll || c.walk);
  const dense = pool.map((c, i) => (known[i] ? c.d : c.pq));
  let rescored = 0;
  const budget = Math.floor(0.25 * dq.walkExact);
  while (!exactAll && pool.length > K) {
    const room = budget - rescored;
    if (room < 1) break;
    const f = rule(dense, bm, q);
    const fused = pool.map((_, i) => f(i, dense[i]!)).sort((a, b) => b - a);
    const kth = fused[K - 1]!;
    const want: { i: number; best: number }[] = [];
    pool.forEach((c, i) => {
      if (known[i]) return;
      const best = f(i, dense[i]! + dq.margin);
      if (best >= kth) want.push({ i, best });
    });
    if (want.length === 0) break;
    want.sort((a, b) => b.best - a.best || pool[a.i]!.id - pool[b.i]!.id);
    for (const { i } of want.slice(0, Math.min(room, 32))) {
      known[i] = true;
      dense[i] = pool[i]!.d;
      rescored++;
    }
  }
  const f = rule(dense, bm, q);
  const order = pool.map((c, i) => ({ c, s: f(i, dense[i]!), i })).sort((a, b) => b.s - a.s || a.i - b.i);
  return { hit: order.slice(0, K).some((x) => x.c.gold), rescored };
}

/**
 * What any fusion of these two lists could reach, per set: the questions whose gold passage is in either side's
 * top 10 (a perfect choice of one side per question), and in the top 10 of min-max fusion at the best of 21 alphas
 * (0, 0.05, ..., 1) chosen per question with the answer known (every candidate's exact dense score). A rule that
 * sees only the query cannot beat the second; it rarely comes near it.
 */
function bounds(dumps: Dump[]): void {
  const alphas = Array.from({ length: 21 }, (_, i) => i / 20);
  console.log("| set | questions | dense | keyword | needed for +0.02 | either top 10 (margin) | best alpha per question (margin) | default 0.4, exact scores (margin) |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const d of dumps) {
    let dn = 0, kw = 0, union = 0, oracle = 0, fixed = 0;
    for (const q of d.questions) {
      const goldIn = (ids: number[]) => ids.some((id) => q.candidates.find((c) => c.id === id)?.gold);
      const k = goldIn(q.keywordTop), de = goldIn(q.denseTop);
      dn += +de;
      kw += +k;
      union += +(k || de);
      const pool = q.candidates.filter((c) => (c.dRank >= 0 && c.dRank < 100) || (c.kRank >= 0 && c.kRank < 100));
      const nd = minmax(pool.map((c) => c.d)), nb = minmax(pool.map((c) => c.bm));
      const hitAt = (a: number) => pool.map((c, i) => ({ c, s: a * nd(c.d) + (1 - a) * nb(c.bm), i })).sort((x, y) => y.s - x.s || x.i - y.i).slice(0, K).some((x) => x.c.gold);
      oracle += +alphas.some(hitAt);
      fixed += +hitAt(0.4);
    }
    const n = d.questions.length, best = Math.max(dn, kw);
    const m = (h: number) => `${h} (${h >= best ? "+" : ""}${((h - best) / n).toFixed(3)})`;
    console.log(`| ${d.set} | ${n} | ${dn} | ${kw} | ${Math.ceil(best + 0.02 * n)} | ${m(union)} | ${m(oracle)} | ${m(fixed)} |`);
  }
}

function main(): void {
  const split = arg("split") ?? "tune";
  const filter = arg("filter");
  const show = Number(arg("top") ?? 30);
  // Sets without a dump (hybrid-dump.ts not run for them) are left out, and named.
  const dumpOf = (set: string) => join(CACHE_DIR, "hybrid-dump", `${set}-${split}.json`);
  const missing = QA_SETS.filter((set) => !existsSync(dumpOf(set)));
  if (!arg("sets") && missing.length > 0) console.log(`no dump (run hybrid-dump.ts --set S --split ${split}) for: ${missing.join(", ")}`);
  const sets = arg("sets")?.split(",") ?? QA_SETS.filter((set) => !missing.includes(set));
  const dumps: Dump[] = sets.map((s) => JSON.parse(readFileSync(dumpOf(s), "utf8")) as Dump);
  if (process.argv.includes("--bounds")) return bounds(dumps);
  const base = dumps.map((d) => {
    const goldIn = (ids: number[], q: DumpQuestion) => ids.some((id) => q.candidates.find((c) => c.id === id)?.gold);
    let dn = 0, kw = 0;
    for (const q of d.questions) {
      if (goldIn(q.denseTop, q)) dn++;
      if (goldIn(q.keywordTop, q)) kw++;
    }
    return { dense: dn, keyword: kw, nq: d.questions.length };
  });
  console.log(`${split}: ` + dumps.map((d, i) => `${d.set} ${base[i]!.nq} q dense ${base[i]!.dense} keyword ${base[i]!.keyword}`).join("; "));
  const rows: { name: string; margins: number[]; hits: number[]; worst: number; mean: number }[] = [];
  for (const depth of [100, 200, 50]) {
    for (const exactAll of process.argv.includes("--exact") ? [false, true] : [false]) {
      for (const [name, rule] of rules) {
        const full = `${name}/d${depth}${exactAll ? "/exact" : ""}`;
        if (filter && !full.includes(filter)) continue;
        const hits = dumps.map((d) => d.questions.reduce((s, q) => s + (evalRule(rule, q, d.passages, d.avgLength, depth, exactAll).hit ? 1 : 0), 0));
        const margins = hits.map((h, i) => (h - Math.max(base[i]!.dense, base[i]!.keyword)) / base[i]!.nq);
        rows.push({ name: full, margins, hits, worst: Math.min(...margins), mean: margins.reduce((a, b) => a + b, 0) / margins.length });
      }
    }
  }
  rows.sort((a, b) => b.worst - a.worst || b.mean - a.mean);
  console.log(`rule                          worst    mean   ${dumps.map((d) => d.set.padEnd(14)).join("")}`);
  for (const r of rows.slice(0, show)) {
    console.log(`${r.name.padEnd(28)} ${r.worst.toFixed(3).padStart(6)} ${r.mean.toFixed(3).padStart(7)}   ${r.margins.map((m, i) => `${m.toFixed(3)}(${r.hits[i]})`.padEnd(14)).join("")}`);
  }
  const today = rows.find((r) => r.name === "minmax@0.4/d100");
  if (today) console.log(`today minmax@0.4/d100: worst ${today.worst.toFixed(3)} rank ${rows.indexOf(today) + 1}/${rows.length}`);
  if (!filter) {
    const out = join(import.meta.dirname, "results", `hybrid-lab-${split}.json`);
    const sets = dumps.map((d, i) => ({ set: d.set, questions: base[i]!.nq, dense: base[i]!.dense, keyword: base[i]!.keyword }));
    // The best 300 and the default, one line each: [name, worst margin, mean margin, hits per set].
    const kept = rows.filter((r, i) => i < 300 || r === today).map((r) => JSON.stringify([r.name, +r.worst.toFixed(4), +r.mean.toFixed(4), r.hits]));
    writeFileSync(out, `{"date":${JSON.stringify(new Date().toISOString())},"argv":${JSON.stringify(process.argv.slice(2))},"variants":${rows.length},"sets":${JSON.stringify(sets)},\n"rules":[\n${kept.join(",\n")}\n]}\n`);
    console.log(`wrote ${out}`);
  }
}

main();
