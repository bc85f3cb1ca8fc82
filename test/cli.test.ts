/**
 * End-to-end tests of the `leann` command, run in-process through `main(argv, io)` in a
 * temporary folder with a temporary index home, offline, on the default model as a user
 * gets it: potion-base-2M shipped inside @leann/onnx. `ask` runs against an msw mock of
 * Ollama's HTTP API.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { LocalEmbeddings } from "@leann/onnx";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chunkText, estimateTokens, main, type CliIO } from "../packages/cli/src/index.js";
import { DEFAULT_MODEL, EMBEDDED_MODEL_DIR } from "../packages/onnx/src/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The model every index here is built with: the shipped default, with no --model and no $LEANN_MODEL. */
const MODEL = DEFAULT_MODEL;

// ---- fixtures ---------------------------------------------------------------------------

/** A one-page-per-entry PDF with Helvetica text lines, built byte by byte (xref offsets exact). */
function pdfWith(pages: string[][]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  pages.forEach((lines, i) => {
    const content = `BT /F1 12 Tf 14 TL 72 720 Td ${lines.map((l) => `(${esc(l)}) Tj T*`).join(" ")} ET`;
    objects[pageIds[i]!] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i]! + 1} 0 R >>`;
    objects[pageIds[i]! + 1] = `<< /Length ${Buffer.byteLength(content)} >>\nstream\n${content}\nendstream`;
  });
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(out);
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

const GUIDE = `# Operations guide

## Rotating API keys

Rotate the API keys every ninety days. Create the new key first, deploy it to every
service, then revoke the old key once the dashboards show no traffic using it.

## Retry policy

Failed requests are retried with exponential backoff: the first retry waits 200
milliseconds, each later retry doubles the wait, and we give up after five attempts.
`;

const SERVER_TS = `import { createServer } from "node:http";

/** Starts the health-check endpoint that load balancers poll. */
export function startHealthServer(port: number) {
  return createServer((req, res) => {
    res.writeHead(req.url === "/healthz" ? 200 : 404);
    res.end();
  }).listen(port);
}
`;

const NOTES = `Meeting notes, March.
The team agreed to migrate the billing database from MySQL to PostgreSQL in the spring.
The migration needs a read-only window of two hours on a Sunday night.
`;

interface Workspace {
  dir: string;
  home: string;
  docs: string;
}

function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "leann-cli-test-"));
  const docs = join(dir, "docs");
  mkdirSync(join(docs, "src"), { recursive: true });
  mkdirSync(join(docs, "private"), { recursive: true });
  writeFileSync(join(docs, "guide.md"), GUIDE);
  writeFileSync(join(docs, "src", "server.ts"), SERVER_TS);
  writeFileSync(join(docs, "notes.txt"), NOTES);
  writeFileSync(join(docs, ".gitignore"), "private/\n*.log\n");
  writeFileSync(join(docs, "private", "secrets.txt"), "The vault password is hunter2.\n");
  writeFileSync(join(docs, "debug.log"), "log line\n");
  writeFileSync(join(docs, "blob.txt"), Buffer.from([0x68, 0x69, 0x00, 0x01, 0x02]));
  writeFileSync(join(docs, "photo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]));
  writeFileSync(
    join(docs, "manual.pdf"),
    pdfWith([
      ["Espresso machine manual.", "Descale the boiler every month with citric acid."],
      ["Warranty.", "The warranty covers the pump and the heating element for three years."],
    ]),
  );
  return { dir, home: join(dir, "home"), docs };
}

// ---- running the CLI in-process -------------------------------------------------------

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

function sink() {
  let text = "";
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

async function leann(ws: Workspace, args: string[], extra: Partial<CliIO> = {}): Promise<Run> {
  const out = sink(), err = sink();
  const code = await main(args, {
    stdout: out,
    stderr: err,
    env: { LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1" },
    cwd: ws.dir,
    ...extra,
  });
  return { code, stdout: out.text, stderr: err.text, json: () => JSON.parse(out.text) };
}

/** A signal that reads "aborted" once the model has embedded `batches` batches (a spy on the model, restored by `restore`). */
function abortAfterBatches(batches: number): { signal: AbortSignal; restore: () => void } {
  const real = LocalEmbeddings.prototype.embedFlat;
  let calls = 0;
  const spy = vi.spyOn(LocalEmbeddings.prototype, "embedFlat").mockImplementation(function (this: LocalEmbeddings, texts: readonly string[]) {
    calls++;
    return real.call(this, texts);
  });
  return { signal: { get aborted() { return calls >= batches; } } as AbortSignal, restore: () => spy.mockRestore() };
}

let ws: Workspace;

beforeAll(async () => {
  ws = makeWorkspace();
  const r = await leann(ws, ["build", "docs", "docs", "--json"]);
  if (r.code !== 0) throw new Error(`fixture build failed (${r.code}): ${r.stderr}`);
});

afterAll(() => {
  if (ws) rmSync(ws.dir, { recursive: true, force: true });
});

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

// ---- add / delete ------------------------------------------------------------------------

describe("leann add and delete", () => {
  it("adds new files and re-indexes changed ones incrementally; unchanged files are not re-read", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs"])).code).toBe(0);
      const before = (await leann(ws2, ["info", "kb", "--json"])).json();
      writeFileSync(join(ws2.docs, "faq.md"), "# FAQ\n\nThe office parrot is named Captain Beaky and likes sunflower seeds.\n");
      writeFileSync(join(ws2.docs, "notes.txt"), "Meeting notes, April.\nWe postponed the database migration to the autumn because of the audit.\n");
      utimesSync(join(ws2.docs, "notes.txt"), new Date(), new Date(Date.now() + 5000));
      const r = await leann(ws2, ["add", "kb", "--json"]);
      expect(r.code).toBe(0);
      const report = r.json();
      expect(report.added.files).toBe(1);
      expect(report.updated.files).toBe(1);
      expect(report.unchanged).toBe(3);
      expect(report.embedded).toBe(report.added.passages + report.updated.passages);
      expect(report.passages).toBe(before.passages + report.added.passages); // notes.txt: one chunk before and after

      const parrot = (await leann(ws2, ["search", "kb", "what is the parrot called", "--k", "1", "--json"])).json();
      expect(parrot.hits[0].text).toContain("Captain Beaky");
      const notes = (await leann(ws2, ["search", "kb", "database migration", "--filter", "source~notes", "--json"])).json();
      expect(notes.hits).toHaveLength(1);
      expect(notes.hits[0].text).toContain("autumn"); // the old March chunk is gone

      const again = await leann(ws2, ["add", "kb"]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("Nothing to add: 5 files unchanged");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("add with explicit paths records them, --prune drops vanished files, and a missing path exits 2", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs/guide.md"])).code).toBe(0);
      mkdirSync(join(ws2.dir, "more"));
      writeFileSync(join(ws2.dir, "more", "a.txt"), "Alpha file about lighthouses on rocky coasts.\n");
      writeFileSync(join(ws2.dir, "more", "b.txt"), "Beta file about volcanoes and lava.\n");
      const added = await leann(ws2, ["add", "kb", "more", "--json"]);
      expect(added.json().added.files).toBe(2);
      rmSync(join(ws2.dir, "more", "b.txt"));
      const kept = await leann(ws2, ["add", "kb", "--json"]);
      expect(kept.code).toBe(0);
      expect(kept.json().vanished).toEqual({ files: 1, kept: true, paths: [join(ws2.dir, "more", "b.txt")] });
      expect(kept.stderr).toMatch(/1 indexed file no longer exists; its passages are kept:\n\s+more\/b\.txt\n\s+Drop them with `leann add kb --prune`/);
      const keptText = await leann(ws2, ["add", "kb"]);
      expect(keptText.stdout).toContain("1 vanished kept (--prune drops them)");
      const pruned = await leann(ws2, ["add", "kb", "--prune", "--json"]);
      expect(pruned.code).toBe(0);
      expect(pruned.json().removed.files).toBe(1);
      expect(pruned.json().vanished.files).toBe(0);
      const info = (await leann(ws2, ["info", "kb", "--json"])).json();
      expect(info.files).toBe(2);
      const missing = await leann(ws2, ["add", "kb", "nowhere", "--json"]);
      expect(missing.code).toBe(2);
      expect(missing.json().error.code).toBe("PATH_NOT_FOUND");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("deletes a file's passages and passages by id; unknown paths and ids exit 2; emptying exits 1", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs"])).code).toBe(0);
      const before = (await leann(ws2, ["info", "kb", "--json"])).json();
      const r = await leann(ws2, ["delete", "kb", "docs/manual.pdf", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ files: 1, deleted: 2, wholeFiles: [join(ws2.docs, "manual.pdf")], partialFiles: [] });
      const text = await leann(ws2, ["delete", "kb", "docs/notes.txt"]);
      expect(text.stdout).toMatch(/^Deleted 1 passages from 1 file \(1 whole\) in "kb"; \d+ passages left\.\n$/);
      const pdf = (await leann(ws2, ["search", "kb", "warranty", "--filter", "ext==pdf", "--json"])).json();
      expect(pdf.hits).toEqual([]);

      const hit = (await leann(ws2, ["search", "kb", "health check endpoint", "--k", "1", "--filter", "source~server.ts", "--json"])).json().hits[0];
      const byId = await leann(ws2, ["delete", "kb", "--id", hit.id, "--json"]);
      expect(byId.code).toBe(0);
      // server.ts is one chunk: deleting it by id empties the file, which is reported and dropped.
      expect(byId.json()).toMatchObject({ deleted: 1, files: 1, wholeFiles: [join(ws2.docs, "src", "server.ts")], partialFiles: [] });
      expect((await leann(ws2, ["info", "kb", "--json"])).json().files).toBe(1);
      const after = (await leann(ws2, ["info", "kb", "--json"])).json();
      expect(after.passages).toBe(before.passages - 4);

      const unknown = await leann(ws2, ["delete", "kb", "docs/nothing.md", "--id", "nope#0", "--json"]);
      expect(unknown.code).toBe(2);
      expect(unknown.json().error.code).toBe("NOT_IN_INDEX");
      expect(unknown.json().error.message).toContain('id "nope#0"');
      const everything = await leann(ws2, ["delete", "kb", "docs", "--json"]);
      expect(everything.code).toBe(1);
      expect(everything.stderr).toContain("leann remove kb");
      const nothing = await leann(ws2, ["delete", "kb"]);
      expect(nothing.code).toBe(1);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });
});

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
    expect(b.graph + b.pqCodes + b.pqCodebooks + b.storedVectors + b.other).toBe(b.indexTotal);
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

// ---- ask (Ollama mocked with msw) ---------------------------------------------------------

describe("leann ask", () => {
  const HOST = "http://ollama.test:11434";
  const chats: { model: string; messages: { role: string; content: string }[] }[] = [];
  const server = setupServer(
    http.get(`${HOST}/api/version`, () => HttpResponse.json({ version: "0.12.0" })),
    http.post(`${HOST}/api/chat`, async ({ request }) => {
      const body = (await request.json()) as (typeof chats)[number] & { stream: boolean };
      chats.push(body);
      if (body.model !== "llama3.2") return HttpResponse.json({ error: `model "${body.model}" not found, try pulling it first` }, { status: 404 });
      const pieces = ["Rotate them ", "every ninety ", "days [1]."];
      const enc = new TextEncoder();
      const stream = new ReadableStream({
        start(controller) {
          for (const p of pieces) controller.enqueue(enc.encode(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: p }, done: false }) + "\n"));
          controller.enqueue(enc.encode(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: "" }, done: true, done_reason: "stop" }) + "\n"));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "Content-Type": "application/x-ndjson" } });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: "bypass" }));
  afterAll(() => server.close());

  it("streams the answer of the Ollama model and cites the passages it was given", async () => {
    chats.length = 0;
    const writes: string[] = [];
    const out = { write: (s: string) => (writes.push(s), true) };
    const r = await leann(ws, ["ask", "docs", "How often should we rotate API keys?", "--host", HOST], { stdout: out });
    expect(r.code).toBe(0);
    // Streamed: the answer arrives in the pieces the server sent.
    expect(writes.slice(0, 3)).toEqual(["Rotate them ", "every ninety ", "days [1]."]);
    const text = writes.join("");
    expect(text).toContain("Rotate them every ninety days [1].\nSources: [1] docs/guide.md:");
    expect(chats).toHaveLength(1);
    const prompt = chats[0]!.messages.at(-1)!.content;
    expect(chats[0]!.model).toBe("llama3.2");
    expect(chats[0]!.messages[0]!.role).toBe("system");
    expect(prompt).toContain("Rotate the API keys every ninety days");
    expect(prompt).toMatch(/Question: How often should we rotate API keys\?$/);
  });

  it("reads questions from standard input, keeps the conversation, and prints one JSON line a question with --json", async () => {
    chats.length = 0;
    const stdin = Readable.from(["How often should we rotate API keys?\n", "\n", "And what about retries?\n"]) as unknown as NodeJS.ReadableStream;
    const r = await leann(ws, ["ask", "docs", "--json"], { stdin, env: { LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1", OLLAMA_HOST: HOST } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.question)).toEqual(["How often should we rotate API keys?", "And what about retries?"]);
    expect(lines[0].answer).toBe("Rotate them every ninety days [1].");
    expect(lines[0].sources.length).toBe(4);
    expect(lines[0].stats.recomputed).toBeGreaterThan(0);
    // The second request carries the first exchange.
    expect(chats[1]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(chats[1]!.messages[1]!.content).toBe("How often should we rotate API keys?");
  });

  it("exits 5 with a one-line hint to start Ollama when no server answers", async () => {
    const closed = await new Promise<number>((res) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(port));
      });
    });
    const r = await leann(ws, ["ask", "docs", "anything", "--host", `http://127.0.0.1:${closed}`, "--json"]);
    expect(r.code).toBe(5);
    expect(r.json().error.code).toBe("OLLAMA_UNAVAILABLE");
    expect(r.stderr).toContain("Start it with `ollama serve`");
    expect(r.stderr.trim().split("\n")).toHaveLength(2); // the message and one hint line
  });

  it("reports a missing index (exit 2) before a missing server", async () => {
    const r = await leann(ws, ["ask", "nope", "anything", "--host", "http://127.0.0.1:9", "--json"]);
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe("INDEX_NOT_FOUND");
  });

  it("exits 5 with a pull hint when the model is not on the server", async () => {
    const r = await leann(ws, ["ask", "docs", "anything", "--host", HOST, "--llm", "no-such-llm"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("ollama pull no-such-llm");
  });
});

