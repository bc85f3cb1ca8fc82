// Peak memory of load, search, filtered search and save on a large index:
//   npx tsx packages/core/scripts/memory.ts [passages=100000] [workDir=$TMPDIR/leann-memory-<n>]
// The index is built once (random-ish vectors given through the `vectors` option and a hash
// embedder, so no model is needed) and kept in workDir; each phase then runs in its own child
// process so that its peak resident set (getrusage maxRSS) is its own. LEANN_SRC points the
// script at another copy of the sources (to measure a baseline).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = resolve(process.env.LEANN_SRC ?? fileURLToPath(new URL("../src", import.meta.url)));
const DIMS = 64;
/** A 1%-selective filter: one group of a hundred. */
const FILTER = { filters: [{ key: "group", operator: "==" as const, value: 7 }] };
const QUERIES = 5;

interface Api {
  LeannIndex: {
    build(p: unknown[], o: unknown): Promise<Index>;
    load(dir: string, o: unknown): Promise<Index>;
  };
}
interface Index {
  search(q: string, o: unknown): Promise<{ hits: unknown[]; stats: { path: string } }>;
  save(dir: string): Promise<void>;
  close(): Promise<void>;
}

/** The deterministic text -> vector map used both for the build vectors and for recomputation. */
function vectorOf(text: string): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  const out = new Array<number>(DIMS);
  for (let i = 0; i < DIMS; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ i;
    out[i] = ((h >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const embedder = {
  model: "memory-hash-64",
  async embedDocuments(texts: string[]) {
    return texts.map(vectorOf);
  },
  async embedQuery(text: string) {
    return vectorOf(text);
  },
};

/** About 1.5 KB of word salad per passage, seeded by its number. */
function passage(i: number): { id: string; text: string; metadata: Record<string, unknown> } {
  let s = (i + 1) * 2654435761;
  const next = () => ((s = Math.imul(s ^ (s >>> 13), 1274126177) >>> 0) / 4294967296);
  const words: string[] = [];
  for (let len = 0; len < 1500; ) {
    const w = `w${Math.floor(next() * next() * 5000).toString(36)}`;
    words.push(w);
    len += w.length + 1;
  }
  return { id: `doc-${i}`, text: words.join(" "), metadata: { group: i % 100, source: `file-${i % 997}.md`, loc: { lines: { from: i, to: i + 40 } } } };
}

const mb = (bytes: number) => Math.round(bytes / 1048576);
/** Peak resident set of this process so far, in MB (getrusage reports KB on Linux). */
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function child(phase: string, n: number, dir: string): Promise<void> {
  const api = (await import(join(SRC, "index.ts"))) as Api;
  const out: Record<string, number | string> = { phase, startRssMb: mb(process.memoryUsage().rss) };
  const t0 = performance.now();
  if (phase === "build") {
    const passages = Array.from({ length: n }, (_, i) => passage(i));
    const index = await api.LeannIndex.build(passages, { embedder, vectors: passages.map((p) => vectorOf(p.text)) });
    await index.save(dir);
    await index.close();
  } else {
    const index = await api.LeannIndex.load(dir, { embedder, probe: false });
    out.loadMs = Math.round(performance.now() - t0);
    out.afterLoadRssMb = mb(process.memoryUsage().rss);
    out.loadPeakMb = peakMb();
    const t1 = performance.now();
    if (phase === "search" || phase === "filtered") {
      for (let q = 0; q < QUERIES; q++) {
        const r = await index.search(`query ${q}`, phase === "filtered" ? { k: 10, filter: FILTER } : { k: 10 });
        out.path = r.stats.path;
      }
      out.msPerSearch = Math.round((performance.now() - t1) / QUERIES);
    } else if (phase === "save") {
      // Another directory, so the passage file is rewritten (record by record) rather than reused.
      const target = `${dir}-saved`;
      rmSync(target, { recursive: true, force: true });
      await index.save(target);
      out.saveMs = Math.round(performance.now() - t1);
      rmSync(target, { recursive: true, force: true });
    }
    await index.close();
  }
  out.peakRssMb = peakMb();
  out.totalMs = Math.round(performance.now() - t0);
  console.log(JSON.stringify(out));
}

async function main(): Promise<void> {
  const [phase, nArg, dirArg] = process.argv.slice(2);
  if (phase?.startsWith("--phase=")) return child(phase.slice(8), Number(nArg), dirArg!);
  const n = Number(phase ?? 100_000);
  const work = resolve(nArg ?? join(tmpdir(), `leann-memory-${n}`));
  const dir = join(work, "index");
  const run = (p: string) =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--phase=${p}`, String(n), dir], { encoding: "utf8", maxBuffer: 1 << 24 }).trim().split("\n").pop()!) as Record<string, unknown>;
  if (!existsSync(join(dir, "CURRENT"))) {
    mkdirSync(work, { recursive: true });
    console.error(`building ${n} passages in ${dir} ...`);
    console.error(JSON.stringify(run("build")));
  }
  const rows = ["load", "search", "filtered", "save"].map(run);
  console.log(JSON.stringify({ passages: n, src: SRC, rows }, null, 2));
}

await main();
