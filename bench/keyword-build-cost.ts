/**
 * What the keyword index adds to build time (issue 15 target: at most +25%): LeannIndex.build wall time with
 * keywordIndex false and true, on the labelled sets' passages (bench/data/qa-*), both with the vectors given
 * (the embedder only recorded) and with the real default model embedding (@leann/onnx LocalEmbeddings, potion),
 * the realistic case. Wall time and the process's CPU time (all threads) are both reported: on a loaded machine
 * the CPU time is the steadier measure of the keyword index's own cost, while only wall time shows what
 * overlapping it with the embedding and the graph workers saves. Runs are interleaved (off/on alternating, order flipped each round) and the best of
 * `--runs` is kept, since the machine is shared; the load average is printed with the numbers.
 *
 *   pnpm exec tsx keyword-build-cost.ts [--sets python-faq,perl-faq,faq-100k] [--modes vectors,model] [--runs 3]
 *
 * LEANN_CORE=/path/to/packages/core/src/index.ts measures another checkout's engine (for example main's, to
 * compare with the code before a change); the embedder is always this checkout's.
 *
 * On a loaded machine whole builds vary by more than the keyword index costs; the keyword work alone (tokenising
 * and adding postings) of two engines, alternating, and the check that both give the same keyword section, are in
 * packages/core/scripts/keyword-build-check.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { readQaSet } from "./build-qa-sets.ts";

type Mode = "vectors" | "model";
interface Embedder {
  embedDocuments(texts: string[]): Promise<number[][]>;
}
interface CoreModule {
  LeannIndex: {
    build(passages: { id: string; text: string }[], options: Record<string, unknown>): Promise<{ buildTimings: Record<string, number> | null }>;
  };
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const sets = arg("sets", "python-faq,perl-faq,faq-100k").split(",");
const modes = arg("modes", "vectors,model").split(",") as Mode[];
const runs = Number(arg("runs", "3"));
const corePath = process.env.LEANN_CORE ?? join(import.meta.dirname, "..", "packages", "core", "src", "index.ts");

const core = (await import(pathToFileURL(corePath).href)) as CoreModule;
const { LocalEmbeddings } = (await import(pathToFileURL(join(import.meta.dirname, "..", "packages", "onnx", "src", "index.ts")).href)) as {
  LocalEmbeddings: new () => Embedder & { load(): Promise<unknown> };
};
const embedder = new LocalEmbeddings();
await embedder.load();

const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");
const gc = (globalThis as { gc?: () => void }).gc;

interface Row {
  set: string;
  mode: Mode;
  passages: number;
  rawMB: number;
  offMs: number[];
  onMs: number[];
  /** CPU time of the process (every thread), which the load of a shared machine disturbs far less than wall time. */
  offCpuMs: number[];
  onCpuMs: number[];
  keywordMs: number[];
  growth: number;
  cpuGrowth: number;
  loadStart: string;
  loadEnd: string;
}
const rows: Row[] = [];

for (const set of sets) {
  const passages = readQaSet(set, "heldout").passages.map((p) => ({ id: String(p.id), text: p.text }));
  const rawMB = passages.reduce((n, p) => n + Buffer.byteLength(p.text), 0) / 1e6;
  let vectors: number[][] | undefined;
  if (modes.includes("vectors")) {
    vectors = [];
    for (let i = 0; i < passages.length; i += 1024) vectors.push(...(await embedder.embedDocuments(passages.slice(i, i + 1024).map((p) => p.text))));
  }
  for (const mode of modes) {
    const row: Row = { set, mode, passages: passages.length, rawMB, offMs: [], onMs: [], offCpuMs: [], onCpuMs: [], keywordMs: [], growth: 0, cpuGrowth: 0, loadStart: load(), loadEnd: "" };
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const keywordIndex of order) {
        gc?.();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const index = await core.LeannIndex.build(passages, { embedder, keywordIndex, ...(mode === "vectors" ? { vectors } : {}) });
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const cpuMs = (c.user + c.system) / 1000;
        (keywordIndex ? row.onMs : row.offMs).push(ms);
        (keywordIndex ? row.onCpuMs : row.offCpuMs).push(cpuMs);
        if (keywordIndex) row.keywordMs.push(index.buildTimings?.keyword ?? Number.NaN);
        console.error(`${set} ${mode} run ${r + 1} keywordIndex=${keywordIndex}: ${(ms / 1000).toFixed(2)} s, CPU ${(cpuMs / 1000).toFixed(2)} s (load ${load()})`);
      }
    }
    row.loadEnd = load();
    row.growth = Math.min(...row.onMs) / Math.min(...row.offMs) - 1;
    row.cpuGrowth = Math.min(...row.onCpuMs) / Math.min(...row.offCpuMs) - 1;
    rows.push(row);
  }
}

console.log(`\nengine: ${corePath}; best of ${runs}, interleaved; load average (1/5/15 min) at the start and end of each row\n`);
console.log(
  "| set | passages | raw MB | mode | wall, no keyword index | wall, keyword index | wall growth | CPU, no keyword index | CPU, keyword index | CPU growth | postings added after the graph | load avg start / end |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const kw = r.keywordMs.filter(Number.isFinite);
  console.log(
    `| ${r.set} | ${r.passages} | ${r.rawMB.toFixed(1)} | ${r.mode} | ${s(Math.min(...r.offMs))} | ${s(Math.min(...r.onMs))} | ${(100 * r.growth).toFixed(1)}% | ${s(Math.min(...r.offCpuMs))} | ${s(Math.min(...r.onCpuMs))} | ${(100 * r.cpuGrowth).toFixed(1)}% | ${
      kw.length ? s(Math.min(...kw)) : "n/a"
    } | ${r.loadStart} / ${r.loadEnd} |`,
  );
}
const out = join(import.meta.dirname, "results", `keyword-build-cost${process.env.LEANN_CORE ? "-other" : ""}.json`);
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(out, JSON.stringify({ engine: corePath, runs, rows }, null, 2));
console.log(`\nwritten: ${out}`);
