/**
 * The demo (`pnpm demo`) in its quick mode, in-process, on the model a new user's first
 * `pnpm demo` gets: potion-base-2M shipped inside @leann/onnx (no hub, no download).
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { describe, expect, it } from "vitest";
import { main, QUESTIONS, type DemoResult } from "../examples/demo/main.js";
import { hnswlibIndexBytes } from "../examples/demo/hnswlib-size.js";
import { DEFAULT_MODEL, EMBEDDED_MODEL_DIR } from "../packages/onnx/src/index.js";

const NO_OLLAMA = "http://127.0.0.1:9"; // discard port: nothing listens
/** No LEANN_MODEL_DIR and no CI from the developer's shell: the run a new user gets. */
const ENV = { ...process.env, LEANN_MODEL_DIR: undefined, CI: undefined };

function expectSaneRun(r: DemoResult) {
  expect(r.corpus.addresses).toBe(233);
  expect(r.corpus.chunks).toBeGreaterThan(10_000);
  expect(r.indexed.chunks).toBeGreaterThan(0);
  expect(r.indexed.years[1]).toBe(2021); // newest first
  // The first search recomputes embeddings; later ones may find some (or all) in the hub cache.
  expect(r.questions[0]!.langchain.recomputed).toBeGreaterThan(0);
  expect(r.questions[0]!.llamaindex.recomputed).toBeGreaterThan(0);
  for (const q of r.questions) {
    for (const run of [q.langchain, q.llamaindex]) {
      expect(run.hits.length).toBeGreaterThan(0);
      expect(run.recomputed).toBeGreaterThanOrEqual(0);
      expect(run.ms).toBeGreaterThan(0);
      const scores = run.hits.map((h) => h.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
    // Both frameworks query the same saved index with the same model and settings.
    expect(q.llamaindex.hits.map((h) => h.id)).toEqual(q.langchain.hits.map((h) => h.id));
    // The exact answer is measured too, and LEANN's overlap with it is what the ids say.
    expect(q.exact.ids).toHaveLength(Math.min(3, r.indexed.chunks));
    expect(q.exact.ms).toBeGreaterThan(0);
    expect(q.exact.leannOverlap).toBe(q.langchain.hits.filter((h) => q.exact.ids.includes(h.id)).length / 3);
  }
  expect(r.latency.langchainMs).toBeGreaterThan(0);
  expect(r.latency.exactMs).toBeGreaterThan(0);
  expect(r.lines.join("\n")).toMatch(/Latency, median of \d+ questions \(measured\): LEANN [\d.]+ ms through LangChain/);
  const s = r.sizes;
  expect(s.hnswlib.computed).toBe(true);
  expect(s.hnswlib.indexFile).toBe(hnswlibIndexBytes(r.indexed.chunks, r.model.dimensions));
  expect(s.leann.parts.indexTotal).toBeLessThan(s.hnswlib.indexFile);
  expect(s.leann.total).toBeLessThan(s.hnswlib.total);
  expect(s.leann.parts.storedVectors).toBe(0);
  expect(s.float32Embeddings).toBe(r.indexed.chunks * r.model.dimensions * 4);
  expect(Object.keys(s.leann.files)).toContain("CURRENT");
  expect(r.lines.join("\n")).toContain("computed*");
}

describe("pnpm demo --quick", () => {
  it("indexes a few hundred SOTU chunks with the shipped model, compares storage with HNSWLib and answers through LangChain and LlamaIndex", async () => {
    const r = await main({ quick: true, ollamaHost: NO_OLLAMA, env: ENV, log: () => undefined, progress: false });
    expectSaneRun(r);
    expect(r.model).toMatchObject({ id: DEFAULT_MODEL, dimensions: 64, source: "embedded" });
    expect(r.lines[1]).toContain("shipped inside @leann/onnx: no download, no cache");
    expect(r.indexed.chunks).toBe(300);
    expect(r.questions.map((q) => q.question)).toEqual(QUESTIONS);
    for (const q of r.questions) expect(q.langchain.hits).toHaveLength(3);
    // The drug-price question finds Biden's 2021 passage on drug prices.
    expect(r.questions[0]!.langchain.hits.some((h) => h.year === 2021 && /drug/i.test(h.text))).toBe(true);
    expect(r.ollama.available).toBe(false);
    expect(r.lines.at(-2)).toContain("start it with `ollama serve`");
    // LEANN's index proper (graph + PQ) is a small share of the text and of the float32 vectors.
    expect(r.sizes.leann.parts.indexTotal).toBeLessThan(r.sizes.float32Embeddings);
    expect(r.ms).toBeLessThan(60_000);
  });

  it("has Ollama answer the questions when a server answers", async () => {
    const HOST = "http://ollama.demo.test:11434";
    const asked: string[] = [];
    const server = setupServer(
      http.get(`${HOST}/api/version`, () => HttpResponse.json({ version: "0.12.0" })),
      http.post(`${HOST}/api/chat`, async ({ request }) => {
        const body = (await request.json()) as { model: string; messages: { role: string; content: string }[] };
        asked.push(body.messages.map((m) => m.content).join("\n"));
        return HttpResponse.json({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: "Negotiate drug prices [1]." }, done: true });
      }),
    );
    server.listen({ onUnhandledRequest: "bypass" });
    try {
      const r = await main({ quick: true, maxChunks: 64, modelDir: EMBEDDED_MODEL_DIR, ollamaHost: HOST, questions: [QUESTIONS[0]!], log: () => undefined, progress: false });
      expect(r.ollama.available).toBe(true);
      expect(r.questions[0]!.answer).toBe("Negotiate drug prices [1].");
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain(QUESTIONS[0]);
      expect(asked[0]).toContain("[1] (2021, Joseph R Biden)");
    } finally {
      server.close();
    }
  });
});
