/**
 * The `leann` command under hostile folders and an unlucky user (issue 14): symbolic
 * links out of the folder, FIFOs, sockets, link loops, unreadable files, a closed output
 * pipe, Ctrl-C in every phase of a build, and a planted link at leann.json's temporary
 * name. In-process through `main` where the behaviour is the CLI's own; as a real child
 * process where it is the process's (signals, pipes, file permissions).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listIndexes, writeMeta, type IndexMeta } from "../packages/cli/src/home.js";
import { main, type CliIO } from "../packages/cli/src/index.js";
import { EMBEDDED_MODEL_DIR } from "../packages/onnx/src/embedded.js";
import { spawnCli, stderrLine, type CliChild } from "./helpers/cli-process.js";

/** The shipped default model (potion-base-2M inside @leann/onnx), as a folder: the repository alone is enough. */
const MODEL = EMBEDDED_MODEL_DIR;

interface Workspace {
  dir: string;
  home: string;
  docs: string;
  outside: string;
}

function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "leann-hard-"));
  const docs = join(dir, "docs"), outside = join(dir, "outside");
  mkdirSync(docs, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(docs, "guide.md"), "# Guide\n\nRotate the API keys every ninety days and revoke the old key afterwards.\n");
  writeFileSync(join(docs, "notes.txt"), "The billing database moves from MySQL to PostgreSQL in the spring.\n");
  writeFileSync(join(outside, "secret.md"), "The vault password is hunter2 and must never be indexed.\n");
  return { dir, home: join(dir, "home"), docs, outside };
}

