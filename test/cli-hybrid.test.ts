/**
 * End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). Hybrid search on the command line:
 * `--alpha` checked for search and ask, `build --no-keyword-index`, and what info and search say about it.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leann, makeWorkspace, removeWorkspace, type Workspace } from "./helpers/cli-workspace.js";
import { DEFINING_FILE, IDENTIFIER_QUESTION, writeIdentifierFiles } from "./helpers/identifier-files.js";

let ws: Workspace;
beforeAll(async () => {
  ws = makeWorkspace();
  writeIdentifierFiles(join(ws.dir, "code"));
  const r = await leann(ws, ["build", "plain", "code", "--no-keyword-index", "--json"]);
  if (r.code !== 0) throw new Error(`fixture build failed (${r.code}): ${r.stderr}`);
});
afterAll(() => removeWorkspace(ws));

describe("leann build --no-keyword-index", () => {
  it("does build an index without keywords, which info reports", async () => {
    const info = await leann(ws, ["info", "plain", "--json"]);
    expect(info.code).toBe(0);
    expect(info.json().keywordIndex).toBe(false);
    const text = await leann(ws, ["info", "plain"]);
    expect(text.stdout).toMatch(/^Keywords {3}no keyword index: searches match meaning only/m);
  });

  it("does search it dense only by default, and says why", async () => {
    const r = await leann(ws, ["search", "plain", IDENTIFIER_QUESTION, "--k", "3", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().stats).toMatchObject({ alpha: 1, keyword: null, fused: null });
    expect(r.json().hits).toHaveLength(3);
    const text = await leann(ws, ["search", "plain", IDENTIFIER_QUESTION, "--k", "3"]);
    expect(text.stdout).toContain("Dense only: this index has no keyword index");
    const dense = await leann(ws, ["search", "plain", IDENTIFIER_QUESTION, "--k", "3", "--alpha", "1"]);
    expect(dense.code).toBe(0);
    expect(dense.stdout).toContain("Dense only (--alpha 1).");
    expect(dense.stdout).toContain(DEFINING_FILE.split("/").pop());
  });

  it("does exit 1 with NO_KEYWORD_INDEX and a rebuild hint for --alpha below 1", async () => {
    const r = await leann(ws, ["search", "plain", IDENTIFIER_QUESTION, "--alpha", "0.5", "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("NO_KEYWORD_INDEX");
    expect(r.json().error.message).toContain('index "plain" has no keyword index');
    expect(r.json().error.hint).toContain("leann build plain --force");
  });
});

describe("--alpha", () => {
  it.each([
    ["search", "2"],
    ["search", "-0.5"],
    ["search", "half"],
    ["ask", "1.01"],
  ])("does exit 1 with a usage message for leann %s --alpha %s", async (command, alpha) => {
    const r = await leann(ws, [command, "plain", "question", `--alpha=${alpha}`, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe("USAGE");
    expect(r.stderr).toContain(`--alpha must be a number from 0 to 1, received "${alpha}"`);
  });

  it("does document --alpha in search and ask help, and --no-keyword-index in build help", async () => {
    expect((await leann(ws, ["search", "--help"])).stdout).toContain("--alpha A         dense share of the fused score");
    expect((await leann(ws, ["ask", "--help"])).stdout).toContain("--alpha, --ef, --max-recompute, --patience   as for search");
    expect((await leann(ws, ["build", "--help"])).stdout).toContain("--no-keyword-index");
  });
});
