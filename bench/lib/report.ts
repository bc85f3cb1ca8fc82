/**
 * Renders bench/run.ts results (JSON) as a markdown page with SVG figures (lib/svg.ts):
 *   full run  -> docs/benchmarks.md + docs/benchmarks/*.svg
 *   quick run -> bench/results/quick/benchmarks-quick.md + bench/results/quick/*.svg (never the docs page)
 *
 *   cd bench && pnpm exec tsx lib/report.ts [results/latest-full.json]     # re-render without running anything
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { barChart, xyChart, type Series } from "./svg.ts";

// ---------------------------------------------------------------------------------------------------------------
// Result types (written by run.ts)
// ---------------------------------------------------------------------------------------------------------------

export interface StoreRow {
  /** Stable id: leann, leann-exact-walk, langchain-hnswlib, langchain-hnswlib-ef64, langchain-memory, llamaindex-simple, ... */
  id: string;
  store: string;
  label: string;
  kind: "ours" | "peer" | "reference";
  params: Record<string, unknown>;
  bytesOnDisk: number;
  bytesWithoutText: number | null;
  bytesNote: string;
  files: Record<string, number> | null;
  buildMs: number;
  saveMs: number;
  recall1: number;
  recall3: number;
  recall10: number;
  /** Embeddings recomputed per query (the query's own embedding not included). */
  recomputedPerQuery: number;
  /** Search time without the embedder, ms. */
  searchMsP50: number;
  searchMsP95: number;
  /** Estimated end to end: search + (recomputed + 1) x the model's measured cost per embedding; null without a cost. */
  e2eMsP50: number | null;
  e2eMsP95: number | null;
  peakRssMb: number | null;
  rssStartMb: number;
}

export interface CurvePoint {
  label: string;
  mode: "two-level" | "exact-walk";
  opts: Record<string, unknown>;
  /** Set when this point is also a table row (its StoreRow id). */
  row?: string;
  recall1: number;
  recall3: number;
  recall10: number;
  recomputedPerQuery: number;
  recomputedP95: number;
  visitedPerQuery: number;
  searchMsP50: number;
  searchMsP95: number;
  e2eMsP50: number | null;
  e2eMsP95: number | null;
}

export interface CaseResult {
  key: string;
  dataset: string;
  sizeClass: "1k" | "10k" | "100k";
  corpus: string;
  model: string;
  dims: number;
  count: number;
  queries: number;
  rawTextBytes: number;
  embedMsPerText: number | null;
  embedCostSource: string;
  truthMs: number;
  stores: StoreRow[];
  curve: CurvePoint[];
  leann: {
    params: Record<string, unknown>;
    sizes: Record<string, number>;
    files: Record<string, number>;
    buildTimings: Record<string, number> | null;
    loadMs: number;
    live: {
      model: string;
      recall1: number;
      recall3: number;
      recall10: number;
      recomputedPerQuery: number;
      msP50: number;
      msP95: number;
      embedMsP50: number;
      msPerEmbedding: number;
      note: string;
    } | null;
  } | null;
  wallSeconds: number;
}