// ---- the executable and the chunker ----------------------------------------------------

describe("the leann executable", () => {
  it("runs from source with tsx and exits with the command's code", () => {
    const home = mkdtempSync(join(tmpdir(), "leann-bin-"));
    try {
      const r = spawnSync(process.execPath, ["--conditions=leann-source", "--import", "tsx", join(ROOT, "packages/cli/src/bin.ts"), "search", "missing", "q", "--json"], {
        cwd: ROOT,
        env: { ...process.env, LEANN_HOME: home },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      expect(JSON.parse(r.stdout).error.code).toBe("INDEX_NOT_FOUND");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("chunkText", () => {
  const prose = readFileSync(join(ROOT, "packages/cli/README.md"), "utf8").repeat(3);

  it("keeps every chunk within the token budget and covers the whole text", () => {
    const chunks = chunkText(prose, { chunkTokens: 128, overlapTokens: 16 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(128);
      expect(estimateTokens(c.text)).toBeLessThanOrEqual(c.tokens);
      expect(prose.slice(c.start, c.end)).toBe(c.text);
    }
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(prose.trimEnd().length);
    // No text is lost: between two chunks there is at most whitespace (a chunk ending in a word longer
    // than the overlap, like a long Markdown link, is followed without overlap, past the line break).
    for (let i = 1; i < chunks.length; i++) expect(prose.slice(chunks[i - 1]!.end, Math.max(chunks[i - 1]!.end, chunks[i]!.start)).trim()).toBe("");
  });

  it("overlaps consecutive chunks by about the overlap, and not at all with overlap 0", () => {
    const chunks = chunkText(prose, { chunkTokens: 128, overlapTokens: 24 });
    const shared = chunks.slice(1).map((c, i) => estimateTokens(prose.slice(c.start, Math.max(c.start, chunks[i]!.end))));
    expect(Math.max(...shared)).toBeLessThanOrEqual(24);
    expect(shared.filter((t) => t > 0).length).toBeGreaterThan(shared.length / 2);
    const none = chunkText(prose, { chunkTokens: 128, overlapTokens: 0 });
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBeGreaterThanOrEqual(none[i - 1]!.end);
  });

  it("cuts at paragraph ends when one falls in the chunk's second half", () => {
    const para = (w: string) => Array.from({ length: 40 }, () => w).join(" ") + ".";
    const text = [para("alpha"), para("beta"), para("gamma")].join("\n\n");
    const chunks = chunkText(text, { chunkTokens: 100, overlapTokens: 0 });
    expect(chunks.map((c) => c.text)).toEqual([`${para("alpha")}\n\n${para("beta")}`, para("gamma")]);
    expect(chunks[1]!.startLine).toBe(5);
  });

  it("splits a single overlong word, and gives no chunks for blank text", () => {
    const chunks = chunkText("x".repeat(5000), { chunkTokens: 64, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(64);
    expect(chunks.map((c) => c.text).join("")).toBe("x".repeat(5000));
    expect(chunkText(" \n\t ")).toEqual([]);
  });

  it("estimates tokens: punctuation 1, words by 6 letters, CJK by character", () => {
    expect(estimateTokens("the")).toBe(1);
    expect(estimateTokens("internationalization")).toBe(4);
    expect(estimateTokens("a, b.")).toBe(4);
    expect(estimateTokens("東京都")).toBe(3);
    expect(() => chunkText("x", { chunkTokens: 100, overlapTokens: 50 })).toThrow(RangeError);
  });
});
