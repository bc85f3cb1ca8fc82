/**
 * Index a folder of text with LlamaIndex on a LeannVectorStore, query it, and compare what
 * it puts on disk with LlamaIndex's default SimpleVectorStore, built from the same nodes.
 *
 *   pnpm build
 *   pnpm --filter leann-example-llamaindex-query start                         # the notes in data/
 *   pnpm --filter leann-example-llamaindex-query start ~/notes "question" ...   # your folder, your questions
 *
 * Offline and deterministic: the embedding model is potion-base-2M, shipped inside
 * @leann/onnx (local-embedding.ts); an extractive "LLM" stands in for the language model
 * (offline-models.ts). Swap in other models and nothing else changes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LeannVectorStore } from "@leann/llamaindex";
import {
  Document,
  MetadataMode,
  SentenceSplitter,
  Settings,
  storageContextFromDefaults,
  VectorStoreIndex,
  type MetadataFilters,
  type NodeWithScore,
} from "llamaindex";
import { LocalEmbedding } from "./local-embedding.js";
import { ExtractiveLLM } from "./offline-models.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP_K = 3;
const QUERIES = [
  "How does LEANN avoid storing embeddings?",
  "What does efConstruction control when building the HNSW graph?",
  "How are distances computed with product quantization lookup tables?",
  "Which file does SimpleVectorStore persist its embeddings to?",
];
const FILTERED = { query: "What does a search return?", filters: { filters: [{ key: "file_name", operator: "==", value: "hnsw.txt" }] } satisfies MetadataFilters };
const QUESTION = "What does LEANN pay for its small index at search time?";

/** Text files read from a folder (and its subfolders). */
const TEXT_FILE = /\.(txt|md|markdown|rst)$/i;
/** Folders never walked. */
const SKIPPED_DIRS = new Set([".git", "node_modules", ".venv", "__pycache__"]);

export interface ExampleOptions {
  /** Folder of text files (.txt, .md, .markdown, .rst, in subfolders too) to index (default: ./data beside this file). */
  dataDir?: string;
  /** Questions to ask (default: questions about the bundled data/; required with another dataDir). */
  questions?: string[];
  /** Where the two stores persist (default: a fresh temporary directory, removed afterwards). */
  workDir?: string;
  log?: (line: string) => void;
}

export interface ExampleResult {
  files: number;
  nodes: number;
  /** Top-k node ids of each query from both stores. */
  queries: { query: string; leann: string[]; simple: string[] }[];
  /** Share of the top-k ids both stores return. */
  agreement: number;
  /** Files of the filtered query's results (LEANN). */
  filteredFiles: string[];
  answer: string;
  /** Texts LEANN sent to the embedding model to answer the queries (the queries themselves not included). */
  recomputedPerQuery: number;
  bytes: {
    leann: Record<string, number>;
    leannTotal: number;
    simple: Record<string, number>;
    simpleTotal: number;
    /** Bytes a node adds: LEANN without its fixed-size PQ codebooks; SimpleVectorStore's total. */
    perNode: { leann: number; simple: number };
  };
  lines: string[];
}

/** Text files under `dir`, as paths relative to it, sorted. */
function textFilesUnder(dir: string, at = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(at, { withFileTypes: true })) {
    if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) out.push(...textFilesUnder(dir, join(at, e.name)));
    else if (e.isFile() && TEXT_FILE.test(e.name)) out.push(relative(dir, join(at, e.name)));
  }
  return out.sort();
}

function filesIn(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of readdirSync(dir).sort()) {
    const s = statSync(join(dir, f));
    if (s.isFile()) out[f] = s.size;
  }
  return out;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const num = (n: number) => n.toLocaleString("en-US");