export interface BenchResults {
  schema: 1;
  mode: "quick" | "full";
  date: string;
  wallSeconds: number;
  command: string;
  argv: string[];
  k: number;
  machine: {
    nproc: number;
    cpuModel: string;
    memoryGiB: number;
    freeMemoryGiBAtStart: number;
    node: string;
    os: string;
    kernel: string;
    loadAvgStart: number[];
    loadAvgEnd: number[];
    /** os.getPriority() of the run (absent in results written before it was recorded). */
    niceness?: number;
    shared: string;
  };
  git: { commit: string; engineDirtyFiles: string[] };
  versions: Record<string, string>;
  cases: CaseResult[];
  skipped: { case: string; store: string | null; reason: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------------------------

const COLORS: Record<string, string> = {
  leann: "#1f77b4",
  "leann-exact-walk": "#7fb3e0",
  "langchain-hnswlib": "#ff7f0e",
  "langchain-hnswlib-ef64": "#c85f00",
  "langchain-memory": "#2ca02c",
  "llamaindex-simple": "#9467bd",
  "llamaindex-simple-persistdir": "#c5b0d5",
  lancedb: "#d62728",
  exact: "#7f7f7f",
  live: "#17becf",
};
const color = (id: string): string => COLORS[id] ?? "#555";

export function fmtBytes(b: number | null): string {
  if (b === null) return "n/a";
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (b >= 1e6) return `${(b / 1e6).toFixed(b >= 1e8 ? 0 : b >= 1e7 ? 1 : 2)} MB`;
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`;
  return `${b} B`;
}
const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const f = (n: number | null | undefined, d = 2): string => (n === null || n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(d));
const r3 = (n: number): string => n.toFixed(3);
export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "n/a";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
const secs = (ms: number): string => (ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const table = (head: string[], align: ("l" | "r")[], rows: string[][]): string =>
  [`| ${head.join(" | ")} |`, `|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

function caseTitle(c: CaseResult): string {
  return `${c.key}: ${int(c.count)} passages, ${c.dims}-d`;
}
function modelShort(c: CaseResult): string {
  if (c.model.startsWith("universal-sentence-encoder-lite")) return "USE-lite 512-d";
  if (c.model.startsWith("potion")) return "potion-base-2M 64-d";
  if (c.model.includes("MiniLM")) return "all-MiniLM-L6-v2 384-d";
  return c.model;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

/** Rows that share an index with another row (same bytes) are drawn once. */
const STORAGE_DUPES = new Set(["leann-exact-walk", "langchain-hnswlib-ef64", "llamaindex-simple-persistdir"]);
const SHORT: Record<string, string> = {
  leann: "leann (ours)",
  "langchain-hnswlib": "LangChain HNSWLib",
  "langchain-hnswlib-ef64": "LangChain HNSWLib ef 64",
  "langchain-memory": "LangChain MemoryVectorStore",
  "llamaindex-simple": "LlamaIndex SimpleVectorStore",
  "llamaindex-simple-persistdir": "LlamaIndex (persistDir)",
  lancedb: "LanceDB",
  exact: "float32 vectors only",
  "leann-exact-walk": "leann exact-walk ef 64",
};
const short = (id: string): string => SHORT[id] ?? id;

function storageSvg(c: CaseResult): string {
  const rows = c.stores
    .filter((s) => !STORAGE_DUPES.has(s.id))
    .sort((a, b) => a.bytesOnDisk - b.bytesOnDisk)
    .map((s) => {
      const without = s.bytesWithoutText ?? s.bytesOnDisk;
      return {
        label: short(s.id),
        bold: s.kind === "ours",
        segments: [
          { value: without / 1e6, key: 0 },
          { value: (s.bytesOnDisk - without) / 1e6, key: 1 },
        ],
        note: `${fmtBytes(s.bytesOnDisk)} · ${(s.bytesOnDisk / c.rawTextBytes).toFixed(2)}x text`,
      };
    });
  return barChart({
    title: `Bytes on disk: ${caseTitle(c)} (${modelShort(c)})`,
    subtitle: `each store saved the way its users save it; raw passage text = ${fmtBytes(c.rawTextBytes)}`,
    xLabel: "MB on disk (10^6 bytes)",
    rows,
    legend: [
      { name: "index / vectors (files without the text)", color: "#4c78a8" },
      { name: "files holding the text (and ids, metadata)", color: "#f2b447" },
    ],
    marker: { value: c.rawTextBytes / 1e6, label: "raw text" },
  });
}

function recallCurveSvg(c: CaseResult): string {
  const two = c.curve.filter((p) => p.mode === "two-level").sort((a, b) => a.recomputedPerQuery - b.recomputedPerQuery);
  const walk = c.curve.filter((p) => p.mode === "exact-walk").sort((a, b) => a.recomputedPerQuery - b.recomputedPerQuery);
  const lab = (p: CurvePoint) => (p.mode === "exact-walk" ? `ef ${p.opts.ef}` : p.row ? "default" : `${p.opts.maxRecompute}`);
  const series: Series[] = [
    { name: "two-level (PQ walk), recall@10", color: color("leann"), line: true, points: two.map((p) => ({ x: p.recomputedPerQuery, y: p.recall10, label: lab(p) })) },
    { name: "exact-walk (Python LEANN), recall@10", color: "#d62728", line: true, marker: "square", points: walk.map((p) => ({ x: p.recomputedPerQuery, y: p.recall10, label: lab(p) })) },
    { name: "two-level, recall@3", color: color("leann"), line: true, dashed: true, marker: "triangle", points: two.map((p) => ({ x: p.recomputedPerQuery, y: p.recall3 })) },
    { name: "exact-walk, recall@3", color: "#d62728", line: true, dashed: true, marker: "triangle", points: walk.map((p) => ({ x: p.recomputedPerQuery, y: p.recall3 })) },
  ];
  const def = c.curve.find((p) => p.row === "leann");
  if (def) series.push({ name: "defaults (recall@10)", color: "#000", marker: "diamond", points: [{ x: def.recomputedPerQuery, y: def.recall10 }] });
  const ys = c.curve.flatMap((p) => [p.recall10, p.recall3]);
  const lo = Math.max(0, Math.floor(Math.min(...ys) * 10) / 10);
  return xyChart({
    title: `Recall against embeddings recomputed per query: ${c.key}`,
    subtitle: `${caseTitle(c)}, ${c.queries} queries, k = 10, no cache; labels: maxRecompute (two-level), ef (exact-walk)`,
    xLabel: "embeddings recomputed per query (mean)",
    yLabel: "recall against exact search",
    xLog: true,
    yRange: [lo, 1],
    series,
  });
}

function latencySvg(c: CaseResult, which: "e2e" | "search"): string {
  const e2eMode = which === "e2e";
  const lat = (p: { e2eMsP50: number | null; searchMsP50: number }) => (e2eMode ? p.e2eMsP50 ?? NaN : p.searchMsP50);
  const series: Series[] = [];
  const two = c.curve.filter((p) => p.mode === "two-level").sort((a, b) => a.recomputedPerQuery - b.recomputedPerQuery);
  const walk = c.curve.filter((p) => p.mode === "exact-walk").sort((a, b) => a.recomputedPerQuery - b.recomputedPerQuery);
  series.push({ name: "leann two-level (curve)", color: color("leann"), line: true, points: two.map((p) => ({ x: lat(p), y: p.recall10 })) });
  series.push({ name: "leann exact-walk (curve)", color: "#d62728", line: true, marker: "square", dashed: true, points: walk.map((p) => ({ x: lat(p), y: p.recall10 })) });
  const markers: Series["marker"][] = ["circle", "square", "triangle", "diamond"];
  let mi = 0;
  for (const s of c.stores) {
    if (s.kind === "ours") {
      if (s.id === "leann") series.push({ name: "leann (defaults)", color: "#000", marker: "diamond", points: [{ x: lat(s), y: s.recall10 }] });
      continue;
    }
    series.push({ name: short(s.id), color: color(s.id), marker: markers[mi++ % markers.length], hollow: true, points: [{ x: lat(s), y: s.recall10 }] });
  }
  const live = c.leann?.live;
  if (live && e2eMode) series.push({ name: "leann defaults, potion live (measured)", color: color("live"), marker: "diamond", points: [{ x: live.msP50, y: live.recall10 }] });
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const lo = Math.max(0, Math.floor(Math.min(...ys) * 10) / 10);
  return xyChart({
    title: `Latency against recall@10, ${e2eMode ? "end to end (estimate)" : "without the embedder"}: ${c.key}`,
    subtitle: e2eMode
      ? `search + (recomputed + 1 query) x ${f(c.embedMsPerText, 2)} ms per ${modelShort(c)} embedding; peers: search + 1 query embedding`
      : "the search call alone (ours: minus the time inside the embedder; peers: their vector search)",
    xLabel: e2eMode ? "p50 latency per query, end to end, ms (estimate)" : "p50 search latency without the embedder, ms",
    yLabel: "recall@10",
    xLog: true,
    yRange: [lo, 1],
    series,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Page
// ---------------------------------------------------------------------------------------------------------------

function storageTable(c: CaseResult): string {
  const rows = c.stores.map((s) => [
    s.kind === "ours" ? `**${s.label}**` : s.label,
    fmtBytes(s.bytesOnDisk),
    fmtBytes(s.bytesWithoutText),
    int(s.bytesOnDisk / c.count),
    s.bytesWithoutText === null ? "n/a" : s.bytesWithoutText / c.count >= 100 ? int(s.bytesWithoutText / c.count) : f(s.bytesWithoutText / c.count, 1),
    f(s.bytesOnDisk / c.rawTextBytes, 3),
    s.bytesWithoutText === null ? "n/a" : `${f((100 * s.bytesWithoutText) / c.rawTextBytes, 1)}%`,
    s.kind === "reference" ? "-" : secs(s.buildMs),
    s.kind === "reference" ? "-" : secs(s.saveMs),
    s.peakRssMb === null ? "n/a" : `${Math.round(s.peakRssMb)} (${Math.round(s.rssStartMb)})`,
  ]);
  return table(
    ["store", "on disk", "without text", "B / passage", "B / passage w/o text", "x raw text", "w/o text, % of raw text", "build", "save", "peak RSS MB (at start)"],
    ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

function searchTable(c: CaseResult): string {
  const rows = c.stores.map((s) => [
    s.kind === "ours" ? `**${s.label}**` : s.label,
    r3(s.recall1),
    r3(s.recall3),
    r3(s.recall10),
    s.kind === "ours" ? f(s.recomputedPerQuery, 1) : "0 (stores vectors)",
    `${fmtMs(s.searchMsP50)} / ${fmtMs(s.searchMsP95)}`,
    s.e2eMsP50 === null ? "n/a" : `${fmtMs(s.e2eMsP50)} / ${fmtMs(s.e2eMsP95)}`,
  ]);
  const live = c.leann?.live;
  if (live) {
    rows.push([
      `**leann (defaults), ${live.model.includes("LocalEmbeddings") ? "@leann/onnx potion" : "potion"} in the loop: measured**`,
      r3(live.recall1),
      r3(live.recall3),
      r3(live.recall10),
      f(live.recomputedPerQuery, 1),
      "-",
      `${fmtMs(live.msP50)} / ${fmtMs(live.msP95)} (measured)`,
    ]);
  }
  return table(
    ["store", "recall@1", "recall@3", "recall@10", "recomputed / query", "search p50 / p95 (no embedder)", "end to end p50 / p95 (estimate)"],
    ["l", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

function curveTable(c: CaseResult): string {
  const rows = c.curve.map((p) => [
    p.row === "leann" ? `**${p.label}**` : p.label,
    r3(p.recall1),
    r3(p.recall3),
    r3(p.recall10),
    `${f(p.recomputedPerQuery, 1)} (p95 ${Math.round(p.recomputedP95)})`,
    f(p.visitedPerQuery, 0),
    `${fmtMs(p.searchMsP50)} / ${fmtMs(p.searchMsP95)}`,
    p.e2eMsP50 === null ? "n/a" : `${fmtMs(p.e2eMsP50)} / ${fmtMs(p.e2eMsP95)}`,
  ]);
  return table(
    ["leann search setting", "recall@1", "recall@3", "recall@10", "recomputed / query", "nodes scored / query", "search p50 / p95 (no embedder)", "end to end p50 / p95 (estimate)"],
    ["l", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

function headline(res: BenchResults): string {
  const out: string[] = [];
  const byId = (c: CaseResult, id: string) => c.stores.find((s) => s.id === id);
  const rows: string[][] = [];
  for (const c of res.cases) {
    const l = byId(c, "leann"), h = byId(c, "langchain-hnswlib"), h64 = byId(c, "langchain-hnswlib-ef64"), w = byId(c, "leann-exact-walk");
    if (!l) continue;
    rows.push([
      `${c.key} (${int(c.count)}, ${modelShort(c)})`,
      `${fmtBytes(l.bytesOnDisk)} (${f(l.bytesOnDisk / c.rawTextBytes, 2)}x text)`,
      `${fmtBytes(l.bytesWithoutText)} (${f((100 * (l.bytesWithoutText ?? 0)) / c.rawTextBytes, 1)}% of text)`,
      h ? `${fmtBytes(h.bytesOnDisk)} (${f(h.bytesOnDisk / l.bytesOnDisk, 1)}x ours)` : "n/a",
      `${r3(l.recall3)} / ${r3(l.recall10)}`,
      h && h64 ? `${r3(h.recall10)} / ${r3(h64.recall10)}` : "n/a",
      `${f(l.recomputedPerQuery, 0)}${w ? ` (exact-walk ef 64: ${f(w.recomputedPerQuery, 0)} at recall@10 ${r3(w.recall10)})` : ""}`,
      l.e2eMsP50 === null ? `n/a (search ${fmtMs(l.searchMsP50)})` : `${fmtMs(l.e2eMsP50)} (search ${fmtMs(l.searchMsP50)})`,
      h && h.e2eMsP50 !== null ? fmtMs(h.e2eMsP50) : "n/a",
    ]);
  }
  out.push(findings(res));
  out.push("");
  out.push(
    table(
      ["corpus (passages, model)", "leann on disk", "leann without text", "LangChain HNSWLib on disk", "leann recall@3 / @10", "HNSWLib recall@10 (ef 10 / 64)", "leann recomputed / query", "leann p50 end to end (est.)", "HNSWLib p50 end to end (est.)"],
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
      rows,
    ),
  );
  const main = [...res.cases].reverse().find((c) => c.dims >= 384 && c.stores.some((x) => x.id === "leann")) ?? res.cases[res.cases.length - 1];
  if (main) {
    out.push("");
    out.push(`Every store on ${main.key} (${int(main.count)} passages, ${modelShort(main)}; end to end = estimate as above):`);
    out.push("");
    out.push(
      table(
        ["store", "on disk", "x raw text", "recall@3", "recall@10", "recomputed / query", "p50 search (no embedder)", "p50 end to end (est.)", "build + save", "peak RSS MB"],
        ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
        main.stores.map((s) => [
          s.kind === "ours" ? `**${s.label}**` : s.label,
          fmtBytes(s.bytesOnDisk),
          f(s.bytesOnDisk / main.rawTextBytes, 2),
          r3(s.recall3),
          r3(s.recall10),
          s.kind === "ours" ? f(s.recomputedPerQuery, 0) : "0",
          fmtMs(s.searchMsP50),
          fmtMs(s.e2eMsP50),
          s.kind === "reference" ? "-" : secs(s.buildMs + s.saveMs),
          s.peakRssMb === null ? "n/a" : `${Math.round(s.peakRssMb)}`,
        ]),
      ),
    );
  }
  return out.join("\n");
}

/** Plain-language findings, computed from the results (ranges over the corpora). */
function findings(res: BenchResults): string {
  const rows = res.cases.flatMap((c) => {
    const l = c.stores.find((s) => s.id === "leann");
    const h = c.stores.find((s) => s.id === "langchain-hnswlib");
    const h64 = c.stores.find((s) => s.id === "langchain-hnswlib-ef64");
    const w = c.stores.find((s) => s.id === "leann-exact-walk");
    return l ? [{ c, l, h, h64, w }] : [];
  });
  if (rows.length === 0) return "";
  const range = (xs: number[], d: number, suffix = "") => {
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return lo.toFixed(d) === hi.toFixed(d) ? `${lo.toFixed(d)}${suffix}` : `${lo.toFixed(d)}-${hi.toFixed(d)}${suffix}`;
  };
  const withH = rows.filter((r) => r.h);
  const out: string[] = [];
  if (withH.length) {
    out.push(
      `- **Storage**: our saved index (graph + PQ codes + the passages, DEFLATE-compressed) is ${range(withH.map((r) => r.h!.bytesOnDisk / r.l.bytesOnDisk), 1, "x")} smaller than LangChain HNSWLib's saved store ` +
        `and ${range(rows.map((r) => r.l.bytesOnDisk / r.c.rawTextBytes), 2, "x")} the raw text; without the text it is ${range(rows.map((r) => (100 * (r.l.bytesWithoutText ?? 0)) / r.c.rawTextBytes), 1, "%")} of the raw text ` +
        `(${range(rows.map((r) => (r.l.bytesWithoutText ?? 0) / r.c.count), 0)} bytes a passage), against ${range(withH.map((r) => (100 * (r.h!.bytesWithoutText ?? 0)) / r.c.rawTextBytes), 0, "%")} for HNSWLib's index file.`,
    );
  }
  out.push(
    `- **Recall@10 at defaults**: ${rows.map((r) => `${r.c.key} ${r3(r.l.recall10)}`).join(", ")}` +
      (withH.length ? `; LangChain HNSWLib at its default ef 10: ${withH.map((r) => r3(r.h!.recall10)).join(", ")}${withH.every((r) => r.h64) ? `, at ef 64: ${withH.map((r) => r3(r.h64!.recall10)).join(", ")}` : ""}.` : "."),
  );
  const ww = rows.filter((r) => r.w);
  if (ww.length) {
    out.push(
      `- **Recomputation**: ${range(rows.map((r) => r.l.recomputedPerQuery), 0)} embeddings recomputed per query at defaults; recomputing every visited node (exact-walk, ef 64, the Python LEANN's way) needs ${range(ww.map((r) => r.w!.recomputedPerQuery), 0)} ` +
        `(${range(ww.map((r) => r.w!.recomputedPerQuery / r.l.recomputedPerQuery), 1, "x")} more) for recall@10 ${ww.map((r) => r3(r.w!.recall10)).join(", ")}.`,
    );
  }
  const use = rows.filter((r) => r.c.embedMsPerText !== null && r.c.embedMsPerText > 10 && r.l.e2eMsP50 !== null);
  const fast = rows.filter((r) => r.c.embedMsPerText !== null && r.c.embedMsPerText <= 10 && r.l.e2eMsP50 !== null);
  const lat: string[] = [];
  if (use.length) {
    lat.push(
      `with ${modelShort(use[0]!.c)} on this CPU (${f(use[0]!.c.embedMsPerText, 1)} ms an embedding) a default search costs about ${range(use.map((r) => r.l.e2eMsP50! / 1000), 1, " s")} end to end (estimate), ` +
        `against ${range(use.filter((r) => r.h).map((r) => r.h!.e2eMsP50!), 0, " ms")} for a store that keeps the vectors (one query embedding)`,
    );
  }
  if (fast.length) {
    const live = fast.filter((r) => r.c.leann?.live);
    lat.push(
      `with ${modelShort(fast[0]!.c)} (${range(fast.map((r) => r.c.embedMsPerText!), 2, " ms")} an embedding) about ${range(fast.map((r) => r.l.e2eMsP50!), 0, " ms")} (estimate)` +
        (live.length ? `; measured with the model in the loop: ${live.map((r) => `${fmtMs(r.c.leann!.live!.msP50)} (${r.c.key})`).join(", ")}` : ""),
    );
  }
  if (lat.length) out.push(`- **Latency**: the price of storing no embeddings is recomputing them: ${lat.join("; ")}. Without the embedder our search takes ${range(rows.map((r) => r.l.searchMsP50), 1, " ms")} (p50).`);
  const lance = res.cases.filter((c) => c.stores.some((s) => s.id === "lancedb" && s.params.index === "ivf_pq"));
  if (lance.length) {
    out.push(
      `- **LanceDB** is run as its users run it: a plain table below 5,000 rows (exact search) and the IVF_PQ index its documentation advises for larger tables above that, at Lance's default settings (default nprobes, no refine step); ` +
        `its recall@10 is then ${lance.map((c) => `${r3(c.stores.find((s) => s.id === "lancedb")!.recall10)} (${c.key})`).join(", ")}.`,
    );
  }
  return out.join("\n");
}

function methodSection(res: BenchResults, pagePath: string): string {
  const m = res.machine;
  const date = res.date.slice(0, 10);
  const lines: string[] = [];
  lines.push(`- **Machine**: ${m.cpuModel}, ${m.nproc} cores (\`nproc\`) **shared with other users** (load average ${m.loadAvgStart.join(" / ")} at the start, ${m.loadAvgEnd.join(" / ")} at the end), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.os} (kernel ${m.kernel}).`);
  lines.push(`- **Date**: ${res.date.replace("T", " ").slice(0, 16)} UTC. **Wall time of this ${res.mode} run**: ${(res.wallSeconds / 60).toFixed(1)} min (\`${res.command}\`${m.niceness ? `, under \`nice -n ${m.niceness}\`` : ""}).`);
  lines.push(`- **Engine**: commit ${res.git.commit}${res.git.engineDirtyFiles.length ? ` plus uncommitted changes to ${res.git.engineDirtyFiles.map((x) => `\`${x}\``).join(", ")} (work in progress by other engineers at the time of the run)` : ""}. Peers: ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
  lines.push(`- **Noise**: the 2 cores are shared with other engineers' builds and tests; wall-clock figures (build, save, latency) move by up to about 2x between runs. Bytes, recall and recomputation counts are deterministic (seeded builds) and do not move.`);
  lines.push("");
  lines.push("**Commands**");
  lines.push("");
  lines.push("```bash");
  lines.push("pnpm bench              # full run: every size whose dataset is present; writes bench/results/full-<date>.json, latest-full.json, this page and docs/benchmarks/*.svg");
  lines.push("pnpm bench --quick      # 1k passages only, < 2 min; writes bench/results/quick-<date>.json, latest-quick.json, bench/results/quick/benchmarks-quick.md (never this page)");
  lines.push("pnpm bench -- --quick   # the same ('--' is ignored)");
  lines.push("cd bench && pnpm exec tsx run.ts --report-only   # re-render this page from bench/results/latest-full.json");
  lines.push("cd bench && pnpm exec tsx run.ts --only sotu-use-10k --skip-stores lancedb   # one case, some stores left out");
  lines.push("```");
  lines.push("");
  lines.push("**Datasets** (bench/README.md; real text, real model vectors cached in `bench/.cache/datasets`, built by `bench/build-datasets.ts` and `bench/build-mixed.ts`): text chunked like LangChain's RecursiveCharacterTextSplitter (1,000 characters, 100 overlap); queries are held-out chunks' first sentences (SOTU, mixed) or held-out passages (Fiori). A size is a prefix of a dataset (its indexed order is a fixed shuffle); the ground truth is exact inner-product search over the same prefix, with the same model's query vectors.");
  lines.push("");
  lines.push(
    table(
      ["case", "corpus", "model", "passages", "queries", "raw text", "model cost / embedding"],
      ["l", "l", "l", "r", "r", "r", "r"],
      res.cases.map((c) => [c.key, c.corpus, c.model, int(c.count), int(c.queries), fmtBytes(c.rawTextBytes), c.embedMsPerText === null ? "not measured (vectors computed upstream)" : `${f(c.embedMsPerText, 2)} ms`]),
    ),
  );
  lines.push("");
  lines.push("**Stores** (each in its own child process, so peak memory is its own; all searched by vector with k = 10 after 5 warm-up queries):");
  lines.push("");
  const seen = new Set<string>();
  for (const c of res.cases) for (const s of c.stores) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    if (s.id === "leann-exact-walk") lines.push(`- **${s.label}** (\`${s.id}\`): the same saved index, searched with \`{ mode: "exact-walk", ef: 64 }\`.`);
    else if (s.kind === "ours") lines.push(`- **${s.label}** (\`${s.id}\`): \`LeannIndex.build(passages, { embedder, vectors, cacheBytes: 0 })\` at default build options, \`save(dir)\`, \`LeannIndex.load(dir)\`, then \`search(vector, { k: 10 })\`. Files: ${s.bytesNote.replace(/^save\(dir\): /, "")}. The passage file is DEFLATE-compressed when that is smaller (prose shrinks to about half), so the whole folder can be smaller than the raw text.`);
    else lines.push(`- **${s.label}** (\`${s.id}\`): ${s.bytesNote}. Parameters: \`${JSON.stringify(s.params)}\`.`);
  }
  lines.push("");
  lines.push("**What is measured and what is estimated**");
  lines.push("");
  lines.push("- *Bytes on disk*: the files each store writes when saved the way its users save it (sum of file sizes). *Without text*: the files that do not hold the passage text (where a format separates it; LanceDB: a second table built without the text column). *x raw text*: on-disk bytes over the UTF-8 bytes of the passage texts. MB = 10^6 bytes.");
  lines.push("- *Recall@1/3/10*: share of the exact top-k (flat inner product on the normalised model vectors) found in the store's top-k, averaged over the queries.");
  lines.push("- *Recomputed / query*: embeddings our index asks the model for during one search (the query embedding not included). **Recomputation is a lookup of the cached model vectors** (the dataset's own model output, byte-identical to what the model returns), counted; the model's measured cost per embedding is reported beside it. Our index is built and loaded with `cacheBytes: 0`, so every exact vector a search needs counts as a recomputation (a cold query; the default 16 MiB hub cache only lowers it). Peers store the vectors and recompute nothing.");
  lines.push("- *Search latency (no embedder)*: measured wall time of one search by vector; for ours, the index's own time minus the time spent inside the embedder (the lookup), so it includes the walk, PQ scoring, reading the passages to re-embed from the saved file, and exact re-ranking. Peers: wall time of their vector search call.");
  lines.push("- *End to end*: **an estimate**, not a measurement: search latency + (recomputed + 1 query embedding) x the model's measured seconds per embedding (`embedSecondsPerText`, measured on this machine when the dataset was built: USE-lite at batch 16-32 on one core, potion in batches of 512). For peers: search + one query embedding. For Fiori no model cost was measured (the vectors come precomputed from the npm package), so no end-to-end figure is given. On the potion datasets the same index is also searched with the real potion model in the loop (query text in, every embedding computed by the model), which **measures** end-to-end latency and checks the estimate.");
  lines.push("- *Build*: time from vectors in memory to the in-memory structure (ours: graph + pruning + PQ training; the embeddings are given, not computed). *Save*: writing the files. LanceDB writes while it builds (save 0); MemoryVectorStore has no save API (its `JSON.stringify(memoryVectors)` is timed).");
  lines.push("- *Peak RSS*: `process.resourceUsage().maxRSS` of the store's own process; it includes Node, tsx and the whole dataset loaded for the run (shown in brackets: RSS when the store started), so compare the difference.");
  lines.push(`- *Recompute-everything mode*: \`mode: "exact-walk"\` recomputes every node it visits, as the Python LEANN ships (its default search complexity is ef 64). It walks the same pruned graph as ours (the Python code walks its unpruned HNSW); storage is the same index.`);
  lines.push(`- This page is generated from \`${pagePath}\`; do not edit it by hand.`);
  return lines.join("\n");
}

function skippedSection(res: BenchResults): string {
  if (res.skipped.length === 0) return "Nothing was skipped.";
  const groups = new Map<string, string[]>();
  for (const s of res.skipped) {
    const key = `${s.store ?? "whole case"}: ${s.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), s.case]);
  }
  return [...groups.entries()].map(([k, cases]) => `- ${k} (${cases.join(", ")})`).join("\n");
}

/** Everything from this line on in the page is hand-written (other scripts' measurements) and kept as is. */
export const KEPT_MARKER = "<!-- Hand-written sections below: kept by bench/lib/report.ts when it regenerates the page. -->";

/** Writes the page and its SVGs; returns the paths written (relative to the repository). */
export function writeReport(res: BenchResults, repoDir: string): string[] {
  const full = res.mode === "full";
  const mdPath = full ? join(repoDir, "docs", "benchmarks.md") : join(repoDir, "bench", "results", "quick", "benchmarks-quick.md");
  const svgDir = full ? join(repoDir, "docs", "benchmarks") : join(repoDir, "bench", "results", "quick");
  const svgRel = relative(resolve(mdPath, ".."), svgDir) || ".";
  mkdirSync(svgDir, { recursive: true });
  for (const old of readdirSync(svgDir)) if (old.endsWith(".svg")) rmSync(join(svgDir, old));
  const written: string[] = [];
  const svg = (name: string, body: string): string => {
    writeFileSync(join(svgDir, name), body);
    written.push(relative(repoDir, join(svgDir, name)));
    return `${svgRel}/${name}`;
  };
  const jsonPath = `bench/results/latest-${res.mode}.json`;
  const p: string[] = [];
  p.push(full ? "# Benchmarks" : "# Benchmarks (quick run)");
  p.push("");
  p.push(`<!-- Generated by bench/run.ts and bench/lib/report.ts from ${jsonPath}. Do not edit by hand: run \`pnpm bench\`. -->`);
  p.push("");
  p.push(
    `LEANN (this repository) against the stores users would pick instead, measured side by side in one run on ${res.date.slice(0, 10)} ` +
      `(${res.machine.cpuModel}, ${res.machine.nproc} shared cores, ${res.machine.memoryGiB} GiB, Node ${res.machine.node}). ` +
      `${full ? "Full" : "Quick"} run: ${(res.wallSeconds / 60).toFixed(1)} min wall (\`${res.command}\`). Raw results: [\`${jsonPath}\`](${relative(resolve(mdPath, ".."), join(repoDir, jsonPath))}).`,
  );
  if (!full) p.push("\n> Quick mode: 1k passages only and fewer curve points; the published page is docs/benchmarks.md (full run).");
  p.push("");
  p.push("## Headline");
  p.push("");
  p.push(`Per corpus: our index at its defaults against LangChain's HNSWLib store (hnswlib-node) at its defaults. Machine and date as above; timings are noisy (2 shared cores, about 2x). End-to-end latency is an **estimate** (search + recomputed and query embeddings x the model's measured cost per embedding); recomputation counts and bytes are exact.`);
  p.push("");
  p.push(headline(res));
  p.push("");
  p.push("## Method");
  p.push("");
  p.push(methodSection(res, jsonPath));
  p.push("");
  p.push("**Skipped**");
  p.push("");
  p.push(skippedSection(res));
  p.push("");
  p.push("## Results");
  const sizes = ["1k", "10k", "100k"] as const;
  for (const size of sizes) {
    const cs = res.cases.filter((c) => c.sizeClass === size);
    if (cs.length === 0) continue;
    p.push("");
    p.push(`### ${size} passages`);
    for (const c of cs) {
      p.push("");
      p.push(`#### ${c.key}: ${c.corpus}, ${modelShort(c)}`);
      p.push("");
      const lp = c.leann?.params as Record<string, unknown> | undefined;
      p.push(
        `${int(c.count)} passages, ${c.queries} queries, raw text ${fmtBytes(c.rawTextBytes)} (${int(c.rawTextBytes / c.count)} B a passage). ` +
          `Model: ${c.model}; cost per embedding: ${c.embedMsPerText === null ? "not measured" : `${f(c.embedMsPerText, 2)} ms (${c.embedCostSource})`}.` +
          (lp ? ` Our index: M ${lp.M}, efConstruction ${lp.efConstruction}, pruned to average degree ${lp.averageDegree} (ordinary nodes ${lp.prunedDegree}, ${lp.hubs} hubs), 4-bit PQ.` : "") +
          (c.leann?.buildTimings ? ` Build phases: ${Object.entries(c.leann.buildTimings).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${secs(v)}`).join(", ")}; load ${fmtMs(c.leann.loadMs)}.` : "") +
          ` Case wall time ${(c.wallSeconds / 60).toFixed(1)} min.`,
      );
      p.push("");
      const a = svg(`${c.key}-storage.svg`, storageSvg(c));
      p.push(`![Bytes on disk, ${c.key}](${a})`);
      p.push("");
      p.push(storageTable(c));
      p.push("");
      p.push(searchTable(c));
      if (c.curve.length) {
        p.push("");
        const b = svg(`${c.key}-recall-recompute.svg`, recallCurveSvg(c));
        p.push(`![Recall against recomputations, ${c.key}](${b})`);
        if (c.embedMsPerText !== null) {
          const l = svg(`${c.key}-latency-recall.svg`, latencySvg(c, "e2e"));
          p.push("");
          p.push(`![Latency end to end (estimate) against recall, ${c.key}](${l})`);
        }
        const ls = svg(`${c.key}-latency-recall-search.svg`, latencySvg(c, "search"));
        p.push("");
        p.push(`![Latency without the embedder against recall, ${c.key}](${ls})`);
        p.push("");
        p.push(`<details><summary>Our index: every search setting measured (${c.curve.length})</summary>`);
        p.push("");
        p.push(curveTable(c));
        p.push("");
        p.push("</details>");
      }
      if (c.leann?.live) {
        const lv = c.leann.live;
        p.push("");
        p.push(
          `With ${lv.model} in the loop (measured, not estimated): recall@10 ${r3(lv.recall10)}, ${f(lv.recomputedPerQuery, 1)} recomputed per query, ` +
            `p50 ${fmtMs(lv.msP50)} / p95 ${fmtMs(lv.msP95)} end to end of which the model ${fmtMs(lv.embedMsP50)} (p50); ` +
            `${f(lv.msPerEmbedding, 3)} ms per embedding during the searches, against ${f(c.embedMsPerText, 3)} ms used by the estimate.`,
        );
      }
    }
  }
  p.push("");
  // Hand-written sections (measured by other scripts) follow KEPT_MARKER and survive a regeneration.
  const old = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "";
  const kept = old.indexOf(KEPT_MARKER);
  if (kept >= 0) p.push(old.slice(kept).trimEnd(), "");
  mkdirSync(resolve(mdPath, ".."), { recursive: true });
  writeFileSync(mdPath, p.join("\n"));
  written.unshift(relative(repoDir, mdPath));
  return written;
}

// CLI: re-render a results file.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const benchDir = resolve(fileURLToPath(import.meta.url), "..", "..");
  const file = process.argv[2] ?? join(benchDir, "results", "latest-full.json");
  const res = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  console.log(writeReport(res, resolve(benchDir, "..")).join("\n"));
}
