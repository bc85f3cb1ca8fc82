/**
 * Getting a model from the hub, against a mocked hub (msw) serving the files of
 * the shipped potion-base-2M-int8. No test here reaches the network:
 * unhandled requests fail the test.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LeannError } from "@leann/core";
import {
  DEFAULT_MODEL,
  cacheFolder,
  COMPLETE_MARKER,
  defaultCacheDir,
  DownloadError,
  LocalEmbeddings,
  ModelNotFoundError,
  type LocalEmbeddingsOptions,
} from "../src/index.js";
import { bytesOf, encodeSafetensors, tempDir } from "./helpers/fixtures.js";
import { HUB, mockHub, type MockFile } from "./helpers/mock-hub.js";
import { requirePotion } from "./helpers/potion.js";

/** Any repo but the default, which loads from the package and never asks the hub. */
const REPO = "test-owner/potion-int8";
const server = setupServer();
let potionFiles: Record<string, MockFile>;
let localVectors: Float32Array;
const TEXTS = ["The cat sat on the mat.", "Embeddings are recomputed at search time."];

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  const dir = requirePotion();
  potionFiles = {
    "tokenizer.json": { bytes: readFileSync(join(dir, "tokenizer.json")), lfs: false },
    "model.int8.safetensors": { bytes: readFileSync(join(dir, "model.int8.safetensors")), lfs: true },
    "config.json": { bytes: new TextEncoder().encode(JSON.stringify({ model_type: "model2vec", normalize: true, hidden_dim: 64 })), lfs: false },
    // A Model2Vec repo may also publish an ONNX export; the static path must not fetch it.
    "onnx/model.onnx": { bytes: new Uint8Array(1000), lfs: true },
  };
  localVectors = await new LocalEmbeddings({ model: dir }).embedFlat(TEXTS);
});
afterEach(() => server.resetHandlers());

const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** potion's int8 table as the f32 `model.safetensors` the hub publishes: each row times its scale. */
function dequantised(dir: string): Uint8Array {
  const buf = readFileSync(join(dir, "model.int8.safetensors"));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const [rows, dims] = header["embeddings"]!.shape as [number, number];
  const emb = new Int8Array(buf.buffer, buf.byteOffset + 8 + n + header["embeddings"]!.data_offsets[0], rows * dims);
  const scales = new Float32Array(buf.buffer.slice(buf.byteOffset + 8 + n + header["scales"]!.data_offsets[0], buf.byteOffset + 8 + n + header["scales"]!.data_offsets[1]));
  const table = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) table[r * dims + j] = emb[r * dims + j]! * scales[r]!;
  return encodeSafetensors({ embeddings: { dtype: "F32", shape: [rows, dims], data: bytesOf(table) } });
}
afterAll(() => server.close());

function options(extra: Partial<LocalEmbeddingsOptions> = {}): LocalEmbeddingsOptions {
  return { model: REPO, hubUrl: HUB, cacheDir: tempDir("leann-cache-"), env: {}, downloadRetries: 2, ...extra };
}

