/** The reporting commands that need no model: list, info, remove. */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LeannIndex } from "@leann/core";
import { formatBytes, num, table, type Ctx } from "../context.js";
import { CliError, EXIT } from "../exit-codes.js";
import { bytesIn, hasIndex, indexDir, listIndexes, META_FILE, PARTIAL_DIR, readMeta } from "../home.js";

export function list(ctx: Ctx): void {
  const indexes = listIndexes(ctx.home, (m) => ctx.note(m));
  if (ctx.json) {
    ctx.emit({ home: ctx.home, indexes });
    return;
  }
  if (indexes.length === 0) {
    ctx.out(`No indexes in ${ctx.home}.`);
    ctx.out("Build one with: leann build NAME PATHS...");
    return;
  }
  const rows = [["NAME", "PASSAGES", "FILES", "SIZE", "MODEL", "UPDATED"]];
  for (const x of indexes) {
    if (x.state === "partial") rows.push([x.name, "-", "-", formatBytes(x.bytes), "(build interrupted: run it again to resume)", ""]);
    else rows.push([x.name, x.passages === null ? "?" : num(x.passages), x.files === null ? "?" : num(x.files), formatBytes(x.bytes), x.model ?? "?", x.updatedAt?.slice(0, 16).replace("T", " ") ?? ""]);
  }
  for (const line of table(rows, ["l", "r", "r", "r", "l", "l"])) ctx.out(line);
  ctx.out();
  ctx.out(`${indexes.length} in ${ctx.home}`);
}

/** An embedder for opening an index without its model: info reads sizes only. */
const NO_MODEL = {
  embedDocuments(): Promise<number[][]> {
    return Promise.reject(new Error("leann info does not embed"));
  },
};

