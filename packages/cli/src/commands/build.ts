import { join, resolve } from "node:path";
import { AbortedError, LeannIndex, type BuildOptions, type BuildPhase } from "@leann/core";
import { DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS } from "../chunk.js";
import { formatBytes, num, type Ctx } from "../context.js";
import { modelSpec, openModel } from "../embedder.js";
import { CliError, EXIT, usage } from "../exit-codes.js";
import { bytesIn, hasIndex, indexDir, META_FILE, PARTIAL_DIR, readMeta, writeMeta, type FileEntry, type IndexMeta } from "../home.js";
import { withIndexLock } from "../index-lock.js";
import { Checkpoint, embedPassages, filesToPassages, type Chunking } from "../ingest.js";
import { interrupted, safePoint, throwIfInterrupted } from "../interrupt.js";
import { collectFiles, type CollectOptions, type Skipped } from "../sources.js";

export interface BuildArgs {
  name: string;
  paths: string[];
  model: string | undefined;
  /** `--base-url`: the server of an openai: or ollama: model. */
  baseUrl?: string | undefined;
  chunking: Chunking;
  collect: CollectOptions;
  force: boolean;
  fresh: boolean;
  /** `--budget`: bytes a passage for the index structures, or a preset; absent: the recorded one on a rebuild, else the core's default. */
  budget?: Budget | undefined;
  /** `--no-keyword-index` gives false: no BM25 index beside the graph, so searches are dense only. */
  keywordIndex: boolean;
}

export type Budget = NonNullable<BuildOptions["budget"]>;
const PRESETS = ["tiny", "balanced", "fast"] as const;
const RESUME_HINT = "Run the same command again to resume.";
/** The core's range for a budget in bytes (packages/core/src/options.ts). */
const MIN_BUDGET = 8;
const MAX_BUDGET = 65_536;

/**
 * The value of `--budget`: a preset name or whole bytes a passage.
 * @throws CliError (usage) when it is neither
 */
export function parseBudget(raw: string): Budget {
  const s = raw.trim().toLowerCase();
  if ((PRESETS as readonly string[]).includes(s)) return s as Budget;
  const n = /^\d+$/.test(s) ? Number(s) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= MIN_BUDGET && n <= MAX_BUDGET) return n;
  throw usage(
    `--budget must be ${PRESETS.join(", ")} or whole bytes a passage from ${MIN_BUDGET} to ${MAX_BUDGET}, received ${JSON.stringify(raw)}.`,
    "tiny keeps the index smallest, fast spends disk to recompute fewer embeddings a search; see docs/tuning.md.",
  );
}

/** The budget an existing index was built with, so a --force rebuild without --budget keeps it. */
function recordedBudget(ctx: Ctx, name: string, dir: string): Budget | undefined {
  if (!hasIndex(dir)) return undefined;
  try {
    const b = readMeta(ctx.home, name).budget;
    if (typeof b === "number") return b;
    return PRESETS.find((x) => x === b);
  } catch {
    // A record that cannot be read is being replaced: the rebuild takes the default.
    return undefined;
  }
}

export { DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS };

const PHASE_LABEL: Record<BuildPhase, string> = { embed: "embed", graph: "graph", prune: "prune", quantize: "quantize" };

/** Shared by build and add: what the files came to, for the report. */
export function describeSkips(ctx: Ctx, skipped: Skipped[], ignored: number, unsupported: number): void {
  for (const s of skipped.slice(0, 5)) ctx.note(`  skipped ${ctx.show(s.path)}: ${s.reason}`);
  if (skipped.length > 5) ctx.note(`  ... and ${skipped.length - 5} more skipped`);
  const left = [ignored > 0 ? `${num(ignored)} by ignore rules` : "", unsupported > 0 ? `${num(unsupported)} of other types` : ""].filter(Boolean);
  if (left.length) ctx.note(`  left out: ${left.join(", ")}`);
}

function refuseExisting(ctx: Ctx, a: BuildArgs, dir: string): void {
  if (hasIndex(dir) && !a.force) {
    throw new CliError(
      EXIT.CONFLICT,
      "INDEX_EXISTS",
      `Index "${a.name}" already exists in ${ctx.home}.`,
      `Add files to it with \`leann add ${a.name} PATHS...\`, or rebuild it with \`leann build ${a.name} --force PATHS...\`.`,
    );
  }
}

