/**
 * The `leann` program itself (bin.ts from source, a child process reading its real
 * environment) against a node:http fake OpenAI-compatible server on 127.0.0.1: build on
 * `--base-url` with the key from OPENAI_API_KEY, search with no model flags, and a server
 * that starts answering vectors of another length.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeEmbedding } from "../packages/openai/test/helpers/fake-embedding.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MODEL = "bge-small";
const DIMS = 24;
const SECRET = "sk-process-test";

let dir: string;
let docs: string;
let http: Server;
let baseURL: string;
/** What the fake saw: the Authorization header and the inputs of each request. */
const seen: { authorization: string | undefined; input: string[] }[] = [];
/** While set, the fake answers with vectors of this length. */
let wrongDims: number | undefined;
let built: { code: number; stdout: string; stderr: string };

/** Runs `leann ARGS` as a process; resolves with its exit code and output (never rejects on a non-zero exit). */
function leann(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OPENAI_") && k !== "LEANN_MODEL") childEnv[k] = v;
  const loader = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  return new Promise((done) => {
    execFile(
      process.execPath,
      ["--conditions=leann-source", "--import", loader, join(ROOT, "packages/cli/src/bin.ts"), ...args],
      { cwd: dir, env: { ...childEnv, LEANN_HOME: join(dir, "home"), HOME: dir, HF_HUB_OFFLINE: "1", ...env } },
      (err, stdout, stderr) => done({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leann-remote-proc-"));
  docs = join(dir, "docs");
  mkdirSync(docs);
  writeFileSync(join(docs, "keys.md"), "Rotate the API keys every ninety days, then revoke the old key once no traffic uses it.\n");
  writeFileSync(join(docs, "billing.txt"), "The billing database moves from MySQL to PostgreSQL in the spring.\n");
  http = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as { model: string; input: string[] };
      seen.push({ authorization: req.headers.authorization, input: body.input });
      if (req.url !== "/v1/embeddings" || body.model !== MODEL) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `The model \`${body.model}\` does not exist` } }));
        return;
      }
      const data = body.input.map((text, index) => ({ object: "embedding", index, embedding: fakeEmbedding(text, wrongDims ?? DIMS) }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", model: MODEL, data }));
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  baseURL = `http://127.0.0.1:${(http.address() as { port: number }).port}/v1`;
  built = await leann(["build", "docs", docs, "--model", `openai:${MODEL}`, "--base-url", baseURL, "--quiet"], { OPENAI_API_KEY: SECRET });
  if (built.code !== 0) throw new Error(`fixture build failed (${built.code}): ${built.stderr}`);
});

afterAll(async () => {
  await new Promise((r) => http?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the leann process with --model openai:MODEL", () => {
  it("builds on --base-url with the key from the environment, then searches with no model flags", async () => {
    expect(built.stdout).toContain(`${MODEL} via ${baseURL}, ${DIMS}-d`);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.authorization === `Bearer ${SECRET}`)).toBe(true);
    expect(readFileSync(join(dir, "home", "docs", "leann.json"), "utf8")).not.toContain(SECRET);

    seen.length = 0;
    const s = await leann(["search", "docs", "the billing database moves to PostgreSQL", "--k", "1", "--json"]);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).hits[0].source).toBe(join(docs, "billing.txt"));
    expect(seen.some((q) => q.input.includes("the billing database moves to PostgreSQL"))).toBe(true);
    // No OPENAI_API_KEY in this run: none is sent.
    expect(seen.every((q) => q.authorization === undefined)).toBe(true);
  });

  it("exits 3 with a one-line DIMENSION_MISMATCH message when the server now answers vectors of another length", async () => {
    wrongDims = 7;
    try {
      const s = await leann(["search", "docs", "billing"]);
      expect(s.code).toBe(3);
      expect(s.stdout).toBe("");
      expect(s.stderr).toMatch(/^leann: Index "docs" and its model openai:bge-small: expected vectors of 24 dimensions, received 7\./);
    } finally {
      wrongDims = undefined;
    }
  });
});
