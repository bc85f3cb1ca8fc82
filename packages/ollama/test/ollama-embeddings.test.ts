import { createServer } from "node:net";
import { DimensionMismatchError, EmbedderError, InvalidInputError, InvalidOptionsError } from "@leann/core";
import { leannErrorOf } from "@leann/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OllamaConnectionError, OllamaEmbeddings, OllamaModelNotFoundError, OllamaResponseError, checkOllama, type OllamaEmbeddingsOptions } from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { backoffMs } from "../src/transport.js";
import { MockOllama, mockEmbedding, startMockOllama } from "./helpers/mock-ollama.js";

// Captured before msw patches globalThis.fetch: the one test that dials a closed loopback port uses it.
const undiciFetch = globalThis.fetch;

let mock: MockOllama;
let server: ReturnType<typeof startMockOllama>["server"];

beforeAll(() => {
  ({ mock, server } = startMockOllama({ embedModels: { "nomic-embed-text": 64, "all-minilm": 48 } }));
});
afterEach(() => {
  mock.reset();
  mock.perRequestMs = 0;
  mock.perTextMs = 0;
});
afterAll(() => server.close());

const texts = (n: number) => Array.from({ length: n }, (_, i) => `passage number ${i} about topic${i % 7} and word${i}`);
const make = (o: Partial<OllamaEmbeddingsOptions> = {}) => new OllamaEmbeddings({ model: "nomic-embed-text", baseUrl: mock.baseUrl, retryDelayMs: 2, ...o });

function refused(): TypeError {
  // The shape undici throws when nothing listens at the port.
  return new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:11434"), { code: "ECONNREFUSED" }) });
}

describe("OllamaEmbeddings: batching", () => {
  it("sends batchSize texts a request and returns the vectors in input order when n > batchSize", async () => {
    const e = make({ batchSize: 32 });
    const input = texts(70);
    const out = await e.embedDocuments(input);
    const calls = mock.calls("/api/embed");
    expect(calls.map((c) => (c.body.input as string[]).length)).toEqual([32, 32, 6]);
    expect(calls.flatMap((c) => c.body.input as string[])).toEqual(input);
    expect(out).toHaveLength(70);
    out.forEach((v, i) => expect(v).toEqual(mockEmbedding(input[i]!, 64)));
    expect(e.stats).toMatchObject({ requests: 3, texts: 70, retries: 0, failures: 0 });
  });

  it("sends exactly one request when the texts fit one batch, and none for no texts", async () => {
    const e = make({ batchSize: 32 });
    await e.embedDocuments(texts(32));
    expect(await e.embedDocuments([])).toEqual([]);
    expect(mock.calls("/api/embed")).toHaveLength(1);
  });

  it("sends model, keep_alive and truncate with every request", async () => {
    await make().embedDocuments(["a text"]);
    await make({ keepAlive: -1, truncate: false }).embedQuery("a query");
    const [first, second] = mock.calls("/api/embed");
    expect(first!.body).toEqual({ model: "nomic-embed-text", input: ["a text"], keep_alive: "5m" });
    expect(second!.body).toEqual({ model: "nomic-embed-text", input: ["a query"], keep_alive: -1, truncate: false });
  });

  it("embeds a query as a batch of one", async () => {
    const v = await make().embedQuery("what is leann");
    expect(v).toEqual(mockEmbedding("what is leann", 64));
  });

  it("rejects texts that are not strings before sending anything", async () => {
    const err = await leannErrorOf(make().embedDocuments([1 as unknown as string]));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(mock.requests).toHaveLength(0);
  });
});

describe("OllamaEmbeddings: concurrency", () => {
  it("keeps at most maxConcurrency requests in flight, and reaches it", async () => {
    mock.perRequestMs = 40;
    const e = make({ batchSize: 4, maxConcurrency: 3 });
    await e.embedDocuments(texts(40));
    expect(mock.calls("/api/embed")).toHaveLength(10);
    expect(mock.maxInFlight).toBe(3);
  });

  it("shares the limit between concurrent calls on one instance", async () => {
    mock.perRequestMs = 40;
    const e = make({ batchSize: 4, maxConcurrency: 2 });
    const [a, b] = await Promise.all([e.embedDocuments(texts(16)), e.embedDocuments(texts(16).map((t) => `${t} again`))]);
    expect(a).toHaveLength(16);
    expect(b[0]).toEqual(mockEmbedding(`${texts(1)[0]} again`, 64));
    expect(mock.maxInFlight).toBe(2);
  });

  it("runs batches one at a time with maxConcurrency 1", async () => {
    mock.perRequestMs = 5;
    await make({ batchSize: 2, maxConcurrency: 1 }).embedDocuments(texts(8));
    expect(mock.maxInFlight).toBe(1);
  });
});