function sink() {
  let text = "";
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

const envOf = (ws: Workspace) => ({ LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1", LEANN_MODEL: MODEL });

async function leann(ws: Workspace, args: string[], extra: Partial<CliIO> = {}) {
  const out = sink(), err = sink();
  const code = await main(args, { stdout: out, stderr: err, env: envOf(ws), cwd: ws.dir, ...extra });
  return { code, stdout: out.text, stderr: err.text, json: () => JSON.parse(out.text) };
}

/** The real executable from source, as a child process. */
function spawnLeann(ws: Workspace, args: string[], opts: { preload?: boolean; env?: Record<string, string>; uid?: number } = {}): CliChild {
  return spawnCli(args, { env: { ...envOf(ws), ...opts.env }, ...(opts.preload ? { preload: true } : {}), ...(opts.uid !== undefined ? { uid: opts.uid } : {}) });
}

/** The files that define an index's committed state: a build that was interrupted must leave them as they were. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f === "CURRENT" || f === "leann.json" || /\.leann$/.test(f)) out[f] = readFileSync(join(dir, f)).toString("base64");
  return out;
}

beforeAll(() => {
  if (!existsSync(join(MODEL, "tokenizer.json"))) {
    throw new Error(`These tests need the potion-base-2M model folder at ${MODEL} (shipped in packages/onnx/models); it is missing, and they must not be skipped.`);
  }
});

// ---- what a build reads ------------------------------------------------------------------

describe("leann build in a hostile folder", () => {
  let ws: Workspace;
  let server: Server;
  let report: any;
  let stderr: string;

  beforeAll(async () => {
    ws = makeWorkspace();
    const { docs, outside } = ws;
    symlinkSync(join(docs, "guide.md"), join(docs, "link-in.md")); // inside: taken
    symlinkSync(join(outside, "secret.md"), join(docs, "link-out.md")); // out of the folder
    symlinkSync("../outside/secret.md", join(docs, "relative-out.md")); // out, by a relative link
    symlinkSync("/dev/zero", join(docs, "zero.txt")); // a device, out of the folder
    expect(spawnSync("mkfifo", [join(docs, "pipe.md"), join(outside, "pipe.md")]).status).toBe(0);
    symlinkSync(join(docs, "pipe.md"), join(docs, "link-pipe.md")); // a link to a FIFO inside
    symlinkSync(join(outside, "pipe.md"), join(docs, "link-outside-pipe.md")); // a link to a FIFO outside
    symlinkSync("loop.md", join(docs, "loop.md")); // a link to itself
    symlinkSync("b.md", join(docs, "a.md"));
    symlinkSync("a.md", join(docs, "b.md")); // a two-link loop
    symlinkSync("nowhere.md", join(docs, "broken.md"));
    symlinkSync("..", join(docs, "parent")); // a folder link back up: never followed
    symlinkSync(outside, join(docs, "outside-folder"));
    // Long runs without a space: the 3.3 KB file that drove the old chunker out of memory, and a data URI.
    writeFileSync(join(docs, "app.min.js"), "a".repeat(3000) + ",".repeat(300));
    writeFileSync(join(docs, "style.min.css"), `.logo{background:url(data:image/png;base64,${"iVBORw0KGgo=".repeat(2000)})}`);
    server = createServer();
    await new Promise<void>((r) => server.listen(join(docs, "socket.md"), r));
    const r = await leann(ws, ["build", "kb", "docs", "--json"]);
    expect(r.code).toBe(0);
    report = r.json();
    stderr = r.stderr;
  });

  afterAll(() => {
    server?.close();
    if (ws) rmSync(ws.dir, { recursive: true, force: true });
  });

  const reasonFor = (name: string) => report.skipped.find((s: { path: string }) => s.path === join(ws.docs, name))?.reason as string | undefined;

  it("indexes only the regular files inside the folder, links inside it included", () => {
    const meta = JSON.parse(readFileSync(join(ws.home, "kb", "leann.json"), "utf8")) as IndexMeta;
    expect(Object.keys(meta.files).sort()).toEqual(["app.min.js", "guide.md", "link-in.md", "notes.txt", "style.min.css"].map((f) => join(ws.docs, f)));
    expect(report.files).toBe(5);
  });

  it("chunks files made of long runs without a space into bounded passages", () => {
    const meta = JSON.parse(readFileSync(join(ws.home, "kb", "leann.json"), "utf8")) as IndexMeta;
    expect(meta.files[join(ws.docs, "app.min.js")]!.chunks).toBeGreaterThan(1);
    expect(meta.files[join(ws.docs, "style.min.css")]!.chunks).toBeGreaterThan(1);
  });

  it("skips links that lead out of the folder, with a warning naming the target", async () => {
    for (const name of ["link-out.md", "relative-out.md"]) expect(reasonFor(name)).toContain(`${join(ws.outside, "secret.md")}, outside the folder indexed`);
    expect(reasonFor("zero.txt")).toContain("/dev/zero, outside");
    expect(reasonFor("link-outside-pipe.md")).toContain("outside");
    expect(stderr).toContain("skipped docs/");
    const hit = await leann(ws, ["search", "kb", "vault password hunter2", "--k", "5", "--json"]);
    expect(hit.code).toBe(0);
    for (const h of hit.json().hits) expect(h.text).not.toContain("hunter2");
  });

  it("skips FIFOs and sockets, named or linked, instead of blocking on them", () => {
    expect(reasonFor("pipe.md")).toBe("a FIFO, not a regular file");
    expect(reasonFor("link-pipe.md")).toBe("a FIFO, not a regular file");
    expect(reasonFor("socket.md")).toBe("a socket, not a regular file");
  });

  it("never follows link loops or folder links, and reports broken links", () => {
    for (const name of ["loop.md", "a.md", "b.md"]) expect(reasonFor(name)).toBe("symbolic link loop, not followed");
    expect(reasonFor("broken.md")).toBe("broken symbolic link");
    expect(report.skipped.some((s: { path: string }) => s.path.startsWith(join(ws.docs, "parent")) || s.path.startsWith(join(ws.docs, "outside-folder")))).toBe(false);
  });

  it("takes the same files when the folder is named through a link to it", async () => {
    symlinkSync(ws.docs, join(ws.dir, "docs-link"));
    const r = await leann(ws, ["build", "via-link", "docs-link", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().files).toBe(5);
    expect(r.json().skipped.length).toBe(report.skipped.length);
  });

  it("skips a FIFO named on the command line and reports nothing to index", async () => {
    const r = await leann(ws, ["build", "other", join(ws.docs, "pipe.md"), "--json"]);
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe("NO_FILES");
  });
});

// ---- unreadable files --------------------------------------------------------------------

describe("leann build with unreadable files", () => {
  it("skips a file and a folder it may not read, with a warning, and indexes the rest", async () => {
    const ws = makeWorkspace();
    try {
      writeFileSync(join(ws.docs, "locked.md"), "Nobody may read this file.\n");
      mkdirSync(join(ws.docs, "locked-dir"));
      writeFileSync(join(ws.docs, "locked-dir", "inner.md"), "Nor this one.\n");
      chmodSync(join(ws.docs, "locked.md"), 0o000);
      chmodSync(join(ws.docs, "locked-dir"), 0o000);
      // Root reads everything: run the build as an unprivileged user then.
      const asRoot = process.getuid?.() === 0;
      if (asRoot) for (const p of [ws.dir, ws.docs, ws.outside, join(ws.docs, "guide.md"), join(ws.docs, "notes.txt"), join(ws.docs, "locked.md"), join(ws.docs, "locked-dir")]) chownSync(p, 65534, 65534);
      const child = spawnLeann(ws, ["build", "kb", ws.docs, "--json"], asRoot ? { uid: 65534 } : {});
      const r = await child.exit;
      expect(r.stderr).not.toContain("    at "); // no stack trace
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.files).toBe(2);
      const reasons = Object.fromEntries(report.skipped.map((s: { path: string; reason: string }) => [s.path, s.reason]));
      expect(reasons[join(ws.docs, "locked.md")]).toBe("cannot be read (EACCES)");
      expect(reasons[join(ws.docs, "locked-dir")]).toBe("unreadable (EACCES)");
    } finally {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  });
});

// ---- leann list and info with a broken home ----------------------------------------------

describe("leann list with broken index folders", () => {
  it("lists the good indexes and warns about each folder it cannot examine", async () => {
    const ws = makeWorkspace();
    try {
      expect((await leann(ws, ["build", "good", "docs"])).code).toBe(0);
      symlinkSync("loop", join(ws.home, "loop")); // the folder itself is a link loop
      mkdirSync(join(ws.home, "cyclic"));
      writeFileSync(join(ws.home, "cyclic", "CURRENT"), "{}");
      symlinkSync(".", join(ws.home, "cyclic", "again")); // a loop inside an index folder
      symlinkSync("/", join(ws.home, "cyclic", "root")); // a link to a huge tree
      mkdirSync(join(ws.home, "fifo-meta"));
      writeFileSync(join(ws.home, "fifo-meta", "CURRENT"), "{}");
      expect(spawnSync("mkfifo", [join(ws.home, "fifo-meta", "leann.json")]).status).toBe(0);
      const r = await leann(ws, ["list", "--json"]);
      expect(r.code).toBe(0);
      const names = r.json().indexes.map((x: { name: string }) => x.name);
      expect(names).toEqual(["cyclic", "fifo-meta", "good"]);
      expect(r.stderr).toContain(`skipped ${join(ws.home, "loop")}: a symbolic link loop`);
      const cyclic = r.json().indexes.find((x: { name: string }) => x.name === "cyclic");
      expect(cyclic.bytes).toBeLessThan(1024 * 1024); // links counted as links, not followed
      const info = await leann(ws, ["info", "good", "--json"]);
      expect(info.code).toBe(0);
      expect(listIndexes(ws.home).map((x) => x.name)).toEqual(names);
    } finally {
      rmSync(ws.dir, { recursive: true, force: true });
    }
  });
});

// ---- closed output pipes -----------------------------------------------------------------

describe("the leann executable writing to a closed pipe", () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
  });
  afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));

  // The reader closes its end before leann writes (as `| head -1` does after one line).
  const closedStdout = async (args: string[]) => {
    const child = spawnLeann(ws, args);
    child.stdout!.destroy();
    return child.exit;
  };

  it("exits quietly with the command's code when stdout is closed (search, info, list)", async () => {
    const runs = await Promise.all([["search", "kb", "how often are API keys rotated"], ["info", "kb"], ["list"]].map(closedStdout));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/EPIPE|Error|    at /);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    }
  });

  it("exits with the command's own code when stderr is closed too", async () => {
    const child = spawnLeann(ws, ["search", "missing", "q"]);
    child.stdout!.destroy();
    child.stderr!.destroy();
    const r = await child.exit;
    expect(r.code).toBe(2); // INDEX_NOT_FOUND, not a crash
  });
});

// ---- Ctrl-C ----------------------------------------------------------------------------

describe("Ctrl-C during leann build", () => {
  let ws: Workspace;
  let before: Record<string, string>;
  beforeAll(async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    before = snapshot(join(ws.home, "kb"));
    // Enough chunks for a graph built by worker threads, whose batches let the interrupt in.
    writeFileSync(join(ws.docs, "many.txt"), Array.from({ length: 4200 }, (_, i) => `Entry ${i} records shipment ${i * 7919} to depot ${i % 97}.`).join("\n\n"));
  });
  afterAll(() => rmSync(ws.dir, { recursive: true, force: true }));


  /** Runs the build with the test-only model, sends SIGINT when `marker` appears, then opens the gate (if any). */
  const interruptAt = async (marker: RegExp, env: Record<string, string>) => {
    const gateFile = join(ws.dir, `gate-${Math.random().toString(36).slice(2)}`);
    const args = ["build", "kb", ws.docs, "--force", "--chunk-tokens", "16", "--overlap", "0", "--json"];
    const child = spawnLeann(ws, args, { preload: true, env: { LEANN_TEST_GATE_FILE: gateFile, ...env } });
    await stderrLine(child, marker);
    child.kill("SIGINT"); // pending in the child before the gate opens
    writeFileSync(gateFile, "");
    return child.exit;
  };

  it("stops while a slow model embeds a batch, exits 130 and leaves the previous index as it was", async () => {
    // Each batch would take ten minutes: only an interrupt that does not wait for it ends this test.
    const r = await interruptAt(/\[test-only\] embed \d+/, { LEANN_TEST_EMBED_DELAY_MS: "600000" });
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout).error.code).toBe("INTERRUPTED");
    expect(snapshot(join(ws.home, "kb"))).toEqual(before);
    const hit = await leann(ws, ["search", "kb", "rotate API keys", "--k", "1", "--json"]);
    expect(hit.code).toBe(0);
    expect(hit.json().hits[0].text).toContain("ninety days");
  });

  it("stops inside the graph, prune and quantize steps, exits 130 and leaves the previous index as it was", async () => {
    const phases = ["graph", "prune", "quantize"];
    for (const [i, phase] of phases.entries()) {
      const r = await interruptAt(new RegExp(`\\[test-only\\] phase ${phase}`), { LEANN_TEST_GATE_AT: phase });
      expect(r.code, `${phase}: ${r.stderr}`).toBe(130);
      expect(r.stderr).not.toContain("[test-only] save");
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe("INTERRUPTED");
      // Seen inside the step it arrived in (the step yields to the event loop), not at its end nor before saving.
      expect(error.message).toContain(`Interrupted in the ${phase} step`);
      expect(r.stderr).not.toContain(`[test-only] phase ${phase} done`);
      for (const later of phases.slice(i + 1)) expect(r.stderr).not.toContain(`[test-only] phase ${later}`);
      expect(snapshot(join(ws.home, "kb"))).toEqual(before);
      // The embedded chunks are kept: after the first run, nothing is embedded again.
      if (phase !== "graph") expect(r.stderr).not.toContain("[test-only] embed");
    }
  });

  it("lets a save that has begun finish when interrupted: the new index is complete and matches leann.json", async () => {
    const r = await interruptAt(/\[test-only\] save/, { LEANN_TEST_GATE_AT: "save" });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.resumed).toBe(report.passages); // every chunk came from the checkpoint
    expect(snapshot(join(ws.home, "kb"))).not.toEqual(before);
    expect(existsSync(join(ws.home, "kb", ".partial"))).toBe(false);
    const info = await leann(ws, ["info", "kb", "--json"]);
    expect(info.json().passages).toBe(report.passages);
    const hit = await leann(ws, ["search", "kb", "Entry 17 records shipment", "--k", "1", "--json"]);
    expect(hit.json().hits[0].text).toMatch(/Entry \d+ records shipment/); // only the new index holds these
  });
});

