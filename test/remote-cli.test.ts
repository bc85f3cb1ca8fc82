/**
 * The `leann` command with served embedding models: `--model openai:MODEL` / `ollama:MODEL`
 * and `--base-url`, run in-process through main() against msw fakes on loopback URLs (an
 * OpenAI-compatible server, a second one, and Ollama). Covers every command that embeds:
 * build, search, add, ask, watch and mcp; an index reopened from its recorded model and
 * endpoint; a 429 then success; vectors of the wrong size; the typed exit codes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { createServer } from "node:http";
import { http, HttpResponse, passthrough } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { modelSpec } from "../packages/cli/src/embedder.js";
import { main } from "../packages/cli/src/index.js";
import { remoteEmbedder } from "../packages/cli/src/remote-model.js";
import type { OllamaEmbeddings } from "@leann/ollama";
import { MockOllama } from "../packages/ollama/test/helpers/mock-ollama.js";
import { FakeOpenAI } from "../packages/openai/test/helpers/fake-openai.js";

const URL_A = "http://127.0.0.1:18101/v1";
const URL_B = "http://127.0.0.1:18102/v1";
const OLLAMA = "http://127.0.0.1:18103";
const MODEL = "text-embedding-3-small";
const SECRET = "sk-test-never-stored";

const fakeA = new FakeOpenAI(URL_A, { [MODEL]: 32 });
const fakeB = new FakeOpenAI(URL_B, { [MODEL]: 32 });
const ollama = new MockOllama({ baseUrl: OLLAMA, embedModels: { "nomic-embed-text": 48 }, chatModels: ["llama3.2"], reply: () => "Every ninety days [1]." });
const server = setupServer(
  ...fakeA.handlers(),
  ...fakeB.handlers(),
  ...ollama.handlers,
  // `leann ask` checks that Ollama answers before it opens the index.
  http.get(`${OLLAMA}/api/version`, () => HttpResponse.json({ version: "0.12.0" })),
);

let dir: string;
let docs: string;
let env: Record<string, string>;
let built: { modelId: string; model: string; dimensions: number; passages: number; modelSource: string };

const sink = () => ({ text: "", write(s: string) { this.text += s; return true; } });

interface Run {
  code: number;
  out: string;
  err: string;
  /** The one JSON document of a --json run, loosely typed: each test reads the fields it checks. */
  json: () => any;
}

async function leann(args: string[], extra: { env?: Record<string, string>; signal?: AbortSignal; stdout?: ReturnType<typeof sink>; stdin?: NodeJS.ReadableStream } = {}): Promise<Run> {
  const out = extra.stdout ?? sink();
  const err = sink();
  const code = await main(args, {
    stdout: out,
    stderr: err,
    env: { ...env, ...extra.env },
    cwd: dir,
    ...(extra.signal && { signal: extra.signal }),
    ...(extra.stdin && { stdin: extra.stdin as NodeJS.ReadableStream & { isTTY?: boolean } }),
  });
  return { code, out: out.text, err: err.text, json: () => JSON.parse(out.text) };
}

/** Every byte under `root`, as text: where a leaked key would show. */
function allText(root: string): string {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => join(root, f))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p).toString("latin1"))
    .join("\n");
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  dir = mkdtempSync(join(tmpdir(), "leann-remote-cli-"));
  docs = join(dir, "docs");
  mkdirSync(docs);
  writeFileSync(join(docs, "keys.md"), "# Rotating API keys\n\nRotate the API keys every ninety days, then revoke the old key once no traffic uses it.\n");
  writeFileSync(join(docs, "billing.txt"), "The billing database moves from MySQL to PostgreSQL in the spring, in a two-hour window.\n");
  writeFileSync(join(docs, "health.ts"), "// The health-check endpoint load balancers poll.\nexport const HEALTH_PATH = '/healthz';\n");
  env = { LEANN_HOME: join(dir, "home"), HOME: dir, HF_HUB_OFFLINE: "1", OPENAI_API_KEY: SECRET };
  const r = await leann(["build", "docs", docs, "--model", `openai:${MODEL}`, "--base-url", URL_A, "--json", "--quiet"]);
  if (r.code !== 0) throw new Error(`fixture build failed (${r.code}): ${r.err}`);
  built = r.json();
});

afterAll(() => {
  server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  fakeA.reset();
  fakeB.reset();
  ollama.reset();
});

