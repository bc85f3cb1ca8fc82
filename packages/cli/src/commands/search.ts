import type { SearchResult } from "@leann/core";
import { num, type Ctx } from "../context.js";
import { checkAlpha, hybridJson, hybridLine } from "../hybrid.js";
import { hitLocation, openIndex, parseFilters, snippet } from "../open-index.js";

export interface SearchArgs {
  name: string;
  query: string;
  k: number;
  filters: string[];
  model: string | undefined;
  baseUrl?: string | undefined;
  knobs: SearchKnobs;
}

/** The per-query knobs of docs/tuning.md; absent ones keep the core's defaults (alpha: hybrid when the index can). */
export interface SearchKnobs {
  readonly ef?: number;
  readonly maxRecompute?: number;
  readonly patience?: number;
  /** Dense share of the fused score: 1 = dense only, 0 = keyword only. */
  readonly alpha?: number;
}

export function hitsJson(r: SearchResult) {
  return r.hits.map((h, i) => ({
    rank: i + 1,
    id: h.id,
    score: h.score,
    source: typeof h.metadata.source === "string" ? h.metadata.source : null,
    line: typeof h.metadata.line === "number" ? h.metadata.line : null,
    endLine: typeof h.metadata.endLine === "number" ? h.metadata.endLine : null,
    page: typeof h.metadata.page === "number" ? h.metadata.page : null,
    text: h.text,
    metadata: h.metadata,
  }));
}

export function statsJson(r: SearchResult) {
  const s = r.stats;
  return {
    recomputed: s.recomputed,
    cacheHits: s.cacheHits,
    visited: s.visited,
    embedderCalls: s.embedderCalls,
    path: s.path,
    ms: Math.round(s.ms.total * 10) / 10,
    ...hybridJson(s),
  };
}

export async function search(ctx: Ctx, a: SearchArgs): Promise<void> {
  const filter = parseFilters(a.filters);
  const { index, model } = await openIndex(ctx, a.name, a);
  try {
    await checkAlpha(index, a.name, a.knobs.alpha);
    const r = await index.search(a.query, { k: a.k, ...a.knobs, ...(filter ? { filter } : {}) });
    if (ctx.json) {
      ctx.emit({ index: a.name, query: a.query, k: a.k, model, hits: hitsJson(r), stats: statsJson(r) });
      return;
    }
    if (r.hits.length === 0) ctx.out(filter ? "No passages match the filter." : "No passages found.");
    r.hits.forEach((h, i) => {
      ctx.out(`${String(i + 1).padStart(2)}. ${h.score.toFixed(3)}  ${hitLocation(ctx, h)}`);
      ctx.out(`    ${snippet(h.text)}`);
    });
    const s = r.stats;
    ctx.out();
    ctx.out(`${r.hits.length} of ${num(index.size)} passages in ${s.ms.total.toFixed(0)} ms: ${num(s.recomputed)} embeddings recomputed, ${num(s.cacheHits)} from cache, ${num(s.visited)} nodes scored.`);
    ctx.out(hybridLine(r, a.knobs.alpha));
  } finally {
    index.close();
  }
}
