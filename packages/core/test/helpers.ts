import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRng } from "../src/util/rng.js";

/** Gaussian-ish clustered vectors, seeded. */
export function clustered(n: number, dims: number, seed: number, clusters = 20, spread = 1.2): Float32Array {
  const rng = createRng(seed);
  const cent = new Float32Array(clusters * dims);
  for (let i = 0; i < cent.length; i++) cent[i] = rng() * 2 - 1;
  const v = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * clusters);
    for (let j = 0; j < dims; j++) v[i * dims + j] = cent[c * dims + j]! + (rng() - 0.5) * spread;
  }
  return v;
}

export function rows(v: Float32Array, dims: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < v.length; i += dims) out.push(Array.from(v.subarray(i, i + dims)));
  return out;
}

/**
 * An embedder that looks texts up in a table: "recomputation" returns exactly the
 * vectors the index was built from, so recall can be compared with brute force.
 * Records every call.
 */
export class TableEmbedder {
  readonly calls: string[][] = [];
  readonly table = new Map<string, number[]>();
  model = "table-embedder";
  constructor(texts: string[], vectors: number[][]) {
    texts.forEach((t, i) => this.table.set(t, vectors[i]!));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls.push(texts);
    // Texts outside the table (queries, probes) get a deterministic pseudo-random vector.
    const dims = this.table.values().next().value?.length ?? 8;
    return texts.map((t) => {
      const v = this.table.get(t);
      if (v) return v;
      let h = 2166136261;
      for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
      const rng = createRng(h >>> 0);
      return Array.from({ length: dims }, () => rng() * 2 - 1);
    });
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }
  get embedded(): number {
    return this.calls.reduce((s, c) => s + c.length, 0);
  }
}

/** Brute-force top-k by cosine similarity (the reference for recall). */
export function exactTopK(data: number[][], q: number[], k: number): number[] {
  const norm = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0)) || 1;
  const qn = norm(q);
  return data
    .map((v, i) => ({ i, s: v.reduce((s, x, j) => s + x * q[j]!, 0) / (norm(v) * qn) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}

export function recall(found: number[], truth: number[]): number {
  const t = new Set(truth);
  return found.filter((x) => t.has(x)).length / truth.length;
}

export function tempDir(prefix = "leann-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The 778 real all-MiniLM-L6-v2 vectors (384-d) and texts shipped by @sap-ux/fiori-docs-embeddings. */
export function fioriVectors(): { texts: string[]; vectors: number[][] } {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve("@sap-ux/fiori-docs-embeddings/package.json")), "data", "embeddings");
  const buf = readFileSync(join(root, "embeddings.bin"));
  const flat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const texts = readFileSync(join(root, "records.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { content: string }).content);
  return { texts, vectors: rows(flat, 384) };
}
