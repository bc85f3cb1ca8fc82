/**
 * Two writers on one index (issue 13): `leann build` and `leann add` hold the index's
 * writer lock from load to leann.json, so concurrent commands never both save and never
 * lose each other's files; and leann.json and the index, written one after the other,
 * are brought back together by the next `leann add` when a command fails between them.
 * Real child processes where the race is between processes, gated on their printed lines
 * (the test-only preload holds one in its save) and on their exits, never on sleeps.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IndexMeta } from "../packages/cli/src/home.js";
import { main } from "../packages/cli/src/index.js";
import { EMBEDDED_MODEL_DIR } from "../packages/onnx/src/embedded.js";
import { spawnCli, stderrLine, type CliChild } from "./helpers/cli-process.js";

/** When set, the next leann.json write fails: the failure between a command's two writes. */
const failMeta = vi.hoisted(() => ({ armed: false }));
vi.mock("../packages/cli/src/home.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../packages/cli/src/home.js")>();
  return {
    ...real,
    writeMeta: (dir: string, meta: IndexMeta) => {
      if (failMeta.armed) {
        failMeta.armed = false;
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${dir}/leann.json'`), { code: "ENOSPC" });
      }
      real.writeMeta(dir, meta);
    },
  };
});


interface Workspace {
  dir: string;
  home: string;
  docs: string;
}

function makeWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "leann-concurrency-"));
  const docs = join(dir, "docs");
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, "guide.md"), "# Guide\n\nRotate the API keys every ninety days and revoke the old key afterwards.\n");
  writeFileSync(join(docs, "notes.txt"), "The billing database moves from MySQL to PostgreSQL in the spring.\n");
  writeFileSync(
    join(docs, "long.md"),
    Array.from({ length: 12 }, (_, i) => `Section ${i}: the lighthouse keeper logs wind speed ${i * 3} knots at dawn.`).join("\n\n") + "\n",
  );
  return { dir, home: join(dir, "home"), docs };
}