describe("OllamaEmbeddings: retries", () => {
  it("retries 5xx and dropped connections with backoff, then succeeds", async () => {
    mock.failNext("/api/embed", { status: 503, error: "server busy" }, { network: true });
    const e = make({ retryDelayMs: 20 });
    const t0 = performance.now();
    const out = await e.embedDocuments(["retry me"]);
    const elapsed = performance.now() - t0;
    expect(out[0]).toEqual(mockEmbedding("retry me", 64));
    expect(mock.calls("/api/embed")).toHaveLength(3);
    expect(e.stats).toMatchObject({ requests: 3, retries: 2, failures: 0 });
    // Equal jitter: the first wait is 10-20 ms, the second 20-40 ms.
    expect(elapsed).toBeGreaterThanOrEqual(29);
  });

  it("gives up after maxRetries + 1 attempts with the last status in the message", async () => {
    mock.failNext("/api/embed", ...Array.from({ length: 5 }, () => ({ status: 500, error: "llama runner process has terminated" })));
    const e = make({ maxRetries: 3 });
    const err = await leannErrorOf(e.embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.code).toBe("EMBEDDER_FAILED");
    expect((err as OllamaResponseError).status).toBe(500);
    expect(err.message).toContain("4 attempts");
    expect(err.message).toContain("llama runner process has terminated");
    expect(mock.calls("/api/embed")).toHaveLength(4);
    expect(e.stats.failures).toBe(1);
  });

  it("retries 429 but not other 4xx", async () => {
    mock.failNext("/api/embed", { status: 429 });
    await make().embedDocuments(["a"]);
    expect(mock.calls("/api/embed")).toHaveLength(2);
    mock.reset();
    mock.failNext("/api/embed", { status: 400, error: "the input length exceeds the context length" });
    const err = await leannErrorOf(make({ truncate: false }).embedDocuments(["a"]));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.message).toContain("exceeds the context length");
    expect(err.message).toContain("Split long passages");
    expect(mock.calls("/api/embed")).toHaveLength(1);
  });

  it("does not retry when maxRetries is 0", async () => {
    mock.failNext("/api/embed", { status: 502 });
    const err = await leannErrorOf(make({ maxRetries: 0 }).embedDocuments(["a"]));
    expect(err.message).toContain("1 attempt");
    expect(mock.calls("/api/embed")).toHaveLength(1);
  });

  it("aborts a request that exceeds timeoutMs and retries it", async () => {
    mock.failNext("/api/embed", { hangMs: 2_000 });
    const t0 = performance.now();
    const out = await make({ timeoutMs: 60 }).embedDocuments(["slow"]);
    expect(out).toHaveLength(1);
    expect(mock.calls("/api/embed")).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(1_500);
  });

  it("reports a timeout once retries are exhausted", async () => {
    mock.failNext("/api/embed", { hangMs: 2_000 }, { hangMs: 2_000 });
    const err = await leannErrorOf(make({ timeoutMs: 40, maxRetries: 1 }).embedDocuments(["slow"]));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.message).toContain("did not answer /api/embed within 40 ms (2 attempts)");
  });

  it("backs off exponentially with equal jitter, capped", () => {
    expect(backoffMs(0, 100, () => 0)).toBe(50);
    expect(backoffMs(0, 100, () => 1)).toBe(100);
    expect(backoffMs(3, 100, () => 0)).toBe(400);
    expect(backoffMs(20, 100, () => 1)).toBe(8_000);
  });
});

