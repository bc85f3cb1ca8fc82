/**
 * The example end to end against a mocked Ollama (msw): /api/tags and /api/embed for
 * the index, /api/chat streamed as NDJSON for LlamaIndex's Ollama LLM. No real network.
 */
import { OllamaEmbeddings } from "@leann/ollama";
import { http, HttpResponse } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MockOllama, mockEmbedding, startMockOllama, type MockChatRequest } from "../../packages/ollama/test/helpers/mock-ollama.js";
import { DEFAULTS, loadDocuments, main } from "./main.js";
import { OllamaEmbeddingAdapter } from "./ollama-embedding.js";

let mock: MockOllama;
let server: ReturnType<typeof startMockOllama>["server"];
let lastChat: MockChatRequest | undefined;

const REPLY = "By default Ollama keeps a model loaded for five minutes after a request.";

beforeAll(() => {
  ({ mock, server } = startMockOllama({
    embedModels: { "nomic-embed-text": 256 },
    chatModels: ["llama3.2"],
    reply: (req) => {
      lastChat = req;
      return REPLY;
    },
  }));
});
afterEach(() => {
  mock.reset();
  server.resetHandlers();
  lastChat = undefined;
});
afterAll(() => server.close());

describe("examples/ollama-chat-llamaindex", () => {
  it("indexes the notes on a LeannVectorStore and streams a chat engine's answer with its sources", async () => {
    let out = "";
    const r = await main({ host: mock.baseUrl, write: (t) => (out += t) });
    expect(r.exitCode).toBe(0);

    expect(r.chunks.length).toBeGreaterThan(5);
    expect(r.answer).toBe(REPLY);
    expect(out).toContain(`A: ${REPLY}`);

    expect(r.sources).toHaveLength(DEFAULTS.k);
    expect(r.sources[0]).toMatchObject({ file: "ollama.txt", paragraph: 3 });
    expect(r.sources[0]!.text).toMatch(/^The keep_alive setting/);
    expect(out).toMatch(/Sources:\n {2}\[1\] ollama\.txt, paragraph 3 \(\d\.\d{3}\): The keep_alive setting/);

    // The chat engine put the retrieved passage into the context and streamed the reply.
    expect(lastChat?.stream).toBe(true);
    expect(lastChat?.model).toBe("llama3.2");
    // (LlamaIndex 0.12's ContextChatEngine sends the context as a system message after the user's.)
    expect(lastChat?.messages).toContainEqual({ role: "user", content: DEFAULTS.question });
    const system = lastChat?.messages.find((m) => m.role === "system");
    expect(system?.content).toContain("file_name: ollama.txt\nparagraph: 3\n\nThe keep_alive setting controls");

    // Embedding went through /api/embed only (never the legacy one-text endpoint), batched, with keep_alive.
    expect(mock.calls("/api/embeddings")).toHaveLength(0);
    const embeds = mock.calls("/api/embed");
    expect(embeds.every((c) => c.body.keep_alive === "5m")).toBe(true);
    expect(embeds.length).toBeLessThan(loadDocuments().length);
  });

  it("prints one hint line and exits 1 when no Ollama server answers", async () => {
    const dead = "http://127.0.0.1:9";
    server.use(http.all(`${dead}/*`, () => HttpResponse.error()));
    let out = "";
    const r = await main({ host: dead, write: (t) => (out += t) });
    expect(r.exitCode).toBe(1);
    expect(out).toBe(`Ollama is not answering at ${dead}: start it with \`ollama serve\` (or set OLLAMA_HOST), then run this again.\n`);
  });

  it("prints one line with the pull command and exits 1 when the embedding model is missing", async () => {
    let out = "";
    const r = await main({ host: mock.baseUrl, embedModel: "mxbai-embed-large", write: (t) => (out += t) });
    expect(r.exitCode).toBe(1);
    expect(out).toBe(`${out.trimEnd()}\n`);
    expect(out.trimEnd().split("\n")).toHaveLength(1);
    expect(out).toContain("run `ollama pull mxbai-embed-large`");
  });

  it("adapts OllamaEmbeddings to BaseEmbedding: one batched request for many texts, the model name for the index", async () => {
    const adapter = new OllamaEmbeddingAdapter(new OllamaEmbeddings({ model: "nomic-embed-text", baseUrl: mock.baseUrl }));
    expect(adapter.model).toBe("nomic-embed-text");
    expect(adapter.embedBatchSize).toBe(64);
    const texts = ["alpha beta", "gamma delta", "epsilon"];
    expect(await adapter.getTextEmbeddings(texts)).toEqual(texts.map((t) => mockEmbedding(t, 256)));
    expect(await adapter.getQueryEmbedding({ type: "text", text: "alpha" })).toEqual(mockEmbedding("alpha", 256));
    expect(mock.calls("/api/embed").map((c) => (c.body.input as string[]).length)).toEqual([3, 1]);
  });
});
