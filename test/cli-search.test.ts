/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann search`: hits with scores and locations, PDFs, filters, tuning flags, missing index and model checks. */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL, EMBEDDED_MODEL_DIR } from "../packages/onnx/src/index.js";
import { builtWorkspace, leann, makeWorkspace, MODEL, removeWorkspace, type Workspace } from "./helpers/cli-workspace.js";

let ws: Workspace;
beforeAll(async () => {
  ws = await builtWorkspace();
});
afterAll(() => removeWorkspace(ws));

// ---- search ------------------------------------------------------------------------------

describe("leann search", () => {
  it("finds the passage that answers a query, with scores, locations and the work done (--json)", async () => {
    const r = await leann(ws, ["search", "docs", "how often should API keys be rotated", "--k", "3", "--json"]);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.hits).toHaveLength(3);
    expect(out.hits[0].source).toBe(join(ws.docs, "guide.md"));
    expect(out.hits[0].text).toContain("Rotate the API keys every ninety days");
    expect(out.hits[0].id).toMatch(/guide\.md#\d+$/);
    expect(out.hits[0].line).toBeGreaterThanOrEqual(1);
    const scores = out.hits.map((h: { score: number }) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(out.stats.recomputed).toBeGreaterThan(0);
    expect(out.stats.ms).toBeGreaterThan(0);
    expect(out.model).toBe(MODEL);
  });

  it("prints ranked hits with file:line locations in text mode", async () => {
    const r = await leann(ws, ["search", "docs", "exponential backoff retries", "-k", "2"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ 1\. \d\.\d{3}  docs\/guide\.md:\d+-\d+\n/);
    expect(r.stdout).toMatch(/2 of \d+ passages in \d+ ms: \d+ embeddings recomputed/);
  });

  it("finds text inside a PDF and reports its page", async () => {
    const r = await leann(ws, ["search", "docs", "warranty heating element pump", "--k", "1", "--json"]);
    expect(r.code).toBe(0);
    const hit = r.json().hits[0];
    expect(hit.source).toBe(join(ws.docs, "manual.pdf"));
    expect(hit.text).toContain("three years");
    expect(hit.page).toBe(2);
    expect(hit.metadata.ext).toBe("pdf");
  });

  it.each([
    ["ext==md", ["guide.md"]],
    ["ext=ts", ["server.ts"]],
    ["source~notes", ["notes.txt"]],
    ['{"filters":[{"key":"ext","operator":"in","value":["txt","pdf"]}]}', ["notes.txt", "manual.pdf"]],
  ])("restricts hits with --filter %s", async (filter, allowed) => {
    const r = await leann(ws, ["search", "docs", "database migration", "--k", "5", "--filter", filter, "--json"]);
    expect(r.code).toBe(0);
    const files = r.json().hits.map((h: { source: string }) => h.source.split("/").pop());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(allowed).toContain(f);
  });

  it("ANDs repeated filters, and reports no match in text mode", async () => {
    const both = await leann(ws, ["search", "docs", "keys", "--filter", "ext==md", "--filter", "chunk>=0", "--json"]);
    expect(both.json().hits.every((h: { metadata: { ext: string } }) => h.metadata.ext === "md")).toBe(true);
    const none = await leann(ws, ["search", "docs", "keys", "--filter", "ext==rs"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain("No passages match the filter.");
  });

  it.each([
    [["search", "docs", "q", "--k", "0"], "--k must be an integer from 1"],
    [["search", "docs", "q", "--k", "three"], "--k must be an integer"],
    [["search", "docs", "q", "--kk", "3"], "Unknown option '--kk'"],
    [["search", "docs", "q", "--filter", "no operator here"], "is not a filter"],
    [["search", "docs", "q", "--filter", "{oops"], "is not valid JSON"],
    [["search", "docs", "q", "--filter", '{"filters":[{"key":"ext","operator":"like","value":"md"}]}'], "not supported"],
    [["search", "docs"], "missing NAME and QUERY"],
    [["search", "docs", "   "], "the query is empty"],
    [["search", "../etc", "q"], "is not allowed"],
    [["frobnicate"], 'Unknown command "frobnicate"'],
    [["build", "x"], "missing NAME and at least one PATH"],
    [["build", "x", "docs", "--chunk-tokens", "64", "--overlap", "40"], "must be less than half"],
    [["list", "extra"], "unexpected argument"],
  ])("exits 1 with a message for bad usage: %j", async (args, message) => {
    const r = await leann(ws, [...args, "--json"]);
    expect(r.code).toBe(1);
    expect(r.json().error.exitCode).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it("exits 2 for an index that does not exist", async () => {
    const r = await leann(ws, ["search", "nope", "anything", "--json"]);
    expect(r.code).toBe(2);
    expect(r.json().error).toMatchObject({ code: "INDEX_NOT_FOUND", exitCode: 2 });
    expect(r.stderr).toContain('No index named "nope"');
  });

  it("exits 4 when the model cannot be loaded, with a hint naming leann models", async () => {
    const r = await leann(ws, ["search", "docs", "keys", "--model", "./no-such-model-folder", "--json"]);
    expect(r.code).toBe(4);
    expect(r.json().error.code).toBe("MODEL_NOT_FOUND");
    expect(r.json().error.hint).toContain("leann models");
  });

  it("passes --ef, --max-recompute and --patience to the search, and rejects bad values", async () => {
    const base = ["search", "docs", "how often should API keys be rotated", "--k", "3", "--json"];
    const tight = (await leann(ws, [...base, "--ef", "16", "--max-recompute", "3", "--patience", "1"])).json();
    expect(tight.stats.recomputed).toBeLessThanOrEqual(3);
    const roomy = (await leann(ws, [...base, "--max-recompute", "200", "--patience", "20"])).json();
    expect(roomy.stats.recomputed).toBeGreaterThan(3);
    const bad = await leann(ws, [...base, "--max-recompute", "0"]);
    expect(bad.code).toBe(1);
    expect(bad.json().error.message).toContain("--max-recompute must be an integer from 1");
  });

  it("refuses an index whose recorded model now loads as another (built with a stand-in) and says to rebuild", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs/notes.txt"])).code).toBe(0);
      const metaPath = join(ws2.home, "kb", "leann.json");
      const meta = JSON.parse(readFileSync(metaPath, "utf8"));
      writeFileSync(metaPath, JSON.stringify({ ...meta, modelId: "universal-sentence-encoder-lite" }));
      const r = await leann(ws2, ["search", "kb", "migration", "--json"]);
      expect(r.code).toBe(3);
      expect(r.json().error.code).toBe("MODEL_MISMATCH");
      expect(r.json().error.message).toContain(`its recorded model ${DEFAULT_MODEL} now loads as "${DEFAULT_MODEL}"`);
      expect(r.json().error.hint).toContain("leann build kb --force");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("refuses a --model other than the index's with MODEL_MISMATCH worded for the command line", async () => {
    const folder = join(ws.dir, "potion-copy");
    cpSync(EMBEDDED_MODEL_DIR, folder, { recursive: true });
    const r = await leann(ws, ["search", "docs", "keys", "--model", "potion-copy", "--json"]);
    expect(r.code).toBe(3);
    const e = r.json().error;
    expect(e.code).toBe("MODEL_MISMATCH");
    expect(e.message).toContain(`Index "docs" was embedded with "${DEFAULT_MODEL}", but --model potion-copy loads "potion-copy"`);
    expect(e.hint).toContain("Leave out --model");
    expect(`${e.message} ${e.hint}`).not.toContain("allowModelMismatch");
  });
});
