/**
 * Cached benchmark datasets in `bench/.cache/datasets/<name>/`:
 *   meta.json          DatasetMeta
 *   passages.jsonl     one {"id": string, "text": string} per line, in vector order
 *   vectors.f32        count x dims little-endian float32, row-major
 *   queries.jsonl      one {"text": string} per line
 *   query-vectors.f32  queryCount x dims little-endian float32, row-major
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { endianness } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface DatasetMeta {
  name: string;
  model: string;
  dims: number;
  count: number;
  queryCount: number;
  metric: "cosine";
  /** True when every stored vector (passages and queries) has unit L2 norm, so inner product = cosine. */
  normalized: boolean;
  /** Where the text and vectors come from, and how queries were chosen. */
  source: string;
  createdAt: string;
  /** Measured embedding time per text for this dataset's model on this machine; null when the vectors were precomputed upstream. */
  embedSecondsPerText: number | null;
  /** Chunking settings (when this dataset chunked its text). */
  chunking?: Record<string, unknown>;
  /** Any further details (selection seeds, package versions, build notes). */
  [extra: string]: unknown;
}

export interface Passage {
  id: string;
  text: string;
}

export interface Query {
  text: string;
}

export interface Dataset {
  meta: DatasetMeta;
  passages: Passage[];
  vectors: Float32Array;
  queries: Query[];
  queryVectors: Float32Array;
}

/** `bench/` (this file is bench/lib/datasets.ts). */
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CACHE_DIR = join(BENCH_DIR, ".cache");
export const DATASETS_DIR = join(CACHE_DIR, "datasets");
export const LOGS_DIR = join(CACHE_DIR, "logs");

export function datasetDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new Error(`invalid dataset name: ${name}`);
  return join(DATASETS_DIR, name);
}

const FILES = ["meta.json", "passages.jsonl", "vectors.f32", "queries.jsonl", "query-vectors.f32"] as const;

/** True when all five files of the dataset are present. */
export function datasetExists(name: string): boolean {
  const dir = datasetDir(name);
  return FILES.every((f) => existsSync(join(dir, f)));
}

/** Reads little-endian float32 data into a fresh (aligned) Float32Array. */
export function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  if (buf.byteLength % 4 !== 0) throw new Error(`${path}: size ${buf.byteLength} is not a multiple of 4`);
  const out = new Float32Array(buf.byteLength / 4);
  if (endianness() === "LE") {
    new Uint8Array(out.buffer).set(buf);
  } else {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/** Little-endian float32 bytes of a Float32Array (no copy on little-endian machines). */
export function f32Bytes(v: Float32Array): Uint8Array {
  if (endianness() === "LE") return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const out = new Uint8Array(v.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  return out;
}

export function readJsonl<T>(path: string): T[] {
  const text = readFileSync(path, "utf8");
  const out: T[] = [];
  for (const line of text.split("\n")) if (line.trim() !== "") out.push(JSON.parse(line) as T);
  return out;
}

export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
}

/** Loads a cached dataset and checks that its files agree with its meta.json. */
export function loadDataset(name: string): Dataset {
  const dir = datasetDir(name);
  if (!datasetExists(name)) {
    throw new Error(`dataset ${name} is not built (expected ${dir}); run: cd bench && pnpm exec tsx build-datasets.ts ${name}`);
  }
  const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as DatasetMeta;
  const passages = readJsonl<Passage>(join(dir, "passages.jsonl"));
  const vectors = readF32(join(dir, "vectors.f32"));
  const queries = readJsonl<Query>(join(dir, "queries.jsonl"));
  const queryVectors = readF32(join(dir, "query-vectors.f32"));
  const problems: string[] = [];
  if (passages.length !== meta.count) problems.push(`passages.jsonl has ${passages.length} lines, meta.count ${meta.count}`);
  if (vectors.length !== meta.count * meta.dims) problems.push(`vectors.f32 has ${vectors.length} floats, expected ${meta.count} x ${meta.dims}`);
  if (queries.length !== meta.queryCount) problems.push(`queries.jsonl has ${queries.length} lines, meta.queryCount ${meta.queryCount}`);
  if (queryVectors.length !== meta.queryCount * meta.dims) problems.push(`query-vectors.f32 has ${queryVectors.length} floats, expected ${meta.queryCount} x ${meta.dims}`);
  if (problems.length > 0) throw new Error(`dataset ${name} is inconsistent: ${problems.join("; ")}`);
  return { meta, passages, vectors, queries, queryVectors };
}

/** Writes a dataset atomically (into a temporary folder, then renamed over the old one). */
export function writeDataset(ds: Dataset): void {
  const { meta } = ds;
  if (ds.passages.length !== meta.count || ds.vectors.length !== meta.count * meta.dims) throw new Error(`writeDataset(${meta.name}): passages/vectors do not match meta.count/dims`);
  if (ds.queries.length !== meta.queryCount || ds.queryVectors.length !== meta.queryCount * meta.dims) throw new Error(`writeDataset(${meta.name}): queries do not match meta.queryCount/dims`);
  const dir = datasetDir(meta.name);
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "passages.jsonl"), toJsonl(ds.passages.map((p) => ({ id: p.id, text: p.text }))));
  writeFileSync(join(tmp, "vectors.f32"), f32Bytes(ds.vectors));
  writeFileSync(join(tmp, "queries.jsonl"), toJsonl(ds.queries.map((q) => ({ text: q.text }))));
  writeFileSync(join(tmp, "query-vectors.f32"), f32Bytes(ds.queryVectors));
  writeFileSync(join(tmp, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Largest |norm - 1| over the rows (to decide `normalized`). */
export function maxNormError(v: Float32Array, dims: number): number {
  let worst = 0;
  for (let r = 0; r < v.length; r += dims) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += v[r + d]! * v[r + d]!;
    worst = Math.max(worst, Math.abs(Math.sqrt(s) - 1));
  }
  return worst;
}

/**
 * `ds` cut to its first `limit` passages (0: all) and to one half of its held-out queries: "check" the odd-numbered
 * ones (for reporting, never used to choose constants), "tune" the even ones, "all" both.
 */
export function querySplit(ds: Dataset, which: "tune" | "check" | "all", limit = 0): Dataset {
  const d = ds.meta.dims;
  const n = limit > 0 ? Math.min(limit, ds.meta.count) : ds.meta.count;
  const keep = ds.queries.map((_, i) => i).filter((i) => which === "all" || (i % 2 === 1) === (which === "check"));
  const qv = new Float32Array(keep.length * d);
  keep.forEach((q, j) => qv.set(ds.queryVectors.subarray(q * d, (q + 1) * d), j * d));
  return {
    meta: { ...ds.meta, count: n, queryCount: keep.length },
    passages: ds.passages.slice(0, n),
    vectors: ds.vectors.subarray(0, n * d),
    queries: keep.map((i) => ds.queries[i]!),
    queryVectors: qv,
  };
}
