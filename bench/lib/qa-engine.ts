/**
 * The labelled QA sets' passage vectors (cached in bench/.cache/qa-vectors/) and an embedder that looks passages
 * up in them, shared by hybrid-engine.ts and hybrid-sweep.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { QaPassage } from "../build-qa-sets.ts";
import { DEFAULTS, parseOptions, searchOptionsSchema } from "../../packages/core/src/options.ts";
import { walkContext } from "../../packages/core/src/search/exact-source.ts";
import { denseMode, newStats, queryVector, runDense } from "../../packages/core/src/search/searcher.ts";
import type { IndexState } from "../../packages/core/src/state.ts";
import { score } from "../../packages/core/src/util/vector.ts";
import { CACHE_DIR } from "./datasets.ts";
import type { TextEmbedder } from "./potion.ts";

/**
 * Passage vectors from the cache, or embedded now and cached (the build's embedding time is measured here).
 * `modelKey` names the model in the cache file (`<set>-<modelKey>.f32`), so each model keeps its own vectors.
 */
export async function passageVectors(set: string, passages: QaPassage[], model: TextEmbedder, modelKey = "potion"): Promise<{ vectors: Float32Array; embedMs: number | null }> {
  const dir = join(CACHE_DIR, "qa-vectors");
  const file = join(dir, `${set}-${modelKey}.f32`);
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
  private readonly byText = new Map<string, Float32Array>();
  constructor(
    passages: QaPassage[],
    vectors: Float32Array,
    private readonly dims: number,
    private readonly live: TextEmbedder,
    readonly model = "potion-base-2M",
  ) {
    passages.forEach((p, i) => this.byText.set(p.text, vectors.subarray(i * dims, (i + 1) * dims)));
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => Array.from(this.byText.get(t) ?? []));
  }
  async embedQuery(text: string): Promise<number[]> {
    return Array.from(await this.live.embed([text]));
  }
}

/**
 * The engine's own dense walk (alpha 1, cold) for `query` at `k`, recording every exact score it computed: the
 * ground the hybrid lab scripts replay fusion rules on. `exactScores` also records whatever is later passed to
 * `score(ids)` (candidates the walk never re-ranked); `base` recomputes without recording.
 */
export async function denseWalkWithScores(state: IndexState, query: string, k: number, label: string) {
  const o = parseOptions(searchOptionsSchema, { k }, label);
  const mode = denseMode(state, o);
  const stats = newStats(mode, DEFAULTS.alpha);
  const pendingQuery = queryVector(state, query, stats);
  const base = walkContext(state, stats, { useStored: mode === "stored" });
  const exactScores = new Map<number, number>();
  const q = (await pendingQuery)!;
  const ctx = {
    ...base,
    exact: async (ids: Uint32Array) => {
      const vecs = await base.exact(ids);
      for (let i = 0; i < ids.length; i++) exactScores.set(ids[i]!, score(base.metric, q, 0, vecs, i * base.dims, base.dims));
      return vecs;
    },
  };
  const walk = await runDense(state, ctx, o, mode, undefined, undefined, pendingQuery, stats);
  return { walk, mode, options: o, base, q, exactScores, score: (ids: Uint32Array) => ctx.exact(ids) };
}
