/**
 * Index a folder of text with LlamaIndex on a LeannVectorStore, query it, and compare what
 * it puts on disk with LlamaIndex's default SimpleVectorStore, built from the same nodes.
 *
 *   pnpm --filter @leann/core build && pnpm --filter @leann/llamaindex build
 *   pnpm --filter leann-example-llamaindex-query start [folder]
 *
 * Offline and deterministic: a hashing embedding stands in for the embedding model and an
 * extractive "LLM" for the language model (see offline-models.ts). Swap in real ones and
 * nothing else changes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
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
import { ExtractiveLLM, HashingEmbedding } from "./offline-models.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP_K = 3;
const QUERIES = [
  "How does LEANN avoid storing embeddings?",
  "What does efConstruction control when building the HNSW graph?",
  "How are distances computed with product quantization lookup tables?",
  "Which file does SimpleVectorStore persist its embeddings to?",
];
const FILTERED = { query: "What does a search return?", filters: { filters: [{ key: "file_name", operator: "==", value: "hnsw.txt" }] } satisfies MetadataFilters };
const QUESTION = "What is the price of the small index?";

export interface ExampleOptions {
  /** Folder of .txt files to index (default: ./data beside this file). */
  dataDir?: string;
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
  const dataDir = options.dataDir ?? join(HERE, "data");
  const work = options.workDir ?? mkdtempSync(join(tmpdir(), "leann-llamaindex-query-"));

  // The models. LlamaIndex reads Settings.embedModel eagerly (VectorStoreIndex, retrievers):
  // use the same model for the LEANN store, which recomputes embeddings with it.
  const embedModel = new HashingEmbedding(384);
  Settings.embedModel = embedModel;
  Settings.llm = new ExtractiveLLM();

  // 1. Load and split a folder of text.
  const names = readdirSync(dataDir).filter((f) => f.endsWith(".txt")).sort();
  const documents = names.map((f) => new Document({ id_: f, text: readFileSync(join(dataDir, f), "utf8"), metadata: { file_name: f } }));
  const nodes = new SentenceSplitter({ chunkSize: 64, chunkOverlap: 8 }).getNodesFromDocuments(documents);
  log(`Indexed ${names.length} files from ${basename(dataDir)}/ as ${nodes.length} nodes (SentenceSplitter, chunkSize 64).`);

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
  for (const query of QUERIES) {
    const a = await leann.asRetriever({ similarityTopK: TOP_K }).retrieve({ query });
    const b = await simple.asRetriever({ similarityTopK: TOP_K }).retrieve({ query });
    queries.push({ query, leann: a.map((n) => n.node.id_), simple: b.map((n) => n.node.id_) });
    common += a.filter((n) => b.some((m) => m.node.id_ === n.node.id_)).length;
    log();
    log(`Q: ${query}`);
    a.forEach((n, i) => log(`  ${i + 1}. ${n.score!.toFixed(3)}  ${fileOf(n).padEnd(17)} ${snippet(n)}…`));
    log(`  SimpleVectorStore's top ${TOP_K}: ${b.map((n) => `${fileOf(n)} ${n.score!.toFixed(3)}`).join(", ")}`);
  }
  const recomputedPerQuery = (embedModel.texts - textsBefore) / QUERIES.length;
  const agreement = common / (QUERIES.length * TOP_K);

  const filtered = await leann.asRetriever({ similarityTopK: 2, filters: FILTERED.filters }).retrieve({ query: FILTERED.query });
  log();
  log(`Q: ${FILTERED.query}  (filter: file_name == "hnsw.txt")`);
  filtered.forEach((n, i) => log(`  ${i + 1}. ${n.score!.toFixed(3)}  ${fileOf(n).padEnd(17)} ${snippet(n)}…`));

  const response = await leann.asQueryEngine({ similarityTopK: 2 }).query({ query: QUESTION });
  const answer = response.toString();
  log();
  log(`Query engine: ${QUESTION}`);
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
  log(`  (The ${embedModel.dims}-dimension embeddings alone, as float32: ${num(nodes.length * embedModel.dims * 4)} bytes.)`);

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
  const dataDir = process.argv[2];
  main(dataDir ? { dataDir } : {}).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
