/**
 * The workspace and runner of the `leann` command's end-to-end tests (test/cli-*.test.ts):
 * a temporary folder of documents (Markdown, source, text, a PDF, files to skip), a
 * temporary index home, and `leann(ws, args)` running `main` in-process, offline, on the
 * default model as a user gets it (potion-base-2M shipped inside @leann/onnx).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalEmbeddings } from "@leann/onnx";
import { vi } from "vitest";
import { main, type CliIO } from "../../packages/cli/src/index.js";
import { DEFAULT_MODEL } from "../../packages/onnx/src/index.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The model every index here is built with: the shipped default, with no --model and no $LEANN_MODEL. */
export const MODEL = DEFAULT_MODEL;

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

export const GUIDE = `# Operations guide

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

export interface Workspace {
  dir: string;
  home: string;
  docs: string;
}

export function makeWorkspace(): Workspace {
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

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

export function sink() {
  let text = "";
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

export async function leann(ws: Workspace, args: string[], extra: Partial<CliIO> = {}): Promise<Run> {
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
export function abortAfterBatches(batches: number): { signal: AbortSignal; restore: () => void } {
  const real = LocalEmbeddings.prototype.embedFlat;
  let calls = 0;
  const spy = vi.spyOn(LocalEmbeddings.prototype, "embedFlat").mockImplementation(function (this: LocalEmbeddings, texts: readonly string[]) {
    calls++;
    return real.call(this, texts);
  });
  return { signal: { get aborted() { return calls >= batches; } } as AbortSignal, restore: () => spy.mockRestore() };
}

/**
 * A workspace with its documents indexed as "docs", for the tests that only read an index.
 * @throws Error when that build fails (every test of the file would fail for the same reason)
 */
export async function builtWorkspace(): Promise<Workspace> {
  const ws = makeWorkspace();
  const r = await leann(ws, ["build", "docs", "docs", "--json"]);
  if (r.code !== 0) throw new Error(`fixture build failed (${r.code}): ${r.stderr}`);
  return ws;
}

/** Removes a workspace and everything in it (the index home included). */
export function removeWorkspace(ws: Workspace | undefined): void {
  if (ws) rmSync(ws.dir, { recursive: true, force: true });
}