describe("downloading from the hub", () => {
  it("downloads a Model2Vec model into the cache, verifies the hub's checksums, and embeds as the local folder does", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles });
    server.use(...hub.handlers);
    const o = options();
    const e = new LocalEmbeddings(o);
    const got = await e.embedFlat(TEXTS);
    expect(Array.from(got)).toEqual(Array.from(localVectors));
    expect(e.info).toMatchObject({ source: "hub", kind: "static", modelId: REPO, dimensions: 64 });

    const dir = cacheFolder(o.cacheDir!, REPO, "main");
    expect(e.info?.dir).toBe(dir);
    const marker = JSON.parse(readFileSync(join(dir, COMPLETE_MARKER), "utf8")) as { commit: string; files: Array<{ path: string; checksum: string }> };
    expect(marker.commit).toMatch(/^[0-9a-f]{40}$/);
    const checksums = Object.fromEntries(marker.files.map((f) => [f.path, f.checksum]));
    expect(checksums["model.int8.safetensors"]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(checksums["tokenizer.json"]).toMatch(/^git-sha1:[0-9a-f]{40}$/);
    expect(Object.keys(checksums).sort()).toEqual(["config.json", "model.int8.safetensors", "tokenizer.json"]);
    expect(hub.served.some((s) => s.url.includes("onnx"))).toBe(false);
    expect(readdirSync(dir).some((f) => f.endsWith(".part"))).toBe(false);

    // A second embedder finds the cache and makes no request at all.
    const before = hub.served.length;
    const again = new LocalEmbeddings({ ...o });
    expect(Array.from(await again.embedFlat(TEXTS))).toEqual(Array.from(localVectors));
    expect(again.info?.source).toBe("cache");
    expect(hub.served.length).toBe(before);
  });

  it("fetches only what is missing when the cache holds another variant of the model", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles });
    server.use(...hub.handlers);
    const o = options();
    await new LocalEmbeddings(o).load();
    const before = hub.served.length;
    // Now the repo's ONNX export (here: 1000 zero bytes, so onnxruntime rejects it after the download).
    const err = await new LocalEmbeddings({ ...o, kind: "transformer" }).load().catch((x: unknown) => x);
    expect((err as LeannError).code).toBe("MODEL_LOAD_FAILED");
    expect((err as { file?: string }).file).toMatch(/onnx\/model\.onnx$/);
    const gets = hub.served.slice(before).filter((s) => s.method === "GET" && s.sent > 0);
    expect(gets).toHaveLength(1); // the ONNX blob; tokenizer.json and config.json were kept
    expect(gets[0]!.sent).toBe(1000);
  });

  it("probes the files with HEAD on a mirror without the listing API", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles, api: false });
    server.use(...hub.handlers);
    const e = new LocalEmbeddings(options());
    expect(Array.from(await e.embedFlat(TEXTS))).toEqual(Array.from(localVectors));
    expect(hub.served.filter((s) => s.method === "HEAD").length).toBeGreaterThan(3);
  });

  it("resumes a .part left by an earlier process with a Range request", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles });
    server.use(...hub.handlers);
    const o = options();
    const dir = cacheFolder(o.cacheDir!, REPO, "main");
    const full = potionFiles["model.int8.safetensors"]!.bytes;
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "model.int8.safetensors.part"), full.subarray(0, 1_000_000));

    const e = new LocalEmbeddings(o);
    expect(Array.from(await e.embedFlat(TEXTS))).toEqual(Array.from(localVectors));
    const get = hub.served.find((s) => s.method === "GET" && s.url.includes("/blobs/"))!;
    expect(get.range).toBe("bytes=1000000-");
    expect(get.sent).toBe(full.length - 1_000_000);
    expect(Buffer.compare(readFileSync(join(dir, "model.int8.safetensors")), Buffer.from(full))).toBe(0);
  });

  it("retries a transfer cut midway and resumes where it stopped", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles, cut: { path: "model.int8.safetensors", afterBytes: 700_000 } });
    server.use(...hub.handlers);
    const e = new LocalEmbeddings(options());
    expect(Array.from(await e.embedFlat(TEXTS))).toEqual(Array.from(localVectors));
    const gets = hub.served.filter((s) => s.method === "GET" && s.url.includes("/blobs/"));
    expect(gets.map((g) => g.range)).toEqual([null, "bytes=700000-"]);
  });

  it("rejects a file that fails its sha256, deleting the partial download (DownloadError)", async () => {
    const real = potionFiles["model.int8.safetensors"]!.bytes;
    const altered = Uint8Array.from(real); // a copy: Buffer#slice would alias the shared bytes
    altered[5000] = altered[5000]! ^ 0xff;
    const hub = mockHub({ repo: REPO, files: potionFiles, tamper: { path: "model.int8.safetensors", bytes: altered } });
    server.use(...hub.handlers);
    const o = options();
    const err = await new LocalEmbeddings(o).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as LeannError).code).toBe("DOWNLOAD_FAILED");
    expect((err as Error).message).toMatch(/model.int8.safetensors failed its checksum: the hub says sha256/);
    const dir = cacheFolder(o.cacheDir!, REPO, "main");
    expect(existsSync(join(dir, "model.int8.safetensors.part"))).toBe(false);
    expect(existsSync(join(dir, "model.int8.safetensors"))).toBe(false);
    expect(existsSync(join(dir, COMPLETE_MARKER))).toBe(false);
  });

  it("never touches the network when offline, by option or HF_HUB_OFFLINE=1 (ModelNotFoundError)", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles });
    server.use(...hub.handlers);
    for (const o of [options({ offline: true }), options({ env: { HF_HUB_OFFLINE: "1" } })]) {
      const err = await new LocalEmbeddings(o).load().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ModelNotFoundError);
      expect((err as LeannError).code).toBe("MODEL_NOT_FOUND");
      expect((err as Error).message).toMatch(/not in the cache .* offline mode is on/);
    }
    expect(hub.served).toHaveLength(0);
  });

  it("reports an unreachable hub as DownloadError saying what to do", async () => {
    server.use(http.all(`${HUB}/*`, () => HttpResponse.error()));
    const err = await new LocalEmbeddings(options()).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as LeannError).code).toBe("DOWNLOAD_FAILED");
    expect((err as Error).message).toMatch(/cannot reach the model hub .*HF_ENDPOINT.*pass its path as model/);
  });

  it("never asks the hub for the default model, which ships in the package", async () => {
    const hub = mockHub({ repo: DEFAULT_MODEL, files: potionFiles });
    server.use(...hub.handlers);
    const e = new LocalEmbeddings({ hubUrl: HUB, cacheDir: tempDir("leann-cache-"), env: {} });
    expect(await e.embedQuery("hello world")).toHaveLength(64);
    expect(e.info).toMatchObject({ source: "embedded", modelId: DEFAULT_MODEL });
    expect(hub.served).toHaveLength(0);
  });

  it("embeds as the hub's f32 potion-base-2M does (cosine >= 0.999) when dtype fp32 fetches it", async () => {
    // The hub's own f32 model.safetensors cannot be had here: the f32 table served is the int8 one dequantised,
    // so this checks the fp32 path against the shipped int8 one. NOTICE.gigagraph gives the int8 copy's cosine
    // to the published f32 weights: 0.99998 mean per row, 0.99992 worst.
    const hub = mockHub({ repo: DEFAULT_MODEL, files: { ...potionFiles, "model.safetensors": { bytes: dequantised(requirePotion()), lfs: true } } });
    server.use(...hub.handlers);
    const texts = ["The cat sat on the mat.", "Quarterly revenue rose 12% to $4.5bn.", "Überraschung! Ça va? naïve café", "graph index vector search prune ".repeat(30)];
    const fromHub = new LocalEmbeddings({ hubUrl: HUB, cacheDir: tempDir("leann-cache-"), env: {}, dtype: "fp32" });
    const hubRows = await fromHub.embedBatch(texts);
    expect(fromHub.info).toMatchObject({ source: "hub", modelId: DEFAULT_MODEL });
    expect(hub.served.some((f) => f.url.endsWith("/model.safetensors"))).toBe(true);
    const shipped = await new LocalEmbeddings().embedBatch(texts);
    texts.forEach((_, i) => expect(cos(hubRows[i]!, shipped[i]!)).toBeGreaterThanOrEqual(0.999));
  });

  it("reports an unknown or private repository with a token hint", async () => {
    server.use(...mockHub({ repo: REPO, files: potionFiles }).handlers);
    const err = await new LocalEmbeddings(options({ model: "someone/no-such-model" })).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).status).toBe(401);
    expect((err as Error).message).toMatch(/private, gated or does not exist.*HF_TOKEN/);
  });

  it("reports a repository without usable weights as ModelNotFoundError", async () => {
    const hub = mockHub({ repo: REPO, files: { "tokenizer.json": potionFiles["tokenizer.json"]!, "pytorch_model.bin": { bytes: new Uint8Array(4), lfs: true } } });
    server.use(...hub.handlers);
    const err = await new LocalEmbeddings(options()).load().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toMatch(/has no ONNX export nor Model2Vec weights/);
  });

  it("reads HF_ENDPOINT and HF_TOKEN from the environment and sends the token", async () => {
    const hub = mockHub({ repo: REPO, files: potionFiles });
    server.use(...hub.handlers);
    const e = new LocalEmbeddings({ model: REPO, cacheDir: tempDir("leann-cache-"), env: { HF_ENDPOINT: HUB, HF_TOKEN: "hf_secret" } });
    await e.load();
    expect(hub.served.length).toBeGreaterThan(0);
    expect(hub.served.filter((s) => s.url.startsWith(HUB)).every((s) => s.authorization === "Bearer hf_secret")).toBe(true);
  });
});

describe("the cache folder", () => {
  it("is cacheDir, else $LEANN_CACHE_DIR, else $XDG_CACHE_HOME/leann/models, else ~/.cache/leann/models", async () => {
    expect(defaultCacheDir({ LEANN_CACHE_DIR: "/data/leann", XDG_CACHE_HOME: "/x" })).toBe("/data/leann");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" })).toBe("/x/leann/models");
    const { homedir } = await import("node:os");
    expect(defaultCacheDir({})).toBe(join(homedir(), ".cache", "leann", "models"));
    expect(cacheFolder("/c", "owner/name", "refs/pr/1")).toBe("/c/owner--name/refs%2Fpr%2F1");
  });
});