const fileOf = (n: NodeWithScore) => String(n.node.metadata.file_name);
const snippet = (n: NodeWithScore) => n.node.getContent(MetadataMode.NONE).replace(/\s+/g, " ").slice(0, 60);

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const lines: string[] = [];
  const log = (line = "") => {
    lines.push(line);
    (options.log ?? console.log)(line);
  };
  const bundled = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? join(HERE, "data"));
  const questions = options.questions ?? (bundled ? QUERIES : []);
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) throw new Error(`${dataDir} is not a folder: pass a folder of text files (.txt, .md, .markdown, .rst).`);
  if (questions.length === 0) throw new Error(`No questions: pass them after the folder, e.g. start ${options.dataDir} "what did we decide about retries?"`);
  const names = textFilesUnder(dataDir);
  if (names.length === 0) throw new Error(`${dataDir} holds no text files (.txt, .md, .markdown, .rst, searched in subfolders too).`);
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), "leann-llamaindex-query-"));

  // The models. LlamaIndex reads Settings.embedModel eagerly (VectorStoreIndex, retrievers):
  // use the same model for the LEANN store, which recomputes embeddings with it.
  const embedModel = new LocalEmbedding();
  Settings.embedModel = embedModel;
  Settings.llm = new ExtractiveLLM();

  // 1. Load and split a folder of text: small chunks for the short bundled notes, larger for real documents.
  const chunkSize = bundled ? 64 : 256;
  const documents = names.map((f) => new Document({ id_: f, text: readFileSync(join(dataDir, f), "utf8"), metadata: { file_name: f } }));
  const nodes = new SentenceSplitter({ chunkSize, chunkOverlap: 8 }).getNodesFromDocuments(documents);
  log(`Indexed ${names.length} files from ${bundled ? `${basename(dataDir)}/` : dataDir} as ${nodes.length} nodes (SentenceSplitter, chunkSize ${chunkSize}, ${embedModel.model}).`);

  // 2. The same nodes in two indexes, each persisting to its own directory.
  const leannDir = join(work, "leann");
  const simpleDir = join(work, "simple");
  const vectorStore = await LeannVectorStore.fromPersistDir(leannDir, { embedModel });
  const leann = await VectorStoreIndex.init({ nodes, storageContext: await storageContextFromDefaults({ vectorStore }) });
  const simple = await VectorStoreIndex.init({ nodes, storageContext: await storageContextFromDefaults({ persistDir: simpleDir }) });

  // 3. Query both.
  const queries: ExampleResult["queries"] = [];
  let common = 0;
  const textsBefore = embedModel.texts;
  for (const query of questions) {
    const a = await leann.asRetriever({ similarityTopK: TOP_K }).retrieve({ query });
    const b = await simple.asRetriever({ similarityTopK: TOP_K }).retrieve({ query });
    queries.push({ query, leann: a.map((n) => n.node.id_), simple: b.map((n) => n.node.id_) });
    common += a.filter((n) => b.some((m) => m.node.id_ === n.node.id_)).length;
    log();
    log(`Q: ${query}`);
    a.forEach((n, i) => log(`  ${i + 1}. ${n.score!.toFixed(3)}  ${fileOf(n).padEnd(17)} ${snippet(n)}…`));
    log(`  SimpleVectorStore's top ${TOP_K}: ${b.map((n) => `${fileOf(n)} ${n.score!.toFixed(3)}`).join(", ")}`);
  }
  const recomputedPerQuery = (embedModel.texts - textsBefore) / questions.length;
  const agreement = common / queries.reduce((s, q) => s + q.simple.length, 0);

  // A metadata filter, on the bundled notes whose file names are known.
  let filtered: NodeWithScore[] = [];
  if (bundled) {
    filtered = await leann.asRetriever({ similarityTopK: 2, filters: FILTERED.filters }).retrieve({ query: FILTERED.query });
    log();
    log(`Q: ${FILTERED.query}  (filter: file_name == "hnsw.txt")`);
    filtered.forEach((n, i) => log(`  ${i + 1}. ${n.score!.toFixed(3)}  ${fileOf(n).padEnd(17)} ${snippet(n)}…`));
  }

  const question = bundled ? QUESTION : questions[0]!;
  const response = await leann.asQueryEngine({ similarityTopK: 2 }).query({ query: question });
  const answer = response.toString();
  log();
  log(`Query engine: ${question}`);
  log(`  Answer: ${answer}`);
  log(`  Sources: ${(response.sourceNodes ?? []).map(fileOf).join(", ")}`);

  // 4. Bytes on disk. SimpleVectorStore keeps no text: its nodes' text is in doc_store.json.
  const leannBytes = filesIn(leannDir);
  const simpleBytes = filesIn(simpleDir);
  const sizes = vectorStore.client()!.sizes();
  const leannTotal = sum(leannBytes);
  const simpleTotal = sum(simpleBytes);
  log();
  log(`Top-${TOP_K} agreement with SimpleVectorStore: ${(agreement * 100).toFixed(0)}%. LEANN recomputed ${recomputedPerQuery.toFixed(1)} embeddings a query.`);
  log();
  log("Bytes on disk");
  log(`  SimpleVectorStore (${simpleDir})`);
  for (const [f, b] of Object.entries(simpleBytes)) log(`    ${f.padEnd(20)} ${num(b).padStart(10)}${f === "vector_store.json" ? "  embeddings as JSON + metadata" : f === "doc_store.json" ? "  the nodes' text" : ""}`);
  log(`    ${"total".padEnd(20)} ${num(simpleTotal).padStart(10)}`);
  log(`  LeannVectorStore (${leannDir})`);
  for (const [f, b] of Object.entries(leannBytes)) {
    const what = f.startsWith("index.")
      ? `  graph ${num(sizes.graph)}, PQ codes ${num(sizes.pqCodes)}, PQ codebooks ${num(sizes.pqCodebooks)}`
      : f.startsWith("passages.")
        ? "  the nodes' text + metadata"
        : "";
    log(`    ${f.padEnd(20)} ${num(b).padStart(10)}${what}`);
  }
  log(`    ${"total".padEnd(20)} ${num(leannTotal).padStart(10)}  (${((leannTotal / simpleTotal) * 100).toFixed(0)}% of SimpleVectorStore's)`);
  const perNode = {
    leann: (leannTotal - sizes.pqCodebooks - (leannBytes.CURRENT ?? 0)) / nodes.length,
    simple: simpleTotal / nodes.length,
  };
  log(
    `  Per node: LEANN ${num(Math.round(perNode.leann))} bytes (text, metadata, graph links, PQ code), ` +
      `SimpleVectorStore ${num(Math.round(perNode.simple))}; LEANN's PQ codebooks are a fixed ${num(sizes.pqCodebooks)} that larger folders amortise.`,
  );
  const dims = vectorStore.client()!.dimensions;
  log(`  (The ${dims}-dimension embeddings alone, as float32: ${num(nodes.length * dims * 4)} bytes.)`);

  vectorStore.close();
  if (!options.workDir) rmSync(work, { recursive: true, force: true });
  return {
    files: names.length,
    nodes: nodes.length,
    queries,
    agreement,
    filteredFiles: filtered.map(fileOf),
    answer,
    recomputedPerQuery,
    bytes: { leann: leannBytes, leannTotal, simple: simpleBytes, simpleTotal, perNode },
    lines,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dataDir, ...questions] = process.argv.slice(2).filter((a) => a !== "--");
  // `pnpm --filter ... start DIR` runs in this folder: a relative DIR means the caller's folder (INIT_CWD).
  main(dataDir ? { dataDir: resolve(process.env.INIT_CWD ?? process.cwd(), dataDir), questions } : {}).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
