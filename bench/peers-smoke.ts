/**
 * Runs every peer on a cached dataset (default fiori-minilm-384), each in its own process, and prints a table:
 * bytes total, bytes/passage, share of raw text bytes, build ms, recall@k vs exact, search p50/p95 ms, peak RSS.
 *
 *   pnpm exec tsx peers-smoke.ts [dataset] [--k 10] [--limit N] [--peers a,b] [--json out.json]
 */
import { writeFileSync } from "node:fs";
import { loadDataset } from "./lib/datasets.ts";
import { exactTopKIds, recallAtK } from "./lib/exact.ts";
import { PEERS, runPeerIsolated, type PeerResult } from "./lib/peers.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !(i > 0 && all[i - 1]!.startsWith("--")));
const dataset = positional[0] ?? "fiori-minilm-384";
const k = Number(arg("k") ?? 10);
const limit = arg("limit") ? Number(arg("limit")) : undefined;
/** The runs: peer, its params, and the label shown in the table. */
const RUNS: { label: string; peer: string; params: Record<string, unknown> }[] = [
  { label: "exact (flat scan)", peer: "exact", params: {} },
  { label: "hnswlib-node M16 efC200 ef64", peer: "hnswlib-node", params: { M: 16, efConstruction: 200, efSearch: 64 } },
  { label: "langchain-hnswlib (defaults)", peer: "langchain-hnswlib", params: {} },
  { label: "langchain-hnswlib ef64", peer: "langchain-hnswlib", params: { efSearch: 64 } },
  { label: "langchain-memory", peer: "langchain-memory", params: {} },
  { label: "llamaindex-simple (persist once)", peer: "llamaindex-simple", params: { persist: "once" } },
  { label: "llamaindex-simple (persistDir)", peer: "llamaindex-simple", params: { persist: "persistDir" } },
  { label: "lancedb (auto index)", peer: "lancedb", params: { index: "auto" } },
];
const only = arg("peers")?.split(",");
const maxPersistDir = Number(arg("max-persistdir") ?? 2000); // LlamaIndex persistDir is quadratic: skip it on large sets

const ds = loadDataset(dataset);
const n = Math.min(limit ?? ds.meta.count, ds.meta.count);
const passages = ds.passages.slice(0, n);
const dims = ds.meta.dims;
const truth = exactTopKIds(ds.vectors.subarray(0, n * dims), dims, passages.map((p) => p.id), ds.queryVectors, k);
const textBytes = passages.reduce((s, p) => s + Buffer.byteLength(p.text, "utf8"), 0);
const vectorBytes = n * dims * 4;
console.log(`dataset ${dataset}: ${n} passages, ${ds.meta.queryCount} queries, ${dims}-d (${ds.meta.model})`);
console.log(`raw text ${(textBytes / 1e6).toFixed(2)} MB (${Math.round(textBytes / n)} B/passage); raw float32 vectors ${(vectorBytes / 1e6).toFixed(2)} MB (${dims * 4} B/passage)\n`);

const out: (PeerResult & { label: string; recall: number })[] = [];
for (const run of RUNS) {
  if (only && !only.includes(run.peer)) continue;
  if (!PEERS[run.peer]) throw new Error(`unknown peer ${run.peer}`);
  if (run.params.persist === "persistDir" && n > maxPersistDir) {
    console.error(`${run.label}: skipped (${n} passages > --max-persistdir ${maxPersistDir})`);
    continue;
  }
  const t0 = performance.now();
  const r = await runPeerIsolated(run.peer, dataset, k, run.params, { limit: n });
  console.error(`${run.label}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  out.push({ ...r, label: run.label, recall: recallAtK(r.results, truth, k) });
}

const fmtB = (b: number | null): string => (b === null ? "-" : b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const header = ["run", "bytes total", "B/passage", "x raw text", "w/o text", "build ms", "save ms", `recall@${k}`, "p50 ms", "p95 ms", "peak RSS MB"];
const table = out.map((r) => [
  r.label,
  fmtB(r.bytesOnDisk),
  String(Math.round(r.bytesOnDisk / n)),
  (r.bytesOnDisk / textBytes).toFixed(2),
  fmtB(r.bytesWithoutText),
  r.buildMs.toFixed(0),
  r.saveMs.toFixed(0),
  r.recall.toFixed(3),
  r.searchMsP50.toFixed(3),
  r.searchMsP95.toFixed(3),
  r.peakRssMb === null ? "-" : String(r.peakRssMb),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
console.log(line(header));
console.log("|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
for (const row of table) console.log(line(row));
console.log("");
for (const r of out) console.log(`${r.label}: ${r.bytesNote}; params ${JSON.stringify(r.params)}`);
const jsonOut = arg("json");
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out.map(({ results, ...rest }) => rest), null, 2));
