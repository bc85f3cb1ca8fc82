/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann build`: what it indexes, its reports and progress, overwrite rules, resuming an interrupted build. */
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "../packages/onnx/src/index.js";
import { abortAfterBatches, builtWorkspace, leann, makeWorkspace, MODEL, removeWorkspace, sink, type Workspace } from "./helpers/cli-workspace.js";

let ws: Workspace;
beforeAll(async () => {
  ws = await builtWorkspace();
});
afterAll(() => removeWorkspace(ws));

// ---- build -------------------------------------------------------------------------------

describe("leann build", () => {
  it("indexes text, Markdown, source and PDF files, honouring .gitignore and skipping binaries, and reports it in --json", async () => {
    const ws2 = makeWorkspace();
    try {
      const r = await leann(ws2, ["build", "kb", "docs", "--json"]);
      expect(r.code).toBe(0);
      const report = r.json();
      expect(report.name).toBe("kb");
      expect(report.files).toBe(4); // guide.md, server.ts, notes.txt, manual.pdf
      expect(report.passages).toBeGreaterThanOrEqual(4);
      expect(report.modelId).toBe(DEFAULT_MODEL);
      expect(report.modelSource).toBe("embedded");
      expect(report.dimensions).toBe(64);
      expect(report.model).toBe(MODEL);
      expect(report.skipped).toEqual([{ path: join(ws2.docs, "blob.txt"), reason: "binary" }]);
      expect(report.ignored).toBe(2); // private/ and debug.log
      expect(report.unsupported).toBe(2); // photo.png and .gitignore
      expect(report.bytes.indexTotal).toBeGreaterThan(0);
      expect(report.bytes.storedVectors).toBe(0);
      // The index lives in HOME/NAME; the checkpoint is gone once it is saved.
      expect(existsSync(join(ws2.home, "kb", "CURRENT"))).toBe(true);
      expect(existsSync(join(ws2.home, "kb", "leann.json"))).toBe(true);
      expect(existsSync(join(ws2.home, "kb", ".partial"))).toBe(false);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("prints a human summary on stdout and keeps stderr free of progress bars when not on a terminal", async () => {
    const ws2 = makeWorkspace();
    try {
      const r = await leann(ws2, ["build", "kb", "docs/guide.md"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Built "kb": \d+ passages from 1 files in [\d.]+ s \(minishlab\/potion-base-2M, 64-d\)\./);
      expect(r.stdout).toContain('leann search kb "your question"');
      expect(r.stderr).not.toContain("\r");
      expect(r.stderr).toContain('Indexing');
      const quiet = await leann(ws2, ["build", "kb2", "docs/notes.txt", "--quiet"]);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe("");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("draws a progress bar with a rate and an ETA on a terminal", async () => {
    const ws2 = makeWorkspace();
    try {
      const err = { ...sink(), isTTY: true, columns: 100 };
      let text = "";
      err.write = (s: string) => ((text += s), true);
      const r = await leann(ws2, ["build", "kb", "docs"], { stderr: err });
      expect(r.code).toBe(0);
      expect(text).toMatch(/embed\s+\[[#.]+\]\s+\d+\/\d+ chunks\s+\d+%/);
      expect(text).toMatch(/ETA \d+:\d\d|took \d+:\d\d/);
      expect(text).toMatch(/graph\s+\[/);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("indexes HTML as the text a reader sees, with line numbers of the .html file", async () => {
    const ws2 = makeWorkspace();
    try {
      const page = join(ws2.dir, "page.html");
      writeFileSync(
        page,
        `<!doctype html>\n<html><head><title>Kitchen</title>\n<script>var secret = "<b>no</b>";</script>\n<style>p { color: red }</style></head>\n<body>\n<h1>Bread</h1>\n<p>Knead the dough for <em>ten minutes</em> &amp; let it rise overnight.</p>\n</body></html>\n`,
      );
      expect((await leann(ws2, ["build", "web", "page.html"])).code).toBe(0);
      const hit = (await leann(ws2, ["search", "web", "how long to knead dough", "--k", "1", "--json"])).json().hits[0];
      expect(hit.text).toContain("Knead the dough for ten minutes & let it rise overnight.");
      expect(hit.text).not.toMatch(/<|secret|color: red/);
      expect(hit.line).toBe(2);
      expect(hit.endLine).toBe(7);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("refuses to overwrite an existing index (exit 6) unless --force", async () => {
    const r = await leann(ws, ["build", "docs", "docs", "--json"]);
    expect(r.code).toBe(6);
    expect(r.json().error.code).toBe("INDEX_EXISTS");
    expect(r.stderr).toContain("leann build docs --force");
  });

  it("rebuilds with --force", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs/notes.txt"])).code).toBe(0);
      const r = await leann(ws2, ["build", "kb", "docs", "--force", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json().files).toBe(4);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("exits 2 for a path that does not exist, and for folders with nothing to index", async () => {
    const missing = await leann(ws, ["build", "other", "docs", "nope/", "--json"]);
    expect(missing.code).toBe(2);
    expect(missing.json().error.code).toBe("PATH_NOT_FOUND");
    expect(missing.json().error.message).toContain("nope/");
    mkdirSync(join(ws.dir, "empty"), { recursive: true });
    const empty = await leann(ws, ["build", "other", "empty", "--json"]);
    expect(empty.code).toBe(2);
    expect(empty.json().error.code).toBe("NO_FILES");
    expect(existsSync(join(ws.home, "other", "CURRENT"))).toBe(false);
  });

  it("resumes an interrupted build from its checkpoint, embedding only the chunks not yet saved", async () => {
    const ws2 = makeWorkspace();
    try {
      // Many small chunks so the build takes several batches.
      writeFileSync(join(ws2.docs, "long.txt"), Array.from({ length: 400 }, (_, i) => `Paragraph ${i} is about topic number ${i}.`).join("\n\n"));
      // A signal that reads "aborted" once three batches were embedded.
      const { signal, restore } = abortAfterBatches(3);
      const first = await leann(ws2, ["build", "kb", "docs", "--chunk-tokens", "16", "--overlap", "0", "--json"], { signal }).finally(restore);
      expect(first.code).toBe(130);
      expect(first.json().error.code).toBe("INTERRUPTED");
      expect(first.stderr).toContain("Run the same command again to resume");
      expect(existsSync(join(ws2.home, "kb", "CURRENT"))).toBe(false);
      expect(existsSync(join(ws2.home, "kb", ".partial", "vectors.bin"))).toBe(true);
      const listed = await leann(ws2, ["list", "--json"]);
      expect(listed.json().indexes).toEqual([expect.objectContaining({ name: "kb", state: "partial" })]);
      const search = await leann(ws2, ["search", "kb", "topic", "--json"]);
      expect(search.code).toBe(2);
      expect(search.json().error.hint).toContain("resume");

      const second = await leann(ws2, ["build", "kb", "docs", "--chunk-tokens", "16", "--overlap", "0", "--json"]);
      expect(second.code).toBe(0);
      const report = second.json();
      expect(report.resumed).toBe(3 * 32); // three batches of 32 were saved
      expect(second.stderr).toContain(`Resuming: ${3 * 32} of ${report.passages} chunks were already embedded.`);
      expect(existsSync(join(ws2.home, "kb", ".partial"))).toBe(false);
      const hit = await leann(ws2, ["search", "kb", "Paragraph 7 is about topic number 7", "--k", "1", "--json"]);
      expect(hit.json().hits[0].text).toContain("topic number 7.");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("drops a checkpoint cut short by a crash to its last whole record", async () => {
    const ws2 = makeWorkspace();
    try {
      const { signal, restore } = abortAfterBatches(1);
      writeFileSync(join(ws2.docs, "long.txt"), Array.from({ length: 100 }, (_, i) => `Line ${i} of the log.`).join("\n\n"));
      expect((await leann(ws2, ["build", "kb", "docs", "--chunk-tokens", "16", "--overlap", "0"], { signal }).finally(restore)).code).toBe(130);
      appendFileSync(join(ws2.home, "kb", ".partial", "vectors.bin"), Buffer.alloc(17, 7)); // half a record
      const r = await leann(ws2, ["build", "kb", "docs", "--chunk-tokens", "16", "--overlap", "0", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json().resumed).toBe(32);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });
});