describe("OllamaEmbeddings: errors", () => {
  it("fails with MODEL_NOT_FOUND and the pull command, without retrying, for a missing model", async () => {
    const e = make({ model: "mxbai-embed-large" });
    const err = await leannErrorOf(e.embedDocuments(["a"]));
    expect(err).toBeInstanceOf(OllamaModelNotFoundError);
    expect(err).toBeInstanceOf(EmbedderError);
    expect(err.code).toBe("MODEL_NOT_FOUND");
    expect(err.message).toContain("run `ollama pull mxbai-embed-large`");
    expect(mock.calls("/api/embed")).toHaveLength(1);
  });

  it("fails with CONNECTION_FAILED and `ollama serve`, without retrying, when nothing listens (real closed port)", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const e = new OllamaEmbeddings({ model: "nomic-embed-text", baseUrl: `http://127.0.0.1:${port}`, fetch: undiciFetch, retryDelayMs: 1_000 });
    const t0 = performance.now();
    const err = await leannErrorOf(e.embedDocuments(["a"]));
    expect(err).toBeInstanceOf(OllamaConnectionError);
    expect(err.code).toBe("CONNECTION_FAILED");
    expect(err.message).toContain(`Ollama is not answering at http://127.0.0.1:${port}: start it with \`ollama serve\``);
    expect(e.stats.retries).toBe(0);
    expect(performance.now() - t0).toBeLessThan(900);
  });

  it("fails with CONNECTION_FAILED after retries when the connection keeps dropping", async () => {
    mock.failNext("/api/embed", { network: true }, { network: true });
    const err = await leannErrorOf(make({ maxRetries: 1 }).embedDocuments(["a"]));
    expect(err).toBeInstanceOf(OllamaConnectionError);
    expect(err.message).toContain("The connection failed 2 attempts");
  });

  it("reads ECONNREFUSED from the undici error shape", async () => {
    const e = make({ fetch: () => Promise.reject(refused()) });
    const err = await leannErrorOf(e.embedQuery("a"));
    expect(err.code).toBe("CONNECTION_FAILED");
    expect(err.message).toContain("ECONNREFUSED");
  });

  it.each([
    ["no embeddings field", { body: { model: "nomic-embed-text" } }, "expected { embeddings: number[][] }, received an object with keys [model]"],
    ["too few embeddings", { body: { embeddings: [[0.1, 0.2]] } }, "received 1 embeddings for 2 texts"],
    ["a null component", { body: { embeddings: [[0.1, null], [0.1, 0.2]] } }, "component 1 is null"],
    ["an empty vector", { body: { embeddings: [[], []] } }, "embedding 0 is empty"],
    ["a body that is not JSON", { text: "<html>proxy error</html>" }, "not JSON"],
  ] as const)("fails with EMBEDDER_FAILED, without retrying, for a malformed answer: %s", async (_name, fault, message) => {
    mock.failNext("/api/embed", fault);
    const err = await leannErrorOf(make().embedDocuments(["a", "b"]));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.code).toBe("EMBEDDER_FAILED");
    expect(err.message).toContain(message);
    expect(mock.calls("/api/embed")).toHaveLength(1);
  });

  it("explains a bare 404 (not Ollama, or too old for /api/embed)", async () => {
    mock.failNext("/api/embed", { status: 404, error: "404 page not found" });
    const err = await leannErrorOf(make().embedDocuments(["a"]));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.message).toContain("version 0.3 or newer");
  });

  it("stops sending a call's remaining batches after a failure and settles every request before rejecting", async () => {
    mock.perRequestMs = 10;
    mock.failNext("/api/embed", { status: 400, error: "bad" });
    const err = await leannErrorOf(make({ batchSize: 2, maxConcurrency: 2 }).embedDocuments(texts(20)));
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(mock.inFlight).toBe(0);
    // The failing batch and the one in flight beside it; the other 8 batches never went out.
    expect(mock.calls("/api/embed").length).toBeLessThanOrEqual(3);
  });
});

describe("OllamaEmbeddings: dimensions", () => {
  it("fails with DIMENSION_MISMATCH when the model's vectors differ from the expected dimensions", async () => {
    const err = await leannErrorOf(make({ dimensions: 32 }).embedDocuments(["a"]));
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect(err.code).toBe("DIMENSION_MISMATCH");
    expect(err).toMatchObject({ expected: 32, received: 64 });
  });

  it("learns the dimensions from the first answer and enforces them afterwards", async () => {
    const e = make();
    expect(e.dimensions).toBeUndefined();
    await e.embedQuery("a");
    expect(e.dimensions).toBe(64);
    mock.failNext("/api/embed", { body: { embeddings: [new Array(48).fill(0.1)] } });
    const err = await leannErrorOf(e.embedQuery("b"));
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect(err).toMatchObject({ expected: 64, received: 48 });
  });

  it("rejects a batch whose vectors disagree in length", async () => {
    mock.failNext("/api/embed", { body: { embeddings: [[0.1, 0.2, 0.3], [0.1, 0.2]] } });
    const err = await leannErrorOf(make().embedDocuments(["a", "b"]));
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect(err).toMatchObject({ expected: 3, received: 2 });
  });
});

