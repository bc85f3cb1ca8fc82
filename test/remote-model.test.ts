/**
 * `openai:MODEL` / `ollama:MODEL` model specs (packages/cli/src/remote-model.ts): which
 * server, key and dimensions each gets, and an index built through one reopened from
 * its recorded identity alone, against an msw fake on loopback.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex } from "@leann/core";
import { OllamaEmbeddings } from "@leann/ollama";
import { OpenAICompatibleEmbeddings } from "@leann/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../packages/cli/src/exit-codes.js";
import { remoteEmbedder } from "../packages/cli/src/remote-model.js";
import { startFakeOpenAI, type FakeOpenAI } from "../packages/openai/test/helpers/fake-openai.js";

const URL_A = "http://127.0.0.1:18091/v1";
let fake: FakeOpenAI;
let server: ReturnType<typeof startFakeOpenAI>["server"];
let dir: string;

beforeAll(() => {
  ({ fake, server } = startFakeOpenAI(URL_A, { "bge-small": 24 }));
  dir = mkdtempSync(join(tmpdir(), "leann-remote-"));
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const openai = (spec: string, o: Parameters<typeof remoteEmbedder>[1]) => remoteEmbedder(spec, o)!.client as OpenAICompatibleEmbeddings;

describe("remoteEmbedder", () => {
  it("returns undefined when the spec names a local model", () => {
    expect(remoteEmbedder("minishlab/potion-base-2M", { env: {} })).toBeUndefined();
    expect(remoteEmbedder("/models/potion", { env: {} })).toBeUndefined();
  });

  it("uses --base-url and OPENAI_API_KEY for openai:MODEL, and keeps the key out of the identity", () => {
    const e = openai("openai:bge-small", { baseUrl: URL_A, env: { OPENAI_API_KEY: "sk-secret", OPENAI_BASE_URL: "http://elsewhere/v1" } });
    expect(e).toBeInstanceOf(OpenAICompatibleEmbeddings);
    expect(e.options).toMatchObject({ model: "bge-small", baseURL: URL_A, apiKey: "sk-secret" });
    expect(e.modelId).toBe(`bge-small via ${URL_A}`);
  });

  it("falls back to OPENAI_BASE_URL, then OpenAI, and sends no key when none is set", () => {
    expect(openai("openai:m", { env: { OPENAI_BASE_URL: "http://127.0.0.1:1234/v1" } }).baseURL).toBe("http://127.0.0.1:1234/v1");
    const bare = openai("openai:text-embedding-3-small", { env: {} });
    expect(bare.baseURL).toBe("https://api.openai.com/v1");
    expect(bare.options.apiKey).toBeFalsy();
  });

  it("goes back to the recorded endpoint and dimensions when no --base-url is given", () => {
    const recordedModelId = "text-embedding-3-small[256] via http://gpu-box:8000/v1";
    const e = openai("openai:text-embedding-3-small", { env: { OPENAI_BASE_URL: "http://other/v1" }, recordedModelId });
    expect(e.baseURL).toBe("http://gpu-box:8000/v1");
    expect(e.options.dimensions).toBe(256);
    expect(e.modelId).toBe(recordedModelId);
    expect(openai("openai:text-embedding-3-small", { baseUrl: URL_A, env: {}, recordedModelId }).baseURL).toBe(URL_A);
    // A record of another model says nothing about this one.
    expect(openai("openai:other-model", { env: {}, recordedModelId }).baseURL).toBe("https://api.openai.com/v1");
  });

  it("maps ollama:MODEL to OllamaEmbeddings on --base-url or OLLAMA_HOST", () => {
    const e = remoteEmbedder("ollama:nomic-embed-text", { env: { OLLAMA_HOST: "http://127.0.0.1:11999" } })!.client as OllamaEmbeddings;
    expect(e).toBeInstanceOf(OllamaEmbeddings);
    expect(e.model).toBe("nomic-embed-text");
    expect(e.options.baseUrl).toBe("http://127.0.0.1:11999");
    expect((remoteEmbedder("ollama:all-minilm", { baseUrl: "http://gpu:11434", env: {} })!.client as OllamaEmbeddings).options.baseUrl).toBe("http://gpu:11434");
  });

  it("throws a usage CliError when the spec names no model", () => {
    expect(() => remoteEmbedder("openai:", { env: {} })).toThrow(CliError);
    expect(() => remoteEmbedder("ollama:  ", { env: {} })).toThrow(/names no model/);
  });

  it("reports identity and dimensions on load, and embeds into one flat array, as the commands use LocalEmbeddings", async () => {
    const e = remoteEmbedder("openai:bge-small", { baseUrl: URL_A, env: {} })!;
    expect(await e.load()).toEqual({ modelId: `bge-small via ${URL_A}`, dimensions: 24 });
    const flat = await e.embedFlat(["alpha beta", "gamma"]);
    expect(flat).toBeInstanceOf(Float32Array);
    expect(flat.length).toBe(48);
    expect(Array.from(flat.subarray(24))).toEqual((await e.embedQuery("gamma")).map(Math.fround));
  });

  it("reopens an index built through --base-url from its recorded identity alone", async () => {
    const passages = Array.from({ length: 40 }, (_, i) => ({ id: `p${i}`, text: `note ${i} about topic${i % 5} word${i}` }));
    const built = await LeannIndex.build(passages, { embedder: remoteEmbedder("openai:bge-small", { baseUrl: URL_A, env: {} })! });
    await built.save(dir);
    await built.close();
    const again = remoteEmbedder("openai:bge-small", { env: {}, recordedModelId: built.model! })!;
    const index = await LeannIndex.load(dir, { embedder: again });
    expect((await index.search("note 7 about topic2 word7", { k: 1 })).hits[0]!.id).toBe("p7");
    await index.close();
    expect(new Set(fake.requests.map((r) => r.body.model))).toEqual(new Set(["bge-small"]));
  });
});