const envOf = (ws: Workspace) => ({ LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1", LEANN_MODEL: EMBEDDED_MODEL_DIR });

function sink() {
  let text = "";
  return { write: (s: string) => ((text += s), true), get text() { return text; } };
}

/** In-process run of `leann ARGS`. */
async function leann(ws: Workspace, args: string[]) {
  const out = sink(), err = sink();
  const code = await main(args, { stdout: out, stderr: err, env: envOf(ws), cwd: ws.dir });
  return { code, stdout: out.text, stderr: err.text, json: () => JSON.parse(out.text) };
}

/** The real executable as a child process; with `gateFile`, held in its save until the file exists. */
function spawnLeann(ws: Workspace, args: string[], gateFile?: string): CliChild {
  const gate: Record<string, string> = gateFile ? { LEANN_TEST_GATE_AT: "save", LEANN_TEST_GATE_FILE: gateFile } : {};
  return spawnCli(args, { env: { ...envOf(ws), ...gate }, ...(gateFile ? { preload: true } : {}) });
}

const readMetaFile = (ws: Workspace, name = "kb"): IndexMeta => JSON.parse(readFileSync(join(ws.home, name, "leann.json"), "utf8")) as IndexMeta;

/** Chunks leann.json says the index holds. */
const recordedChunks = (meta: IndexMeta) => Object.values(meta.files).reduce((s, f) => s + f.chunks - (f.dropped?.length ?? 0), 0);

/**
 * leann.json and the index agree: a rescan finds nothing to repair or add, the index holds
 * exactly the chunks leann.json records, and each file named is searchable.
 */
async function expectInStep(ws: Workspace, files: string[]): Promise<void> {
  const rescan = await leann(ws, ["add", "kb", "--json"]);
  expect(rescan.code, rescan.stderr).toBe(0);
  const report = rescan.json();
  expect(report.repaired.files).toBe(0);
  expect(report.embedded).toBe(0);
  const meta = readMetaFile(ws);
  expect(report.passages).toBe(recordedChunks(meta));
  expect(meta.passages).toBe(report.passages);
  for (const f of files) expect(Object.keys(meta.files)).toContain(f);
}

describe("two leann processes writing one index", () => {
  let ws: Workspace;
  afterEach(() => rmSync(ws.dir, { recursive: true, force: true }));

  it("fails the second of two concurrent `leann build NAME` with LOCKED (exit 6) and keeps the first whole", async () => {
    ws = makeWorkspace();
    const other = join(ws.dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "recipes.md"), "Knead the dough for ten minutes, then let it rise overnight.\n");
    const gate = join(ws.dir, "gate-build");
    const first = spawnLeann(ws, ["build", "kb", ws.docs, "--json"], gate);
    await stderrLine(first, /\[test-only\] save/); // the first holds the lock and is saving
    const second = await spawnLeann(ws, ["build", "kb", other, "--json"]).exit;
    writeFileSync(gate, "");
    const done = await first.exit;

    expect(done.code, done.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(6);
    const error = JSON.parse(second.stdout).error;
    expect(error.code).toBe("LOCKED");
    expect(error.message).toContain('Another leann process is writing index "kb"');
    expect(error.hint).toContain("Try again when it ends");
    await expectInStep(ws, [join(ws.docs, "guide.md"), join(ws.docs, "notes.txt")]);
    expect(Object.keys(readMetaFile(ws).files)).not.toContain(join(other, "recipes.md"));
    // Run again, the second build sees the finished index instead of overwriting it.
    const again = await leann(ws, ["build", "kb", "other", "--json"]);
    expect(again.code).toBe(6);
    expect(again.json().error.code).toBe("INDEX_EXISTS");
  });

  it("loses no file when two `leann add` of different files overlap: the second fails with LOCKED and a re-run adds its files", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    const a = join(ws.dir, "a"), b = join(ws.dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, "alpha.md"), "Alpha team ships the payment gateway on Thursdays.\n");
    writeFileSync(join(b, "beta.md"), "Beta team rotates the on-call pager every Monday.\n");
    const gate = join(ws.dir, "gate-add");
    const first = spawnLeann(ws, ["add", "kb", a, "--json"], gate);
    await stderrLine(first, /\[test-only\] save/);
    const second = await spawnLeann(ws, ["add", "kb", b, "--json"]).exit;
    writeFileSync(gate, "");
    const done = await first.exit;

    expect(done.code, done.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(6);
    expect(JSON.parse(second.stdout).error.code).toBe("LOCKED");
    const rerun = await leann(ws, ["add", "kb", "b", "--json"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json().added.files).toBe(1);
    await expectInStep(ws, [join(a, "alpha.md"), join(b, "beta.md"), join(ws.docs, "guide.md")]);
    const hit = await leann(ws, ["search", "kb", "payment gateway Thursdays", "--k", "1", "--json"]);
    expect(hit.json().hits[0].text).toContain("Alpha team");
  });

  it("loses no file when two `leann add` race unsynchronised: each succeeds or fails with LOCKED, and re-runs add the rest", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    const dirs = ["c", "d"].map((n) => join(ws.dir, n));
    dirs.forEach((d, i) => {
      mkdirSync(d);
      writeFileSync(join(d, `file${i}.md`), `Racing writer ${i} records the ferry timetable for pier ${i + 7}.\n`);
    });
    const exits = await Promise.all(dirs.map((d) => spawnLeann(ws, ["add", "kb", d, "--json"]).exit));
    for (const [i, e] of exits.entries()) {
      if (e.code === 0) continue;
      expect(e.code, e.stderr).toBe(6);
      expect(JSON.parse(e.stdout).error.code).toBe("LOCKED");
      expect((await leann(ws, ["add", "kb", dirs[i]!])).code).toBe(0);
    }
    await expectInStep(ws, dirs.map((d, i) => join(d, `file${i}.md`)));
  });
});

describe("leann.json and the index after a failure between their writes", () => {
  let ws: Workspace;
  afterEach(() => {
    failMeta.armed = false;
    rmSync(ws.dir, { recursive: true, force: true });
  });

  it("re-indexes the deleted file when a `leann delete` fails after saving the index but before leann.json", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    failMeta.armed = true;
    const del = await leann(ws, ["delete", "kb", "docs/notes.txt", "--json"]);
    expect(del.code).not.toBe(0);
    expect(Object.keys(readMetaFile(ws).files)).toContain(join(ws.docs, "notes.txt")); // leann.json still lists it

    const repair = await leann(ws, ["add", "kb", "--json"]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.json().repaired.files).toBe(1);
    await expectInStep(ws, [join(ws.docs, "notes.txt")]);
    const hit = await leann(ws, ["search", "kb", "billing database PostgreSQL", "--k", "1", "--json"]);
    expect(hit.json().hits[0].text).toContain("PostgreSQL");
  });

  it("keeps one copy of each passage when a `leann add` fails after saving the index but before leann.json", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    writeFileSync(join(ws.docs, "new.md"), "The greenhouse sprinklers run at six every evening.\n");
    writeFileSync(join(ws.docs, "guide.md"), "# Guide\n\nKeys now rotate every thirty days.\n\nAudit them weekly.\n");
    failMeta.armed = true;
    expect((await leann(ws, ["add", "kb"])).code).not.toBe(0);

    const repair = await leann(ws, ["add", "kb", "--json"]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.json().repaired.files).toBeGreaterThan(0);
    await expectInStep(ws, [join(ws.docs, "new.md"), join(ws.docs, "guide.md")]);
    const hit = await leann(ws, ["search", "kb", "how often do keys rotate", "--k", "3", "--json"]);
    const texts = hit.json().hits.map((h: { text: string }) => h.text).join("\n");
    expect(texts).toContain("thirty days");
    expect(texts).not.toContain("ninety days");
  });

  it("brings the index back to the files when a `leann build --force` fails after saving the index but before leann.json", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs"])).code).toBe(0);
    writeFileSync(join(ws.docs, "notes.txt"), "The billing database stays on MySQL after all.\n");
    rmSync(join(ws.docs, "long.md"));
    writeFileSync(join(ws.docs, "extra.md"), "The ferry to the island leaves at seven from pier four.\n");
    failMeta.armed = true;
    expect((await leann(ws, ["build", "kb", "docs", "--force"])).code).not.toBe(0);

    const repair = await leann(ws, ["add", "kb", "--prune", "--json"]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.json().repaired.files).toBeGreaterThan(0);
    await expectInStep(ws, [join(ws.docs, "notes.txt"), join(ws.docs, "extra.md")]);
    expect(Object.keys(readMetaFile(ws).files)).not.toContain(join(ws.docs, "long.md"));
    const hit = await leann(ws, ["search", "kb", "billing database", "--k", "1", "--json"]);
    expect(hit.json().hits[0].text).toContain("stays on MySQL");
  });

  it("keeps passages removed by `leann delete --id` out of the index on the next rescan", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", "docs", "--chunk-tokens", "16", "--overlap", "0"])).code).toBe(0);
    const long = join(ws.docs, "long.md");
    expect(readMetaFile(ws).files[long]!.chunks).toBeGreaterThan(1);
    const del = await leann(ws, ["delete", "kb", "--id", `${long}#0`, "--json"]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.json().partialFiles).toEqual([long]);
    expect(readMetaFile(ws).files[long]!.dropped).toEqual([0]);
    await expectInStep(ws, [long]);
  });
});

