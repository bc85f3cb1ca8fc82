/**
 * End-to-end tests of hybrid search through the `leann` command and `leann mcp` (helpers: helpers/cli-workspace.ts):
 * a search for an identifier finds the file that defines it. The command line searches indexes it saved, so these
 * need the core to save the keyword index with the index (issue 15's persistence of the keyword section).
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCtx } from "../packages/cli/src/context.js";
import { createLeannMcp } from "../packages/cli/src/mcp/server.js";
import { leann, makeWorkspace, removeWorkspace, sink, type Workspace } from "./helpers/cli-workspace.js";
import { DEFINING_FILE, IDENTIFIER, IDENTIFIER_QUESTION, writeIdentifierFiles } from "./helpers/identifier-files.js";

let ws: Workspace;
let defining: string;
beforeAll(async () => {
  ws = makeWorkspace();
  writeIdentifierFiles(join(ws.dir, "code"));
  defining = join(ws.dir, "code", DEFINING_FILE);
  const r = await leann(ws, ["build", "code", "code", "--json"]);
  if (r.code !== 0) throw new Error(`fixture build failed (${r.code}): ${r.stderr}`);
});
afterAll(() => removeWorkspace(ws));

describe("hybrid search of a saved index", () => {
  it("does report a keyword index in leann info", async () => {
    expect((await leann(ws, ["info", "code", "--json"])).json().keywordIndex).toBe(true);
    expect((await leann(ws, ["info", "code"])).stdout).toMatch(/^Keywords {3}BM25 keyword index: searches are hybrid/m);
  });

  it("does find the file defining an identifier first with the default search, and say what each side brought", async () => {
    const r = await leann(ws, ["search", "code", IDENTIFIER_QUESTION, "--k", "3", "--json"]);
    expect(r.code).toBe(0);
    const { hits, stats } = r.json();
    expect(hits[0].source).toBe(defining);
    expect(hits[0].text).toContain(`export function ${IDENTIFIER}`);
    expect(stats.alpha).toBe(0.4);
    expect(stats.keyword.termsMatched).toBeGreaterThan(0);
    expect(stats.fused.both + stats.fused.fromDense + stats.fused.fromKeyword).toBe(3);
    const text = await leann(ws, ["search", "code", IDENTIFIER_QUESTION, "--k", "3"]);
    expect(text.stdout.split("\n")[0]).toContain(DEFINING_FILE);
    expect(text.stdout).toMatch(/^Hybrid \(alpha 0\.4, the default\): \d+ query words found in \d+ passages/m);
  });

  it("does find it by keywords alone with --alpha 0, computing no embedding", async () => {
    const r = await leann(ws, ["search", "code", IDENTIFIER, "--k", "1", "--alpha", "0", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().hits[0].source).toBe(defining);
    expect(r.json().stats).toMatchObject({ alpha: 0, path: "keyword", recomputed: 0, embedderCalls: 0, fused: null });
  });

  it("does find it through the MCP search tool with alpha 0", async () => {
    const io = { stdout: sink(), stderr: sink(), env: { LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1" }, cwd: ws.dir };
    const mcp = createLeannMcp(makeCtx(io, ws.home, false, true), "test");
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "leann-test", version: "1.0.0" });
    await mcp.server.connect(serverSide);
    await client.connect(clientSide);
    try {
      const r = (await client.callTool({ name: "search", arguments: { query: IDENTIFIER, index: "code", k: 1, alpha: 0 } })) as CallToolResult;
      expect(r.isError).toBeFalsy();
      const { hits, stats } = r.structuredContent as { hits: { source: string }[]; stats: { alpha: number } };
      expect(hits[0]!.source).toBe(defining);
      expect(stats.alpha).toBe(0);
    } finally {
      await client.close();
      await mcp.close();
    }
  });
});
