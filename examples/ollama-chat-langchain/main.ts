/**
 * Local RAG with Ollama and LangChain: the bundled notes in data/ go into a
 * LeannVectorStore (embedded by Ollama, no embeddings stored), a retriever picks the
 * passages for a question, and ChatOllama streams an answer that cites them.
 *
 *   ollama pull nomic-embed-text && ollama pull llama3.2
 *   pnpm --filter @leann/core --filter @leann/langchain --filter @leann/ollama build
 *   pnpm --filter leann-example-ollama-chat-langchain start "How long does Ollama keep a model loaded?"
 *
 * Environment: OLLAMA_HOST (default http://127.0.0.1:11434), CHAT_MODEL (llama3.2),
 * EMBED_MODEL (nomic-embed-text). Exit code 0 when it answered; 1, after one hint
 * line, when no Ollama server answers or a model is not installed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { ChatOllama } from "@langchain/ollama";
import { LeannVectorStore } from "@leann/langchain";
import { checkOllama, LeannError, OllamaEmbeddings } from "@leann/ollama";

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

/** One document per paragraph of each .txt file. */
export function loadDocuments(dir = DATA_DIR): Document[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .flatMap((file) =>
      readFileSync(join(dir, file), "utf8")
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter(Boolean)
        .map((text, i) => new Document({ pageContent: text, metadata: { file, paragraph: i + 1 }, id: `${file}#${i + 1}` })),
    );
}

const prompt = ChatPromptTemplate.fromMessages([
  [
    "system",
    "Answer the question using only the numbered context passages. Cite the passages you use as [1], [2], ... " +
      "If the context does not hold the answer, say so.\n\nContext:\n{context}",
  ],
  ["human", "{question}"],
]);

/** A failure that means "no Ollama server here", from our embedder or from ChatOllama's client. */
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
  const embedModel = options.embedModel ?? DEFAULTS.embedModel;
  const question = options.question ?? DEFAULTS.question;
  const write = options.write ?? ((t: string) => void process.stdout.write(t));
  const failed = (line: string): ChatResult => {
    write(`${line}\n`);
    return { exitCode: 1, answer: "", sources: [], chunks: [] };
  };

  try {
    // One cheap request up front: a missing server or model is reported before any work.
    await checkOllama({ baseUrl: host, models: [chatModel, embedModel] });

    const docs = loadDocuments(options.dataDir);
    const embeddings = new OllamaEmbeddings({ model: embedModel, baseUrl: host });
    const store = await LeannVectorStore.fromDocuments(docs, embeddings);
    const requests = embeddings.stats.requests;
    write(`Indexed ${docs.length} passages with ${embedModel} (${embeddings.dimensions} dimensions, ${requests} request${requests === 1 ? "" : "s"} to /api/embed).\n`);

    const retrieved = await store.asRetriever({ k: options.k ?? DEFAULTS.k }).invoke(question);
    const sources: Source[] = retrieved.map((d) => ({ file: String(d.metadata.file), paragraph: Number(d.metadata.paragraph), text: d.pageContent }));
    const context = sources.map((s, i) => `[${i + 1}] (${s.file}) ${s.text}`).join("\n\n");

    // maxRetries 1: LangChain's caller cannot tell a missing model (404) from a busy server and would back off for seconds.
    const chat = new ChatOllama({ model: chatModel, baseUrl: host, keepAlive: "5m", maxRetries: 1 });
    write(`\nQ: ${question}\nA: `);
    const chunks: string[] = [];
    for await (const chunk of await prompt.pipe(chat).pipe(new StringOutputParser()).stream({ context, question })) {
      chunks.push(chunk);
      write(chunk);
    }
    write("\n\nSources:\n");
    sources.forEach((s, i) => write(`  [${i + 1}] ${s.file}, paragraph ${s.paragraph}: ${s.text.slice(0, 72)}${s.text.length > 72 ? "..." : ""}\n`));
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
