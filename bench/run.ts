/**
 * `pnpm bench`: LEANN against the stores users would pick instead, measured side by side in one run, written to
 * bench/results/ as JSON and rendered to docs/benchmarks.md (tables + SVG plots, by lib/report.ts).
 *
 *   pnpm bench                    # from the repository root: full run (every size present), regenerates docs/benchmarks.md
 *   pnpm bench --quick            # 1k passages only, fewer curve points, < 2 min; writes bench/results/quick/ (never the docs page)
 *   pnpm bench -- --quick         # the same (a literal "--" is ignored)
 *   cd bench && pnpm exec tsx run.ts [--quick] [options]
 *
 * Options:
 *   --only a,b        run only these cases (fiori-678, sotu-use-1k, sotu-potion-1k, sotu-use-10k, sotu-potion-10k, mixed-potion-100k)
 *   --skip-stores a,b leave these stores out (ids as in the JSON: leann, exact, langchain-hnswlib, langchain-hnswlib-ef64,
 *                     langchain-memory, llamaindex-simple, llamaindex-simple-persistdir, lancedb)
 *   --report-only     re-render the page from results/latest-<mode>.json, run nothing
 *   --no-live         skip the run with the real potion model in the loop
 *
 * Every store runs in its own child process (peak memory = its own high-water mark): peers through
 * lib/peers.ts runPeerIsolated, ours through this file started as `run.ts --leann-worker <job>`.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, getPriority, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { LeannIndex, type SearchOptions } from "../packages/core/src/index.ts";
import { BENCH_DIR, datasetExists, loadDataset, type Dataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";
import { CachedEmbedder, measure, rssMb } from "./lib/leann.ts";
import { folderBytes, percentile, runPeerIsolated, type PeerResult } from "./lib/peers.ts";
import { writeReport, type BenchResults, type CaseResult, type CurvePoint, type StoreRow } from "./lib/report.ts";

const K = 10;
const REPO = resolve(BENCH_DIR, "..");
const RESULTS_DIR = join(BENCH_DIR, "results");

// ---------------------------------------------------------------------------------------------------------------
// The worker: builds our index on one dataset prefix, saves it, loads it back, searches with several settings.
// ---------------------------------------------------------------------------------------------------------------

interface LeannJob {
  dataset: string;
  limit: number;
  truthFile: string;
  outFile: string;
  configs: { label: string; mode: CurvePoint["mode"]; opts: SearchOptions; row?: string }[];
  /** Also search with the real potion model in the loop (64-d potion datasets). */
  live: boolean;
  embedMsPerText: number | null;
}

export interface LeannWorkerResult {
  buildMs: number;
  buildTimings: Record<string, number> | null;
  saveMs: number;
  loadMs: number;
  bytesOnDisk: number;
  bytesWithoutText: number;
  files: Record<string, number>;
  sizes: Record<string, number>;
  params: Record<string, unknown>;
  rssStartMb: number;
  peakRssMb: number;
  points: CurvePoint[];
  live: LiveResult | null;
}

export interface LiveResult {
  model: string;
  recall1: number;
  recall3: number;
  recall10: number;
  recomputedPerQuery: number;
  /** Measured wall time of index.search(queryText): query embedding + recomputation + walk. */
  msP50: number;
  msP95: number;
  embedMsP50: number;
  /** Measured ms per embedding during the searches (embedder time / embeddings computed, query included). */
  msPerEmbedding: number;
  note: string;
}

/** The first `n` passages of a dataset, with all its queries. */
export function prefix(ds: Dataset, n: number): Dataset {
  const d = ds.meta.dims;
  const count = Math.min(n, ds.meta.count);
  return { ...ds, meta: { ...ds.meta, count }, passages: ds.passages.slice(0, count), vectors: ds.vectors.subarray(0, count * d) };
}

