/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann info`, `list`, `remove`, `models`, help and version. */
import { existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../packages/cli/src/index.js";
import { DEFAULT_MODEL } from "../packages/onnx/src/index.js";
import { builtWorkspace, GUIDE, leann, makeWorkspace, removeWorkspace, sink, type Workspace } from "./helpers/cli-workspace.js";

let ws: Workspace;
beforeAll(async () => {
  ws = await builtWorkspace();
});
afterAll(() => removeWorkspace(ws));

// ---- info / list / remove ----------------------------------------------------------------

describe("leann info, list and remove", () => {
  it("info reports passages, model, bytes by component and the share of the raw text", async () => {
    const r = await leann(ws, ["info", "docs", "--json"]);
    expect(r.code).toBe(0);
    const info = r.json();
    expect(info.files).toBe(4);
    expect(info.modelId).toBe(DEFAULT_MODEL);
    expect(info.rawTextBytes).toBeGreaterThan(GUIDE.length);
    const b = info.bytes;
    expect(b.graph + b.pqCodes + b.pqCodebooks + b.rotation + b.storedVectors + b.keyword + b.other).toBe(b.indexTotal);
    expect(b.total).toBeGreaterThanOrEqual(b.indexTotal + b.passages + b.meta);
    expect(info.shareOfRawText).toBeCloseTo(b.total / info.rawTextBytes, 6);
    expect(info.float32EmbeddingsBytes).toBe(info.passages * 64 * 4);
    const text = await leann(ws, ["info", "docs"]);
    expect(text.stdout).toMatch(/On disk\s+[\d.]+ \w+\s+\([\d.]+% of raw text\)/);
    expect(text.stdout).toMatch(/graph\s+[\d.]+ \w+/);
    expect(text.stdout).toMatch(/PQ codes/);
  });

  it("list shows the indexes of the home, remove deletes one, and removing it again exits 2", async () => {
    const ws2 = makeWorkspace();
    try {
      const empty = await leann(ws2, ["list"]);
      expect(empty.code).toBe(0);
      expect(empty.stdout).toContain("No indexes in");
      expect((await leann(ws2, ["build", "a", "docs/guide.md"])).code).toBe(0);
      expect((await leann(ws2, ["build", "b", "docs/notes.txt"])).code).toBe(0);
      const listed = (await leann(ws2, ["list", "--json"])).json();
      expect(listed.home).toBe(ws2.home);
      expect(listed.indexes.map((x: { name: string }) => x.name)).toEqual(["a", "b"]);
      expect(listed.indexes[0]).toMatchObject({ state: "ready", files: 1, model: DEFAULT_MODEL });
      const text = await leann(ws2, ["list"]);
      expect(text.stdout).toMatch(/^NAME\s+PASSAGES\s+FILES\s+SIZE\s+MODEL\s+UPDATED\na\s+\d+\s+1\s/);
      const removed = await leann(ws2, ["remove", "a", "--json"]);
      expect(removed.code).toBe(0);
      expect(removed.json().removed).toBe("a");
      expect(existsSync(join(ws2.home, "a"))).toBe(false);
      const again = await leann(ws2, ["remove", "a", "--json"]);
      expect(again.code).toBe(2);
      expect(again.json().error.code).toBe("INDEX_NOT_FOUND");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("keeps indexes under ~/.leann/indexes without LEANN_HOME, and under --home when given", async () => {
    const out = sink();
    expect(await main(["list", "--json"], { stdout: out, stderr: sink(), env: { HOME: ws.dir }, cwd: ws.dir })).toBe(0);
    expect(JSON.parse(out.text).home).toBe(join(ws.dir, ".leann", "indexes"));
    const flagged = await leann(ws, ["list", "--home", "elsewhere", "--json"]);
    expect(flagged.json().home).toBe(join(ws.dir, "elsewhere"));
  });

  it("exits 3 for a corrupt index", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs/guide.md"])).code).toBe(0);
      const current = JSON.parse(readFileSync(join(ws2.home, "kb", "CURRENT"), "utf8"));
      truncateSync(join(ws2.home, "kb", current.index), 40);
      const r = await leann(ws2, ["search", "kb", "keys", "--json"]);
      expect(r.code).toBe(3);
      expect(r.json().error.code).toBe("CORRUPT_INDEX");
      const info = await leann(ws2, ["info", "kb", "--json"]);
      expect(info.code).toBe(3);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("models lists the shipped default, downloaded models and the forms of --model", async () => {
    const cacheDir = join(ws.dir, "model-cache");
    const cache = join(cacheDir, "someone--encoder", "main");
    const env = { LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1", LEANN_CACHE_DIR: cacheDir };
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, "tokenizer.json"), "{}");
    writeFileSync(join(cache, ".leann-model.json"), JSON.stringify({ repo: "someone/encoder", revision: "main", files: [{ path: "tokenizer.json" }] }));
    try {
      const r = await leann(ws, ["models", "--json"], { env });
      expect(r.code).toBe(0);
      const local = r.json().providers[0];
      expect(local.models[0]).toMatchObject({ spec: DEFAULT_MODEL, state: "ready" });
      expect(local.models).toContainEqual(expect.objectContaining({ spec: "someone/encoder", state: "ready" }));
      expect(local.models.map((m: { spec: string }) => m.spec)).toContain("./path/to/folder");
      const text = await leann(ws, ["models"], { env });
      expect(text.stdout).toMatch(new RegExp(`minishlab/potion-base-2M\\s+ready\\s+the default`));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("prints help for the tool and each command, and the version", async () => {
    const help = await leann(ws, ["--help"]);
    expect(help.code).toBe(0);
    for (const c of ["build", "search", "ask", "add", "delete", "models", "list", "info", "remove"]) expect(help.stdout).toContain(`  ${c}`);
    expect(help.stdout).toContain("Exit codes: 0 ok, 1 usage error, 2 not found");
    const sub = await leann(ws, ["search", "--help"]);
    expect(sub.stdout).toContain("--filter EXPR");
    expect((await leann(ws, [])).code).toBe(1);
    expect((await leann(ws, ["--version"])).stdout).toBe("0.1.0\n");
  });
});
