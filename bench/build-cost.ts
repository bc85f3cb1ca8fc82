/**
 * Build time against hnswlib-node (issue 18): per dataset, hnswlib-node's build (M 32, efConstruction 200, one
 * thread, as in budget.ts --hnswlib) and ours at a budget from the same vectors, in this process, alternating,
 * `--repeat` times; wall and CPU seconds (CPU: every thread of the process, so our worker threads count), our
 * per-phase wall ms, and CPU seconds from each phase's first progress report to the next phase's (the keyword
 * index's tokenising runs in the main thread's idle time, so it lands in whichever phase is waiting). CPU time is the steadier figure on a shared machine.
 *
 *   pnpm exec tsx build-cost.ts --datasets sotu-use-512,sotu-use-384p [--budget balanced] [--repeat 2] [--threads N]
 */
import { LeannIndex } from "../packages/core/src/index.ts";
import { loadDataset } from "./lib/datasets.ts";
import { CachedEmbedder } from "./lib/leann.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const datasets = (arg("datasets") ?? "sotu-use-512,sotu-use-384p").split(",");
const budget = (arg("budget") ?? "balanced") as "balanced";
const repeat = Number(arg("repeat") ?? 2);
/** Our build's worker threads (0: the default, one a core up to 8 from 4,000 passages). */
const threads = Number(arg("threads") ?? 0);

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; cpuS: number; wallS: number }> {
  const c0 = process.cpuUsage(), w0 = performance.now();
  const value = await f();
  const c = process.cpuUsage(c0);
  return { value, cpuS: Number(((c.user + c.system) / 1e6).toFixed(2)), wallS: Number(((performance.now() - w0) / 1000).toFixed(2)) };
}

const mod = (await import("hnswlib-node")) as typeof import("hnswlib-node") & { default?: typeof import("hnswlib-node") };
const HierarchicalNSW = mod.HierarchicalNSW ?? mod.default!.HierarchicalNSW;

for (const name of datasets) {
  const ds = loadDataset(name);
  const d = ds.meta.dims, n = ds.meta.count;
  const rows = Array.from({ length: n }, (_, i) => ds.vectors.subarray(i * d, (i + 1) * d));
  const plain = rows.map((r) => Array.from(r));
  console.log(`\n${name}: ${n} x ${d}-d, budget ${budget}`);
  for (let r = 0; r < repeat; r++) {
    const h = await timed(async () => {
      const index = new HierarchicalNSW("cosine", d);
      index.initIndex(n, 32, 200, 100);
      for (let i = 0; i < n; i++) index.addPoint(plain[i]!, i);
    });
    console.log(JSON.stringify({ peer: "hnswlib-node M 32 efConstruction 200", wallS: h.wallS, cpuS: h.cpuS }));
    const embedder = new CachedEmbedder(ds, ds.meta.model);
    // CPU seconds a phase: the process's CPU time at each phase's first progress report.
    const marks: [string, number][] = [];
    const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
    const onProgress = (p: { phase: string }) => { if (marks.at(-1)?.[0] !== p.phase) marks.push([p.phase, cpuNow()]); };
    const l = await timed(() => LeannIndex.build(ds.passages.map((p) => ({ id: p.id, text: p.text })), { embedder, vectors: rows, budget, onProgress, threads }));
    marks.push(["end", cpuNow()]);
    const phaseCpuS = Object.fromEntries(marks.slice(0, -1).map(([ph, c], i) => [ph, Number((marks[i + 1]![1] - c).toFixed(2))]));
    const ms = Object.fromEntries(Object.entries(l.value.buildTimings ?? {}).map(([k, v]) => [k, Math.round(v)]));
    await l.value.close();
    console.log(JSON.stringify({ peer: "leann", wallS: l.wallS, cpuS: l.cpuS, wallRatio: Number((l.wallS / h.wallS).toFixed(2)), cpuRatio: Number((l.cpuS / h.cpuS).toFixed(2)), phaseCpuS, ms }));
  }
}
