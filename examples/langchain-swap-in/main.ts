/**
 * An existing LangChain RAG chain on MemoryVectorStore, switched to LEANN by one line.
 *
 *   pnpm build && pnpm --filter leann-example-langchain-swap-in start
 *
 * Offline and deterministic: the embedding model is potion-base-2M, shipped inside
 * @leann/onnx (no download); a fake chat model (it echoes its prompt) stands in for the
 * LLM. Prints the documents both stores retrieve, how often they agree, and the bytes each
 * way of saving puts on disk.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeChatModel } from "@langchain/core/utils/testing";
import type { VectorStore } from "@langchain/core/vectorstores";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { LeannVectorStore } from "@leann/langchain";
import { LocalEmbeddings } from "@leann/onnx";

const K = 4;

// ---- The chain the user already has: nothing here changes. ---------------------------

const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer from the context only.\n\nContext:\n{context}"],
  ["human", "{question}"],
]);

function ragChain(vectorStore: VectorStore) {
  const retriever = vectorStore.asRetriever(K);
  const answer = RunnableSequence.from([
    (x: { docs: DocumentInterface[]; question: string }) => ({ context: x.docs.map((d) => d.pageContent).join("\n"), question: x.question }),
    prompt,
    new FakeChatModel({}),
    new StringOutputParser(),
  ]);
  return RunnableSequence.from([{ docs: retriever, question: new RunnablePassthrough() }, RunnablePassthrough.assign({ answer })]);
}

// ---- A deterministic knowledge base: support notes about ten products. ---------------

const PRODUCTS: Record<string, string[]> = {
  router: ["wifi", "firmware", "channel", "bandwidth", "reboot", "antenna", "mesh", "signal", "password", "ethernet"],
  printer: ["toner", "paper", "jam", "duplex", "driver", "cartridge", "scan", "tray", "queue", "ink"],
  laptop: ["battery", "keyboard", "screen", "charger", "bios", "fan", "touchpad", "hinge", "ssd", "webcam"],
  phone: ["sim", "camera", "notification", "storage", "bluetooth", "screen", "charging", "update", "contacts", "backup"],
  thermostat: ["schedule", "heating", "cooling", "sensor", "humidity", "eco", "temperature", "boiler", "app", "wiring"],
  camera: ["lens", "shutter", "exposure", "tripod", "flash", "memory", "autofocus", "raw", "sensor", "battery"],
  headphones: ["noise", "cancelling", "pairing", "earcup", "microphone", "bass", "cable", "firmware", "volume", "charging"],
  tv: ["hdmi", "remote", "input", "brightness", "streaming", "subtitles", "soundbar", "resolution", "channel", "update"],
  watch: ["strap", "heart", "rate", "gps", "steps", "sleep", "waterproof", "notification", "charging", "workout"],
  vacuum: ["filter", "brush", "suction", "dock", "map", "carpet", "bin", "schedule", "battery", "wheels"],
};
const VERBS = ["check", "reset", "clean", "replace", "update", "restart", "adjust", "pair", "charge", "calibrate"];
const FILLER = ["the", "then", "and", "before", "after", "if", "until", "so", "when", "every"];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function knowledgeBase(n = 600, seed = 1): Document[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = Object.keys(PRODUCTS);
  return Array.from({ length: n }, (_, i) => {
    const product = names[i % names.length]!;
    const words = [product, pick(VERBS)];
    for (let j = 0, len = 4 + Math.floor(r() * 6); j < len; j++) words.push(pick(FILLER), pick(PRODUCTS[product]!));
    return new Document({ pageContent: `${words.join(" ")}.`, metadata: { product, note: i } });
  });
}

function questions(n: number, seed = 2): string[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = Object.keys(PRODUCTS);
  return Array.from({ length: n }, () => {
    const product = pick(names);
    return `how do I ${pick(VERBS)} the ${product} ${pick(PRODUCTS[product]!)} ${pick(PRODUCTS[product]!)}`;
  });
}

// ---- Bytes on disk. ------------------------------------------------------------------

function bytesIn(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, f) => sum + bytesIn(join(path, f)), 0);
}

export interface SwapInResult {
  documents: number;
  dimensions: number;
  /** The first question and what each store retrieved for it. */
  question: string;
  retrieved: { memory: string[]; leann: string[] };
  /** Share of MemoryVectorStore's top-k that LEANN also returned, over all questions. */
  agreement: number;
  questions: number;
  bytes: {
    /** MemoryVectorStore has no save(): the usual way is JSON of its memoryVectors. */
    memoryJson: number;
    /** The embeddings alone as raw float32, the floor for any store that keeps them. */
    embeddingsFloat32: number;
    /** LeannVectorStore.save(dir): graph, PQ codes and passages; no embeddings. */
    leann: number;
    /** Of which the index file (graph, PQ codes) and the passage file (text, metadata, ids). */
    leannIndex: number;
    leannPassages: number;
  };
  /** Every line printed. */
  lines: string[];
}

