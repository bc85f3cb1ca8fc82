/**
 * The labelled QA sets' passage vectors (cached in bench/.cache/qa-vectors/) and an embedder that looks passages
 * up in them, shared by hybrid-engine.ts and hybrid-sweep.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { QaPassage } from "../build-qa-sets.ts";
import { CACHE_DIR } from "./datasets.ts";
import type { TextEmbedder } from "./potion.ts";

/** Passage vectors from the cache, or embedded now and cached (the build's embedding time is measured here). */
export async function passageVectors(set: string, passages: QaPassage[], model: TextEmbedder): Promise<{ vectors: Float32Array; embedMs: number | null }> {
  const dir = join(CACHE_DIR, "qa-vectors");
  const file = join(dir, `${set}-potion.f32`);
  if (existsSync(file)) {
    const b = readFileSync(file);
    const v = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    if (v.length === passages.length * model.dims) return { vectors: v, embedMs: null };
  }
  const t = performance.now();
  const vectors = await model.embed(passages.map((p) => p.text));
  const embedMs = performance.now() - t;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return { vectors, embedMs };
}

/** Recomputation looks passages up in their vectors (what the model gives them); queries go to the model. */
export class LookupEmbedder {
  readonly model = "potion-base-2M";
  private readonly byText = new Map<string, Float32Array>();
  constructor(passages: QaPassage[], vectors: Float32Array, private readonly dims: number, private readonly live: TextEmbedder) {
    passages.forEach((p, i) => this.byText.set(p.text, vectors.subarray(i * dims, (i + 1) * dims)));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => Array.from(this.byText.get(t) ?? []));
  }
  async embedQuery(text: string): Promise<number[]> {
    return Array.from(await this.live.embed([text]));
  }
}