export async function build(ctx: Ctx, a: BuildArgs): Promise<void> {
  const t0 = performance.now();
  const dir = indexDir(ctx.home, a.name);
  refuseExisting(ctx, a, dir);
  const found = await collectFiles(a.paths, ctx.io.cwd, { ...a.collect, exclude: [ctx.home] });
  if (found.missing.length > 0) {
    throw new CliError(EXIT.NOT_FOUND, "PATH_NOT_FOUND", `Path not found: ${found.missing.join(", ")}.`, "Check the spelling; paths are relative to the current folder.");
  }
  if (found.files.length === 0) {
    throw new CliError(
      EXIT.NOT_FOUND,
      "NO_FILES",
      `No files to index in ${a.paths.join(", ")} (${found.skipped.length} skipped, ${found.ignored} ignored, ${found.unsupported} of other types).`,
      "leann reads text, Markdown, source, HTML and PDF files; use --ext to add extensions, --no-gitignore to read ignored files.",
    );
  }
  const { read, skipped } = await filesToPassages(ctx, found.files, a.chunking);
  const allSkipped = [...found.skipped, ...skipped];
  const passages = read.flatMap((r) => r.passages);
  if (passages.length === 0) {
    throw new CliError(EXIT.NOT_FOUND, "NO_TEXT", `The ${found.files.length} files found hold no text to index.`);
  }
  ctx.note(`Indexing ${num(passages.length)} chunks from ${num(read.filter((r) => r.passages.length).length)} files into "${a.name}".`);
  describeSkips(ctx, allSkipped, found.ignored, found.unsupported);

  // From here to leann.json, one writer: a second build (or add) of this index fails with
  // LOCKED instead of both saving, and one that finished meanwhile is seen by the check again.
  await withIndexLock(a.name, dir, async () => {
    refuseExisting(ctx, a, dir);
    const model = modelSpec(a.model, undefined, ctx.io.env, ctx.io.cwd);
    // The identity recorded is the one of the model that really loaded: no stand-in ever embeds an index.
    const info = await openModel(model, ctx.io.env, ctx.io.stderr, { baseUrl: a.baseUrl });
    const embedder = info.embedder;
    const checkpoint = Checkpoint.open(join(dir, PARTIAL_DIR), info.modelId, info.dimensions, a.fresh);
    const { vectors, resumed } = await embedPassages(ctx, embedder, info.dimensions, passages, checkpoint);

    let bar = ctx.progress();
    let phase: BuildPhase | undefined;
    const budget = a.budget ?? recordedBudget(ctx, a.name, dir);
    const interruptedIn = (phase: string) => `Interrupted in the ${phase} step; the index is unchanged and the embedded chunks are kept.`;
    const index = await LeannIndex.build(passages, {
      ...(budget !== undefined ? { budget } : {}),
      keywordIndex: a.keywordIndex,
      embedder,
      vectors,
      modelId: info.modelId,
      // The build checks it at safe points inside every step (it lets the event loop run, so a Ctrl-C is seen within moments).
      ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
      onProgress: (p) => {
        throwIfInterrupted(ctx.io.signal, () => interruptedIn(p.phase), RESUME_HINT);
        if (p.phase === "embed") return;
        if (p.phase !== phase) {
          bar.finish();
          bar = ctx.progress();
          bar.start(PHASE_LABEL[p.phase], p.total);
          phase = p.phase;
        }
        bar.update(p.done, p.total);
      },
    }).catch((err: unknown) => {
      throw err instanceof AbortedError ? interrupted(interruptedIn(err.phase), RESUME_HINT) : err;
    });
    bar.finish();
    await safePoint(ctx.io.signal, () => "Interrupted before saving; the index is unchanged and the embedded chunks are kept.", RESUME_HINT);
    await index.save(dir);
    const now = new Date().toISOString();
    const files: Record<string, FileEntry> = {};
    for (const r of read) if (r.passages.length) files[r.file.path] = r.entry;
    const meta: IndexMeta = {
      format: "leann-cli",
      version: 1,
      name: a.name,
      model,
      modelId: info.modelId,
      dimensions: info.dimensions,
      chunkTokens: a.chunking.chunkTokens,
      overlapTokens: a.chunking.overlapTokens,
      sources: a.paths.map((p) => resolve(ctx.io.cwd, p)),
      files,
      passages: index.size,
      // Only a budget the user gave is kept for a --force rebuild: the default one scales with the passages' length.
      ...(budget !== undefined ? { budget } : {}),
      createdAt: now,
      updatedAt: now,
    };
    writeMeta(dir, meta);
    checkpoint.remove();
    const sizes = index.sizes();
    const params = index.params;
    index.close();
    const rawText = Object.values(files).reduce((s, f) => s + f.textBytes, 0);
    const onDisk = bytesIn(dir);
    const ms = performance.now() - t0;
    if (ctx.json) {
      ctx.emit({
        name: a.name,
        dir,
        files: Object.keys(files).length,
        passages: meta.passages,
        resumed,
        skipped: allSkipped.map((s) => ({ path: s.path, reason: s.reason })),
        ignored: found.ignored,
        unsupported: found.unsupported,
        model,
        modelId: info.modelId,
        dimensions: info.dimensions,
        modelSource: info.source,
        rawTextBytes: rawText,
        bytes: { ...sizes, meta: bytesIn(join(dir, META_FILE)), total: onDisk },
        budget: params.budget ?? null,
        layout: params.layout ?? null,
        keywordIndex: a.keywordIndex,
        ms: Math.round(ms),
      });
      return;
    }
    ctx.out(`Built "${a.name}": ${num(meta.passages)} passages from ${num(Object.keys(files).length)} files in ${(ms / 1000).toFixed(1)} s (${info.modelId}, ${info.dimensions}-d).`);
    ctx.out(`  ${formatBytes(onDisk)} on disk for ${formatBytes(rawText)} of text: graph + PQ codes ${formatBytes(sizes.indexTotal)}, passages ${formatBytes(sizes.passages)}; no embeddings stored.`);
    if (params.layout) ctx.out(`  Layout: ${params.layout}`);
    if (!a.keywordIndex) ctx.out("  No keyword index (--no-keyword-index): searches match meaning only.");
    ctx.out(`  Search it: leann search ${a.name} "your question"`);
  });
}
