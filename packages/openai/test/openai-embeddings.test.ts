import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex, ModelMismatchError } from "@leann/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DimensionMismatchError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  OpenAICompatibleEmbeddings,
  OpenAIConnectionError,
  OpenAIModelNotFoundError,
  OpenAIResponseError,
  retryAfterMs,
  retryDelayMs,
  type FetchLike,
  type OpenAICompatibleEmbeddingsOptions,
} from "../src/index.js";
import { resolveOptions } from "../src/options.js";
import { fakeEmbedding, startFakeOpenAI, type FakeOpenAI } from "./helpers/fake-openai.js";

const BASE = "http://127.0.0.1:18089/v1";
let fake: FakeOpenAI;
let server: ReturnType<typeof startFakeOpenAI>["server"];
const dirs: string[] = [];

// msw patches fetch here, before any embedder exists.
beforeAll(() => {
  ({ fake, server } = startFakeOpenAI(BASE, { "text-embedding-3-small": 48, "nomic-embed-text": 32 }));
});
afterEach(() => fake.reset());
afterAll(() => {
  server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => `passage ${i} about topic${i % 7} and word${i}`);
const make = (o: Partial<OpenAICompatibleEmbeddingsOptions> = {}) =>
  new OpenAICompatibleEmbeddings({ model: "text-embedding-3-small", baseURL: BASE, apiKey: "sk-test-secret", retryDelayMs: 1, ...o });

/** The rejection of `p`, to assert class and code without a bare try/catch. */
async function rejection(p: Promise<unknown>): Promise<LeannError> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!LeannError.isInstance(r)) throw new Error(`expected a LeannError, got ${r === undefined ? "success" : String(r)}`);
  return r;
}