describe("OllamaEmbeddings: options", () => {
  it("names each bad option and what it received", () => {
    expect(() => new OllamaEmbeddings({} as OllamaEmbeddingsOptions)).toThrow(InvalidOptionsError);
    expect(() => make({ batchSize: 0, maxConcurrency: 1.5 })).toThrow(/batchSize.*received 0[\s\S]*maxConcurrency.*received 1.5/);
    expect(() => make({ modelName: "x" } as unknown as OllamaEmbeddingsOptions)).toThrow(/modelName/);
  });

  it("fills in the defaults: 32 a batch, 2 in flight, keep_alive 5m, 3 retries", () => {
    const e = new OllamaEmbeddings({ model: "m" });
    expect(e.options).toMatchObject({ batchSize: 32, maxConcurrency: 2, keepAlive: "5m", maxRetries: 3, timeoutMs: 120_000 });
    expect(Object.isFrozen(e.options)).toBe(true);
  });

  it("takes the host from OLLAMA_HOST when baseUrl is not given, and normalises it", () => {
    expect(resolveOptions({ model: "m" }, { OLLAMA_HOST: "10.1.2.3:11500" }).baseUrl).toBe("10.1.2.3:11500");
    expect(resolveOptions({ model: "m" }, {}).baseUrl).toBe("http://127.0.0.1:11434");
    expect(new OllamaEmbeddings({ model: "m", baseUrl: "localhost:11500" }).baseUrl).toBe("http://localhost:11500");
    expect(new OllamaEmbeddings({ model: "m", baseUrl: "http://gpu-box:11434/" }).baseUrl).toBe("http://gpu-box:11434");
  });

  it("exposes the model as its identity for the index", () => {
    const e = make({ model: "all-minilm" });
    expect(e.model).toBe("all-minilm");
    expect(e.modelId).toBe("all-minilm");
  });

  it("sends requests through a custom fetch", async () => {
    const seen: string[] = [];
    const e = make({ fetch: (input, init) => (seen.push(String(input)), globalThis.fetch(input, init)) });
    await e.embedQuery("a");
    expect(seen).toEqual([`${mock.baseUrl}/api/embed`]);
  });
});

describe("OllamaEmbeddings.check and checkOllama", () => {
  it("reads the model's embedding and context length from /api/show", async () => {
    const info = await make().check();
    expect(info).toMatchObject({ model: "nomic-embed-text", embeddingLength: 64, contextLength: 2048, capabilities: ["embedding"] });
    expect(mock.calls("/api/show")[0]!.body).toEqual({ model: "nomic-embed-text" });
  });

  it("fails check() with MODEL_NOT_FOUND for a model the server lacks", async () => {
    const err = await leannErrorOf(make({ model: "nope" }).check());
    expect(err.code).toBe("MODEL_NOT_FOUND");
  });

  it("lists installed models and accepts names without :latest", async () => {
    const r = await checkOllama({ baseUrl: mock.baseUrl, models: ["nomic-embed-text", "llama3.2:latest"] });
    expect(r.host).toBe(mock.baseUrl);
    expect(r.installed).toContain("nomic-embed-text:latest");
  });

  it("names every missing model with its pull command", async () => {
    const err = await leannErrorOf(checkOllama({ baseUrl: mock.baseUrl, models: ["qwen2.5", "nomic-embed-text", "bge-m3"] }));
    expect(err).toBeInstanceOf(OllamaModelNotFoundError);
    expect((err as OllamaModelNotFoundError).models).toEqual(["qwen2.5", "bge-m3"]);
    expect(err.message).toContain("run `ollama pull qwen2.5` and `ollama pull bge-m3`");
  });

  it("fails with CONNECTION_FAILED when the server is down", async () => {
    const err = await leannErrorOf(checkOllama({ baseUrl: mock.baseUrl, fetch: () => Promise.reject(refused()) }));
    expect(err.code).toBe("CONNECTION_FAILED");
  });
});