// ---- leann.json's temporary file ----------------------------------------------------------

describe("writeMeta", () => {
  it("never writes through a link planted at a predictable temporary name, and leaves no temporary file", () => {
    const dir = mkdtempSync(join(tmpdir(), "leann-meta-"));
    try {
      const victim = join(dir, "victim.txt");
      writeFileSync(victim, "precious\n");
      // The names the old code used, for this process and its neighbours.
      for (let pid = process.pid - 5; pid <= process.pid + 5; pid++) symlinkSync(victim, join(dir, `leann.json.tmp-${pid}`));
      const meta = { format: "leann-cli", version: 1, name: "x" } as unknown as IndexMeta;
      writeMeta(dir, meta);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(JSON.parse(readFileSync(join(dir, "leann.json"), "utf8")).name).toBe("x");
      expect(lstatSync(join(dir, "leann.json")).isFile()).toBe(true);
      const tmps = readdirSync(dir).filter((f) => f.startsWith("leann.json.tmp-") && !lstatSync(join(dir, f)).isSymbolicLink());
      expect(tmps).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("replaces a link planted at leann.json itself instead of writing through it", () => {
    const dir = mkdtempSync(join(tmpdir(), "leann-meta-"));
    try {
      const victim = join(dir, "victim.txt");
      writeFileSync(victim, "precious\n");
      symlinkSync(victim, join(dir, "leann.json"));
      writeMeta(dir, { format: "leann-cli", version: 1, name: "y" } as unknown as IndexMeta);
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(lstatSync(join(dir, "leann.json")).isFile()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
