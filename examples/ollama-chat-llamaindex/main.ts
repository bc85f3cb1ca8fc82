/**
 * Local RAG with Ollama and LlamaIndex: the bundled notes in data/ go into a
 * VectorStoreIndex on a LeannVectorStore (embedded by Ollama, no embeddings stored), and
 * a chat engine answers with an Ollama LLM, streaming the answer and citing its sources.
 *
 *   ollama pull nomic-embed-text && ollama pull llama3.2
 *   pnpm --filter @leann/core --filter @leann/llamaindex --filter @leann/ollama build
 *   pnpm --filter leann-example-ollama-chat-llamaindex start "How long does Ollama keep a model loaded?"
 *
 * Environment: OLLAMA_HOST (default http://127.0.0.1:11434), CHAT_MODEL (llama3.2),
 * EMBED_MODEL (nomic-embed-text). Exit code 0 when it answered; 1, after one hint
 * line, when no Ollama server answers or a model is not installed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Ollama } from "@llamaindex/ollama";
import { LeannVectorStore } from "@leann/llamaindex";
import { checkOllama, LeannError, OllamaEmbeddings } from "@leann/ollama";
import { Document, MetadataMode, Settings, storageContextFromDefaults, VectorStoreIndex } from "llamaindex";
import { OllamaEmbeddingAdapter } from "./ollama-embedding.js";

export interface ChatOptions {
  /** Ollama server URL (default: OLLAMA_HOST, else http://127.0.0.1:11434). */
  host?: string;
  /** Chat model (default llama3.2). */
  chatModel?: string;
  /** Embedding model (default nomic-embed-text). */
  embedModel?: string;
  question?: string;
  /** Passages retrieved for the answer (default 3). */
  k?: number;
  /** Folder of .txt files to index (default: the bundled data/). */
  dataDir?: string;
  /** Where output goes, piece by piece as it streams (default: stdout). */
  write?: (text: string) => void;
}

export interface Source {
  file: string;
  paragraph: number;
  score: number;
  text: string;
}

export interface ChatResult {
  /** 0: answered. 1: Ollama unreachable or a model missing (one hint line was printed). */
  exitCode: 0 | 1;
  answer: string;
  sources: Source[];
  /** The answer as it arrived, one entry per streamed chunk. */
  chunks: string[];
}

export const DEFAULTS = {
  host: "http://127.0.0.1:11434",
  chatModel: "llama3.2",
  embedModel: "nomic-embed-text",
  question: "How long does Ollama keep a model loaded after a request?",
  k: 3,
};

const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), "data");

/** One document per paragraph of each .txt file (small enough that each stays one node). */
export function loadDocuments(dir = DATA_DIR): Document[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), "utf8")
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter(Boolean)
        .map((text, i) => new Document({ id_: `${file}#${i + 1}`, text, metadata: { file_name: file, paragraph: i + 1 } })),
    );
}

/** A failure that means "no Ollama server here", from our embedder or from the LLM's client. */
function isUnreachable(err: unknown): boolean {
  if (LeannError.isInstance(err)) return err.code === "CONNECTION_FAILED";
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH"].includes(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}

export async function main(options: ChatOptions = {}): Promise<ChatResult> {
  const host = options.host ?? (process.env.OLLAMA_HOST || DEFAULTS.host);
  const chatModel = options.chatModel ?? DEFAULTS.chatModel;
  const embedModelName = options.embedModel ?? DEFAULTS.embedModel;
  const question = options.question ?? DEFAULTS.question;
  const write = options.write ?? ((t: string) => void process.stdout.write(t));
  const failed = (line: string): ChatResult => {
    write(`${line}\n`);
    return { exitCode: 1, answer: "", sources: [], chunks: [] };
  };

  try {
    // One cheap request up front: a missing server or model is reported before any work.
    await checkOllama({ baseUrl: host, models: [chatModel, embedModelName] });

    const embeddings = new OllamaEmbeddings({ model: embedModelName, baseUrl: host });
    const embedModel = new OllamaEmbeddingAdapter(embeddings);
    const llm = new Ollama({ model: chatModel, config: { host } });
    // LlamaIndex reads Settings eagerly (even where a store or engine has its own model).
    Settings.embedModel = embedModel;
    Settings.llm = llm;

    const docs = loadDocuments(options.dataDir);
    const vectorStore = new LeannVectorStore({ embedModel });
    const index = await VectorStoreIndex.fromDocuments(docs, { storageContext: await storageContextFromDefaults({ vectorStore }) });
    const requests = embeddings.stats.requests;
    write(`Indexed ${docs.length} passages with ${embedModelName} (${embeddings.dimensions} dimensions, ${requests} request${requests === 1 ? "" : "s"} to /api/embed).\n`);

    const engine = index.asChatEngine({ similarityTopK: options.k ?? DEFAULTS.k, chatModel: llm });
    write(`\nQ: ${question}\nA: `);
    const chunks: string[] = [];
    let sources: Source[] = [];
    for await (const chunk of await engine.chat({ message: question, stream: true })) {
      if (chunk.delta) {
        chunks.push(chunk.delta);
        write(chunk.delta);
      }
      if (chunk.sourceNodes) {
        sources = chunk.sourceNodes.map((n) => ({
          file: String(n.node.metadata.file_name),
          paragraph: Number(n.node.metadata.paragraph),
          score: n.score ?? 0,
          text: n.node.getContent(MetadataMode.NONE),
        }));
      }
    }
    write("\n\nSources:\n");
    sources.forEach((s, i) =>
      write(`  [${i + 1}] ${s.file}, paragraph ${s.paragraph} (${s.score.toFixed(3)}): ${s.text.slice(0, 64)}${s.text.length > 64 ? "..." : ""}\n`),
    );
    return { exitCode: 0, answer: chunks.join(""), sources, chunks };
  } catch (err) {
    if (isUnreachable(err)) return failed(`Ollama is not answering at ${host}: start it with \`ollama serve\` (or set OLLAMA_HOST), then run this again.`);
    if (LeannError.isInstance(err) && err.code === "MODEL_NOT_FOUND") return failed(err.message.split("\n")[0]!);
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main({
    ...(process.env.CHAT_MODEL && { chatModel: process.env.CHAT_MODEL }),
    ...(process.env.EMBED_MODEL && { embedModel: process.env.EMBED_MODEL }),
    ...(process.argv[2] && { question: process.argv.slice(2).join(" ") }),
  });
  process.exitCode = result.exitCode;
}