export async function main(options: { documents?: number; questions?: number; log?: (line: string) => void; keepFiles?: boolean } = {}): Promise<SwapInResult> {
  const lines: string[] = [];
  const print = (line = "") => {
    lines.push(line);
    (options.log ?? console.log)(line);
  };
  const docs = knowledgeBase(options.documents ?? 600);
  // Any LangChain Embeddings works; this one runs locally with no download.
  const embeddings = new LocalEmbeddings();
  const { dimensions } = await embeddings.load();

  // Before:
  const memoryStore = await MemoryVectorStore.fromDocuments(docs, embeddings);
  // After: the one line that changes.
  const leannStore = await LeannVectorStore.fromDocuments(docs, embeddings);

  const memoryChain = ragChain(memoryStore);
  const leannChain = ragChain(leannStore);

  const qs = questions(options.questions ?? 20);
  let agreed = 0;
  let first: { memory: string[]; leann: string[] } | undefined;
  for (const q of qs) {
    const [m, l] = await Promise.all([memoryChain.invoke(q), leannChain.invoke(q)]);
    const truth = new Set(m.docs.map((d: DocumentInterface) => d.pageContent));
    agreed += l.docs.filter((d: DocumentInterface) => truth.has(d.pageContent)).length;
    first ??= { memory: m.docs.map((d: DocumentInterface) => d.pageContent), leann: l.docs.map((d: DocumentInterface) => d.pageContent) };
  }
  const agreement = agreed / (qs.length * K);

  print(`${docs.length} support notes, ${dimensions}-d embeddings, top ${K}`);
  print();
  print(`Q: ${qs[0]}`);
  print("  MemoryVectorStore:");
  for (const t of first!.memory) print(`    - ${t}`);
  print("  LeannVectorStore:");
  for (const t of first!.leann) print(`    - ${t}`);
  print();
  print(`Same top-${K} documents on ${(agreement * 100).toFixed(1)}% of ${qs.length} questions`);

  const dir = mkdtempSync(join(tmpdir(), "leann-swap-in-"));
  try {
    const memoryFile = join(dir, "memory-store.json");
    writeFileSync(memoryFile, JSON.stringify(memoryStore.memoryVectors));
    await leannStore.save(join(dir, "leann"));
    const files = readdirSync(join(dir, "leann"));
    const sum = (prefix: string) => files.filter((f) => f.startsWith(prefix)).reduce((s, f) => s + bytesIn(join(dir, "leann", f)), 0);
    const bytes = {
      memoryJson: bytesIn(memoryFile),
      embeddingsFloat32: docs.length * dimensions * 4,
      leann: bytesIn(join(dir, "leann")),
      leannIndex: sum("index."),
      leannPassages: sum("passages."),
    };
    const kb = (b: number) => `${(b / 1024).toFixed(1).padStart(8)} KiB`;
    print();
    print("Bytes on disk:");
    print(`  MemoryVectorStore, JSON of memoryVectors   ${kb(bytes.memoryJson)}`);
    print(`  (the embeddings alone, as float32          ${kb(bytes.embeddingsFloat32)})`);
    print(`  LeannVectorStore.save(dir)                 ${kb(bytes.leann)}   (${(bytes.memoryJson / bytes.leann).toFixed(1)}x smaller)`);
    print(`    index: graph + PQ codes                  ${kb(bytes.leannIndex)}`);
    print(`    passages: text + metadata + ids          ${kb(bytes.leannPassages)}`);
    if (options.keepFiles) print(`  saved in ${dir}`);
    return {
      documents: docs.length,
      dimensions: dimensions,
      question: qs[0]!,
      retrieved: first!,
      agreement,
      questions: qs.length,
      bytes,
      lines,
    };
  } finally {
    if (!options.keepFiles) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ keepFiles: process.env.KEEP_FILES === "1" });
}
