/**
 * The whole index folder against the raw text (issue 15's storage target: <= 0.8x, both for ~1,000-character
 * chunks and for 100k short passages), at default build options: each part of the index file (graph, codes,
 * codebooks, rotation, stored vectors, keyword section, the rest), the passage file, and the other files a save
 * writes, with the budget the build chose and why (params.layout).
 *
 *   pnpm --dir bench exec tsx folder-ratio.ts                          # faq-100k, python-faq, sotu
 *   pnpm --dir bench exec tsx folder-ratio.ts --sets python-faq --budget 64
 *   pnpm --dir bench exec tsx folder-ratio.ts --sets dict-100k --keep /tmp/dict-index   # keeps the saved folder
 *
 * Sets: the labelled QA sets (bench/data/qa-*, embedded with potion-base-2M, 64-d; vectors cached in
 * bench/.cache/qa-vectors/ as hybrid-engine.ts caches them) and sotu (bench/.cache/datasets/sotu-potion-64,
 * ~1,000-character chunks) and dict-100k (100,000 dictionary entries of ~230 characters, GCIDE; written by
 * build-dict-corpus.ts, embedded and cached like the QA sets). Passages carry id and text only. leann.json, which only the CLI writes (model spec,
 * chunking, source files), is not part of these folders: `leann info` on a CLI-built index shows it.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex } from "../packages/core/src/index.ts";
import { readDictCorpus } from "./build-dict-corpus.ts";
import { readQaSet } from "./build-qa-sets.ts";
import { CACHE_DIR, loadDataset } from "./lib/datasets.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const sets = (arg("sets") ?? "faq-100k,python-faq,sotu").split(",");
const budgetArg = arg("budget");
const keep = arg("keep");
const budget = budgetArg === undefined ? undefined : /^\d+$/.test(budgetArg) ? Number(budgetArg) : (budgetArg as "tiny" | "balanced" | "fast");

interface Input {
  passages: { id: string; text: string }[];
  vectors: Float32Array;
  dims: number;
}

async function qaInput(set: string): Promise<Input> {
  const passages = set === "dict-100k" ? readDictCorpus() : readQaSet(set, "heldout").passages;
  const file = join(CACHE_DIR, "qa-vectors", `${set}-potion.f32`);
  const model = await loadPotionEmbedder();
  let vectors: Float32Array | null = null;
  if (existsSync(file)) {
    const b = readFileSync(file);
    const v = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    if (v.length === passages.length * model.dims) vectors = v;
  }
  if (!vectors) {
    vectors = await model.embed(passages.map((p) => p.text));
    mkdirSync(join(CACHE_DIR, "qa-vectors"), { recursive: true });
    writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  }
  return { passages: passages.map((p) => ({ id: String(p.id), text: p.text })), vectors, dims: model.dims };
}

async function input(set: string): Promise<Input> {
  if (set !== "sotu") return qaInput(set);
  const ds = await loadDataset("sotu-potion-64");
  return { passages: ds.passages.map((p) => ({ id: String(p.id), text: p.text })), vectors: ds.vectors, dims: ds.meta.dims };
}

const pct = (x: number, raw: number) => `${(x / raw).toFixed(3)}x`;
for (const set of sets) {
  const { passages, vectors, dims } = await input(set);
  const raw = passages.reduce((s, p) => s + Buffer.byteLength(p.text), 0);
  const n = passages.length;
  const rows = Array.from({ length: n }, (_, i) => vectors.subarray(i * dims, (i + 1) * dims));
  const embedder = { modelId: "potion-base-2M", embedDocuments: async (t: string[]) => t.map(() => new Array<number>(dims).fill(0)) };
  const t0 = performance.now();
  const index = await LeannIndex.build(passages, { embedder, vectors: rows, ...(budget !== undefined ? { budget } : {}) });
  const buildS = (performance.now() - t0) / 1000;
  const out = keep ? join(keep, set) : mkdtempSync(join(tmpdir(), "folder-ratio-"));
  if (keep) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
  }
  try {
    await index.save(out);
    const files = readdirSync(out).map((f) => ({ f, size: statSync(join(out, f)).size }));
    const total = files.reduce((s, x) => s + x.size, 0);
    const s = index.sizes();
    console.log(`\n${set}: ${n} passages, ${(raw / n).toFixed(0)} B of text each, ${dims}-d, raw ${raw} B, built in ${buildS.toFixed(1)} s`);
    console.log(`  budget ${JSON.stringify(index.params.budget)}: ${index.params.layout ?? "(no layout recorded)"}`);
    const line = (name: string, b: number) => console.log(`  ${name.padEnd(16)} ${String(b).padStart(10)} B  ${(b / n).toFixed(1).padStart(7)} B/passage  ${pct(b, raw)}`);
    for (const k of ["graph", "pqCodes", "pqCodebooks", "rotation", "storedVectors", "other"] as const) line(k, s[k]);
    line("index w/o keyword", s.indexTotal - s.keyword);
    line("keyword", s.keyword);
    line("passages", s.passages);
    for (const { f, size } of files) line(`file ${f.replace(/\.[0-9a-f]{6,}\./, ".")}`.slice(0, 16), size);
    line("FOLDER", total);
    console.log(`  folder ${pct(total, raw)} of the raw text (target <= 0.8x): ${total / raw <= 0.8 ? "met" : "MISSED"}`);
  } finally {
    await index.close();
    if (!keep) rmSync(out, { recursive: true, force: true });
  }
}