/** Per-query end-to-end estimate: search without the embedder + (recomputed + 1 query) x the model's cost. */
function e2e(searchMs: number[], recomputed: number[], embedMs: number | null): { p50: number; p95: number } | null {
  if (embedMs === null) return null;
  const v = searchMs.map((ms, i) => ms + (recomputed[i]! + 1) * embedMs).sort((a, b) => a - b);
  return { p50: percentile(v, 50), p95: percentile(v, 95) };
}

async function leannWorker(job: LeannJob): Promise<void> {
  const ds = prefix(loadDataset(job.dataset), job.limit);
  const truth = JSON.parse(readFileSync(job.truthFile, "utf8")) as string[][];
  const { dims, count } = ds.meta;
  const embedder = new CachedEmbedder(ds, ds.meta.model);
  const rows = Array.from({ length: count }, (_, i) => ds.vectors.subarray(i * dims, (i + 1) * dims));
  const rssStartMb = rssMb();
  let t = performance.now();
  // No in-memory hub cache: every exact vector a search needs is recomputed (a cold query).
  const built = await LeannIndex.build(ds.passages.map((p) => ({ id: p.id, text: p.text })), { embedder, vectors: rows, cacheBytes: 0 });
  const buildMs = performance.now() - t;
  const dir = mkdtempSync(join(tmpdir(), "leann-bench-run-"));
  try {
    t = performance.now();
    await built.save(dir);
    const saveMs = performance.now() - t;
    const disk = folderBytes(dir);
    const sizes = built.sizes();
    const params = { ...built.params };
    const buildTimings = built.buildTimings ? { ...built.buildTimings } : null;
    t = performance.now();
    // Searched as users search: a saved index loaded from disk (passage text read from the file on demand).
    const index = await LeannIndex.load(dir, { embedder, cacheBytes: 0, probe: false });
    const loadMs = performance.now() - t;
    for (let i = 0; i < Math.min(5, ds.queries.length); i++) await index.search(ds.queryVectors.subarray(i * dims, (i + 1) * dims), { k: K });
    const points: CurvePoint[] = [];
    for (const c of job.configs) {
      const ms: number[] = [], rec: number[] = [];
      const m = await measure(index, ds, truth, { k: K, ...c.opts }, (_i, r, searchMs) => {
        ms.push(searchMs);
        rec.push(r.stats.recomputed);
      });
      const est = e2e(ms, rec, job.embedMsPerText);
      points.push({
        label: c.label,
        mode: c.mode,
        opts: c.opts as Record<string, unknown>,
        ...(c.row ? { row: c.row } : {}),
        recall1: m.recall1,
        recall3: m.recall3,
        recall10: m.recall10,
        recomputedPerQuery: m.recomputedPerQuery,
        recomputedP95: percentile(rec.slice().sort((a, b) => a - b), 95),
        visitedPerQuery: m.visitedPerQuery,
        searchMsP50: m.msP50,
        searchMsP95: m.msP95,
        e2eMsP50: est?.p50 ?? null,
        e2eMsP95: est?.p95 ?? null,
      });
      console.log(`    leann ${c.label.padEnd(34)} recall@10 ${m.recall10.toFixed(3)}  recomputed ${m.recomputedPerQuery.toFixed(1)}  search p50 ${m.msP50.toFixed(2)} ms`);
    }
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    let live: LiveResult | null = null;
    if (job.live) live = await liveSearch(dir, ds, truth);
    const bytesWithoutText = Object.entries(disk.files).filter(([f]) => !/^passages\./.test(f)).reduce((s, [, b]) => s + b, 0);
    const out: LeannWorkerResult = {
      buildMs,
      buildTimings,
      saveMs,
      loadMs,
      bytesOnDisk: disk.total,
      bytesWithoutText,
      files: disk.files,
      sizes: { ...sizes },
      params,
      rssStartMb,
      peakRssMb,
      points,
      live,
    };
    writeFileSync(job.outFile, JSON.stringify(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our index with the real potion model as its embedder: query text in, every embedding computed by the model. */
async function liveSearch(dir: string, ds: Dataset, truth: string[][]): Promise<LiveResult> {
  const { loadPotionEmbedder } = await import("./lib/potion.ts");
  const potion = await loadPotionEmbedder();
  const d = potion.dims;
  const embedder = {
    model: ds.meta.model,
    async embedDocuments(texts: string[]): Promise<number[][]> {
      const v = await potion.embed(texts);
      return texts.map((_, i) => v.subarray(i * d, (i + 1) * d) as unknown as number[]);
    },
  };
  const index = await LeannIndex.load(dir, { embedder, cacheBytes: 0, probe: false });
  for (let i = 0; i < Math.min(5, ds.queries.length); i++) await index.search(ds.queries[i]!.text, { k: K });
  const found: string[][] = [];
  const ms: number[] = [], embedMs: number[] = [];
  let recomputed = 0, embedTotal = 0, embedded = 0;
  for (const q of ds.queries) {
    const t = performance.now();
    const r = await index.search(q.text, { k: K });
    ms.push(performance.now() - t);
    embedMs.push(r.stats.ms.embed);
    embedTotal += r.stats.ms.embed;
    embedded += r.stats.recomputed + 1;
    recomputed += r.stats.recomputed;
    found.push(r.hits.map((h) => h.id));
  }
  ms.sort((a, b) => a - b);
  embedMs.sort((a, b) => a - b);
  return {
    model: potion.description,
    recall1: recallAtK(found, truth, 1),
    recall3: recallAtK(found, truth, 3),
    recall10: recallAtK(found, truth, 10),
    recomputedPerQuery: recomputed / ds.queries.length,
    msP50: percentile(ms, 50),
    msP95: percentile(ms, 95),
    embedMsP50: percentile(embedMs, 50),
    msPerEmbedding: embedTotal / Math.max(1, embedded),
    note: "measured: index.search(query text) with potion-base-2M computing the query embedding and every recomputation",
  };
}

function runLeannIsolated(job: Omit<LeannJob, "outFile" | "truthFile">, truth: string[][]): Promise<LeannWorkerResult> {
  const tmp = mkdtempSync(join(tmpdir(), "leann-bench-job-"));
  const full: LeannJob = { ...job, truthFile: join(tmp, "truth.json"), outFile: join(tmp, "out.json") };
  writeFileSync(full.truthFile, JSON.stringify(truth));
  return new Promise<LeannWorkerResult>((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(BENCH_DIR, "run.ts"), "--leann-worker", JSON.stringify(full)], {
      cwd: BENCH_DIR,
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", rej);
    child.on("exit", (code, signal) => {
      try {
        if (code !== 0) throw new Error(`leann worker exited with ${code ?? signal}`);
        res(JSON.parse(readFileSync(full.outFile, "utf8")) as LeannWorkerResult);
      } catch (e) {
        rej(e);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What runs
// ---------------------------------------------------------------------------------------------------------------

interface CaseSpec {
  key: string;
  dataset: string;
  limit: number;
  sizeClass: "1k" | "10k" | "100k";
  corpus: string;
  quick: boolean;
}

const CASES: CaseSpec[] = [
  { key: "fiori-678", dataset: "fiori-minilm-384", limit: 678, sizeClass: "1k", corpus: "SAP Fiori developer docs (upstream chunks)", quick: true },
  { key: "sotu-use-1k", dataset: "sotu-use-512", limit: 1000, sizeClass: "1k", corpus: "State of the Union (first 1,000 chunks)", quick: true },
  { key: "sotu-potion-1k", dataset: "sotu-potion-64", limit: 1000, sizeClass: "1k", corpus: "State of the Union (first 1,000 chunks)", quick: true },
  { key: "sotu-use-10k", dataset: "sotu-use-512", limit: 10000, sizeClass: "10k", corpus: "State of the Union (10,000 chunks)", quick: false },
  { key: "sotu-potion-10k", dataset: "sotu-potion-64", limit: 10000, sizeClass: "10k", corpus: "State of the Union (first 10,000 chunks)", quick: false },
  { key: "mixed-potion-100k", dataset: "mixed-potion-64-100k", limit: 100000, sizeClass: "100k", corpus: "Mixed: SOTU, Python, Linux and other Debian-packaged docs (100,000 chunks)", quick: false },
];

interface PeerSpec {
  id: string;
  peer: string;
  params: Record<string, unknown>;
  label: string;
  /** Only for these cases (else all). */
  cases?: (quick: boolean) => string[];
}

const PEER_SPECS: PeerSpec[] = [
  { id: "langchain-hnswlib", peer: "langchain-hnswlib", params: {}, label: "LangChain HNSWLib (defaults, ef 10)" },
  { id: "langchain-hnswlib-ef64", peer: "langchain-hnswlib", params: { efSearch: 64 }, label: "LangChain HNSWLib, ef raised to 64" },
  { id: "langchain-memory", peer: "langchain-memory", params: {}, label: "LangChain MemoryVectorStore" },
  { id: "llamaindex-simple", peer: "llamaindex-simple", params: { persist: "once" }, label: "LlamaIndex SimpleVectorStore" },
  // The documented persistDir storage context rewrites its JSON after every node (quadratic): only on the smallest corpus.
  { id: "llamaindex-simple-persistdir", peer: "llamaindex-simple", params: { persist: "persistDir" }, label: "LlamaIndex SimpleVectorStore (persistDir)", cases: (quick) => (quick ? [] : ["fiori-678"]) },
  { id: "lancedb", peer: "lancedb", params: {}, label: "LanceDB embedded table" },
  { id: "exact", peer: "exact", params: {}, label: "exact flat scan (reference)" },
];

function leannConfigs(quick: boolean): LeannJob["configs"] {
  const mr = quick ? [16, 32, 64, 256] : [16, 24, 32, 48, 64, 96, 192, 256];
  const efs = quick ? [16, 64, 128] : [8, 16, 32, 64, 128, 256];
  const out: LeannJob["configs"] = [{ label: "defaults (maxRecompute 128, ef 256)", mode: "two-level", opts: {}, row: "leann" }];
  for (const m of mr) out.push({ label: `two-level maxRecompute ${m}`, mode: "two-level", opts: { maxRecompute: m } });
  for (const ef of efs) {
    out.push({ label: `exact-walk ef ${ef}`, mode: "exact-walk", opts: { mode: "exact-walk", ef }, ...(ef === 64 ? { row: "leann-exact-walk" } : {}) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Machine, versions, datasets
// ---------------------------------------------------------------------------------------------------------------

function sh(cmd: string, args: string[], cwd = REPO): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trimEnd();
  } catch {
    return "";
  }
}

function machineInfo(): BenchResults["machine"] {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  const osRelease = existsSync("/etc/os-release") ? /PRETTY_NAME="?([^"\n]+)"?/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "" : "";
  return {
    nproc: Number(sh("nproc", [])) || cpus().length,
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiBAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osRelease || `${process.platform} ${process.arch}`,
    kernel: sh("uname", ["-r"]),
    loadAvgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    loadAvgEnd: [],
    niceness: getPriority(),
    shared: "2 cores shared with other users: wall-clock figures move by up to about 2x between runs",
  };
}

function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of ["hnswlib-node", "@langchain/community", "@langchain/classic", "@langchain/core", "llamaindex", "@lancedb/lancedb"]) {
    try {
      out[p] = (JSON.parse(readFileSync(join(BENCH_DIR, "node_modules", p, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      out[p] = "?";
    }
  }
  return out;
}

function gitInfo(): BenchResults["git"] {
  const dirty = sh("git", ["status", "--porcelain", "--", "packages"]).split("\n").filter(Boolean);
  return { commit: sh("git", ["rev-parse", "--short", "HEAD"]), engineDirtyFiles: dirty.map((l) => l.slice(3)) };
}

/** Builds the datasets that are quick to build when missing; returns why a dataset is unavailable, or null. */
function ensureDataset(name: string, need: number, quick: boolean): string | null {
  const quickBuild: Record<string, string[]> = {
    "fiori-minilm-384": ["build-datasets.ts", "fiori-minilm-384"],
    "sotu-potion-64": ["build-datasets.ts", "sotu-potion-64"],
  };
  if (!datasetExists(name)) {
    const cmd = quickBuild[name] ?? (name === "mixed-potion-64-100k" && !quick && existsSync(join(BENCH_DIR, "build-mixed.ts")) ? ["build-mixed.ts"] : undefined);
    if (cmd) {
      console.log(`dataset ${name} is missing: building it (pnpm exec tsx ${cmd.join(" ")})`);
      try {
        execFileSync(process.execPath, ["--import", "tsx", ...cmd], { cwd: BENCH_DIR, stdio: "inherit" });
      } catch (e) {
        return `building it failed: ${(e as Error).message.split("\n")[0]}`;
      }
    }
  }
  if (!datasetExists(name)) {
    if (name === "sotu-use-512") return "not built (USE-lite takes ~15 min: `cd bench && nohup nice -n 10 node --import tsx build-datasets.ts sotu-use-512 --target 10000 &`)";
    if (name === "mixed-potion-64-100k") return "not built (`cd bench && pnpm exec tsx build-mixed.ts`)";
    return "not built (see bench/README.md)";
  }
  const meta = JSON.parse(readFileSync(join(BENCH_DIR, ".cache", "datasets", name, "meta.json"), "utf8")) as { count: number };
  if (meta.count < need) return `has ${meta.count} passages, fewer than the ${need} this case needs (still building?)`;
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

function listArg(args: string[], name: string): string[] | null {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]!.split(",") : null;
}

function peerRow(spec: PeerSpec, r: PeerResult, truth: string[][], embedMs: number | null): StoreRow {
  return {
    id: spec.id,
    store: r.peer,
    label: spec.label,
    kind: spec.peer === "exact" ? "reference" : "peer",
    params: r.params,
    bytesOnDisk: r.bytesOnDisk,
    bytesWithoutText: r.bytesWithoutText,
    bytesNote: r.bytesNote,
    files: r.files ?? null,
    buildMs: r.buildMs,
    saveMs: r.saveMs,
    recall1: recallAtK(r.results, truth, 1),
    recall3: recallAtK(r.results, truth, 3),
    recall10: recallAtK(r.results, truth, 10),
    recomputedPerQuery: 0,
    searchMsP50: r.searchMsP50,
    searchMsP95: r.searchMsP95,
    e2eMsP50: embedMs === null ? null : r.searchMsP50 + embedMs,
    e2eMsP95: embedMs === null ? null : r.searchMsP95 + embedMs,
    peakRssMb: r.peakRssMb,
    rssStartMb: r.rssStartMb,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  const quick = args.includes("--quick");
  const mode = quick ? "quick" : "full";
  const latest = join(RESULTS_DIR, `latest-${mode}.json`);
  if (args.includes("--report-only")) {
    const res = JSON.parse(readFileSync(latest, "utf8")) as BenchResults;
    console.log(`re-rendering from ${latest}: ${writeReport(res, REPO).join(", ")}`);
    return;
  }
  const only = listArg(args, "--only");
  const skipStores = new Set(listArg(args, "--skip-stores") ?? []);
  const live = !args.includes("--no-live");
  const started = new Date();
  const t0 = performance.now();
  const results: BenchResults = {
    schema: 1,
    mode,
    date: started.toISOString(),
    wallSeconds: 0,
    command: quick ? "pnpm bench --quick" : "pnpm bench",
    argv: args,
    k: K,
    machine: machineInfo(),
    git: gitInfo(),
    versions: versions(),
    cases: [],
    skipped: [],
  };
  console.log(`leann bench (${mode}): ${results.machine.cpuModel}, ${results.machine.nproc} cores, Node ${process.version}, load ${results.machine.loadAvgStart.join(" ")}, niceness ${results.machine.niceness}`);
  if (results.git.engineDirtyFiles.length) {
    console.warn(`WARNING: packages/ has uncommitted changes (${results.git.engineDirtyFiles.join(", ")}): these numbers will not match commit ${results.git.commit}; the page says so.`);
  }
  for (const spec of CASES) {
    if (only ? !only.includes(spec.key) : quick && !spec.quick) continue;
    const why = ensureDataset(spec.dataset, spec.limit === 678 ? 678 : spec.limit, quick);
    if (why) {
      console.log(`\n## ${spec.key}: SKIPPED: ${spec.dataset} ${why}`);
      results.skipped.push({ case: spec.key, store: null, reason: `${spec.dataset} ${why}` });
      continue;
    }
    const ct = performance.now();
    const ds = prefix(loadDataset(spec.dataset), spec.limit);
    const { dims, count } = ds.meta;
    const embedMs = ds.meta.embedSecondsPerText === null ? null : ds.meta.embedSecondsPerText * 1000;
    console.log(`\n## ${spec.key}: ${count} passages of ${spec.dataset} (${dims}-d), ${ds.queries.length} queries`);
    let tt = performance.now();
    const truth = exactTopKIds(ds.vectors, dims, ds.passages.map((p) => p.id), ds.queryVectors, K);
    const truthMs = performance.now() - tt;
    const rawTextBytes = ds.passages.reduce((s, p) => s + Buffer.byteLength(p.text), 0);
    const caseResult: CaseResult = {
      key: spec.key,
      dataset: spec.dataset,
      sizeClass: spec.sizeClass,
      corpus: spec.corpus,
      model: ds.meta.model,
      dims,
      count,
      queries: ds.queries.length,
      rawTextBytes,
      embedMsPerText: embedMs,
      embedCostSource: embedMs === null ? "none: the vectors were computed upstream and no model cost was measured" : "meta.embedSecondsPerText, measured on this machine when the dataset was built",
      truthMs,
      stores: [],
      curve: [],
      leann: null,
      wallSeconds: 0,
    };
    const isPotion = spec.dataset.includes("potion");
    if (!skipStores.has("leann")) {
      tt = performance.now();
      console.log(`  leann (own process) ...`);
      try {
        const w = await runLeannIsolated({ dataset: spec.dataset, limit: spec.limit, configs: leannConfigs(quick), live: live && isPotion, embedMsPerText: embedMs }, truth);
        caseResult.curve = w.points;
        caseResult.leann = { params: w.params, sizes: w.sizes, files: w.files, buildTimings: w.buildTimings, loadMs: w.loadMs, live: w.live };
        const base = {
          store: "leann",
          kind: "ours" as const,
          bytesOnDisk: w.bytesOnDisk,
          bytesWithoutText: w.bytesWithoutText,
          bytesNote: "save(dir): index.N.leann (compressed pruned graph + 4-bit PQ codes + codebooks, no embeddings) + passages.N.leann (ids, text, metadata; DEFLATE when smaller) + CURRENT; without text = all but the passages file",
          files: w.files,
          buildMs: w.buildMs,
          saveMs: w.saveMs,
          peakRssMb: w.peakRssMb,
          rssStartMb: w.rssStartMb,
        };
        for (const p of w.points.filter((x) => x.row)) {
          caseResult.stores.push({
            ...base,
            id: p.row!,
            label: p.row === "leann" ? "leann (defaults)" : "leann exact-walk ef 64 (recompute every visited node, as the Python LEANN)",
            params: { ...w.params, search: p.opts, cacheBytes: 0 },
            recall1: p.recall1,
            recall3: p.recall3,
            recall10: p.recall10,
            recomputedPerQuery: p.recomputedPerQuery,
            searchMsP50: p.searchMsP50,
            searchMsP95: p.searchMsP95,
            e2eMsP50: p.e2eMsP50,
            e2eMsP95: p.e2eMsP95,
          });
        }
        if (w.live) {
          console.log(`    leann with ${w.live.model} in the loop: recall@10 ${w.live.recall10.toFixed(3)}, ${w.live.msP50.toFixed(2)} ms p50 end to end (measured)`);
        }
        console.log(`    leann: ${(w.bytesOnDisk / 2 ** 20).toFixed(2)} MB on disk, build ${(w.buildMs / 1000).toFixed(1)} s, peak RSS ${w.peakRssMb} MB (${((performance.now() - tt) / 1000).toFixed(1)} s)`);
      } catch (e) {
        console.log(`    leann FAILED: ${(e as Error).message}`);
        results.skipped.push({ case: spec.key, store: "leann", reason: `failed: ${(e as Error).message}` });
      }
    }
    for (const p of PEER_SPECS) {
      if (skipStores.has(p.id)) {
        results.skipped.push({ case: spec.key, store: p.id, reason: "--skip-stores" });
        continue;
      }
      if (p.cases && !p.cases(quick).includes(spec.key)) continue;
      tt = performance.now();
      try {
        const r = await runPeerIsolated(p.peer, spec.dataset, K, p.params, { limit: spec.limit });
        const row = peerRow(p, r, truth, embedMs);
        caseResult.stores.push(row);
        console.log(`  ${p.id.padEnd(30)} ${(r.bytesOnDisk / 2 ** 20).toFixed(2).padStart(8)} MB  recall@10 ${row.recall10.toFixed(3)}  p50 ${r.searchMsP50.toFixed(2)} ms  build ${(r.buildMs / 1000).toFixed(1)} s  RSS ${r.peakRssMb} MB  (${((performance.now() - tt) / 1000).toFixed(1)} s)`);
      } catch (e) {
        console.log(`  ${p.id} FAILED: ${(e as Error).message}`);
        results.skipped.push({ case: spec.key, store: p.id, reason: `failed: ${(e as Error).message}` });
      }
    }
    caseResult.wallSeconds = (performance.now() - ct) / 1000;
    results.cases.push(caseResult);
  }
  for (const p of PEER_SPECS) {
    if (p.cases) {
      const ran = new Set(p.cases(quick));
      for (const c of results.cases) {
        if (ran.has(c.key)) continue;
        results.skipped.push({
          case: c.key,
          store: p.id,
          reason: quick
            ? "not in quick mode (the documented persistDir context rewrites every JSON file after each node: quadratic, ~40 s for 678 passages)"
            : "the documented persistDir context rewrites every JSON file after each node (quadratic: ~40 s for 678 passages, hours at 10k): run on the smallest corpus only; the other rows persist once (same files, same bytes)",
        });
      }
    }
  }
  results.wallSeconds = (performance.now() - t0) / 1000;
  results.machine.loadAvgEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const dated = join(RESULTS_DIR, `${mode}-${started.toISOString().slice(0, 10)}.json`);
  const json = JSON.stringify(results, null, 1) + "\n";
  writeFileSync(dated, json);
  writeFileSync(latest, json);
  const written = writeReport(results, REPO);
  console.log(`\n${mode} run: ${results.wallSeconds.toFixed(0)} s wall. Wrote ${dated}, ${latest}, ${written.join(", ")}`);
  if (results.skipped.length) console.log(`skipped:\n${results.skipped.map((s) => `  ${s.case}${s.store ? ` / ${s.store}` : ""}: ${s.reason}`).join("\n")}`);
}

const argv = process.argv.slice(2);
if (argv[0] === "--leann-worker") {
  await leannWorker(JSON.parse(argv[1]!) as LeannJob);
  process.exit(0);
} else {
  await main();
}
