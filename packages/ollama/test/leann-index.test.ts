/**
 * OllamaEmbeddings as the core's embedder: builds, searches and adds through the
 * mocked API, and a failed embedding call never changes the index.
 */
import { LeannIndex, type PassageInput } from "@leann/core";
import { leannErrorOf, tempDirs } from "@leann/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OllamaConnectionError, OllamaEmbeddings, OllamaResponseError, type OllamaEmbeddingsOptions } from "../src/index.js";
import { MockOllama, startMockOllama } from "./helpers/mock-ollama.js";

let mock: MockOllama;
let server: ReturnType<typeof startMockOllama>["server"];
const dirs = tempDirs("leann-ollama-");

beforeAll(() => {
  ({ mock, server } = startMockOllama({ embedModels: { "nomic-embed-text": 64 } }));
});
afterEach(() => mock.reset());
afterAll(() => {
  server.close();
  dirs.cleanup();
});

const TOPICS = ["router wifi firmware", "printer toner paper", "laptop battery charger", "camera lens shutter", "garden tomato soil"];
function corpus(n: number, prefix = "p"): PassageInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    text: `${TOPICS[i % TOPICS.length]} note ${i} ${prefix}extra${i % 13} detail${i % 29}`,
    metadata: { topic: i % TOPICS.length },
  }));
}
const make = (o: Partial<OllamaEmbeddingsOptions> = {}) =>
  new OllamaEmbeddings({ model: "nomic-embed-text", baseUrl: mock.baseUrl, retryDelayMs: 1, maxRetries: 1, ...o });

const QUERY = "laptop battery charger detail7";
/** Search with the hub cache out of the way, so every search recomputes. */
const searchOpts = { k: 5, maxRecompute: 64 };

describe("OllamaEmbeddings in LeannIndex", () => {
  it("builds an index in batched requests and records the model", async () => {
    const e = make({ batchSize: 16, maxConcurrency: 2 });
    const index = await LeannIndex.build(corpus(300), { embedder: e, cacheBytes: 0 });
    expect(index.size).toBe(300);
    expect(index.dimensions).toBe(64);
    expect(index.model).toBe("nomic-embed-text");
    const sizes = mock.calls("/api/embed").map((c) => (c.body.input as string[]).length);
    // The core hands over 64 texts a call; each becomes 4 requests of 16.
    expect(sizes.every((s) => s <= 16)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(300);
    expect(mock.maxInFlight).toBeLessThanOrEqual(2);
    const { hits, stats } = await index.search(QUERY, searchOpts);
    expect(hits[0]!.text).toContain("laptop battery charger");
    expect(stats.recomputed).toBeGreaterThan(0);
  });

  it("leaves the index unchanged when a search's recomputation fails, and searches again afterwards", async () => {
    const index = await LeannIndex.build(corpus(200), { embedder: make(), cacheBytes: 0 });
    const before = await index.search(QUERY, searchOpts);
    mock.reset();
    // The query embedding goes through; the first recomputation batch fails twice (maxRetries 1).
    mock.failNext("/api/embed", { pass: true }, { status: 500 }, { status: 500 });
    const err = await leannErrorOf(index.search(QUERY, searchOpts));
    // The core passes the embedder's error through unchanged: the specific class and message.
    expect(err).toBeInstanceOf(OllamaResponseError);
    expect(err.message).toContain("kept failing /api/embed");
    expect(index.size).toBe(200);
    const after = await index.search(QUERY, searchOpts);
    expect(after.hits.map((h) => [h.id, h.score])).toEqual(before.hits.map((h) => [h.id, h.score]));
  });

  it("rolls an add back when the new passages cannot be embedded", async () => {
    const index = await LeannIndex.build(corpus(200), { embedder: make(), cacheBytes: 0 });
    const before = await index.search(QUERY, searchOpts);
    mock.failNext("/api/embed", { body: { embeddings: [] } });
    const err = await leannErrorOf(index.add(corpus(10, "new")));
    expect(err.code).toBe("EMBEDDER_FAILED");
    expect(index.size).toBe(200);
    expect(index.has("new0")).toBe(false);
    expect((await index.search(QUERY, searchOpts)).hits.map((h) => h.id)).toEqual(before.hits.map((h) => h.id));
  });

  it("leaves the index as it was when an add's embedding request fails for good, and embeds only the new texts in ceil(n / batch) requests once the server is back", async () => {
    const BATCH = 16;
    const index = await LeannIndex.build(corpus(200), { embedder: make({ batchSize: BATCH }), cacheBytes: 0 });
    const ids = index.listIds().sort();
    const before = await index.search(QUERY, searchOpts);
    mock.reset();
    // The server is gone: every request of the add's own embedding fails, retry included
    // (maxRetries 1), whichever of its batches goes first.
    const requestsPerAdd = Math.ceil(37 / BATCH);
    mock.failNext("/api/embed", ...Array.from({ length: 2 * requestsPerAdd }, () => ({ network: true as const })));
    const err = await leannErrorOf(index.add(corpus(37, "new")));
    expect(err).toBeInstanceOf(OllamaConnectionError);
    expect(index.size).toBe(200);
    expect(index.listIds().sort()).toEqual(ids);
    mock.reset(); // the server is back (faults the add did not get to are dropped)
    const after = await index.search(QUERY, searchOpts);
    expect(after.hits.map((h) => [h.id, h.score])).toEqual(before.hits.map((h) => [h.id, h.score]));

    // Inserts are placed on PQ-decoded vectors and the add's own embeddings: no recomputation.
    mock.reset(); // count the add's requests only
    const added = corpus(37, "new");
    await index.add(added);
    expect(index.size).toBe(237);
    const requests = mock.calls("/api/embed").map((c) => c.body.input as string[]);
    expect(requests).toHaveLength(requestsPerAdd);
    expect(requests.flat().sort()).toEqual(added.map((p) => p.text).sort());
  });

  it("fails a search with CONNECTION_FAILED and the `ollama serve` hint when the server goes away", async () => {
    let down = false;
    const e = make({
      fetch: (input, init) =>
        down
          ? Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) }))
          : globalThis.fetch(input, init),
    });
    const index = await LeannIndex.build(corpus(100), { embedder: e, cacheBytes: 0 });
    down = true;
    const err = await leannErrorOf(index.search(QUERY, searchOpts));
    expect(err.code).toBe("CONNECTION_FAILED");
    expect(err.message).toContain("start it with `ollama serve`");
  });

  it("refuses to open an index with a model whose embeddings have other dimensions", async () => {
    const dir = dirs.make();
    const index = await LeannIndex.build(corpus(100), { embedder: make() });
    await index.save(dir);
    // Same name, other vectors: e.g. the model was re-pulled as a different variant.
    mock.embedModels.set("nomic-embed-text:latest", 48);
    try {
      const err = await leannErrorOf(LeannIndex.load(dir, { embedder: make() }));
      expect(err.code).toBe("DIMENSION_MISMATCH");
      // Told the index's dimensions up front, the embedder itself refuses the first answer.
      const strict = make({ dimensions: index.dimensions });
      const err2 = await leannErrorOf(strict.embedQuery("x"));
      expect(err2.code).toBe("DIMENSION_MISMATCH");
    } finally {
      mock.embedModels.set("nomic-embed-text:latest", 64);
    }
    const reopened = await LeannIndex.load(dir, { embedder: make() });
    expect((await reopened.search(QUERY, searchOpts)).hits[0]!.text).toContain("laptop");
    reopened.close();
  });
});