describe("OpenAICompatibleEmbeddings: requests and answers", () => {
  it("sends model, input and the bearer key, and returns one vector per text when the server answers", async () => {
    const e = make();
    const input = texts(3);
    const out = await e.embedDocuments(input);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body).toEqual({ model: "text-embedding-3-small", input });
    expect(fake.requests[0]!.authorization).toBe("Bearer sk-test-secret");
    out.forEach((v, i) => expect(v).toEqual(fakeEmbedding(input[i]!, 48)));
    expect(await e.embedQuery("a query")).toEqual(fakeEmbedding("a query", 48));
    expect(e.dimensions).toBe(48);
  });

  it("records model and endpoint as its identity, never the key, when a key is set", () => {
    const e = make({ baseURL: "http://user:pw@127.0.0.1:18089/v1/?api_key=sk-in-url" });
    expect(e.modelId).toBe("text-embedding-3-small via http://127.0.0.1:18089/v1");
    expect(make({ dimensions: 256 }).modelId).toBe(`text-embedding-3-small[256] via ${BASE}`);
    expect(e.modelId).not.toContain("sk-");
  });

  it("sends dimensions and checks them when the option is set", async () => {
    const out = await make({ dimensions: 16 }).embedDocuments(["short"]);
    expect(fake.requests[0]!.body.dimensions).toBe(16);
    expect(out[0]).toHaveLength(16);
  });

  it("puts vectors back in input order when the server answers out of order", async () => {
    const input = texts(3);
    const data = input.map((t, index) => ({ index, embedding: fakeEmbedding(t, 48) })).reverse();
    fake.fail({ body: { data } });
    expect(await make().embedDocuments(input)).toEqual(input.map((t) => fakeEmbedding(t, 48)));
  });

  it("rejects texts that are not strings before sending anything", async () => {
    const err = await rejection(make().embedDocuments([1 as unknown as string]));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("OpenAICompatibleEmbeddings: batching and concurrency", () => {
  it("sends batchSize texts a request and keeps input order when n > batchSize", async () => {
    const input = texts(150);
    const out = await make({ batchSize: 64 }).embedDocuments(input);
    expect(fake.requests.map((r) => r.body.input.length)).toEqual([64, 64, 22]);
    expect(fake.requests.flatMap((r) => r.body.input).sort()).toEqual([...input].sort());
    out.forEach((v, i) => expect(v).toEqual(fakeEmbedding(input[i]!, 48)));
  });

  it("keeps maxConcurrency requests in flight, shared across calls, when many batches wait", async () => {
    // Counted where the client sends: a leaking limit would send all five batches at once, before any answer.
    let sending = 0, peak = 0;
    const counting: FetchLike = async (input, init) => {
      peak = Math.max(peak, ++sending);
      try {
        return await globalThis.fetch(input, init);
      } finally {
        sending--;
      }
    };
    let open!: () => void;
    fake.gate = new Promise<void>((r) => (open = r));
    const twoArrived = new Promise<void>((r) => (fake.onArrival = () => fake.inFlight >= 2 && r()));
    const e = make({ batchSize: 4, maxConcurrency: 2, fetch: counting });
    const calls = [e.embedDocuments(texts(12)), e.embedDocuments(texts(8))];
    await twoArrived;
    expect(peak).toBe(2);
    open();
    const [a, b] = await Promise.all(calls);
    expect(a).toHaveLength(12);
    expect(b).toHaveLength(8);
    expect(fake.requests).toHaveLength(5);
    expect(peak).toBe(2);
    expect(fake.maxInFlight).toBe(2);
  });
});

describe("OpenAICompatibleEmbeddings: retries, timeouts and failures", () => {
  it("retries after a 429 and succeeds when the server recovers", async () => {
    fake.fail({ status: 429, message: "Rate limit reached", headers: { "retry-after": "0" } });
    const e = make();
    expect(await e.embedDocuments(["x"])).toEqual([fakeEmbedding("x", 48)]);
    expect(e.stats).toMatchObject({ requests: 2, retries: 1, texts: 1, failures: 0 });
  });

  it("waits what Retry-After says, else backs off exponentially with jitter", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "150", "retry-after": "9" }))).toBe(150);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(new Headers({}))).toBeUndefined();
    expect(retryDelayMs(3, 100, 2000)).toBe(2000);
    expect(retryDelayMs(0, 100, undefined, () => 0)).toBe(50);
    expect(retryDelayMs(3, 100, undefined, () => 1)).toBe(800);
    expect(retryDelayMs(20, 100, undefined, () => 1)).toBe(8000);
  });

  it("fails with the status when 500s outlast maxRetries", async () => {
    fake.fail(...Array.from({ length: 3 }, () => ({ status: 500, message: "CUDA out of memory" })));
    const e = make({ maxRetries: 2 });
    const err = await rejection(e.embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OpenAIResponseError);
    expect(err.code).toBe("EMBEDDER_FAILED");
    expect((err as OpenAIResponseError).status).toBe(500);
    expect(err.message).toContain("3 attempts");
    expect(err.message).toContain("CUDA out of memory");
    expect(e.stats).toMatchObject({ requests: 3, retries: 2, failures: 1 });
  });

  it("fails at once, without waiting, when Retry-After is beyond a minute", async () => {
    fake.fail({ status: 429, headers: { "retry-after": "3600" } });
    const err = await rejection(make().embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OpenAIResponseError);
    expect(err.message).toContain("3600 s");
    expect(fake.requests).toHaveLength(1);
  });

  it("does not retry a refused key, and says which variable to set", async () => {
    fake.fail({ status: 401, message: "Incorrect API key provided" });
    const err = await rejection(make().embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OpenAIResponseError);
    expect((err as OpenAIResponseError).status).toBe(401);
    expect(err.message).toContain("OPENAI_API_KEY");
    expect(fake.requests).toHaveLength(1);
  });

  it("reports MODEL_NOT_FOUND when the server lacks the model", async () => {
    const err = await rejection(make({ model: "no-such-model" }).embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OpenAIModelNotFoundError);
    expect(err.code).toBe("MODEL_NOT_FOUND");
    expect(fake.requests).toHaveLength(1);
  });

  it("times out a request that does not answer, and retries it", async () => {
    let open!: () => void;
    fake.gate = new Promise<void>((r) => (open = r));
    try {
      const e = make({ timeoutMs: 30, maxRetries: 1 });
      const err = await rejection(e.embedDocuments(["x"]));
      expect(err).toBeInstanceOf(OpenAIResponseError);
      expect(err.message).toContain("did not answer within 30 ms (2 attempts)");
      expect(e.stats.requests).toBe(2);
    } finally {
      open();
    }
  });

  it("reports CONNECTION_FAILED when nothing listens", async () => {
    const refused = () => Promise.reject(new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) }));
    const err = await rejection(make({ fetch: refused }).embedDocuments(["x"]));
    expect(err).toBeInstanceOf(OpenAIConnectionError);
    expect(err.code).toBe("CONNECTION_FAILED");
  });
});

