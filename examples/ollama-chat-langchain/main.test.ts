/**
 * The example end to end against a mocked Ollama (msw): /api/tags and /api/embed for
 * the index, /api/chat streamed as NDJSON for the answer. No real network.
 */
import { http, HttpResponse } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MockOllama, startMockOllama, type MockChatRequest } from "../../packages/ollama/test/helpers/mock-ollama.js";
import { DEFAULTS, loadDocuments, main } from "./main.js";

let mock: MockOllama;
let server: ReturnType<typeof startMockOllama>["server"];
let lastChat: MockChatRequest | undefined;

const REPLY = "Ollama keeps a model loaded for five minutes after a request by default [1].";

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

describe("examples/ollama-chat-langchain", () => {
  it("indexes the bundled notes, retrieves the keep_alive passage and streams the answer with its sources", async () => {
    let out = "";
    const r = await main({ host: mock.baseUrl, write: (t) => (out += t) });
    expect(r.exitCode).toBe(0);

    // Streamed: one chunk per NDJSON line of the mock, joined into the whole answer.
    expect(r.chunks.length).toBeGreaterThan(5);
    expect(r.answer).toBe(REPLY);
    expect(out).toContain(`A: ${REPLY}`);

    // The passage about keep_alive is the top source, and it reached the model's prompt.
    expect(r.sources).toHaveLength(DEFAULTS.k);
    expect(r.sources[0]).toMatchObject({ file: "ollama.txt", paragraph: 3 });
    expect(out).toMatch(/Sources:\n {2}\[1\] ollama\.txt, paragraph 3: The keep_alive setting/);
    expect(lastChat?.stream).toBe(true);
    expect(lastChat?.model).toBe("llama3.2");
    expect(lastChat?.messages[0]!.content).toContain("[1] (ollama.txt) The keep_alive setting");
    expect(lastChat?.messages.at(-1)).toEqual({ role: "user", content: DEFAULTS.question });

    // The index was embedded in batches, with keep_alive, after one /api/tags check.
    expect(mock.calls("/api/tags")).toHaveLength(1);
    const embeds = mock.calls("/api/embed");
    expect(embeds.every((c) => c.body.keep_alive === "5m" && c.body.model === "nomic-embed-text")).toBe(true);
    const embedded = embeds.reduce((n, c) => n + (c.body.input as string[]).length, 0);
    expect(embedded).toBeGreaterThanOrEqual(loadDocuments().length);
    expect(out).toContain(`Indexed ${loadDocuments().length} passages with nomic-embed-text (256 dimensions`);
  });

  it("answers another question from another file", async () => {
    const r = await main({ host: mock.baseUrl, question: "At what temperature should green tea be brewed?", write: () => undefined });
    expect(r.sources[0]!.file).toBe("green-tea.txt");
  });

  it("prints one hint line and exits 1 when no Ollama server answers", async () => {
    const dead = "http://127.0.0.1:9";
    server.use(http.all(`${dead}/*`, () => HttpResponse.error()));
    let out = "";
    const r = await main({ host: dead, write: (t) => (out += t) });
    expect(r.exitCode).toBe(1);
    expect(out).toBe(`Ollama is not answering at ${dead}: start it with \`ollama serve\` (or set OLLAMA_HOST), then run this again.\n`);
  });

  it("prints one line with the pull command and exits 1 when a model is missing", async () => {
    let out = "";
    const r = await main({ host: mock.baseUrl, chatModel: "qwen2.5:7b", write: (t) => (out += t) });
    expect(r.exitCode).toBe(1);
    expect(out.trimEnd().split("\n")).toHaveLength(1);
    expect(out).toContain("run `ollama pull qwen2.5:7b`");
    expect(mock.calls("/api/embed")).toHaveLength(0);
  });
});