describe("leann watch while another process writes the index", () => {
  let ws: Workspace;
  afterEach(() => rmSync(ws.dir, { recursive: true, force: true }));

  it("defers a sync that finds the index locked, says so, and syncs by itself once the other writer ends", async () => {
    ws = makeWorkspace();
    expect((await leann(ws, ["build", "kb", ws.docs])).code).toBe(0);
    const other = join(ws.dir, "other");
    mkdirSync(other);
    writeFileSync(join(other, "alpha.md"), "Alpha team ships the payment gateway on Thursdays.\n");
    const gate = join(ws.dir, "gate-watch");
    const writer = spawnLeann(ws, ["add", "kb", other, "--json"], gate);
    await stderrLine(writer, /\[test-only\] save/);
    writeFileSync(join(ws.docs, "new.md"), "The greenhouse sprinklers run at six every evening.\n");

    // stdout of the watcher, with a way to wait for a line.
    let text = "";
    const waiters: { pattern: RegExp; resolve: () => void }[] = [];
    const stdout = {
      write: (s: string) => {
        text += s;
        for (const w of waiters.splice(0)) (w.pattern.test(text) ? w.resolve : () => waiters.push(w))();
        return true;
      },
    };
    const printed = (pattern: RegExp) => new Promise<void>((resolve) => (pattern.test(text) ? resolve() : waiters.push({ pattern, resolve })));
    const stop = new AbortController();
    const err = sink();
    const watching = main(["watch", "kb", "--debounce", "20"], { stdout, stderr: err, env: envOf(ws), cwd: ws.dir, signal: stop.signal });

    await printed(/sync deferred \(LOCKED\): another writer has "kb"; nothing was changed/);
    writeFileSync(gate, "");
    expect((await writer.exit).code).toBe(0);
    await printed(/synced "kb": \+1 file new/);
    stop.abort();
    expect(await watching, err.text).toBe(0);
    expect(text).toMatch(/"kb" is free again; synced after 1 deferred try/);
    expect(text.match(/sync deferred/g)).toHaveLength(1);
    await expectInStep(ws, [join(ws.docs, "new.md"), join(other, "alpha.md")]);
  });
});