describe("OpenAICompatibleEmbeddings: vectors checked", () => {
  it("throws DimensionMismatchError when vectors differ from dimensions", async () => {
    fake.fail({ dims: 12 });
    const err = await rejection(make({ dimensions: 48 }).embedDocuments(["x"]));
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect(err).toMatchObject({ code: "DIMENSION_MISMATCH", expected: 48, received: 12 });
  });

  it("throws DimensionMismatchError when a later answer differs from the length learnt first", async () => {
    const e = make();
    await e.embedQuery("first");
    fake.fail({ dims: 47 });
    const err = await rejection(e.embedQuery("second"));
    expect(err).toMatchObject({ code: "DIMENSION_MISMATCH", expected: 48, received: 47 });
  });

  it.each([
    ["no data array", { embeddings: [] }],
    ["too few vectors", { data: [] }],
    ["a non-finite component", { data: [{ index: 0, embedding: [1, null] }] }],
    ["a base64 string", { data: [{ index: 0, embedding: "AAAA" }] }],
    ["a duplicate index", { data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [1] }] }],
  ])("rejects an answer with %s as OpenAIResponseError", async (_what, body) => {
    fake.fail({ body });
    const input = (body as { data?: unknown[] }).data?.length === 2 ? ["a", "b"] : ["a"];
    const err = await rejection(make().embedDocuments(input));
    expect(err).toBeInstanceOf(OpenAIResponseError);
  });
});

describe("OpenAICompatibleEmbeddings: options", () => {
  it("reads OPENAI_BASE_URL and OPENAI_API_KEY when the options leave them out", () => {
    const o = resolveOptions({ model: "m" }, { OPENAI_BASE_URL: "http://127.0.0.1:1234/v1/", OPENAI_API_KEY: "k" });
    expect(o).toMatchObject({ baseURL: "http://127.0.0.1:1234/v1", apiKey: "k", batchSize: 64, maxConcurrency: 4, timeoutMs: 60_000 });
    expect(resolveOptions({ model: "m" }, {}).baseURL).toBe("https://api.openai.com/v1");
  });

  it.each([
    [{ model: "" }, "model"],
    [{ model: "m", batchSize: 0 }, "batchSize"],
    [{ model: "m", timeoutMs: -1 }, "timeoutMs"],
    [{ model: "m", baseURL: "ftp://x" }, "http"],
    [{ model: "m", bogus: 1 }, "bogus"],
  ])("throws InvalidOptionsError naming the field for %j", (options, named) => {
    expect(() => new OpenAICompatibleEmbeddings(options as OpenAICompatibleEmbeddingsOptions)).toThrow(InvalidOptionsError);
    expect(() => new OpenAICompatibleEmbeddings(options as OpenAICompatibleEmbeddingsOptions)).toThrow(named);
  });

  it("never echoes a bad key back in the error", () => {
    expect(() => new OpenAICompatibleEmbeddings({ model: "m", apiKey: 42 as unknown as string })).toThrow(/apiKey.*\(hidden\)/);
  });
});

describe("OpenAICompatibleEmbeddings in LeannIndex", () => {
  it("builds, saves and searches, and refuses to load against another endpoint", async () => {
    const passages = texts(120).map((text, i) => ({ id: `p${i}`, text }));
    const index = await LeannIndex.build(passages, { embedder: make({ batchSize: 32 }) });
    expect(index.model).toBe(`text-embedding-3-small via ${BASE}`);
    const dir = mkdtempSync(join(tmpdir(), "leann-openai-"));
    dirs.push(dir);
    await index.save(dir);
    await index.close();
    const loaded = await LeannIndex.load(dir, { embedder: make() });
    const r = await loaded.search("passage 17 about topic3 and word17", { k: 3 });
    expect(r.hits[0]!.id).toBe("p17");
    await loaded.close();
    const err = await rejection(LeannIndex.load(dir, { embedder: make({ baseURL: "http://127.0.0.1:18090/v1" }) }));
    expect(err).toBeInstanceOf(ModelMismatchError);
  });
});