describe("leann with --model openai:MODEL", () => {
  it("records the model and its endpoint, sends the key, and stores the key nowhere when build is given --base-url", () => {
    expect(built).toMatchObject({ model: `openai:${MODEL}`, modelId: `${MODEL} via ${URL_A}`, dimensions: 32, passages: 3, modelSource: `openai server at ${URL_A}` });
    const meta = JSON.parse(readFileSync(join(env.LEANN_HOME!, "docs", "leann.json"), "utf8")) as { model: string; modelId: string };
    expect(meta).toMatchObject({ model: `openai:${MODEL}`, modelId: `${MODEL} via ${URL_A}` });
    expect(allText(join(env.LEANN_HOME!, "docs"))).not.toContain(SECRET);
  });

  it("searches through the recorded endpoint when search names neither model nor server", async () => {
    // OPENAI_BASE_URL points elsewhere: the index's own endpoint wins.
    const r = await leann(["search", "docs", "how often should API keys be rotated", "--k", "1", "--json"], { env: { OPENAI_BASE_URL: URL_B } });
    expect(r.code, r.err).toBe(0);
    expect(r.json().hits[0].source).toBe(join(docs, "keys.md"));
    expect(r.json().model).toBe(`openai:${MODEL}`);
    expect(fakeB.requests).toHaveLength(0);
    expect(fakeA.requests.length).toBeGreaterThan(0);
    expect(fakeA.requests.every((q) => q.body.model === MODEL && q.authorization === `Bearer ${SECRET}`)).toBe(true);
    expect(fakeA.requests.some((q) => q.body.input.includes("how often should API keys be rotated"))).toBe(true);
  });

  it("embeds a new file through the recorded endpoint when add names no model, and search finds it", async () => {
    writeFileSync(join(docs, "tides.md"), "Tide tables: the harbour gate closes two hours before low tide.\n");
    const add = await leann(["add", "docs", "--json"]);
    expect(add.code, add.err).toBe(0);
    expect(add.json()).toMatchObject({ added: { files: 1 }, embedded: 1, passages: 4 });
    expect(fakeA.requests.some((q) => q.body.input.some((t) => t.includes("harbour gate")))).toBe(true);
    const r = await leann(["search", "docs", "when does the harbour gate close before low tide", "--k", "1", "--json"]);
    expect(r.json().hits[0].source).toBe(join(docs, "tides.md"));
  });

  it("retries and succeeds when the server answers 429 first", async () => {
    fakeA.fail({ status: 429, message: "rate limited", headers: { "retry-after-ms": "0" } });
    const r = await leann(["search", "docs", "the billing database moves from MySQL to PostgreSQL", "--k", "1", "--json"]);
    expect(r.code, r.err).toBe(0);
    expect(r.json().hits[0].source).toBe(join(docs, "billing.txt"));
    // The first request (the start-up probe) was refused, then sent again unchanged.
    expect(fakeA.requests[1]!.body).toEqual(fakeA.requests[0]!.body);
  });

  it("exits 3 with EMBEDDER_FAILED when the server keeps answering 429", async () => {
    const busy = { status: 429, message: "rate limited", headers: { "retry-after-ms": "0" } };
    fakeA.fail(busy, busy, busy, busy, busy);
    const r = await leann(["search", "docs", "billing", "--json"]);
    expect(r.code).toBe(3);
    expect(r.json().error).toMatchObject({ code: "EMBEDDER_FAILED", exitCode: 3 });
    expect(fakeA.requests).toHaveLength(5);
  });

  it("exits 3 with DIMENSION_MISMATCH when the server now returns vectors of another length than the index's", async () => {
    fakeA.fail({ dims: 7 });
    const r = await leann(["search", "docs", "billing", "--json"]);
    expect(r.code).toBe(3);
    expect(r.json().error).toMatchObject({ code: "DIMENSION_MISMATCH", exitCode: 3 });
    expect(r.json().error.message).toMatch(/expected vectors of 32 dimensions, received 7/);
  });

  it("exits 3 with DIMENSION_MISMATCH and saves no index when a build's server changes vector length midway", async () => {
    // The start-up probe answers 32-d; the first batch of passages comes back 7-d.
    fakeA.onArrival = () => {
      if (fakeA.requests.length === 2) fakeA.fail({ dims: 7 });
    };
    const r = await leann(["build", "broken", docs, "--model", `openai:${MODEL}`, "--base-url", URL_A, "--json", "--quiet"]);
    expect(r.code).toBe(3);
    expect(r.json().error.code).toBe("DIMENSION_MISMATCH");
    // Only the resumable checkpoint of the chunks embedded before is left, never a saved index.
    const list = await leann(["list", "--json"]);
    expect(list.json().indexes.find((i: { name: string }) => i.name === "broken")).toMatchObject({ state: "partial", passages: null });
  });

  it("exits 3 with MODEL_MISMATCH and a hint when --base-url names another server than the index recorded", async () => {
    const r = await leann(["search", "docs", "billing", "--base-url", URL_B, "--json"]);
    expect(r.code).toBe(3);
    expect(r.json().error).toMatchObject({ code: "MODEL_MISMATCH" });
    expect(r.json().error.message).toContain(`--base-url ${URL_B}`);
    expect(r.json().error.hint).toContain("Leave out --base-url");
  });

  it("exits 5 with CONNECTION_FAILED when no server listens at --base-url", async () => {
    // A loopback port that was just free: the connection is refused for real.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const closed = `http://127.0.0.1:${port}/v1`;
    server.use(http.all(`${closed}/*`, () => passthrough()));
    const r = await leann(["build", "nowhere", docs, "--model", `openai:${MODEL}`, "--base-url", closed, "--json", "--quiet"]);
    expect(r.code).toBe(5);
    expect(r.json().error).toMatchObject({ code: "CONNECTION_FAILED", exitCode: 5 });
    expect(r.json().error.message).toContain(closed);
  });

  it("exits 1 with a usage error when --base-url is given for a model that runs locally", async () => {
    const r = await leann(["search", "docs", "billing", "--model", "minishlab/potion-base-2M", "--base-url", URL_A, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("USAGE");
    expect(r.json().error.hint).toContain("openai:MODEL");
  });

  it("exits 1 with INVALID_OPTIONS naming the value when --base-url is not an http(s) URL", async () => {
    const r = await leann(["search", "docs", "billing", "--base-url", "ftp://127.0.0.1/v1", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("INVALID_OPTIONS");
    expect(r.json().error.message).toContain("ftp://127.0.0.1/v1");
  });

  it("exits 1 with a usage error when the spec names no model", async () => {
    const r = await leann(["build", "empty", docs, "--model", "openai:", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.message).toContain("names no model");
  });

  it("answers with the recorded model when ask runs on the index", async () => {
    const r = await leann(["ask", "docs", "How often should API keys be rotated?", "--host", OLLAMA, "--k", "1", "--json"]);
    expect(r.code, r.err).toBe(0);
    const answer = r.json();
    expect(answer.answer).toBe("Every ninety days [1].");
    expect(answer.sources[0].source).toBe(join(docs, "keys.md"));
    expect(fakeA.requests.some((q) => q.body.input.includes("How often should API keys be rotated?"))).toBe(true);
  });

  it("catches up through the recorded endpoint when watch starts", async () => {
    writeFileSync(join(docs, "lighthouse.md"), "The lighthouse lamp is serviced every autumn by the coast guard.\n");
    const stop = new AbortController();
    const out = sink();
    const write = out.write.bind(out);
    out.write = (s: string) => {
      const ok = write(s);
      if (/Watching "docs"/.test(out.text)) stop.abort();
      return ok;
    };
    const r = await leann(["watch", "docs", "--debounce", "0"], { signal: stop.signal, stdout: out });
    expect(r.code, r.err).toBe(0);
    expect(out.text).toMatch(/synced "docs": \+1 file new/);
    expect(fakeA.requests.some((q) => q.body.input.some((t) => t.includes("lighthouse lamp")))).toBe(true);
  });

  it("serves search over MCP through the recorded endpoint", async () => {
    const stdin = new PassThrough();
    let answered!: () => void;
    const both = new Promise<void>((r) => (answered = r));
    const out = sink();
    const write = out.write.bind(out);
    out.write = (s: string) => {
      const ok = write(s);
      if (out.text.split("\n").filter(Boolean).length >= 2) answered();
      return ok;
    };
    const done = leann(["mcp", "--quiet"], { stdin, stdout: out });
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    stdin.write(JSON.stringify(init) + "\n");
    stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "search", arguments: { query: "billing database moves to PostgreSQL", index: "docs", k: 1 } } };
    stdin.write(JSON.stringify(call) + "\n");
    await both;
    stdin.end();
    expect((await done).code).toBe(0);
    const answers = out.text.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: { isError?: boolean; structuredContent?: { hits: { source: string }[] } } });
    const search = answers.find((a) => a.id === 2)!.result;
    expect(search.isError).toBeFalsy();
    expect(search.structuredContent!.hits[0]!.source).toBe(join(docs, "billing.txt"));
    expect(fakeA.requests.some((q) => q.body.input.includes("billing database moves to PostgreSQL"))).toBe(true);
  });
});

describe("leann with --model ollama:MODEL", () => {
  it("builds on $OLLAMA_HOST, records model and server, and searches there when OLLAMA_HOST is gone", async () => {
    const b = await leann(["build", "notes", docs, "--model", "ollama:nomic-embed-text", "--json", "--quiet"], { env: { OLLAMA_HOST: OLLAMA } });
    expect(b.code, b.err).toBe(0);
    expect(b.json()).toMatchObject({ model: "ollama:nomic-embed-text", modelId: `nomic-embed-text via ${OLLAMA}`, dimensions: 48 });
    const r = await leann(["search", "notes", "revoke the old API key", "--k", "1", "--json"]);
    expect(r.code, r.err).toBe(0);
    expect(r.json().hits[0].source).toBe(join(docs, "keys.md"));
    expect(ollama.calls("/api/embed").some((q) => JSON.stringify(q.body.input).includes("revoke the old API key"))).toBe(true);
    // Naming the same server explicitly is the same identity.
    expect((await leann(["search", "notes", "billing", "--base-url", `${OLLAMA}/`, "--json"])).code).toBe(0);
  });
});

describe("served model specs", () => {
  it("passes openai: and ollama: specs unchanged when they come from --model or LEANN_MODEL", () => {
    expect(modelSpec("ollama:hf.co/org/model-GGUF", undefined, {}, "/w")).toBe("ollama:hf.co/org/model-GGUF");
    expect(modelSpec(undefined, undefined, { LEANN_MODEL: "openai:BAAI/bge-small-en-v1.5" }, "/w")).toBe("openai:BAAI/bge-small-en-v1.5");
    expect(modelSpec(undefined, "openai:x", { LEANN_MODEL: "ollama:y" }, "/w")).toBe("openai:x");
  });

  it("goes back to the recorded Ollama server when an ollama: index reopens without --base-url", () => {
    const recordedModelId = "nomic-embed-text via http://gpu-box:11434";
    const again = remoteEmbedder("ollama:nomic-embed-text", { env: { OLLAMA_HOST: "http://127.0.0.1:11999" }, recordedModelId })!;
    expect((again.client as OllamaEmbeddings).baseUrl).toBe("http://gpu-box:11434");
    expect(again.modelId).toBe(recordedModelId);
    // Another model's record says nothing about this one; credentials never reach the identity.
    const other = remoteEmbedder("ollama:all-minilm", { env: { OLLAMA_HOST: "http://user:pw@127.0.0.1:11999" }, recordedModelId })!;
    expect(other.modelId).toBe("all-minilm via http://127.0.0.1:11999");
  });

  it("lists both prefixes with their servers and flags when leann models runs", async () => {
    const r = await leann(["models"], { env: { OPENAI_BASE_URL: URL_B } });
    expect(r.code).toBe(0);
    expect(r.out).toContain("openai:MODEL");
    expect(r.out).toContain("ollama:MODEL");
    expect(r.out).toContain("--base-url");
    expect(r.out).toContain(`now ${URL_B}`);
    expect(r.out).toContain("OPENAI_API_KEY (set)");
    expect(r.out).not.toContain(SECRET);
    expect(r.out).toContain("with --base-url URL for a served model");
    for (const command of ["build", "search", "ask", "add", "delete", "watch"]) {
      expect((await leann([command, "--help"])).out, command).toMatch(/--model M[\s\S]*openai:MODEL[\s\S]*--base-url URL/);
    }
    const j = await leann(["models", "--json"]);
    expect(j.json().providers.map((p: { prefix: string | null }) => p.prefix)).toEqual([null, "openai", "ollama"]);
  });
});
