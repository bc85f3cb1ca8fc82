/**
 * `leann mcp` end to end: the official SDK's Client spawns the CLI from source over
 * stdio, as Claude Code or Cursor would, and calls its tools on a real small index built
 * with the potion-base-2M model folder shipped in packages/onnx/models.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/index.js";
import { EMBEDDED_MODEL_DIR } from "../packages/onnx/src/embedded.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The shipped default model (potion-base-2M inside @leann/onnx), as a folder: the repository alone is enough. */
const MODEL = EMBEDDED_MODEL_DIR;

let dir: string;
let home: string;
let client: Client;
let transport: StdioClientTransport;
let env: Record<string, string>;

const sink = () => ({ text: "", write(s: string) { this.text += s; return true; } });

beforeAll(async () => {
  if (!existsSync(join(MODEL, "tokenizer.json"))) throw new Error(`The MCP tests need the model folder ${MODEL} (shipped in packages/onnx/models; these tests must not be skipped).`);
  dir = mkdtempSync(join(tmpdir(), "leann-mcp-"));
  home = join(dir, "home");
  const docs = join(dir, "docs");
  mkdirSync(docs);
  writeFileSync(join(docs, "keys.md"), "# Rotating API keys\n\nRotate the API keys every ninety days, then revoke the old key once no traffic uses it.\n");
  writeFileSync(join(docs, "billing.txt"), "The billing database moves from MySQL to PostgreSQL in the spring, in a two-hour window.\n");
  writeFileSync(join(docs, "health.ts"), "// The health-check endpoint load balancers poll.\nexport const HEALTH_PATH = '/healthz';\n");
  const err = sink();
  env = { LEANN_HOME: home, HOME: dir, HF_HUB_OFFLINE: "1", LEANN_MODEL: MODEL };
  const code = await main(["build", "docs", docs, "--quiet"], { stdout: sink(), stderr: err, env, cwd: dir });
  if (code !== 0) throw new Error(`fixture build failed (${code}): ${err.text}`);

  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) childEnv[k] = v;
  transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--conditions=leann-source", "--import", "tsx", join(ROOT, "packages/cli/src/bin.ts"), "mcp"],
    env: { ...childEnv, ...env },
    cwd: ROOT,
    stderr: "pipe",
  });
  client = new Client({ name: "leann-test", version: "1.0.0" });
  await client.connect(transport); // initialize + initialized
});

afterAll(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

describe("leann mcp", () => {
  it("introduces itself as leann and lists its three tools when a client initializes", async () => {
    expect(client.getServerVersion()?.name).toBe("leann");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["index_info", "list_indexes", "search"]);
    const search = tools.find((t) => t.name === "search")!;
    expect(search.inputSchema.required).toEqual(expect.arrayContaining(["query", "index"]));
  });

  it("describes search's optional alpha to the model, and answers an alpha outside [0, 1] with an error result", async () => {
    const { tools } = await client.listTools();
    const alpha = (tools.find((t) => t.name === "search")!.inputSchema.properties as Record<string, { type?: string; description?: string }>).alpha!;
    expect(alpha.type).toBe("number");
    expect(alpha.description).toContain("identifier");
    expect(tools.find((t) => t.name === "search")!.inputSchema.required).not.toContain("alpha");
    const bad = await call("search", { query: "keys", index: "docs", alpha: 2 });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain("alpha");
  });

  it("returns text, source file and score for each hit when search is called on a real index", async () => {
    const r = await call("search", { query: "how often should API keys be rotated?", index: "docs", k: 2 });
    expect(r.isError).toBeFalsy();
    const hits = (r.structuredContent as { hits: { source: string; score: number; text: string; line: number }[] }).hits;
    expect(hits).toHaveLength(2);
    expect(hits[0]!.source).toBe(join(dir, "docs", "keys.md"));
    expect(hits[0]!.text).toContain("ninety days");
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    expect(textOf(r)).toContain(`${join(dir, "docs", "keys.md")}:1`);
    expect(textOf(r)).toContain("ninety days");
  });

  it("keeps only matching passages when search gets a filter", async () => {
    const r = await call("search", { query: "database migration", index: "docs", k: 3, filter: "ext==ts" });
    const hits = (r.structuredContent as { hits: { source: string }[] }).hits;
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h.source).toMatch(/health\.ts$/);
  });

  it("answers with an MCP error result, and keeps serving, when the index does not exist", async () => {
    const missing = await call("search", { query: "anything", index: "no-such-index" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain("INDEX_NOT_FOUND");
    const unsafe = await call("index_info", { index: "../etc" });
    expect(unsafe.isError).toBe(true);
    expect(textOf(unsafe)).toContain("USAGE");
    const badFilter = await call("search", { query: "x", index: "docs", filter: "not a filter" });
    expect(badFilter.isError).toBe(true);
    // Still alive: the next call is answered.
    const listed = await call("list_indexes");
    expect(listed.isError).toBeFalsy();
  });

  it("lists the indexes of the home and describes one when asked", async () => {
    const listed = (await call("list_indexes")).structuredContent as { home: string; indexes: { name: string; passages: number }[] };
    expect(listed.home).toBe(home);
    expect(listed.indexes.map((i) => i.name)).toEqual(["docs"]);
    const info = (await call("index_info", { index: "docs" })).structuredContent as { name: string; files: number; passages: number; model: string };
    expect(info).toMatchObject({ name: "docs", files: 3, model: MODEL });
    expect(info.passages).toBe(listed.indexes[0]!.passages);
  });

  it("answers from the new generation when the index is saved while it runs", async () => {
    const query = "when are the tide tables for the harbour posted?";
    const before = (await call("search", { query, index: "docs", k: 1 })).structuredContent as { hits: { source: string }[] };
    expect(before.hits[0]!.source).not.toMatch(/tides\.md$/);
    writeFileSync(join(dir, "docs", "tides.md"), "The tide tables for the harbour are posted at the pier every Monday.\n");
    const err = sink();
    expect(await main(["add", "docs", "--quiet"], { stdout: sink(), stderr: err, env, cwd: dir }), err.text).toBe(0);
    const after = (await call("search", { query, index: "docs", k: 1 })).structuredContent as { hits: { source: string }[] };
    expect(after.hits[0]!.source).toBe(join(dir, "docs", "tides.md"));
  });

  it("serves in-process through main() with a plain output sink, and returns when stdin ends", async () => {
    const stdin = new PassThrough();
    let bothAnswered!: () => void;
    const answered = new Promise<void>((r) => (bothAnswered = r));
    const out = {
      text: "",
      write(chunk: string) {
        this.text += chunk;
        if (this.text.split("\n").filter(Boolean).length >= 2) bothAnswered();
        return true;
      },
    };
    const done = main(["mcp", "--quiet"], { stdout: out, stderr: sink(), stdin, env, cwd: dir });
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } };
    stdin.write(JSON.stringify(init) + "\n");
    stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
    stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_indexes", arguments: {} } }) + "\n");
    // Close input only once both answers are out: the server answers asynchronously.
    await answered;
    stdin.end();
    expect(await done).toBe(0);
    const answers = out.text.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: { serverInfo?: { name: string }; structuredContent?: { indexes: { name: string }[] } } });
    expect(answers.find((a) => a.id === 1)!.result.serverInfo!.name).toBe("leann");
    expect(answers.find((a) => a.id === 2)!.result.structuredContent!.indexes.map((i) => i.name)).toEqual(["docs"]);
  });
});