export async function info(ctx: Ctx, name: string): Promise<void> {
  const meta = readMeta(ctx.home, name);
  const dir = indexDir(ctx.home, name);
  const index = await LeannIndex.load(dir, { embedder: NO_MODEL, probe: false });
  let sizes, params, keywordIndex;
  try {
    sizes = index.sizes();
    params = index.params;
    keywordIndex = index.hasKeywordIndex;
  } finally {
    index.close();
  }
  const metaBytes = bytesIn(join(dir, META_FILE));
  const total = bytesIn(dir);
  const rawText = Object.values(meta.files).reduce((s, f) => s + f.textBytes, 0);
  const float32 = meta.passages * meta.dimensions * 4;
  const share = rawText > 0 ? total / rawText : null;
  // Bytes a passage of the index structures: what --budget bought (docs/tuning.md).
  const per = (b: number) => (meta.passages > 0 ? Number((b / meta.passages).toFixed(1)) : null);
  const perPassage = {
    graph: per(sizes.graph),
    pqCodes: per(sizes.pqCodes),
    pqCodebooks: per(sizes.pqCodebooks),
    rotation: per(sizes.rotation),
    storedVectors: per(sizes.storedVectors),
    keyword: per(sizes.keyword),
    // Headers, seeds and degrees.
    other: per(sizes.other),
    indexTotal: per(sizes.indexTotal),
  };
  if (ctx.json) {
    ctx.emit({
      name,
      dir,
      passages: meta.passages,
      files: Object.keys(meta.files).length,
      model: meta.model,
      modelId: meta.modelId,
      dimensions: meta.dimensions,
      chunkTokens: meta.chunkTokens,
      overlapTokens: meta.overlapTokens,
      sources: meta.sources,
      rawTextBytes: rawText,
      bytes: { ...sizes, meta: metaBytes, total },
      bytesPerPassage: perPassage,
      budget: params.budget ?? null,
      layout: params.layout ?? null,
      keywordIndex,
      scoreError: params.scoreErrorMean !== undefined ? { mean: params.scoreErrorMean, sd: params.scoreErrorSd ?? null } : null,
      shareOfRawText: share,
      indexShareOfRawText: rawText > 0 ? sizes.indexTotal / rawText : null,
      float32EmbeddingsBytes: float32,
      createdAt: meta.createdAt,
      updatedAt: meta.updatedAt,
    });
    return;
  }
  const pct = (b: number) => (rawText > 0 ? `${((b / rawText) * 100).toFixed(1)}% of raw text` : "");
  ctx.out(`Index      ${name}  (${dir})`);
  ctx.out(`Passages   ${num(meta.passages)} from ${num(Object.keys(meta.files).length)} files; chunks of ${meta.chunkTokens} tokens, overlap ${meta.overlapTokens}`);
  ctx.out(`Model      ${meta.modelId} (${meta.dimensions}-d)${meta.model !== meta.modelId ? `  [${meta.model}]` : ""}`);
  ctx.out(`Raw text   ${formatBytes(rawText)}`);
  ctx.out(`On disk    ${formatBytes(total)}  (${pct(total)})`);
  for (const line of table(
    [
      ["  graph", formatBytes(sizes.graph), "pruned neighbour lists, compressed"],
      ["  PQ codes", formatBytes(sizes.pqCodes), "the approximate distances the search walks on"],
      ["  PQ codebooks", formatBytes(sizes.pqCodebooks), ""],
      ...(sizes.rotation ? [["  PQ rotation", formatBytes(sizes.rotation), "learnt before PQ, shared by all passages"]] : []),
      ...(sizes.storedVectors ? [["  stored vectors", formatBytes(sizes.storedVectors), ""]] : []),
      ...(sizes.keyword ? [["  keyword index", formatBytes(sizes.keyword), "BM25 postings, compressed"]] : []),
      ["  other", formatBytes(sizes.other), "headers, seeds, degrees"],
      ["  passages", formatBytes(sizes.passages), "text, ids and metadata"],
      ["  leann.json", formatBytes(metaBytes), "model, chunking, file list"],
    ],
    ["l", "r", "l"],
  )) {
    ctx.out(line);
  }
  ctx.out(`Index proper (graph, PQ codes, keyword index): ${formatBytes(sizes.indexTotal)}, ${pct(sizes.indexTotal)}. Float32 embeddings would take ${formatBytes(float32)}; none are stored.`);
  const bpp = (v: number | null) => (v === null ? "-" : `${v} B`);
  ctx.out(`Budget     ${params.budget === undefined ? "none recorded (index built before budgets)" : typeof params.budget === "number" ? `${params.budget} B a passage` : params.budget}`);
  if (params.layout) ctx.out(`Layout     ${params.layout}`);
  ctx.out(`Keywords   ${keywordIndex ? "BM25 keyword index: searches are hybrid (meaning and exact words; --alpha)" : "no keyword index: searches match meaning only (rebuild without --no-keyword-index for hybrid)"}`);
  ctx.out(
    `Per passage ${bpp(perPassage.indexTotal)} of index: graph ${bpp(perPassage.graph)}, PQ codes ${bpp(perPassage.pqCodes)}, codebooks ${bpp(perPassage.pqCodebooks)}, rotation ${bpp(perPassage.rotation)}, stored vectors ${bpp(perPassage.storedVectors)}, keyword index ${bpp(perPassage.keyword)}, other ${bpp(perPassage.other)}`,
  );
  ctx.out(`Updated    ${meta.updatedAt}`);
}

export function remove(ctx: Ctx, name: string): void {
  const dir = indexDir(ctx.home, name);
  if (!hasIndex(dir) && !existsSync(join(dir, PARTIAL_DIR))) {
    throw new CliError(EXIT.NOT_FOUND, "INDEX_NOT_FOUND", `No index named "${name}" in ${ctx.home}.`, "See `leann list`.");
  }
  const bytes = bytesIn(dir);
  rmSync(dir, { recursive: true, force: true });
  if (ctx.json) ctx.emit({ removed: name, dir, bytes });
  else ctx.out(`Removed "${name}" (${formatBytes(bytes)} freed).`);
}
