/**
 * What the passage file costs a search: builds an index over a bench dataset with cached
 * embeddings (an embedder that looks the vectors up by text, so recomputation reads every
 * passage text it embeds from the passage file), saves and loads it without an embedding
 * cache, then times the dataset's queries. Prints the saved files against the raw text.
 * Uses only the public API, so the same script runs on an older checkout for comparison.
 * Run (from the repo root): npx tsx packages/core/scripts/passage-search-cost.ts [dataset dir] [--texts other.jsonl]
 * Default: bench/.cache/datasets/sotu-potion-64 (passages.jsonl, vectors.f32, query-vectors.f32, meta.json).
 * --texts: the passages' texts (and ids) are taken, by position, from another JSONL file of
 * at least as many passages (for example bench/data/qa-faq-100k/passages.jsonl, which has
 * no cached embeddings, over mixed-potion-64-100k's vectors): the index file depends on the
 * count and the vectors, the passage file on the texts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex } from "../src/index.js";

const args = process.argv.slice(2);
const textsFrom = args.includes("--texts") ? args.splice(args.indexOf("--texts"), 2)[1] : undefined;
const dir = args[0] ?? "bench/.cache/datasets/sotu-potion-64";
const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { dims: number; name: string };
const jsonl = (f: string) => readFileSync(f, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string | number; text: string });
const own = jsonl(join(dir, "passages.jsonl"));
const other = textsFrom ? jsonl(textsFrom) : undefined;
if (other && other.length < own.length) throw new Error(`${textsFrom} has ${other.length} passages, fewer than the ${own.length} vectors`);
const passages = own.map((p, i) => ({ id: String((other ?? own)[i]!.id), text: (other ?? own)[i]!.text }));
const floats = (f: string) => new Float32Array(readFileSync(join(dir, f)).buffer.slice(0));
const vec = floats("vectors.f32"), qvec = floats("query-vectors.f32");
const d = meta.dims;
const row = (a: Float32Array, i: number) => Array.from(a.subarray(i * d, (i + 1) * d));
const byText = new Map(passages.map((p, i) => [p.text, i]));
let embedded = 0;
const embedder = {
  modelId: meta.name,
  async embedDocuments(texts: string[]) {
    embedded += texts.length;
    return texts.map((t) => row(vec, byText.get(t) ?? 0));
  },
};
const vectors = passages.map((_, i) => row(vec, i));
const queries = Array.from({ length: qvec.length / d }, (_, q) => row(qvec, q));
const raw = passages.reduce((s, p) => s + Buffer.byteLength(p.text), 0);

const out = mkdtempSync(join(tmpdir(), "passage-search-"));
try {
  let t0 = performance.now();
  const built = await LeannIndex.build(passages, { embedder, vectors });
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  await built.save(out);
  const saveMs = performance.now() - t0;
  await built.close();
  const files = Object.fromEntries(readdirSync(out).filter((f) => f.endsWith(".leann")).map((f) => [f.split(".")[0]!, statSync(join(out, f)).size]));
  const index = await LeannIndex.load(out, { embedder, cacheBytes: 0, probe: false });
  for (const q of queries.slice(0, 20)) await index.search(q, { k: 10 });
  embedded = 0;
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (const q of queries) {
    const s = performance.now();
    await index.search(q, { k: 10 });
    times.push(performance.now() - s);
  }
  const c = process.cpuUsage(c0);
  await index.close();
  times.sort((a, b) => a - b);
  const x = (b: number) => (b / raw).toFixed(3);
  console.log(
    `${meta.name}${textsFrom ? ` vectors, texts of ${textsFrom}` : ""}: ${passages.length} passages, raw text ${raw} B\n` +
      `  index file ${files.index} B (${x(files.index!)}x raw), passage file ${files.passages} B (${x(files.passages!)}x raw), together ${x(files.index! + files.passages!)}x raw\n` +
      `  build ${(buildMs / 1000).toFixed(1)} s, save ${(saveMs / 1000).toFixed(2)} s\n` +
      `  search k 10 (${queries.length} queries, no embedding cache): p50 ${times[times.length >> 1]!.toFixed(2)} ms, mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)} ms wall, ` +
      `${((c.user + c.system) / 1000 / queries.length).toFixed(2)} ms CPU; ${(embedded / queries.length).toFixed(1)} passages read and embedded a query`,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
